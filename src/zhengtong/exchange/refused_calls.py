"""Governed reads the API refused before they reached the exchange, logged all the same.

A department system's look-up whose body does not parse (a key given as a
number, a body that is not JSON), a GovStack ``list`` whose ``search`` is
longer than it may be, or a call of a
system that lacks the scope ``exchange.read_shared`` (``scope_missing``,
refused by ``identity.auth.require_scope``) is answered before the exchange
sees it; it is still a call of that system on that resource, so it leaves one
access-log row and ledger entry with its refusal code, like every other
governed call (see ``core.refusals``). The purpose the call stated, in its
query or its JSON body, is logged with it as far as it can be read, as
GovStack's refusals log the purpose of their header.

A write by a system that lacks the scope ``exchange.push_records`` (a push
or a withdrawal of records, natively or through GovStack's Data API) is a
system trying what it was not entitled to, and is logged the same way with
``scope_missing``. Other refusals of a write are not: a write that is made is
in the ledger as the version it made, and one that is refused made nothing.
"""

import json
import re

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, RawPostDataException

from zhengtong.core.errors import ZhengtongError
from zhengtong.exchange import governed, govstack
from zhengtong.identity.auth import principal_of
from zhengtong.identity.models import SystemClient

_OPERATIONS = {
    "look-up": governed.Operation.LOOK_UP,
    "batch-look-up": governed.Operation.BATCH,
    "verify": governed.Operation.VERIFY,
    "changes": governed.Operation.CHANGES,
    "read": governed.Operation.LOOK_UP,
    "exists": governed.Operation.VERIFY,
    "readValue": governed.Operation.LOOK_UP,
    "read-value": governed.Operation.LOOK_UP,
    # GovStack's list is /data/{registry}/{version}, with or without the trailing slash.
    "": governed.Operation.CHANGES,
}
_WRITES = {
    "records": governed.Operation.PUSH,
    "records:delete": governed.Operation.DELETE,
    "create": governed.Operation.PUSH,
    "update": governed.Operation.PUSH,
    "updateEntries": governed.Operation.PUSH,
    "update-entries": governed.Operation.PUSH,
    "updateOrCreate": governed.Operation.PUSH,
    "update-or-create": governed.Operation.PUSH,
    "delete": governed.Operation.DELETE,
}
# MyPersonalDataUsage/1.0 has the shape of a list address but is the citizen's own
# question, answered before any registry is: not a governed read.
_GOVERNED_PATH = re.compile(
    r"/api/(?:exchange/shared/(?P<slug>[^/]+)/(?P<native>look-up|batch-look-up|verify|changes)"
    r"|govstack/data/(?!MyPersonalDataUsage/)(?P<registry>[^/]+)/[^/]+"
    r"(?:/(?P<profile>read|exists)|/[^/]+/(?P<value>readValue|read-value)/[^/]+|/?))"
)
_WRITE_PATH = re.compile(
    r"/api/(?:exchange/shared/(?P<slug>[^/]+)/(?P<native>records|records:delete)"
    r"|govstack/data/(?P<registry>[^/]+)/[^/]+/(?:(?P<write>create|update|updateEntries"
    r"|update-entries|updateOrCreate|update-or-create)|[^/]+/(?P<delete>delete)))"
)


def _stated_purpose(request: HttpRequest) -> str:
    """The purpose a native governed read stated, if its request holds one as text."""
    if request.method == "GET":
        return request.GET.get("purpose", "")
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError, RawPostDataException, RequestDataTooBig):
        # Not JSON, a form whose raw bytes are gone, or more than the
        # platform reads: nothing to read a purpose from.
        return ""
    purpose = body.get("purpose") if isinstance(body, dict) else None
    return purpose if isinstance(purpose, str) else ""


def log_refused_call(request: HttpRequest, refusal: ZhengtongError) -> None:
    """Log a governed read, or a write without its scope, that the API refused at the door."""
    client = principal_of(request)
    if not isinstance(client, SystemClient):
        return  # not authenticated: no system to account for
    written = _WRITE_PATH.fullmatch(request.path)
    if written is not None:
        if refusal.code == "scope_missing":
            operation = _WRITES[written["native"] or written["write"] or written["delete"]]
            target = written["slug"] or written["registry"]
            governed.do_log_refused_call(client, operation, target, "", refusal)
        return
    found = _GOVERNED_PATH.fullmatch(request.path)
    if found is None:
        return
    if found["registry"] is not None:
        # The profile states its purpose in a header, which survives a body or
        # parameters that do not parse: logged as the profile's own refusals log it.
        operation = _OPERATIONS[found["profile"] or found["value"] or ""]
        purpose = govstack.purpose_of(request)
        governed.do_log_refused_call(client, operation, found["registry"], purpose, refusal)
        return
    operation = _OPERATIONS[found["native"]]
    purpose = _stated_purpose(request)
    governed.do_log_refused_call(client, operation, found["slug"], purpose, refusal)
