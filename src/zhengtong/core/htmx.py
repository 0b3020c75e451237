"""Telling a partial swap by htmx from a request for a whole page."""

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """True when htmx sent the request: it wants only the part of the page it swaps."""
    return request.headers.get("HX-Request") == "true"
