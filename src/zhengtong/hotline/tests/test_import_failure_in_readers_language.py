"""An import that fails as a whole says why in each reader's language.

The import runs in a worker, whose language is nobody's (English, say, when
the worker was started so); the import keeps the reason as a code and its
values, and the import page and the API word it for whoever reads them. An
import failed before keeps its stored text.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from zhengtong.hotline import imports
from zhengtong.hotline.models import CaseImport
from zhengtong.hotline.tasks import import_cases
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, workbook
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _queued(http: Client, django_capture_on_commit_callbacks: Any) -> CaseImport:
    upload = workbook(
        ["内容", "联系电话"],
        [POLLUTION, "13900004444"],
        ["小区路灯损坏没人修，晚上出行很不方便。", "13900006666"],
    )
    with django_capture_on_commit_callbacks(execute=False):
        queued = ok(http.post(f"{URL}/imports", {"file": upload}), 202)
    return CaseImport.objects.get(pk=queued["id"])


def _run_in_an_english_worker(case_import: CaseImport) -> CaseImport:
    with translation.override("en"):
        import_cases.call(case_import.pk)
    return CaseImport.objects.get(pk=case_import.pk)


def _in_english(http: Client) -> Client:
    http.cookies["django_language"] = "en"
    return http


def _page(http: Client, case_import: CaseImport) -> str:
    return http.get(f"/hotline/imports/{case_import.pk}/").content.decode()


def test_a_file_damaged_after_upload_fails_in_the_readers_language(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    http = as_user(cast.dispatcher)
    case_import = _queued(http, django_capture_on_commit_callbacks)
    stored = case_import.file.name
    assert stored is not None
    with case_import.file.storage.open(stored, "wb") as handle:
        handle.write(b"title,content\n")
    failed = _run_in_an_english_worker(case_import)
    assert failed.state == "failed"
    assert "文件不是有效的 XLSX 工作簿。" in _page(http, failed)
    assert "not a valid XLSX workbook" not in _page(http, failed)
    assert ok(http.get(f"{URL}/imports/{failed.pk}"))["error"] == "文件不是有效的 XLSX 工作簿。"
    english = _in_english(as_user(cast.dispatcher))
    assert "The file is not a valid XLSX workbook." in _page(english, failed)
    assert LedgerEntry.objects.filter(action="hotline.finish_import").count() == 1


def test_a_file_gone_from_storage_is_named_without_the_systems_words(
    cast: HotlineCast,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    http = as_user(cast.dispatcher)
    case_import = _queued(http, django_capture_on_commit_callbacks)
    stored = case_import.file.name
    assert stored is not None
    case_import.file.storage.delete(stored)
    failed = _run_in_an_english_worker(case_import)
    assert failed.state == "failed"
    page = _page(http, failed)
    assert "导入文件 calls.xlsx 无法读取（详情已记入日志），请重新上传。" in page
    assert "Errno" not in page and "No such file" not in page
    assert "Errno" not in ok(http.get(f"{URL}/imports/{failed.pk}"))["error"]
    # Whoever runs the platform still learns what the system said.
    assert "could not be read" in caplog.text


def test_a_limit_counted_into_the_reason_is_kept_with_it(
    cast: HotlineCast,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    http = as_user(cast.dispatcher)
    case_import = _queued(http, django_capture_on_commit_callbacks)
    # A limit lowered between upload and run, as a new release may.
    monkeypatch.setattr(imports, "MAX_ROWS", 1)
    failed = _run_in_an_english_worker(case_import)
    assert "一个文件最多 1 行诉求，请拆分后导入。" in _page(http, failed)
    english = _in_english(as_user(cast.dispatcher))
    assert "A file may hold at most 1 requests" in _page(english, failed)


def test_an_import_failed_before_reasons_had_codes_keeps_its_text(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    http = as_user(cast.dispatcher)
    case_import = _queued(http, django_capture_on_commit_callbacks)
    CaseImport.objects.filter(pk=case_import.pk).update(
        state="failed", error="The workbook is empty.", error_code="", error_params={}
    )
    assert "The workbook is empty." in _page(http, case_import)
    assert ok(http.get(f"{URL}/imports/{case_import.pk}"))["error"] == "The workbook is empty."
