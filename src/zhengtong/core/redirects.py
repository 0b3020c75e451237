"""Sending a person back to the page a form came from, and only to a page of this site.

Forms carry the page to return to in a ``next`` field, which anyone can set to
anything. Django's ``redirect()`` is the wrong tool for it: a value without a
slash is taken for a view name and fails with a server error when no view has
it, and a value with a line break fails while the header is written. Only a
path on this site (``/...``) is followed; anything else returns to the
fallback page.
"""

import unicodedata

from django.http import HttpRequest, HttpResponseRedirect
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
