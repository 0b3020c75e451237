"""The exchange API: registration, CSV and XLSX uploads, versions, the feed and permissions."""

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from zhengtong.core.testing import make_credit_code, make_id_number
from zhengtong.exchange.models import Record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.ledger.actions import canonical_json
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import tree_state

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


def test_the_raw_feed_refuses_a_window_out_of_bounds(cast: ExchangeCast) -> None:
    officer = _client(cast.catalog.officer)
    _register(officer)
    before = LedgerEntry.objects.count()
    url = f"/api/exchange/datasets/{SLUG}/changes"
    for query, code, field in [
        ("limit=0", "invalid_limit", "limit"),
        ("limit=1001", "invalid_limit", "limit"),
        ("cursor=-5", "invalid_cursor", "cursor"),
    ]:
        answer = officer.get(f"{url}?{query}")
        assert answer.status_code == 400 and answer.json()["code"] == code, query
        assert answer.json()["detail"]["field"] == field
    assert "1到1000" in officer.get(f"{url}?limit=1001").json()["message"]
    assert LedgerEntry.objects.count() == before  # nothing was read
    assert officer.get(f"{url}?limit=1000").status_code == 200


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


def test_every_read_of_the_raw_change_feed_is_in_the_ledger(cast: ExchangeCast) -> None:
    officer = _client(cast.catalog.officer)
    assert _register(officer) == 201
    csv_file = SimpleUploadedFile("企业.csv", f"uscc,name\n{USCC},某某公司\n".encode())
    officer.post(f"/api/exchange/datasets/{SLUG}/uploads", {"file": csv_file})
    before = LedgerEntry.objects.count()
    feed = officer.get(f"/api/exchange/datasets/{SLUG}/changes?cursor=0&limit=5")
    assert feed.status_code == 200 and [c["key"] for c in feed.json()["changes"]] == [USCC]
    assert LedgerEntry.objects.count() == before + 1
    entry = LedgerEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.action == "exchange.read_dataset_changes"
    assert entry.actor_label == "吴十"
    data = {
        "resource": "102000000/000001",
        "cursor": 0,
        "limit": 5,
        "returned": 1,
        "next_cursor": feed.json()["next_cursor"],
    }
    assert bytes(entry.data_hash) == tree_state().hasher.digest(canonical_json(data))


def test_a_region_wide_post_oversees_but_neither_loads_nor_reads_the_raw_feed(
    cast: ExchangeCast,
) -> None:
    # 孙八 of the data bureau holds the administrator role city-wide; the
    # market bureau's data stays the market bureau's to load and to read raw,
    # while the data bureau keeps its quality overview.
    officer = _client(cast.catalog.officer)
    assert _register(officer) == 201
    bureau = _client(cast.catalog.bureau)
    before = LedgerEntry.objects.count()
    upload = SimpleUploadedFile("x.csv", f"uscc,name\n{USCC},某某公司\n".encode())
    assert (
        bureau.post(f"/api/exchange/datasets/{SLUG}/uploads", {"file": upload}).status_code == 404
    )
    assert bureau.get(f"/api/exchange/datasets/{SLUG}/changes").status_code == 404
    assert LedgerEntry.objects.count() == before
    assert bureau.get("/exchange/quality/").status_code == 200


def _numbers_book(id_number: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["uscc", "legal_rep_id", "checked_at", "capital"])
    # Excel keeps 15 significant digits of a number: the last three are lost.
    sheet.append([USCC, float(id_number), None, None])
    sheet.append([make_credit_code(seq=2), None, "2024-13-01", None])
    sheet.append([make_credit_code(seq=3), None, None, "1e3"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_numbers_and_dates_in_a_workbook_are_explained_and_normalised(
    cast: ExchangeCast,
) -> None:
    officer = _client(cast.catalog.officer)
    _register(officer)
    id_number = next(
        n for n in (make_id_number(seq=s) for s in range(1, 50)) if not n.endswith("X")
    )
    upload = SimpleUploadedFile("企业.xlsx", _numbers_book(id_number))
    answer = officer.post(f"/api/exchange/datasets/{SLUG}/uploads", {"file": upload})
    assert answer.status_code == 200, answer.json()
    problems = {p["item"]: p["reason"] for p in answer.json()["problems"]}
    assert "文本" in problems["legal_rep_id"] and "15" in problems["legal_rep_id"]
    assert problems["checked_at"] == "应为日期时间，格式为YYYY-MM-DD HH:MM:SS。"
    record = Record.objects.get(key=make_credit_code(seq=3))
    assert record.values["capital"] == "1000"
