"""Every demo account can click through everything its pages link to.

The demo city is what a new installation is judged by: for each of its
accounts (and a visitor) the pages are walked from the home page, link by
link as a person would follow them, and any address that answers with an
error fails the test with the account and the page that linked to it.
"""

import re
from collections import deque
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from zhengtong.identity.models import User

HREF = re.compile(r'href="(/[^"#]*)"')
# Not pages: assets, the admin (its own tests), switching language and the API
# (its tests go through the schema), apart from the API's documentation.
SKIP = re.compile(r"^/(static|media|admin|i18n)/|^/api/(?!docs)|^/logout/")
# Pages of one kind are walked once each: the second case or licence of a
# list is the same template with other data.
PAGES_PER_ACCOUNT = 60


def kind_of(url: str) -> str:
    path = url.split("?", 1)[0]
    return re.sub(r"/[^/]*\d[^/]*/", "/N/", path)


def walk(client: Client) -> dict[str, tuple[int, str]]:
    """Follow the links from the home page; return the broken ones: status and referrer."""
    broken: dict[str, tuple[int, str]] = {}
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
            broken[url] = (response.status_code, referrer)
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for href in HREF.findall(response.content.decode()):
            href = href.replace("&amp;", "&")
            if not SKIP.search(href):
                queue.append((href, url))
    return broken


@pytest.mark.django_db
def test_every_page_the_demo_accounts_can_reach_opens() -> None:
    call_command("load_demo", stdout=StringIO())
    client = Client()
    failures = {"(visitor)": walk(client)}
    for user in User.objects.filter(is_active=True).order_by("username"):
        client.force_login(user)
        failures[user.username] = walk(client)
        client.logout()
    failures = {who: broken for who, broken in failures.items() if broken}
    assert not failures, "\n".join(f"{who}: {broken}" for who, broken in failures.items())
