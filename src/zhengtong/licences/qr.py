"""The licence's QR code: the public verification URL, drawn as inline SVG by segno.

Nothing is fetched from a QR service: government intranets are offline, and
the code is part of the page (or of the printed licence) itself.
"""

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import short_digest_of


def verification_path(licence: Licence) -> str:
    query = urlencode({"s": short_digest_of(licence)})
    return f"{reverse('licences:verify', args=[licence.number])}?{query}"


def verification_url(licence: Licence, request: HttpRequest | None = None) -> str:
    """Return the absolute verification URL: SITE_URL when set, else the request's host."""
    path = verification_path(licence)
    if settings.SITE_URL:
        return f"{settings.SITE_URL}{path}"
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def qr_svg(url: str, *, scale: int = 4) -> str:
    """Return an inline <svg> QR code of the URL; the URL is also its description."""
    code = segno.make(url, error="m")
    svg: str = code.svg_inline(
        scale=scale,
        border=2,
        omitsize=True,
        svgclass="licence-qr",
        lineclass="licence-qr-line",
        title=_("扫码核验电子证照"),
        desc=url,
    )
    return svg
