"""The licence as a PDF file, the copy an applicant downloads, keeps and prints.

Drawn with ReportLab on one A4 page, or more when the fields are long. The
Chinese is set in STSong-Light, one of the standard Chinese fonts of the PDF
specification that every reader supplies, so no font file is embedded and
nothing is fetched. The licence number and the verification address are set
in Helvetica, so that they stay plain text anyone can search and copy. The QR
code is segno's matrix of the verification address, drawn as squares.
"""

from collections.abc import Sequence
from io import BytesIO

import segno
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from zhengtong.licences.models import HolderKind, Licence
from zhengtong.licences.presentation import FieldRow, VoidNotice

CHINESE = "STSong-Light"
LATIN = "Helvetica"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 22 * mm
LABEL_WIDTH = 50 * mm
QR_SIZE = 36 * mm

pdfmetrics.registerFont(UnicodeCIDFont(CHINESE))


def _lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``: Chinese at any character, words
    written with spaces (English labels) at the last space that fits."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for char in paragraph:
            if line and pdfmetrics.stringWidth(line + char, font, size) > width:
                head, space, tail = line.rpartition(" ")
                if space and head and char != " ":
                    lines.append(head)
                    line = tail
                else:
                    lines.append(line.rstrip())
                    line = ""
                    if char == " ":
                        continue
            line += char
        lines.append(line)
    return lines


def _labelled(label: str) -> str:
    """``label`` with the colon its language puts after a label (：, or ": ")."""
    return _("%(label)s：") % {"label": label}


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``url`` as filled squares in a ``size`` square at (x, y)."""
    code = segno.make(url, error="m")
    rows = list(code.matrix_iter(scale=1, border=2))
    module = size / len(rows)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(
                    x + c * module, y + size - (r + 1) * module, module, module, stroke=0, fill=1
                )


RED = (0.61, 0.11, 0.11)


def _void_banner(canvas: Canvas, void: VoidNotice, y: float) -> float:
    """Draw the notice below the number, in red and boxed; return where the facts begin."""
    width = PAGE_WIDTH - 2 * MARGIN
    lines = [line for text in void.lines for line in _lines(text, CHINESE, 11, width - 8 * mm)]
    height = 12 * mm + len(lines) * 6 * mm
    canvas.saveState()
    canvas.setStrokeColorRGB(*RED)
    canvas.setFillColorRGB(*RED)
    canvas.setLineWidth(1.5)
    canvas.rect(MARGIN, y - height + 6 * mm, width, height, stroke=1, fill=0)
    canvas.setFont(CHINESE, 16)
    canvas.drawCentredString(PAGE_WIDTH / 2, y - 2 * mm, void.stamp)
    line_y = y - 9 * mm
    canvas.setFont(CHINESE, 11)
    for line in lines:
        canvas.drawCentredString(PAGE_WIDTH / 2, line_y, line)
        line_y -= 6 * mm
    canvas.restoreState()
    below: float = y - height - 4 * mm
    return below


def _void_stamp(canvas: Canvas, word: str) -> None:
    """Stamp ``word`` across the middle of the page, large and at a slant, over everything."""
    canvas.saveState()
    canvas.setFillColorRGB(*RED, alpha=0.25)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(30)
    canvas.setFont(CHINESE, 96)
    canvas.drawCentredString(0, -32, word)
    canvas.restoreState()


def _frame(canvas: Canvas) -> None:
    """Draw the page's frame, as printed licences have."""
    canvas.setLineWidth(1.2)
    canvas.rect(MARGIN / 2, MARGIN / 2, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN)


def _next_page(canvas: Canvas, void: VoidNotice | None) -> None:
    """End the page (stamped if the licence is void) and begin another in its frame."""
    if void is not None:
        _void_stamp(canvas, void.stamp)
    canvas.showPage()
    _frame(canvas)


def licence_pdf(
    licence: Licence,
    *,
    holder_name: str,
    holder_id: str,
    rows: Sequence[FieldRow],
    verification_url: str,
    void: VoidNotice | None = None,
    qr_withheld: str | None = None,
) -> bytes:
    """Return the licence as an A4 PDF in the active language, with its QR code.

    One page, unless long fields (a 经营范围 of many hundred characters) run on.

    ``void``: the licence is no longer in force (revoked, expired, or its
    signature fails); the first page says so at the top, and each is stamped across.
    ``qr_withheld``: why the copy carries no QR code, written where the code would be.
    """
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=0)
    title = licence.display_type_name
    canvas.setTitle(f"{title} {licence.number}")
    canvas.setAuthor(licence.issuer_name)
    canvas.setSubject(verification_url)

    _frame(canvas)

    y = PAGE_HEIGHT - MARGIN - 14 * mm
    canvas.setFont(CHINESE, 24)
    canvas.drawCentredString(PAGE_WIDTH / 2, y, title)
    y -= 10 * mm
    label = _labelled(_("编号"))
    canvas.setFont(CHINESE, 11)
    width = pdfmetrics.stringWidth(label, CHINESE, 11)
    number_width = pdfmetrics.stringWidth(licence.number, LATIN, 11)
    start = (PAGE_WIDTH - width - number_width) / 2
    canvas.drawString(start, y, label)
    canvas.setFont(LATIN, 11)
    canvas.drawString(start + width, y, licence.number)
    y -= 14 * mm
    if void is not None:
        y = _void_banner(canvas, void, y)

    person = licence.holder_kind == HolderKind.PERSON
    validity = licence.valid_from.isoformat() + " " + _("至") + " "
    validity += licence.valid_until.isoformat() if licence.valid_until else _("长期")
    facts = [
        (_("持证人") if person else _("持证主体"), holder_name),
        (_("公民身份号码") if person else _("统一社会信用代码"), holder_id),
        *((row.label, row.value) for row in rows),
        (_("有效期"), validity),
    ]
    value_x = MARGIN + LABEL_WIDTH
    value_width = PAGE_WIDTH - MARGIN - value_x
    size, leading = 12, 7 * mm
    # The issuer and the signature at the foot, the QR code beside them.
    footer_top = MARGIN + QR_SIZE + 6 * mm
    for name, value in facts:
        canvas.setFont(CHINESE, size)
        names = _lines(name, CHINESE, size, LABEL_WIDTH - 4 * mm)
        values = _lines(value, CHINESE, size, value_width)
        for index in range(max(len(names), len(values))):
            if y < MARGIN:
                # A long 经营范围 runs on to another page rather than off this one.
                _next_page(canvas, void)
                canvas.setFont(CHINESE, size)
                y = PAGE_HEIGHT - MARGIN - 8 * mm
            if index < len(names):
                canvas.drawString(MARGIN, y, names[index])
            if index < len(values):
                canvas.drawString(value_x, y, values[index])
            y -= leading
        y -= 2 * mm

    y = min(y - 4 * mm, footer_top)
    if y < MARGIN + 30 * mm:
        # No room left for the foot: it goes, with the QR code, on a page of its own.
        _next_page(canvas, void)
        y = footer_top
    text_width = PAGE_WIDTH - 2 * MARGIN - QR_SIZE - 8 * mm
    canvas.setFont(CHINESE, 11)
    for line in (
        _labelled(_("发证机关")) + licence.issuer_name,
        # The signed date (Beijing time), not issued_at: that is unsigned, and in UTC.
        _labelled(_("签发日期")) + licence.valid_from.isoformat(),
    ):
        canvas.drawString(MARGIN, y, line)
        y -= 6 * mm
    small = 8
    for heading, text in (
        (_("核验地址"), verification_url),
        (
            _("电子签名"),
            f"{licence.signature_algorithm} · {licence.signing_key.key_id} · "
            f"SHA-256 {licence.payload_hash}",
        ),
    ):
        canvas.setFont(CHINESE, small)
        canvas.drawString(MARGIN, y, _labelled(heading))
        y -= 4 * mm
        canvas.setFont(LATIN, small)
        for line in _lines(text, LATIN, small, text_width):
            canvas.drawString(MARGIN, y, line)
            y -= 4 * mm
    qr_x = PAGE_WIDTH - MARGIN - QR_SIZE
    qr_y = MARGIN + 4 * mm
    if qr_withheld is None:
        _qr(canvas, verification_url, qr_x, qr_y, QR_SIZE)
        canvas.setFont(CHINESE, 9)
        canvas.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 4 * mm, _("扫码核验"))
    else:
        canvas.setFont(CHINESE, 9)
        line_y = qr_y + QR_SIZE - 4 * mm
        for line in _lines(qr_withheld, CHINESE, 9, QR_SIZE):
            canvas.drawString(qr_x, line_y, line)
            line_y -= 4.5 * mm
    if void is not None:
        _void_stamp(canvas, void.stamp)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
