"""A workbook uploaded a second time is not imported a second time unless meant.

The same file (the same bytes, by SHA-256) imported before in the centre is
refused with the earlier import named: when, by whom, how many rows. The
page says so in Chinese and offers a checkbox to import it again anyway; the
API refuses it as ``already_imported`` unless ``confirm_duplicate=true``.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.hotline.models import Case, CaseImport
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, workbook
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _book() -> bytes:
    return workbook(
        ["内容", "联系电话"],
        ["小区门口的路灯坏了一个多月，晚上出行很不方便。", "13900004444"],
        ["工地夜间施工噪音扰民，影响附近居民休息。", "13900006666"],
    ).getvalue()


def _upload(data: bytes) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = "calls.xlsx"
    return buffer


def test_the_api_refuses_a_workbook_imported_before_unless_confirmed(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    data = _book()
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        first = ok(http.post(f"{URL}/imports", {"file": _upload(data)}), 202)
    assert len(ok(http.get(f"{URL}/imports/{first['id']}"))["created"]) == 2
    assert CaseImport.objects.get(pk=first["id"]).sha256 == hashlib.sha256(data).hexdigest()

    with django_capture_on_commit_callbacks(execute=True):
        refused = ok(http.post(f"{URL}/imports", {"file": _upload(data)}), 409)
    assert refused["code"] == "already_imported"
    assert refused["detail"]["import"] == first["id"]
    assert refused["detail"]["entered_by"] == "刘派"
    assert refused["detail"]["rows"] == 2 and refused["detail"]["cases"] == 2
    assert "刘派" in refused["message"] and "2 行" in refused["message"]
    assert Case.objects.count() == 2
    assert CaseImport.objects.count() == 1
    assert LedgerEntry.objects.filter(action="hotline.queue_import").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        again = ok(
            http.post(f"{URL}/imports", {"file": _upload(data), "confirm_duplicate": "true"}), 202
        )
    assert again["id"] != first["id"]
    assert CaseImport.objects.count() == 2


def test_the_page_names_the_earlier_import_and_offers_to_import_it_again(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    data = _book()
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        assert http.post("/hotline/imports/", {"file": _upload(data)}).status_code == 302
    earlier = CaseImport.objects.get()
    response = http.post("/hotline/imports/", {"file": _upload(data)})
    assert response.status_code == 400
    page = response.content.decode()
    at = timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M")
    assert f"该工作簿已于 {at} 由刘派导入过（共 2 行，登记 2 件诉求）" in page
    assert 'name="confirm_duplicate"' in page
    assert CaseImport.objects.count() == 1

    confirmed = http.post("/hotline/imports/", {"file": _upload(data), "confirm_duplicate": "1"})
    assert confirmed.status_code == 302
    assert CaseImport.objects.count() == 2


def test_another_workbook_and_one_whose_import_registered_nothing_are_taken(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    http = as_user(cast.dispatcher)
    refused_rows = workbook(["内容", "联系电话"], ["短", "13900004444"]).getvalue()
    with django_capture_on_commit_callbacks(execute=True):
        first = ok(http.post(f"{URL}/imports", {"file": _upload(refused_rows)}), 202)
    assert ok(http.get(f"{URL}/imports/{first['id']}"))["created"] == []
    # Nothing was registered from it: corrected or not, it may be sent again.
    with django_capture_on_commit_callbacks(execute=True):
        ok(http.post(f"{URL}/imports", {"file": _upload(refused_rows)}), 202)
        ok(http.post(f"{URL}/imports", {"file": _upload(_book())}), 202)
    assert CaseImport.objects.count() == 3
