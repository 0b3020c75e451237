"""The lifecycle table, the legal-basis rule, permissions and one ledger entry per action."""

from collections.abc import Callable
from dataclasses import replace

import pytest

from zhengtong.catalog import actions
from zhengtong.catalog.access import may_edit, may_review
from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.models import Resource, ResourceTransition
from zhengtong.catalog.states import ALLOWED_TRANSITIONS, ResourceState, check_transition
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, resource_input
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry


def test_the_table_allows_only_its_steps() -> None:
    states = list(ResourceState)
    for current in states:
        for target in states:
            if (current, target) in ALLOWED_TRANSITIONS:
                assert check_transition(current, target) == ALLOWED_TRANSITIONS[(current, target)]
            else:
                with pytest.raises(Conflict) as caught:
                    check_transition(current, target)
                assert caught.value.code == "invalid_transition"


def test_each_action_writes_one_ledger_entry_and_one_transition(cast: CatalogCast) -> None:
    officer, bureau = actor_of(cast.officer), actor_of(cast.bureau)
    before = LedgerEntry.objects.count()
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=officer)
    steps: list[tuple[Callable[[Resource], Resource], str]] = [
        (
            lambda r: actions.do_update_resource(r, replace(ENTERPRISE, name="新"), actor=officer),
            "catalog.update_resource",
        ),
        (lambda r: actions.do_submit_resource(r, actor=officer), "catalog.submit_resource"),
        (
            lambda r: actions.do_return_resource(r, "缺少摘要", actor=bureau),
            "catalog.return_resource",
        ),
        (lambda r: actions.do_submit_resource(r, actor=officer), "catalog.submit_resource"),
        (lambda r: actions.do_review_resource(r, actor=bureau), "catalog.review_resource"),
        (lambda r: actions.do_publish_resource(r, actor=bureau), "catalog.publish_resource"),
        (
            lambda r: actions.do_retire_resource(r, "停止采集", actor=bureau),
            "catalog.retire_resource",
        ),
    ]
    for n, (step, name) in enumerate(steps, start=1):
        resource = step(resource)
        assert LedgerEntry.objects.count() == before + 1 + n
        assert LedgerEntry.objects.order_by("-seq").first().action == name  # type: ignore[union-attr]
    assert resource.state == ResourceState.RETIRED
    history = list(ResourceTransition.objects.filter(resource=resource).order_by("pk"))
    assert [(t.from_state, t.to_state) for t in history] == [
        ("", "draft"),
        ("draft", "draft"),  # the edit
        ("draft", "submitted"),
        ("submitted", "draft"),
        ("draft", "submitted"),
        ("submitted", "reviewed"),
        ("reviewed", "published"),
        ("published", "retired"),
    ]
    assert history[1].actor_ref == officer.ref
    assert history[3].reason == "缺少摘要"
    assert resource.publish_date is not None


def test_a_refused_step_leaves_nothing(cast: CatalogCast) -> None:
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    before = LedgerEntry.objects.count()
    with pytest.raises(Conflict):
        actions.do_publish_resource(resource, actor=TEST_ACTOR)
    assert LedgerEntry.objects.count() == before
    assert ResourceTransition.objects.filter(resource=resource).count() == 1


def test_the_submitter_does_not_review_own_submission(cast: CatalogCast) -> None:
    bureau = actor_of(cast.bureau)
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=bureau)
    resource = actions.do_submit_resource(resource, actor=bureau)
    with pytest.raises(Conflict) as caught:
        actions.do_review_resource(resource, actor=bureau)
    assert caught.value.code == "own_submission"


def test_returning_needs_a_reason(cast: CatalogCast) -> None:
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    resource = actions.do_submit_resource(resource, actor=TEST_ACTOR)
    with pytest.raises(InvalidInput):
        actions.do_return_resource(resource, " ", actor=TEST_ACTOR)


def test_only_drafts_are_edited(cast: CatalogCast) -> None:
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    changed = actions.do_update_resource(
        resource, replace(ENTERPRISE, name="企业登记信息（全量）"), actor=TEST_ACTOR
    )
    assert changed.name == "企业登记信息（全量）"
    actions.do_submit_resource(changed, actor=TEST_ACTOR)
    with pytest.raises(Conflict):
        actions.do_update_resource(resource, ENTERPRISE, actor=TEST_ACTOR)


@pytest.mark.parametrize("attribute", ["conditional", "none"])
def test_conditional_and_none_need_a_cited_legal_basis(cast: CatalogCast, attribute: str) -> None:
    data = resource_input(
        share_attribute=attribute,
        share_conditions="依申请",
        legal_basis="",
        open_attribute="none",
    )
    with pytest.raises(InvalidInput) as caught:
        actions.do_create_resource(cast.market, data, actor=TEST_ACTOR)
    assert "legal_basis" in caught.value.detail["fields"]
    # A law's name without an article is not enough either.
    with pytest.raises(InvalidInput):
        actions.do_create_resource(
            cast.market, replace(data, legal_basis="《居民身份证法》"), actor=TEST_ACTOR
        )
    ok = replace(data, legal_basis="《中华人民共和国居民身份证法》第十三条")
    assert actions.do_create_resource(cast.market, ok, actor=TEST_ACTOR).pk


@pytest.mark.parametrize(
    "basis",
    [
        "《湖南省政务数据共享条例》（第二次修订）",  # 第 and the 条 of 条例, but no article
        "《政务数据共享条例》第",
        "第十条",  # an article of no named law
    ],
)
def test_a_legal_basis_cites_an_article_of_a_named_law(cast: CatalogCast, basis: str) -> None:
    data = resource_input(
        share_attribute="conditional", share_conditions="依申请", legal_basis=basis
    )
    with pytest.raises(InvalidInput) as caught:
        actions.do_create_resource(cast.market, data, actor=TEST_ACTOR)
    assert "legal_basis" in caught.value.detail["fields"]


@pytest.mark.parametrize(
    "basis",
    [
        "《湖南省政务数据共享条例》第二十三条",
        "《中华人民共和国个人信息保护法》第13条第一款",
        "《政务信息资源共享管理暂行办法》第十条、第十一条",
    ],
)
def test_articles_in_words_or_digits_are_citations(cast: CatalogCast, basis: str) -> None:
    data = resource_input(
        share_attribute="conditional", share_conditions="依申请", legal_basis=basis
    )
    assert actions.do_create_resource(cast.market, data, actor=TEST_ACTOR).pk


def test_a_negative_item_needs_a_legal_basis(cast: CatalogCast) -> None:
    item = ItemInput("secret", "内部编号", "C", share_attribute="none")
    with pytest.raises(InvalidInput) as caught:
        actions.do_create_resource(cast.market, resource_input(items=[item]), actor=TEST_ACTOR)
    assert "items.secret" in caught.value.detail["fields"]


@pytest.mark.parametrize("code", ["102000000-000001", "402000000/000001", "10200000/000001", ""])
def test_resource_codes_are_validated(cast: CatalogCast, code: str) -> None:
    with pytest.raises(InvalidInput):
        actions.do_create_resource(cast.market, resource_input(code), actor=TEST_ACTOR)


@pytest.mark.parametrize(
    "code",
    [
        "109000000/000001",  # 基础信息资源 has only the 项 01-05
        "100000000/000001",  # a basic resource names one of them
        "102000123/000001",  # a 细目 under no 目
        "300001000/000001",  # a 目 under no 项
        "102000000/000000",  # sequence codes start at 000001
    ],
)
def test_classification_levels_and_sequence_are_checked(cast: CatalogCast, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        actions.do_create_resource(cast.market, resource_input(code), actor=TEST_ACTOR)
    assert "code" in caught.value.detail["fields"]


@pytest.mark.parametrize("code", ["105000000/000001", "203000000/000001", "304012003/000099"])
def test_well_formed_codes_of_each_class_are_accepted(cast: CatalogCast, code: str) -> None:
    assert actions.do_create_resource(cast.market, resource_input(code), actor=TEST_ACTOR).pk


def test_codes_are_unique(cast: CatalogCast) -> None:
    actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    with pytest.raises(Conflict):
        actions.do_create_resource(cast.county, ENTERPRISE, actor=TEST_ACTOR)
    assert Resource.objects.count() == 1


def test_permissions_both_ways(cast: CatalogCast) -> None:
    resource = actions.do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    county = actions.do_create_resource(cast.county, resource_input(), actor=TEST_ACTOR)
    assert may_edit(cast.officer, resource)
    assert not may_edit(cast.officer, county)
    assert may_edit(cast.county_officer, county)
    assert not may_edit(cast.county_officer, resource)
    assert may_review(cast.bureau, resource) and may_review(cast.bureau, county)
    assert not may_review(cast.county_officer, resource)
    assert not may_review(cast.officer, county)


@pytest.mark.parametrize("open_attribute", ["unconditional", "conditional"])
def test_a_resource_not_shared_is_not_opened_either(cast: CatalogCast, open_attribute: str) -> None:
    data = resource_input(
        share_attribute="none",
        share_method="",
        legal_basis="《中华人民共和国个人信息保护法》第二十八条",
        open_attribute=open_attribute,
        open_conditions="实名注册",
    )
    with pytest.raises(InvalidInput) as caught:
        actions.do_create_resource(cast.market, data, actor=TEST_ACTOR)
    assert "open_attribute" in caught.value.detail["fields"]
    assert actions.do_create_resource(
        cast.market, replace(data, open_attribute="none"), actor=TEST_ACTOR
    ).pk
