"""Every demo account can click through everything its pages link to.

The demo city is what a new installation is judged by: for each of its
accounts (and a visitor) the pages are walked from the home page, link by
link as a person would follow them. Any address that answers with an error
fails the test with the account and the page that linked to it, and so does
a page that a screen reader cannot find its way through: not exactly one
main heading, a form control without a label, an image without alt text,
or an id used twice (a label could then point at the wrong control).
"""

import re
from collections import deque
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from zhengtong.identity.models import User
from zhengtong.testing.links import links_in

# Not pages: assets, the admin (its own tests), switching language and the API
# (its tests go through the schema), apart from the API's documentation.
SKIP = re.compile(r"^/(static|media|admin|i18n)/|^/api/(?!docs)|^/logout/")
# Pages of one kind are walked once each: the second case or licence of a
# list is the same template with other data.
PAGES_PER_ACCOUNT = 60
# Controls a person does not fill in.
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageStructure(HTMLParser):
    """What a screen reader needs from a page, read from its HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.main_headings = 0
        self.images_without_alt = 0
        self.ids: list[str] = []
        self.label_targets: set[str] = set()
        self.open_labels = 0
        # (tag, name, id) of controls neither inside a label nor named by an aria attribute.
        self.bare_controls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "h1":
            self.main_headings += 1
        elif tag == "img" and "alt" not in attributes:
            self.images_without_alt += 1
        elif tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_targets.add(attributes["for"])
        elif tag in ("input", "select", "textarea"):
            named = "aria-label" in attributes or "aria-labelledby" in attributes
            if attributes.get("type") not in UNLABELLED_TYPES and not (named or self.open_labels):
                control = (tag, attributes.get("name", ""), attributes.get("id", ""))
                self.bare_controls.append(control)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1

    def problems(self) -> list[str]:
        found = []
        if self.main_headings != 1:
            found.append(f"{self.main_headings} h1 headings")
        if self.images_without_alt:
            found.append(f"{self.images_without_alt} images without alt")
        unlabelled = [c for c in self.bare_controls if c[2] not in self.label_targets]
        if unlabelled:
            found.append(f"controls without a label: {unlabelled}")
        repeated = sorted({i for i in self.ids if self.ids.count(i) > 1})
        if repeated:
            found.append(f"ids used twice: {repeated}")
        return found


def kind_of(url: str) -> str:
    path = url.split("?", 1)[0]
    return re.sub(r"/[^/]*\d[^/]*/", "/N/", path)


def walk(client: Client) -> dict[str, str]:
    """Follow the links from the home page; return what is wrong, by address."""
    wrong: dict[str, str] = {}
    queue: deque[tuple[str, str]] = deque([("/", "")])
    seen: set[str] = set()
    while queue and len(seen) < PAGES_PER_ACCOUNT:
        url, referrer = queue.popleft()
        kind = kind_of(url)
        if kind in seen:
            continue
        seen.add(kind)
        response = client.get(url, follow=True)
        if response.status_code != 200:
            wrong[url] = f"{response.status_code}, linked from {referrer}"
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        if not url.startswith("/api/docs"):  # the bundled Swagger UI is not ours
            structure = PageStructure()
            structure.feed(html)
            if structure.problems():
                wrong[url] = "; ".join(structure.problems())
        queue.extend((href, url) for href in links_in(html) if not SKIP.search(href))
    return wrong


@pytest.mark.django_db
def test_every_page_the_demo_accounts_can_reach_opens_and_reads_well() -> None:
    call_command("load_demo", stdout=StringIO())
    client = Client()
    failures = {"(visitor)": walk(client)}
    for user in User.objects.filter(is_active=True).order_by("username"):
        client.force_login(user)
        failures[user.username] = walk(client)
        client.logout()
    failures = {who: wrong for who, wrong in failures.items() if wrong}
    assert not failures, "\n".join(f"{who}: {wrong}" for who, wrong in failures.items())
