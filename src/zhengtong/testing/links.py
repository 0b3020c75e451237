"""The links a page offers, as the link-following tests read them from its HTML."""

import re

# Addresses on this site (a leading slash); the fragment is not part of the page.
HREF = re.compile(r'href="(/[^"#]*)"')


def links_in(html: str) -> list[str]:
    """The site-local addresses the page links to, in order, with entities undone."""
    return [href.replace("&amp;", "&") for href in HREF.findall(html)]
