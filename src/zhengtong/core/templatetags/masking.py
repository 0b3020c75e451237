"""``{% load masking %}`` then ``{{ person.id_number|mask:"id_number" }}``."""

from django import template

from zhengtong.core.masking import mask as mask_value

register = template.Library()


@register.filter(name="mask")
def mask(value: object, kind: str) -> str:
    """Mask a value of the given kind (name, id_number, phone, bank_card, address, email)."""
    if value is None:
        return ""
    return mask_value(kind, str(value))
