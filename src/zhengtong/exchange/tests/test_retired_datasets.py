"""A retired (已下架) resource's hosted dataset takes no new data.

The data bureau retires the market bureau's enterprise registry; its
pushing system, its GovStack writes and 吴十's uploads are then refused
with ``not_published``, as registering or applying for an unpublished
resource is, and nothing is written. Withdrawing records stays possible.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhengtong.catalog import actions as catalog
from zhengtong.core.testing import TEST_ACTOR, make_credit_code
from zhengtong.exchange.models import DatasetVersion, HostedDataset, Record
from zhengtong.exchange.quality import do_measure_dataset_quality
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, logged_in, make_sharing
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")


@pytest.fixture
def retired(cast: ExchangeCast) -> Sharing:
    sharing = make_sharing(cast)
    catalog.do_retire_resource(sharing.enterprises, "该目录已由新版目录替代。", actor=TEST_ACTOR)
    return sharing


def _versions() -> int:
    return DatasetVersion.objects.filter(dataset__resource__code=ENTERPRISES).count()


def _csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("firms.csv", f"uscc,name\n{make_credit_code(seq=951)},甲\n".encode())


def test_a_push_to_a_retired_resource_is_refused(retired: Sharing) -> None:
    before = (_versions(), LedgerEntry.objects.count())
    answer = retired.api(retired.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/records",
        {"rows": [{"uscc": make_credit_code(seq=950), "name": "某公司"}]},
        "application/json",
    )
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "not_published"
    assert (_versions(), LedgerEntry.objects.count()) == before


def test_an_upload_to_a_retired_resource_is_refused(retired: Sharing) -> None:
    before = _versions()
    answer = logged_in(retired.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads", {"file": _csv()}
    )
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "not_published"
    assert _versions() == before


def test_a_govstack_write_to_a_retired_registry_is_refused(retired: Sharing) -> None:
    before = _versions()
    http = retired.govstack(retired.pusher_token)
    created = http.post(
        f"/api/govstack/data/{SLUG}/1.0/create",
        {"write": {"content": {"uscc": make_credit_code(seq=952), "name": "某公司"}}},
        "application/json",
    )
    assert created.status_code == 409 and created.json()["code"] == "not_published"
    updated = http.put(
        f"/api/govstack/data/{SLUG}/1.0/update",
        {"query": {"content": {"uscc": retired.uscc}}, "write": {"content": {"name": "新名"}}},
        "application/json",
    )
    assert updated.status_code == 409 and updated.json()["code"] == "not_published"
    assert _versions() == before
    record = Record.objects.get(dataset__resource=retired.enterprises, key=retired.uscc)
    assert record.values["name"] != "新名"


def test_the_page_says_a_retired_resource_takes_no_uploads(retired: Sharing) -> None:
    officer = logged_in(retired.officer)
    page = officer.get(f"/exchange/datasets/{SLUG}/")
    assert page.status_code == 200
    assert "该目录资源已下架，不再接收新数据。" in page.content.decode()
    assert 'enctype="multipart/form-data"' not in page.content.decode()
    before = _versions()
    posted = officer.post(f"/exchange/datasets/{SLUG}/", {"file": _csv()})
    assert posted.status_code == 200
    assert "该目录资源已下架，不再接收新数据。" in posted.content.decode()
    assert _versions() == before


def test_records_of_a_retired_resource_may_still_be_withdrawn(retired: Sharing) -> None:
    answer = retired.api(retired.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/records:delete", {"keys": [retired.uscc]}, "application/json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["deleted"] == 1


def test_a_published_resource_still_takes_pushes(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    answer = sharing.api(sharing.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/records",
        {"rows": [{"uscc": make_credit_code(seq=953), "name": "某公司"}]},
        "application/json",
    )
    assert answer.status_code == 200 and answer.json()["version"]["accepted"] == 1


def test_the_quality_overview_leaves_out_a_retired_resources_dataset(retired: Sharing) -> None:
    """Taking no uploads, it ranked among the worst as late, which no department could mend."""
    for dataset in HostedDataset.objects.all():
        do_measure_dataset_quality(dataset, actor=TEST_ACTOR)
    page = logged_in(retired.bureau).get("/exchange/quality/")
    html = page.content.decode()
    assert page.status_code == 200
    assert retired.population.name in html
    assert retired.enterprises.name not in html and ENTERPRISES not in html
