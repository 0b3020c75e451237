"""Values holding control characters, from an uploaded CSV file or a pushed row.

A CSV file may carry any bytes, NUL among them, which PostgreSQL cannot store
(the load failed as a server error there); the other control characters would
be kept invisibly and served to every department reading the record. The row
is reported with its reason and the file's good rows are kept.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.models import HostedDataset, Record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, logged_in, make_sharing

SLUG = ENTERPRISES.replace("/", "-")
GOOD, BAD = make_credit_code(seq=901), make_credit_code(seq=902)


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _records(sharing: Sharing) -> dict[str, dict[str, str]]:
    dataset = HostedDataset.objects.get(resource=sharing.enterprises)
    return {r.key: r.values for r in Record.objects.filter(dataset=dataset, deleted=False)}


@pytest.mark.parametrize(("char", "shown"), [("\x00", "U+0000"), ("\x07", "U+0007")])
def test_an_uploaded_row_with_a_control_character_is_reported_and_the_good_rows_kept(
    sharing: Sharing, char: str, shown: str
) -> None:
    content = f"uscc,name\n{GOOD},长沙一号餐馆\n{BAD},长沙{char}二号餐馆\n".encode()
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": SimpleUploadedFile("企业.csv", content)},
    )
    assert answer.status_code == 200, answer.content
    problems = answer.json()["problems"]
    assert [(p["row"], p["item"], p["code"]) for p in problems] == [(3, "name", "invalid_value")]
    assert shown in problems[0]["reason"]
    records = _records(sharing)
    assert records[GOOD]["name"] == "长沙一号餐馆" and BAD not in records


def test_a_key_with_a_control_character_is_reported_on_the_page(sharing: Sharing) -> None:
    content = f"uscc,name\n{GOOD},长沙一号餐馆\nAB\x00C,长沙二号餐馆\n".encode()
    page = logged_in(sharing.officer).post(
        f"/exchange/datasets/{sharing.enterprises.slug}/",
        {"file": SimpleUploadedFile("企业.csv", content)},
    )
    assert page.status_code == 200
    assert "U+0000" in page.content.decode()
    records = _records(sharing)
    assert GOOD in records and not any("\x00" in key for key in records)


def test_a_line_break_in_a_value_is_kept(sharing: Sharing) -> None:
    content = f'uscc,name\n{GOOD},"长沙一号\n餐馆"\n'.encode()
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": SimpleUploadedFile("企业.csv", content)},
    )
    assert answer.json()["problems"] == []
    assert _records(sharing)[GOOD]["name"] == "长沙一号\n餐馆"
