"""One credit record per case; a training file that cannot be read is a clear refusal."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from zhengtong.core.testing import TEST_ACTOR, make_enterprise
from zhengtong.hotline.classifier_actions import do_queue_training
from zhengtong.hotline.models import Case, ClassifierVersion
from zhengtong.hotline.routing_model import RoutingModel
from zhengtong.hotline.tasks import train_classifier
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import (
    HotlineCast,
    invented_examples,
    make_hotline_cast,
    store_invented_decisions,
    train_active_model,
)
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.models import CreditRecord

# A quote opened and never closed: the rest of the file reads as one field,
# longer than the csv module's limit of 131,072 characters.
UNBALANCED = 'title,body,label\n,"我家附近的化工厂排放废气,环境保护\n' + "".join(
    f",我家附近的化工厂排放废气{i},环境保护\n" for i in range(8000)
)


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _quick_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Train on the invented messages without the cross-validation report."""
    # Stored as the dispatchers' decisions too: training on them alone is
    # refused when they are too few to train on.
    store_invented_decisions()
    module = "zhengtong.hotline.classifier_actions"
    monkeypatch.setattr(f"{module}.training_examples", lambda _v: invented_examples())
    monkeypatch.setattr(f"{module}.cross_validate", lambda *a, **k: None)


def test_a_credit_code_pasted_with_a_line_break_names_the_enterprise(cast: HotlineCast) -> None:
    train_active_model()
    plant = make_enterprise("长沙市某化工有限公司")
    number = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    # As copied from a spreadsheet cell: a no-break space before, a line break after.
    pasted = f"\u00a0{plant.credit_code.lower()}\r\n"
    replied = ok(
        post(
            handler,
            f"/cases/{number}/reply",
            {"reply": "经查属实，已责令整改。联系电话 0731-12345678。", "upheld_against": pasted},
        )
    )
    assert replied["upheld_against"] == plant.credit_code
    assert CreditRecord.objects.filter(enterprise=plant, source_ref=f"hotline:{number}").exists()


def test_a_re_reply_cannot_move_the_finding_to_another_enterprise(cast: HotlineCast) -> None:
    train_active_model()
    first = make_enterprise("甲化工有限公司")
    second = make_enterprise("乙化工有限公司")
    citizen = as_user(cast.zhangsan)
    number = submit(citizen, title="化工厂排放刺鼻废气")["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    reply = "经查属实，已责令整改。联系电话 0731-12345678。"
    ok(
        post(
            handler, f"/cases/{number}/reply", {"reply": reply, "upheld_against": first.credit_code}
        )
    )
    ok(post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"}))

    moved = {"reply": "经复查，排污企业实为乙公司。", "upheld_against": second.credit_code}
    refused = post(handler, f"/cases/{number}/reply", moved)
    assert refused.status_code == 409
    assert refused.json()["code"] == "upheld_against_other_enterprise"
    assert first.name in refused.json()["message"]
    case = Case.objects.get(number=number)
    assert case.state == "handling" and case.upheld_against == first
    records = CreditRecord.objects.filter(source_ref=f"hotline:{number}")
    assert list(records.values_list("enterprise", flat=True)) == [first.pk]

    # The page shows the refusal beside the field.
    page = handler.post(
        f"/hotline/cases/{number}/",
        {
            "action": "reply",
            "reply-reply": moved["reply"],
            "reply-upheld_against": moved["upheld_against"],
        },
    )
    assert page.status_code == 400 and "不能再认定另一家企业" in page.content.decode()

    # Replying again without naming anyone, or naming the same enterprise, is fine.
    ok(
        post(
            handler, f"/cases/{number}/reply", {"reply": reply, "upheld_against": first.credit_code}
        )
    )
    assert records.count() == 1


def test_a_training_upload_with_an_unbalanced_quote_is_refused_on_the_page(
    cast: HotlineCast,
) -> None:
    admin = as_user(cast.admin)
    upload = SimpleUploadedFile("labels.csv", UNBALANCED.encode(), content_type="text/csv")
    response = admin.post(
        "/hotline/models/",
        {"source": "upload", "csv_file": upload, "include_corrections": "on"},
    )
    assert response.status_code == 400
    assert "CSV 文件从第 2 行起无法读取" in response.content.decode()
    assert not ClassifierVersion.objects.exists()


def test_the_training_command_refuses_a_file_with_an_unbalanced_quote(
    cast: HotlineCast, tmp_path: Path
) -> None:
    data = tmp_path / "labels.csv"
    data.write_text(UNBALANCED, encoding="utf-8")
    with pytest.raises(CommandError, match=r"labels\.csv: 第 2 行起无法读取：可能有未配对的引号"):
        call_command("hotline_train", "--data", str(data), stdout=io.StringIO())
    assert not ClassifierVersion.objects.exists()


def test_the_classify_command_refuses_a_file_with_an_unbalanced_quote(
    cast: HotlineCast, tmp_path: Path
) -> None:
    train_active_model()
    data = tmp_path / "messages.csv"
    data.write_text(UNBALANCED, encoding="utf-8")
    with pytest.raises(
        CommandError, match=r"messages\.csv: 第 \d+ 行起无法读取：可能有未配对的引号"
    ):
        call_command("hotline_classify", str(data), str(tmp_path / "out.csv"))


def test_training_on_shared_data_with_an_unbalanced_quote_fails_with_the_reason(
    cast: HotlineCast, tmp_path: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    (tmp_path / "hotline").mkdir()
    (tmp_path / "hotline" / "messages_labelled.csv").write_text(UNBALANCED, encoding="utf-8")
    settings.SHARED_DATA_DIR = tmp_path
    admin = as_user(cast.admin)
    with django_capture_on_commit_callbacks(execute=False):
        queued = ok(post(admin, "/models", {"use_shared_data": True}), 202)
    train_classifier.call(ClassifierVersion.objects.get(number=queued["number"]).pk)
    failed = ok(admin.get(f"{URL}/models/{queued['number']}"))
    assert failed["state"] == "failed"
    assert "第 2 行起无法读取：可能有未配对的引号" in failed["error"]


def test_a_late_failure_does_not_fail_a_version_trained_and_active_meanwhile(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _quick_training(monkeypatch)
    version = do_queue_training(actor=TEST_ACTOR, data_path=None, include_corrections=True)

    def retrained_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # This worker's lease ran out; another trained the version, and it routes now.
        ClassifierVersion.objects.filter(pk=version.pk).update(state="ready", is_active=True)
        raise RuntimeError("out of memory")

    monkeypatch.setattr("zhengtong.hotline.classifier_actions.train_model", retrained_meanwhile)
    assert train_classifier.call(version.pk) == "ready"
    version.refresh_from_db()
    assert (version.state, version.is_active, version.error) == ("ready", True, "")
    assert not LedgerEntry.objects.filter(action="hotline.fail_training").exists()


def test_a_late_finish_does_not_overwrite_a_version_queued_again(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengtong.hotline.routing_model import train_model

    _quick_training(monkeypatch)
    version = do_queue_training(actor=TEST_ACTOR, data_path=None, include_corrections=True)

    def requeued_meanwhile(examples: Any, **kwargs: Any) -> RoutingModel:
        model = train_model(examples, **kwargs)
        # The lease ran out and the recovery queued the version for another worker.
        ClassifierVersion.objects.filter(pk=version.pk).update(state="queued")
        return model

    monkeypatch.setattr("zhengtong.hotline.classifier_actions.train_model", requeued_meanwhile)
    assert train_classifier.call(version.pk) == "queued"
    version.refresh_from_db()
    assert version.state == "queued" and not version.file_name
    assert not LedgerEntry.objects.filter(action="hotline.finish_training").exists()
