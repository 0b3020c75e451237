"""Activating a version with categories no routing rule sends anywhere asks first.

Every message the model puts in such a category waits for a dispatcher
however sure the model is; the administrator is shown which categories and
activates only on confirming (or adds the rules first).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.classifier_actions import do_queue_training, run_training
from zhengtong.hotline.models import ClassifierVersion, LabelledExample, RoutingRule
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import (
    HotlineCast,
    invented_examples,
    make_hotline_cast,
    store_invented_decisions,
)
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _trained(only: set[str] | None = None) -> ClassifierVersion:
    """A ready version trained on the invented messages (of ``only`` these categories)."""
    LabelledExample.objects.all().delete()
    store_invented_decisions(only=only)
    version = do_queue_training(actor=TEST_ACTOR, data_path=None, include_corrections=True)
    version = run_training(version, actor=TEST_ACTOR, folds=0)
    assert version.state == "ready", version.error
    return version


def _unmapped(version: ClassifierVersion) -> list[str]:
    # The cast's rules send 环境保护 and 城乡建设; the invented messages hold five more.
    return [label for label in version.labels if label not in ("环境保护", "城乡建设")]


def test_the_models_page_names_the_unmapped_categories_and_activates_on_confirming(
    cast: HotlineCast,
) -> None:
    version = _trained()
    admin = as_user(cast.admin)
    asked = admin.post(f"/hotline/models/{version.number}/activate/")
    assert asked.status_code == 409
    page = asked.content.decode()
    assert f"v{version.number} 的以下类别没有分拨规则" in page
    assert "、".join(_unmapped(version)) in page and "交通运输" in page
    assert 'name="confirm_unmapped" value="1"' in page
    assert not ClassifierVersion.objects.filter(is_active=True).exists()
    assert not LedgerEntry.objects.filter(action="hotline.activate_classifier").exists()
    confirmed = admin.post(f"/hotline/models/{version.number}/activate/", {"confirm_unmapped": "1"})
    assert confirmed.status_code == 302
    assert ClassifierVersion.objects.get(pk=version.pk).is_active
    assert LedgerEntry.objects.filter(action="hotline.activate_classifier").count() == 1


def test_a_version_whose_categories_all_have_rules_is_activated_at_once(
    cast: HotlineCast,
) -> None:
    version = _trained(only={"环境保护", "城乡建设"})
    admin = as_user(cast.admin)
    assert admin.post(f"/hotline/models/{version.number}/activate/").status_code == 302
    assert ClassifierVersion.objects.get(pk=version.pk).is_active


def test_the_api_refuses_with_the_labels_until_confirmed(cast: HotlineCast) -> None:
    version = _trained()
    admin = as_user(cast.admin)
    refused = ok(post(admin, f"/models/{version.number}/activate"), 409)
    assert refused["code"] == "unmapped_categories"
    unmapped = _unmapped(version)
    assert len(unmapped) == 5 and refused["detail"]["labels"] == unmapped
    assert "、".join(_unmapped(version)) in refused["message"]
    # A topic rule takes only the messages naming its keywords: the category
    # still needs a rule of its own.
    RoutingRule.objects.create(
        region=cast.tree.city,
        category="交通运输",
        topic="公共交通",
        keywords="公交",
        department=cast.city_housing,
    )
    still = ok(post(admin, f"/models/{version.number}/activate"), 409)
    assert still["detail"]["labels"] == unmapped
    RoutingRule.objects.create(
        region=cast.tree.furong, category="交通运输", department=cast.city_housing
    )
    fewer = ok(post(admin, f"/models/{version.number}/activate"), 409)
    assert fewer["detail"]["labels"] == [label for label in unmapped if label != "交通运输"]
    active = ok(post(admin, f"/models/{version.number}/activate?confirm_unmapped=true"))
    assert active["is_active"] is True


def test_the_training_command_activates_as_asked_and_names_the_unmapped_categories(
    cast: HotlineCast, tmp_path: Path
) -> None:
    data = tmp_path / "labelled.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "body", "label"])
        for example in invented_examples():
            writer.writerow([example.title, example.body, example.label])
    err = io.StringIO()
    call_command(
        "hotline_train",
        "--data",
        str(data),
        "--folds",
        "0",
        "--no-corrections",
        "--activate",
        stdout=io.StringIO(),
        stderr=err,
    )
    assert ClassifierVersion.objects.get(is_active=True)
    assert "没有分拨规则" in err.getvalue() and "交通运输" in err.getvalue()


def test_a_get_on_the_activation_url_returns_to_the_models_page(cast: HotlineCast) -> None:
    version = _trained()
    admin = as_user(cast.admin)
    url = f"/hotline/models/{version.number}/activate/"
    # The confirmation is shown at the activation's URL; a reload asks it with GET.
    assert admin.post(url).status_code == 409
    again = admin.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert (again.status_code, again["Location"]) == (302, "/hotline/models/")
    assert not ClassifierVersion.objects.filter(is_active=True).exists()
