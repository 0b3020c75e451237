"""Changes to the routing data: category (and topic) → department rules, place aliases, time limits.

They are data an administrator edits (in the admin site, which calls these
actions), each change one transaction with one ledger entry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.core.actors import Actor
from zhengtong.core.errors import InvalidInput
from zhengtong.core.models import Department, Region
from zhengtong.hotline.models import PlaceAlias, RoutingRule, TimeLimitRule
from zhengtong.hotline.states import LimitUnit, Urgency
from zhengtong.ledger.actions import record_entry

MAX_CATEGORY = 32


def _category(value: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_CATEGORY:
        raise InvalidInput(_("类别名称应为 1 至 32 个字。"), code="invalid_category")
    return value


MAX_TOPIC = 32
MAX_KEYWORDS = 300
_KEYWORD_SEPARATORS = re.compile(r"[\s、，,;；]+")


def topic_and_keywords(topic: str, keywords: str | Sequence[str]) -> tuple[str, str]:
    """Check a topic and its keywords; return them with the keywords space-separated."""
    topic = topic.strip()
    words = (
        _KEYWORD_SEPARATORS.split(keywords)
        if isinstance(keywords, str)
        else [w for k in keywords for w in _KEYWORD_SEPARATORS.split(k)]
    )
    unique = list(dict.fromkeys(w for w in words if w))
    joined = " ".join(unique)
    if len(topic) > MAX_TOPIC:
        raise InvalidInput(_("事项名称不能超过 32 个字。"), code="invalid_topic")
    if topic and not unique:
        raise InvalidInput(
            _("请填写该事项的关键词：留言含其中任一词即按此规则分拨。"), code="topic_needs_keywords"
        )
    if not topic and unique:
        raise InvalidInput(
            _("关键词只用于事项规则，请同时填写事项名称。"), code="keywords_need_topic"
        )
    if len(joined) > MAX_KEYWORDS or any(len(w) < 2 or len(w) > 16 for w in unique):
        raise InvalidInput(
            _("每个关键词应为 2 至 16 个字，合计不超过 300 个字。"), code="invalid_keywords"
        )
    return topic, joined


def check_routing_rule(
    region: Region,
    category: str,
    department: Department,
    topic: str = "",
    keywords: str | Sequence[str] = "",
) -> tuple[str, str, str]:
    """Check a routing rule before it is saved; return its category, topic and keywords."""
    category = _category(category)
    topic, joined = topic_and_keywords(topic, keywords)
    if region.level not in (2, 3):
        raise InvalidInput(_("分拨规则只能设在市或区县一级。"), code="invalid_rule_region")
    if not department.is_active:
        raise InvalidInput(_("该部门已停用。"), code="inactive_department")
    return category, topic, joined


def do_set_routing_rule(
    region: Region,
    category: str,
    department: Department,
    *,
    actor: Actor,
    topic: str = "",
    keywords: str | Sequence[str] = "",
) -> RoutingRule:
    """Say which department handles a category (or one topic of it) in a city or district.

    A rule with a topic applies to the messages of the category that contain
    one of its keywords; the category's rule without a topic takes the rest.
    """
    category, topic, joined = check_routing_rule(region, category, department, topic, keywords)
    existing = RoutingRule.objects.filter(region=region, category=category, topic=topic).first()
    if (
        existing is not None
        and existing.department_id == department.pk
        and existing.keywords == joined
    ):
        return existing  # unchanged: no write, no ledger entry
    with transaction.atomic(durable=True):
        rule, _created = RoutingRule.objects.update_or_create(
            region=region,
            category=category,
            topic=topic,
            defaults={"department": department, "keywords": joined},
        )
        data = {"region": region.code, "category": category, "department": department.code}
        if topic:
            data.update(topic=topic, keywords=joined)
        record_entry(
            actor=actor,
            action="hotline.set_routing_rule",
            subject_type="hotline.routing_rule",
            subject_id=rule.pk,
            data=data,
        )
    return rule


def _remove(
    row: RoutingRule | PlaceAlias | TimeLimitRule, kind: str, data: dict[str, Any], *, actor: Actor
) -> None:
    """Delete a row of routing data with its ledger entry (``hotline.remove_<kind>``)."""
    with transaction.atomic(durable=True):
        subject = row.pk
        row.delete()
        record_entry(
            actor=actor,
            action=f"hotline.remove_{kind}",
            subject_type=f"hotline.{kind}",
            subject_id=subject,
            data=data,
        )


def do_remove_routing_rule(rule: RoutingRule, *, actor: Actor) -> None:
    data: dict[str, Any] = {"region": rule.region_id, "category": rule.category}
    if rule.topic:
        data["topic"] = rule.topic
    _remove(rule, "routing_rule", data, actor=actor)


def check_place_alias(name: str, region: Region) -> str:
    """Check a place alias before it is saved; return its name."""
    name = name.strip()
    if not 2 <= len(name) <= 64:
        raise InvalidInput(_("地名应为 2 至 64 个字。"), code="invalid_alias")
    if region.level not in (3, 4):
        raise InvalidInput(_("地名只能指向区县或街道乡镇。"), code="invalid_alias_region")
    return name


def do_set_place_alias(name: str, region: Region, *, actor: Actor) -> PlaceAlias:
    """Teach the place resolver a name people use (a landmark, an estate, a road)."""
    name = check_place_alias(name, region)
    existing = PlaceAlias.objects.filter(name=name).first()
    if existing is not None and existing.region_id == region.code:
        return existing
    with transaction.atomic(durable=True):
        alias, _created = PlaceAlias.objects.update_or_create(
            name=name, defaults={"region": region}
        )
        record_entry(
            actor=actor,
            action="hotline.set_place_alias",
            subject_type="hotline.place_alias",
            subject_id=alias.pk,
            data={"name": name, "region": region.code},
        )
    return alias


def do_remove_place_alias(alias: PlaceAlias, *, actor: Actor) -> None:
    _remove(alias, "place_alias", {"name": alias.name, "region": alias.region_id}, actor=actor)


def check_time_limit(
    urgency: str, category: str, dispatch_hours: int, reply_amount: int, reply_unit: str
) -> str:
    """Check a time limit before it is saved; return its category."""
    if urgency not in Urgency.values:
        raise InvalidInput(_("紧急程度无效。"), code="invalid_urgency")
    if reply_unit not in LimitUnit.values:
        raise InvalidInput(_("时限单位无效。"), code="invalid_unit")
    if not 1 <= dispatch_hours <= 240 or not 1 <= reply_amount <= 365:
        raise InvalidInput(_("时限超出允许范围。"), code="invalid_limit")
    category = category.strip()
    return _category(category) if category else ""


def do_set_time_limit(
    urgency: str,
    category: str,
    dispatch_hours: int,
    reply_amount: int,
    reply_unit: str,
    *,
    actor: Actor,
) -> TimeLimitRule:
    """Set the dispatch and reply limits for an urgency (and optionally one category)."""
    category = check_time_limit(urgency, category, dispatch_hours, reply_amount, reply_unit)
    existing = TimeLimitRule.objects.filter(urgency=urgency, category=category).first()
    if existing is not None and (
        existing.dispatch_hours,
        existing.reply_amount,
        existing.reply_unit,
    ) == (dispatch_hours, reply_amount, reply_unit):
        return existing
    with transaction.atomic(durable=True):
        rule, _created = TimeLimitRule.objects.update_or_create(
            urgency=urgency,
            category=category,
            defaults={
                "dispatch_hours": dispatch_hours,
                "reply_amount": reply_amount,
                "reply_unit": reply_unit,
            },
        )
        record_entry(
            actor=actor,
            action="hotline.set_time_limit",
            subject_type="hotline.time_limit",
            subject_id=rule.pk,
            data={
                "urgency": urgency,
                "category": category,
                "dispatch_hours": dispatch_hours,
                "reply": f"{reply_amount} {reply_unit}",
            },
        )
    return rule


def do_remove_time_limit(rule: TimeLimitRule, *, actor: Actor) -> None:
    """Remove a time limit: its cases fall back to the wider rule or the default."""
    _remove(rule, "time_limit", {"urgency": rule.urgency, "category": rule.category}, actor=actor)
