"""Sending a person back to the page a form came from, and only to a page of this site.

Forms carry the page to return to in a ``next`` field, which anyone can set to
anything. Django's ``redirect()`` is the wrong tool for it: a value without a
slash is taken for a view name and fails with a server error when no view has
it, and a value with a line break fails while the header is written. Only a
path on this site (``/...``) is followed; anything else returns to the
fallback page.
"""

import functools
import unicodedata
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def local_path(request: HttpRequest, candidate: object, *, under: str = "/") -> str:
    """``candidate`` if it is a path on this site starting with ``under``, else ``""``."""
    if not isinstance(candidate, str) or not candidate.startswith(under):
        return ""
    # "//host" and "/\host" are other sites to a browser.
    if candidate.startswith(("//", "/\\")):
        return ""
    if any(unicodedata.category(char)[0] == "C" for char in candidate):
        return ""
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return candidate


def redirect_back(request: HttpRequest, fallback: str, *, under: str = "/") -> HttpResponseRedirect:
    """Redirect to the form's ``next`` if it is our path under ``under``, else to ``fallback``.

    ``fallback`` is a view name or a path, as for ``redirect()``.
    """
    target = local_path(request, request.POST.get("next", ""), under=under)
    return HttpResponseRedirect(target or resolve_url(fallback))


def posted_form(
    page: str | Callable[..., str],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Take the form's POST; answer a GET or HEAD with a redirect to ``page``, the form's page.

    ``page`` is a view name or a path, or a function of the URL's arguments
    that returns the path (the page of the object in the URL).

    A form that posts to a URL of its own and is shown again there when
    refused (or shows what it made, a token once) leaves the browser at that
    URL: a reload, or the language switch returning to the page, then asks
    for it with GET. Answering 405 leaves the person on an empty error page;
    the page the form lives on is what they were looking at. Nothing is done
    by the GET, and ``page`` checks its own access.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def posted(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in ("GET", "HEAD"):
                target = page(*args, **kwargs) if callable(page) else resolve_url(page)
                return HttpResponseRedirect(target)
            if request.method != "POST":
                return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
            return view(request, *args, **kwargs)

        return posted

    return decorate
