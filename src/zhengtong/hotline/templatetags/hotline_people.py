"""Template filters naming the people and the platform's work on the hotline's pages."""

from __future__ import annotations

from django import template

from zhengtong.hotline.categories import category_name
from zhengtong.hotline.people import actor_name, entered_by_name

register = template.Library()


@register.filter
def hotline_actor(label: str) -> str:
    """The stored actor label as staff read it (命令行训练 for ``hotline_train``)."""
    return actor_name(str(label or ""))


@register.filter
def hotline_entered_by(entered_by: str) -> str:
    """The login name that registered a message, as the person's name."""
    return entered_by_name(str(entered_by or ""))


@register.filter
def hotline_category(label: str) -> str:
    """A category label as the reader names it (see ``hotline.categories``)."""
    return category_name(str(label or ""))
