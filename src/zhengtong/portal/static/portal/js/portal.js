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

  // An htmx swap that replaces the focused control (a sort link, a row's
  // form sent back with its errors) would leave keyboard and screen-reader
  // users at the top of the page. Focus goes instead to the first field in
  // error of the new content, else to the control of the same id, else to
  // the new content itself.
  var swap = null;

  function targetId(event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    if (typeof target === "string") {
      target = document.querySelector(target);
    }
    return target && target.id ? target.id : null;
  }

  document.addEventListener("htmx:before:swap", function (event) {
    var active = document.activeElement;
    swap = {
      hadFocus: !!active && active !== document.body,
      focusId: active && active.id ? active.id : null,
      targetId: targetId(event),
    };
  });

  document.addEventListener("htmx:after:settle", function () {
    var before = swap;
    swap = null;
    if (!before || !before.hadFocus) {
      return;
    }
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) {
      return;
    }
    var scope = (before.targetId && document.getElementById(before.targetId)) || null;
    var next = null;
    if (scope) {
      next = scope.querySelector('[aria-invalid="true"]');
      var error = next ? null : scope.querySelector('.errorlist[id$="_error"]');
      if (error) {
        next = document.getElementById(error.id.slice(0, -"_error".length));
      }
    }
    if (!next && before.focusId) {
      next = document.getElementById(before.focusId);
    }
    if (!next && scope) {
      if (!scope.hasAttribute("tabindex")) {
        scope.setAttribute("tabindex", "-1");
      }
      next = scope;
    }
    if (next) {
      next.focus();
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
