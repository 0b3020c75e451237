"""Bad input on every page of the demo city gets an answer, never a server error.

For one account of each kind in the demo city (and a visitor), every address
of the site is called with ids that exist and ids that do not, by GET and by a
POST full of wrong values; and every form those pages and the pages they link
to offer is sent empty, with wrong values in every field, with its hidden
fields (ids, the page to return to) changed, and with files that are not what
they claim to be. Whatever the page answers (the form with its errors, a
refusal, not found), it must not be a server error, and no form may send the
browser to another site. A page that shows errors must also tie them to their
fields: every id an ``aria-describedby``, ``aria-labelledby`` or a label's
``for`` names must be on the page, or a screen reader reads the field without
its error.
"""

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from zhengtong.identity.models import User
from zhengtong.testing.links import links_in

# Assets, the admin (its own tests), the API (its contract test), switching
# language and logging out.
SKIP = re.compile(r"^/(static|media|admin|i18n|api)/|^/logout/")
PAGES_PER_ACCOUNT = 40
# An id the demo city has, and one it has not.
IDS = ("1", "999999")
# Routes with an id are also called with this one: no database column holds it.
OUT_OF_RANGE_ID = "9223372036854775808"
# Fields many forms have, each with a value no form accepts.
WRONG_POST = {
    "note": "说明" * 3000,
    "reason": "<b>" * 2000,
    "decision": "maybe",
    "next": "elsewhere",
    "passed": "maybe",
    "deadline": "2026-02-30",
    "date": "2026-13-01",
    "amount": "-1e309",
    "score": "NaN",
    "category": "no such category",
    "department": "999999",
    "title": "",
    "body": "",
    "text": "\u202e",
    "fields": "no-such-field",
    "days": "-5",
    "count": "99999999999999999999",
    "page": "last",
}
WRONG_BY_TYPE = {
    "text": "字" * 5000,
    "search": "字" * 5000,
    "textarea": "<script>alert(1)</script>" * 300,
    "password": "x" * 5000,
    "number": "-1e309",
    "date": "2026-02-30",
    "datetime-local": "yesterday",
    "month": "2026-13",
    "email": "@@",
    "tel": "call me",
    "url": "javascript:alert(1)",
    "select": "no-such-option",
    "checkbox": "maybe",
    "radio": "no-such-option",
}
WRONG_QUERY = (
    "?page=last&q=" + "查" * 2000 + "&s=%FF&sort=nonsense&state=nonsense&scope=nonsense"
    "&version=v1&number=-1&days=-5&grade=Z&item=nonsense&uscc=123&mine=maybe&pending=maybe"
    "&download=nonsense&submitted=maybe"
)
# Return addresses no form may follow: another site, and a header split.
ELSEWHERE = ("https://elsewhere.example/", "//elsewhere.example/", "/\r\nLocation: /x")
KEPT_TYPES = ("hidden", "submit", "button")
WRONG_FILES = (
    ("名单.xlsx", b"PK\x03\x04not a workbook" * 50),
    ("empty.csv", b""),
    ("bytes.csv", "公民身份号码\n".encode() + bytes(range(1, 256))),
)


@dataclass
class Form:
    action: str
    method: str
    # (name, type, value) of each named control.
    fields: list[tuple[str, str, str]] = field(default_factory=list)

    def kept(self) -> dict[str, str]:
        return {name: value for name, kind, value in self.fields if kind in KEPT_TYPES}

    def variants(self) -> Iterator[tuple[str, dict[str, Any]]]:
        kept = self.kept()
        yield "empty", dict(kept)
        wrong = dict(kept)
        for name, kind, _ in self.fields:
            if kind not in (*KEPT_TYPES, "file"):
                wrong[name] = WRONG_BY_TYPE.get(kind, "x" * 300)
        yield "wrong values", wrong
        # An id no row has, and more than an integer column holds.
        changed = {
            name: "9223372036854775808" if value.isdigit() else "changed"
            for name, value in kept.items()
            if name != "csrfmiddlewaretoken"
        }
        yield "hidden fields changed", {**wrong, **changed}
        if "next" in kept:
            for elsewhere in ELSEWHERE:
                yield f"next={elsewhere!r}", {**wrong, "next": elsewhere}
        files = [name for name, kind, _ in self.fields if kind == "file"]
        for filename, content in WRONG_FILES if files else ():
            upload: dict[str, Any] = dict(kept)
            for name in files:
                upload[name] = SimpleUploadedFile(filename, content)
            yield f"file {filename}", upload


class References(HTMLParser):
    """The ids a page has and the ids its elements refer to for assistive technology."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.referred: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in ("aria-describedby", "aria-labelledby", "aria-errormessage"):
            self.referred.update(attributes.get(name, "").split())
        if tag == "label" and attributes.get("for"):
            self.referred.add(attributes["for"])

    def dangling(self) -> list[str]:
        return sorted(self.referred - self.ids)


class BrowserChecks(HTMLParser):
    """The POST forms whose controls the browser would check itself, before the server.

    A browser's own check answers in the browser's language with a bubble that
    goes when touched, and before the server has said what else is wrong; the
    platform's errors are in the page's language, stay beside their fields and
    are tied to them for screen readers. So a form the platform checks carries
    ``novalidate``.
    """

    CONSTRAINTS = ("required", "maxlength", "minlength", "pattern", "min", "max", "step")
    CHECKED_TYPES = ("email", "url", "number", "date", "datetime-local", "month", "tel")

    def __init__(self) -> None:
        super().__init__()
        self.unchecked: list[str] = []
        self._form: tuple[str, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            posts = attributes.get("method", "get").lower() == "post" or "hx-post" in attributes
            action = attributes.get("hx-post") or attributes.get("action", "")
            self._form = (action, posts and "novalidate" not in attributes)
        elif self._form is not None and self._form[1] and tag in ("input", "textarea", "select"):
            constrained = any(name in attributes for name in self.CONSTRAINTS)
            if constrained or attributes.get("type") in self.CHECKED_TYPES:
                self.unchecked.append(self._form[0])
                self._form = (self._form[0], False)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


class FormReader(HTMLParser):
    """The forms of a page (and htmx POST buttons outside forms), with their controls."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            action = attributes.get("hx-post") or attributes.get("action") or self.page
            method = "post" if "hx-post" in attributes else attributes.get("method", "get")
            self._open = Form(action.replace("&amp;", "&"), method.lower())
            self.forms.append(self._open)
        elif "hx-post" in attributes and self._open is None:
            self.forms.append(Form(attributes["hx-post"], "post"))
        elif self._open is not None and tag in ("input", "textarea", "select", "button"):
            name = attributes.get("name")
            if name:
                kind = attributes.get("type", "text") if tag == "input" else tag
                self._open.fields.append((name, kind, attributes.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def addresses() -> list[str]:
    """Every address of the site, each id filled in as one that exists and one that does not."""

    def routes(resolver: URLResolver, prefix: str) -> Iterator[str]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from routes(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    found = set()
    for route in routes(get_resolver(), "/"):
        if route.startswith("/^") or "(?P" in route:
            continue  # regular-expression routes: the admin's and the static files'
        ids = (*IDS, OUT_OF_RANGE_ID) if re.search(r"<(?:int|id):", route) else IDS
        for value in ids:
            address = re.sub(r"<(?:int|id):\w+>", value, route)
            address = re.sub(r"<(?:str|slug|path):\w+>", f"x{value}", address)
            found.add(address)
    return sorted(a for a in found if not SKIP.search(a))


def kind_of(address: str) -> str:
    return re.sub(r"/[^/]*\d[^/]*/", "/N/", address.split("?", 1)[0])


class Prober:
    def __init__(self, client: Client, who: str) -> None:
        self.client = client
        self.who = who
        self.problems: list[str] = []
        self.forms_seen: set[tuple[str, str, tuple[str, ...]]] = set()

    def check(self, how: str, address: str, response: Any) -> None:
        if response.status_code >= 500:
            self.problems.append(f"{self.who}: {how} {address} answered {response.status_code}")
        location = response.get("Location", "") if response.status_code in (301, 302) else ""
        if "elsewhere" in location or location.startswith("//"):
            self.problems.append(f"{self.who}: {how} {address} sent the browser to {location}")
        if "text/html" in response.get("Content-Type", "") and response.status_code < 500:
            html = response.content.decode()
            references = References()
            references.feed(html)
            if references.dangling():
                self.problems.append(
                    f"{self.who}: {how} {address} refers to ids it lacks: {references.dangling()}"
                )
            checks = BrowserChecks()
            checks.feed(html)
            if checks.unchecked:
                self.problems.append(
                    f"{self.who}: {how} {address} leaves forms to the browser's own checks"
                    f" (no novalidate): {checks.unchecked}"
                )

    def page(self, address: str) -> str:
        """GET the address; return its HTML if it is a page, after sending its forms."""
        response = self.client.get(address)
        self.check("GET", address, response)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            return ""
        html = response.content.decode()
        reader = FormReader(address)
        reader.feed(html)
        for form in reader.forms:
            self.send(form)
        return html

    def send(self, form: Form) -> None:
        if not form.action.startswith("/") or SKIP.search(form.action):
            return
        seen = (form.method, kind_of(form.action), tuple(sorted(n for n, _, _ in form.fields)))
        if seen in self.forms_seen:
            return
        self.forms_seen.add(seen)
        for variant, data in form.variants():
            if form.method == "post":
                response = self.client.post(form.action, data)
            else:
                query = {k: v for k, v in data.items() if isinstance(v, str)}
                response = self.client.get(form.action.split("?", 1)[0], query)
            self.check(f"{form.method.upper()} ({variant})", form.action, response)

    def walk(self) -> None:
        queue: deque[str] = deque(["/"])
        kinds: set[str] = set()
        while queue and len(kinds) < PAGES_PER_ACCOUNT:
            address = queue.popleft()
            if kind_of(address) in kinds:
                continue
            kinds.add(kind_of(address))
            html = self.page(address)
            if html:
                # The list pages' filters and paging, given values no page offers.
                wrong = address.split("?", 1)[0] + WRONG_QUERY
                self.check("GET", wrong, self.client.get(wrong))
            queue.extend(a for a in links_in(html) if not SKIP.search(a))

    def sweep(self, every: list[str]) -> None:
        for address in every:
            self.page(address)
            self.check("POST (wrong values)", address, self.client.post(address, WRONG_POST))


def one_account_of_each_kind() -> list[User]:
    chosen: dict[tuple[object, ...], User] = {}
    for user in User.objects.filter(is_active=True).order_by("username"):
        roles = tuple(sorted(user.posts.values_list("role__code", flat=True)))
        kind = (user.audience, roles, user.enterprise_memberships.exists())
        chosen.setdefault(kind, user)
    return list(chosen.values())


@pytest.mark.django_db
def test_no_page_answers_bad_input_with_a_server_error_or_sends_the_browser_elsewhere() -> None:
    call_command("load_demo", stdout=StringIO())
    every = addresses()
    assert len(every) > 100  # the site's addresses were found
    problems: list[str] = []
    forms = 0
    client = Client(raise_request_exception=False)
    for user in [None, *one_account_of_each_kind()]:
        client.logout()
        if user is not None:
            client.force_login(user)
        prober = Prober(client, user.username if user else "(visitor)")
        prober.walk()
        prober.sweep(every)
        problems += prober.problems
        forms += len(prober.forms_seen)
    assert forms > 100  # the pages' forms were found and sent
    assert not problems, "\n".join(problems)
