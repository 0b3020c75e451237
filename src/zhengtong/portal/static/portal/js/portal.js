/*
 * Page behaviour that the Content-Security-Policy allows: this file only, no
 * inline script. Django's CSRF cookie is HttpOnly, so htmx requests take the
 * token from the <meta name="csrf-token"> tag that every page renders.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:config:request", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.ctx.request.headers["X-CSRFToken"] = token;
    }
  });

  // Buttons that destroy something ask first; the question comes from the
  // page (data-confirm) so that it is translated with the rest of the page.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var question = form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );
})();
