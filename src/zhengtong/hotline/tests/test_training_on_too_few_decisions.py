"""Training on the dispatchers' decisions alone is refused at once when they are too few.

Such a run could only fail in the background, with a reason in the model's
own terms; the administrator is told on the spot, in their language.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from zhengtong.hotline.models import ClassifierVersion, LabelledExample
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, invented_examples, make_hotline_cast
from zhengtong.ledger.models import LedgerEntry

CORRECTIONS_ONLY = {"use_shared_data": False, "include_corrections": True}


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _label(title: str, body: str, label: str) -> None:
    LabelledExample.objects.create(
        title=title, body=body, label=label, labelled_by="刘派", labelled_at=timezone.now()
    )


def test_the_api_refuses_training_without_any_decisions(cast: HotlineCast) -> None:
    refused = ok(post(as_user(cast.admin), "/models", CORRECTIONS_ONLY), 400)
    assert refused["code"] == "too_few_labels"
    assert not ClassifierVersion.objects.exists()
    assert not LedgerEntry.objects.filter(action="hotline.queue_training").exists()


def test_the_models_page_names_the_category_with_too_few_decisions_in_english(
    cast: HotlineCast,
) -> None:
    for example in invented_examples():
        _label(example.title, example.body, example.label)
    for n in range(2):
        _label("", f"低保申请{n}号一直没有审批结果", "民政")
    http = as_user(cast.admin)
    chinese = http.post("/hotline/models/", {"source": "corrections", "include_corrections": "on"})
    assert chinese.status_code == 400
    assert "每个类别至少需要 5 条样本，不足的类别：民政" in chinese.content.decode()
    http.cookies["django_language"] = "en"
    english = http.post(
        "/hotline/models/",
        {"source": "corrections", "include_corrections": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.status_code == 400
    assert "these have too few: Civil affairs" in english.content.decode()
    assert not ClassifierVersion.objects.exists()
    refused = ok(post(http, "/models", CORRECTIONS_ONLY), 400)
    assert refused["code"] == "too_few_examples" and refused["detail"]["labels"] == ["民政"]
