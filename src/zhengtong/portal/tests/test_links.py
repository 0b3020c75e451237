"""Every link an entry page shows leads somewhere: no menu item ends in a 404.

The pages are followed as the user they were rendered for, the way a person
clicks through them; the test fails on the address that broke.
"""

import pytest
from django.test import Client
from django.urls import reverse

from zhengtong.identity.models import User
from zhengtong.portal.offerings import PUBLIC_OFFERINGS
from zhengtong.portal.tests.cast import Cast
from zhengtong.testing.links import links_in


def links_on(client: Client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return {href for href in links_in(response.content.decode()) if not href.startswith("/static/")}


def assert_every_link_opens(client: Client, url: str) -> None:
    broken = {}
    for href in sorted(links_on(client, url)):
        response = client.get(href, follow=True)
        if response.status_code != 200:
            broken[href] = response.status_code
    assert not broken, f"links on {url} that do not open: {broken}"


@pytest.mark.django_db
def test_a_visitor_finds_the_public_services_on_the_home_page(client: Client) -> None:
    text = client.get(reverse("portal:home")).content.decode()
    assert "公开服务" in text
    for offering in PUBLIC_OFFERINGS:
        # Each is a link a visitor can open without an account.
        url = reverse(offering.url_name)
        assert f'href="{url}"' in text, offering.url_name
        assert client.get(url).status_code == 200, url
    english = client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Public services" in english and "Sharing negative list" in english


@pytest.mark.django_db
def test_every_link_of_the_home_page_opens_for_a_visitor(client: Client) -> None:
    assert_every_link_opens(client, reverse("portal:home"))


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("citizen", "portal:citizen"),
        ("owner", "portal:enterprise"),
        ("clerk", "portal:workbench"),
        ("admin", "portal:workbench"),
    ],
)
def test_every_link_of_an_entry_page_opens_for_its_user(
    client: Client, cast: Cast, who: str, page: str
) -> None:
    user = getattr(cast, who)
    assert isinstance(user, User)
    client.force_login(user)
    assert_every_link_opens(client, reverse(page))


@pytest.mark.django_db
def test_the_favicon_address_leads_to_the_platform_icon(client: Client) -> None:
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0].endswith("portal/favicon.svg")
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert body.startswith(b"<svg")
