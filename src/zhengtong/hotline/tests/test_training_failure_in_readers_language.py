"""A training run that fails in the background says why in each reader's language.

The run fails in a worker, whose language is nobody's (English, say, when
the worker was started so); the version keeps the reason as a code and its
values, and the models pages word it for whoever reads them. A version
failed before keeps its stored text.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from zhengtong.hotline.models import ClassifierVersion
from zhengtong.hotline.tasks import train_classifier
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, invented_examples, make_hotline_cast
from zhengtong.ledger.models import LedgerEntry

# A quote opened and never closed on the first message (line 2).
UNBALANCED = 'title,body,label\n,"我家附近的化工厂排放废气,环境保护\n' + "".join(
    f",我家附近的化工厂排放废气{i},环境保护\n" for i in range(8000)
)


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _shared_file(settings: Any, directory: Path) -> Path:
    (directory / "hotline").mkdir()
    settings.SHARED_DATA_DIR = directory
    return directory / "hotline" / "messages_labelled.csv"


def _trained_in_an_english_worker(
    admin: Client, django_capture_on_commit_callbacks: Any
) -> ClassifierVersion:
    with django_capture_on_commit_callbacks(execute=False):
        queued = ok(post(admin, "/models", {"use_shared_data": True}), 202)
    version = ClassifierVersion.objects.get(number=queued["number"])
    with translation.override("en"):
        train_classifier.call(version.pk)
    return ClassifierVersion.objects.get(pk=version.pk)


def _in_english(http: Client) -> Client:
    http.cookies["django_language"] = "en"
    return http


def test_a_file_that_cannot_be_read_fails_in_the_readers_language(
    cast: HotlineCast,
    tmp_path: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _shared_file(settings, tmp_path).write_text(UNBALANCED, encoding="utf-8")
    admin = as_user(cast.admin)
    version = _trained_in_an_english_worker(admin, django_capture_on_commit_callbacks)
    assert version.state == "failed"
    chinese = "messages_labelled.csv: 第 2 行起无法读取：可能有未配对的引号，或某一栏过长。"
    page = admin.get("/hotline/models/").content.decode()
    assert chinese in page
    assert "unbalanced quote" not in page and "line 2" not in page
    assert chinese in admin.get(f"/hotline/models/{version.number}/").content.decode()
    assert ok(admin.get(f"{URL}/models/{version.number}"))["error"] == chinese
    english = _in_english(as_user(cast.admin))
    assert "messages_labelled.csv: cannot be read from line 2 on" in (
        english.get("/hotline/models/").content.decode()
    )
    assert LedgerEntry.objects.filter(action="hotline.fail_training").count() == 1


def test_too_few_examples_in_a_file_name_the_categories_in_the_readers_language(
    cast: HotlineCast,
    tmp_path: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with _shared_file(settings, tmp_path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "body", "label"])
        for example in invented_examples():
            writer.writerow([example.title, example.body, example.label])
        for n in range(2):
            writer.writerow(["", f"低保申请{n}号一直没有审批结果", "民政"])
    admin = as_user(cast.admin)
    version = _trained_in_an_english_worker(admin, django_capture_on_commit_callbacks)
    assert version.state == "failed"
    page = admin.get("/hotline/models/").content.decode()
    assert "每个类别至少需要 5 条样本，不足的类别：民政" in page
    assert "too few for" not in page
    english = _in_english(as_user(cast.admin)).get("/hotline/models/").content.decode()
    assert "these have too few: Civil affairs" in english


def test_a_fault_of_the_platform_is_told_without_its_english_traceback(
    cast: HotlineCast,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _shared_file(settings, tmp_path).write_text("title,body,label\n", encoding="utf-8")

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise MemoryError("Unable to allocate 3.2 GiB for an array")

    monkeypatch.setattr("zhengtong.hotline.classifier_actions.training_examples", broken)
    admin = as_user(cast.admin)
    version = _trained_in_an_english_worker(admin, django_capture_on_commit_callbacks)
    assert version.state == "failed"
    page = admin.get(f"/hotline/models/{version.number}/").content.decode()
    assert "训练时系统出错（详情已记入日志）" in page
    assert "Unable to allocate" not in page and "MemoryError" not in page


def test_a_version_failed_before_reasons_had_codes_keeps_its_text(
    cast: HotlineCast,
    tmp_path: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _shared_file(settings, tmp_path).write_text(UNBALANCED, encoding="utf-8")
    admin = as_user(cast.admin)
    version = _trained_in_an_english_worker(admin, django_capture_on_commit_callbacks)
    ClassifierVersion.objects.filter(pk=version.pk).update(
        error="line 2: field larger than field limit (131072) (an unbalanced quote?)",
        error_code="",
        error_params={},
    )
    assert "line 2: field larger than field limit" in admin.get("/hotline/models/").content.decode()
