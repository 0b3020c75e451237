"""An auditor reads the entries of the departments it audits; proofs stay public.

孙七 audits the whole city; 吴一 audits 芙蓉区 only, from its discipline
office. 李四 (芙蓉区 market bureau) and that bureau's licence system act in
芙蓉区; 王五 acts in 天心区; 张三 is a citizen, placed by no department.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from zhengtong.core.actors import Actor
from zhengtong.core.models import Department
from zhengtong.core.testing import TEST_ACTOR, make_department, make_region_tree
from zhengtong.identity.actions import do_create_staff, do_end_post, do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import StaffPost, User
from zhengtong.ledger.actions import do_seal_ledger
from zhengtong.ledger.tests.cast import PASSWORD, ZHANGSAN, LedgerCast, append

pytestmark = pytest.mark.django_db

ACTION = "core.scope_check"


@dataclass(frozen=True)
class Scene:
    county_auditor: User
    seqs: dict[str, int]


@pytest.fixture
def scene(cast: LedgerCast) -> Scene:
    tree = make_region_tree()
    county_bureau = Department.objects.get(code="furong-amr")
    discipline = make_department("中共长沙市芙蓉区纪律检查委员会", region=tree.furong)
    tianxin_bureau = make_department("天心区市场监督管理局", region=tree.tianxin)
    county_auditor = do_create_staff(
        "wuyi", PASSWORD, "吴一", discipline, ["auditor"], actor=TEST_ACTOR, scope="region"
    )
    wangwu = do_create_staff(
        "wangwu", PASSWORD, "王五", tianxin_bureau, ["clerk"], actor=TEST_ACTOR
    )
    client, _secret = do_issue_client(county_bureau, "食品经营许可系统", [], actor=TEST_ACTOR)
    actors: dict[str, Actor] = {
        "lisi": actor_of(cast.clerk),
        "county_client": actor_of(client),
        "wangwu": actor_of(wangwu),
        "citizen": ZHANGSAN,
        "system": Actor.system("test"),
    }
    seqs = {name: append(1, actor=actor, action=ACTION)[0].seq for name, actor in actors.items()}
    return Scene(county_auditor=county_auditor, seqs=seqs)


def _api_seqs(user: User, **query: Any) -> set[int]:
    browser = Client()
    browser.force_login(user)
    response = browser.get(reverse("api:ledger_entries"), {"action": ACTION, **query})
    assert response.status_code == 200, response.content
    return {entry["seq"] for entry in response.json()["entries"]}


def _page_seqs(user: User, **query: Any) -> set[int]:
    browser = Client()
    browser.force_login(user)
    response = browser.get(reverse("ledger:entries"), {"action": ACTION, **query})
    assert response.status_code == 200
    return {row.entry.seq for row in response.context["rows"]}


@pytest.mark.parametrize("read", [_api_seqs, _page_seqs])
def test_a_county_auditor_reads_only_what_the_county_did(scene: Scene, read: Any) -> None:
    assert read(scene.county_auditor) == {scene.seqs["lisi"], scene.seqs["county_client"]}


@pytest.mark.parametrize("read", [_api_seqs, _page_seqs])
def test_the_city_auditor_reads_every_entry(cast: LedgerCast, scene: Scene, read: Any) -> None:
    assert read(cast.auditor) == set(scene.seqs.values())


def test_searching_for_someone_outside_the_county_finds_nothing(scene: Scene) -> None:
    wangwu = User.objects.get(username="wangwu")
    assert _api_seqs(scene.county_auditor, actor=f"user:{wangwu.pk}") == set()
    assert _api_seqs(scene.county_auditor, actor="王五") == set()
    assert _api_seqs(scene.county_auditor, actor="user:999999") == set()


def test_what_someone_did_before_the_post_ended_stays_in_scope(
    cast: LedgerCast, scene: Scene
) -> None:
    do_end_post(StaffPost.objects.get(user=cast.clerk), actor=TEST_ACTOR)
    assert scene.seqs["lisi"] in _api_seqs(scene.county_auditor)


def test_the_superuser_flag_does_not_open_the_entries_in_the_admin(
    cast: LedgerCast, scene: Scene
) -> None:
    root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
    browser = Client()
    browser.force_login(root)
    # The superuser flag grants no reading of the audit log.
    assert browser.get(reverse("admin:ledger_ledgerentry_changelist")).status_code == 403


def test_proofs_of_entries_outside_the_scope_stay_public_and_show_only_hashes(
    client: Client, scene: Scene
) -> None:
    do_seal_ledger(actor=Actor.system("test"))
    seq = scene.seqs["wangwu"]
    response = client.get(reverse("api:ledger_inclusion_proof", kwargs={"seq": seq}))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"seq", "tree_size", "leaf_hash", "root_hash", "proof", "hash_algorithm"}
    text = response.content.decode()
    assert "王五" not in text and ACTION not in text
    assert client.get(reverse("api:ledger_latest_sth")).status_code == 200
