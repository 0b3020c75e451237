"""Requests the API refused before any operation ran, told to the apps that account for them.

An API request whose body or parameters do not parse is answered by the
API's error handlers without reaching its operation. An app whose every call
must leave a trace (the exchange logs each governed read, answered or
refused) registers a listener here and is told of such refusals too.
"""

from collections.abc import Callable

from django.http import HttpRequest

from zhengtong.core.errors import ZhengtongError

Listener = Callable[[HttpRequest, ZhengtongError], None]
_listeners: list[Listener] = []


def on_refused_request(listener: Listener) -> Listener:
    """Register a listener (usually from an app's ``ready``); returns it, to decorate."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def tell_refused_request(request: HttpRequest, refusal: ZhengtongError) -> None:
    """Tell every listener that the API refused ``request`` with ``refusal``."""
    for listener in _listeners:
        listener(request, refusal)
