"""The exchange API: registration, CSV and XLSX uploads, versions, the feed and permissions."""

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.ledger.models import LedgerEntry

SLUG = "102000000-000001"
USCC = make_credit_code()


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _register(client: Client) -> int:
    payload = {"resource_code": "102000000/000001", "key_item_code": "uscc"}
    return client.post("/api/exchange/datasets", payload, "application/json").status_code


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["统一社会信用代码", "企业名称", "成立日期", "注册资本"])
    sheet.append([USCC, "某某有限公司", dt.datetime(2020, 1, 2), 500])
    sheet.append(["not-a-code", "坏行", None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_only_the_provider_departments_officers_manage_the_dataset(cast: ExchangeCast) -> None:
    stranger = _client(cast.catalog.county_officer)
    refused = stranger.post(
        "/api/exchange/datasets",
        {"resource_code": "102000000/000001", "key_item_code": "uscc"},
        "application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    officer = _client(cast.catalog.officer)
    assert _register(officer) == 201
    assert _register(officer) == 409
    for path in ("", "/versions", "/changes"):
        assert stranger.get(f"/api/exchange/datasets/{SLUG}{path}").status_code == 404
        assert officer.get(f"/api/exchange/datasets/{SLUG}{path}").status_code == 200
    upload = SimpleUploadedFile("x.csv", b"uscc\n")
    answer = stranger.post(f"/api/exchange/datasets/{SLUG}/uploads", {"file": upload})
    assert answer.status_code == 404
    assert Client().get(f"/api/exchange/datasets/{SLUG}").status_code == 401


def test_upload_csv_and_xlsx(cast: ExchangeCast) -> None:
    officer = _client(cast.catalog.officer)
    assert _register(officer) == 201
    before = LedgerEntry.objects.count()
    text = f"uscc,name,active\n{USCC},某某公司,否\n{USCC[:-1]}?,坏行,是\n"
    csv_file = SimpleUploadedFile("企业.csv", ("\ufeff" + text).encode())
    answer = officer.post(f"/api/exchange/datasets/{SLUG}/uploads", {"file": csv_file})
    assert answer.status_code == 200, answer.json()
    report = answer.json()
    assert report["version"]["number"] == 1 and report["version"]["source_name"] == "企业.csv"
    assert (report["version"]["accepted"], report["version"]["rejected"]) == (1, 1)
    assert [(p["row"], p["item"]) for p in report["problems"]] == [(3, "uscc")]
    xlsx_file = SimpleUploadedFile("企业.xlsx", _xlsx())
    answer = officer.post(f"/api/exchange/datasets/{SLUG}/uploads", {"file": xlsx_file})
    assert answer.status_code == 200, answer.json()
    report = answer.json()
    assert (report["version"]["updated"], report["version"]["rejected"]) == (1, 1)
    assert LedgerEntry.objects.count() == before + 2
    versions = officer.get(f"/api/exchange/datasets/{SLUG}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    feed = officer.get(f"/api/exchange/datasets/{SLUG}/changes?cursor=0&limit=1").json()
    assert [c["kind"] for c in feed["changes"]] == ["created"]
    rest = officer.get(f"/api/exchange/datasets/{SLUG}/changes?cursor={feed['next_cursor']}")
    assert [(c["kind"], c["version"]) for c in rest.json()["changes"]] == [("updated", 2)]


def test_unsupported_and_unreadable_files(cast: ExchangeCast) -> None:
    officer = _client(cast.catalog.officer)
    _register(officer)
    url = f"/api/exchange/datasets/{SLUG}/uploads"
    other = officer.post(url, {"file": SimpleUploadedFile("a.txt", b"uscc\n")})
    assert other.status_code == 400 and other.json()["code"] == "unsupported_file"
    broken = officer.post(url, {"file": SimpleUploadedFile("a.xlsx", b"not a workbook")})
    assert broken.status_code == 400 and broken.json()["code"] == "unreadable_file"
    empty = officer.post(url, {"file": SimpleUploadedFile("a.csv", b"")})
    assert empty.status_code == 400 and empty.json()["code"] == "empty_file"


def test_problems_are_explained_in_english(cast: ExchangeCast) -> None:
    officer = _client(cast.catalog.officer)
    _register(officer)
    upload = SimpleUploadedFile("a.csv", f"uscc,founded\n{USCC},2021-02-29\n".encode())
    answer = officer.post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": upload},
        headers={"Accept-Language": "en"},
    )
    assert answer.json()["problems"][0]["reason"] == "Must be a date, formatted YYYY-MM-DD."
