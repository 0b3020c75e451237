"""Everything a page loads comes from the platform itself, and nothing runs inline.

Government intranets are offline and the Content-Security-Policy allows only
this origin, so an external URL or an inline script would break a page.
"""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from zhengtong.portal.tests.cast import Cast

PORTAL_DIR = Path(__file__).resolve().parent.parent
URL_ATTRIBUTES = {"src", "href", "action", "srcset", "poster", "data", "formaction"}


class PageScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.style_elements = 0
        self.style_attributes = 0
        self.handler_attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                self.urls.append(value)
            if name == "style":
                self.style_attributes += 1
            if name.startswith("on"):
                self.handler_attributes.append(name)
        if tag == "script" and not names.get("src"):
            self.inline_scripts += 1
        if tag == "style":
            self.style_elements += 1


def scan(html: str) -> PageScan:
    parser = PageScan()
    parser.feed(html)
    return parser


def is_same_origin(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("", "http", "https") and parts.netloc in ("", "testserver"):
        # "//host/path" has an empty scheme but a host: another origin.
        return not url.startswith("//")
    return False


def pages_for(client: Client, cast: Cast) -> list[str]:
    pages = [client.get(reverse("portal:home")), client.get(reverse("portal:login"))]
    pages.append(client.get(reverse("portal:developer")))
    pages.append(client.get("/no-such-page/"))
    for user, url_names in [
        (cast.citizen, ["portal:citizen", "portal:profile", "portal:workbench"]),
        (cast.owner, ["portal:enterprise", "portal:profile"]),
        (cast.clerk, ["portal:workbench", "portal:profile"]),
        (cast.admin, ["portal:workbench", "portal:developer"]),
    ]:
        client.force_login(user)
        pages.extend(client.get(reverse(name)) for name in url_names)
    client.force_login(cast.admin)
    pages.append(
        client.post(
            reverse("portal:issue_client"),
            {"department": cast.bureau.pk, "name": "登记注册系统", "scopes": []},
        )
    )
    assert {page.status_code for page in pages} <= {200, 403, 404}
    return [page.content.decode() for page in pages]


def test_every_url_in_the_rendered_pages_is_same_origin(client: Client, cast: Cast) -> None:
    for html in pages_for(client, cast):
        urls = scan(html).urls
        assert urls, "a page without links or assets is not a portal page"
        outside = [url for url in urls if not is_same_origin(url)]
        assert outside == []


def test_no_page_has_inline_scripts_styles_or_handlers(client: Client, cast: Cast) -> None:
    for html in pages_for(client, cast):
        page = scan(html)
        assert page.inline_scripts == 0
        assert page.style_elements == 0
        assert page.style_attributes == 0
        assert page.handler_attributes == []


@pytest.mark.django_db
def test_every_asset_a_page_names_is_served_from_the_project(client: Client) -> None:
    html = client.get(reverse("portal:home")).content.decode()
    assets = [
        url for url in scan(html).urls if url.startswith(settings.STATIC_URL) or "/static/" in url
    ]
    assert len(assets) >= 4
    for url in assets:
        relative = url.split("/static/", 1)[1]
        assert finders.find(relative), url


EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for pattern in ("templates/**/*.html", "static/**/*.css", "static/**/*.js")
        for p in PORTAL_DIR.glob(pattern)
    ),
    ids=lambda p: str(p.relative_to(PORTAL_DIR)),
)
def test_no_template_or_static_file_names_another_site(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # CSS comments and the licence headers of vendored files may cite their origin.
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    assert EXTERNAL.findall(text) == []


def test_every_font_file_the_stylesheet_names_is_vendored() -> None:
    stylesheet = PORTAL_DIR / "static/portal/vendor/noto-sans-sc/noto-sans-sc.css"
    names = re.findall(r"url\((?:\./)?([^)]+)\)", stylesheet.read_text(encoding="utf-8"))
    assert len(names) > 100
    for name in names:
        assert name.endswith(".woff2")
        assert (stylesheet.parent / name).is_file(), name
    # Only woff2 chunks, and not more than the page budget allows.
    files = list((stylesheet.parent / "files").iterdir())
    assert len(files) == len(set(names))
    assert sum(f.stat().st_size for f in files) < 15 * 1024 * 1024
