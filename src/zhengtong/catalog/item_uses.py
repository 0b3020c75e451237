"""Other apps' say on taking information items out of a published entry.

A change (目录变更) may drop items of a published entry. Some uses of an item
cannot survive that: the exchange finds a dataset's records by its key item,
so a dataset keyed on a dropped item could be neither loaded nor read. The
catalog does not know the apps built on it; each registers a check here
(usually from its ``ready``), and a change dropping an item in use is refused
with the checks' reasons.
"""

from collections.abc import Callable, Collection

from zhengtong.catalog.models import Resource

# (the entry, the codes of the items a change drops) -> item code -> why it must stay.
ItemUseCheck = Callable[[Resource, Collection[str]], dict[str, str]]
_checks: list[ItemUseCheck] = []


def on_item_removal(check: ItemUseCheck) -> ItemUseCheck:
    """Register a check; returns it, to decorate."""
    if check not in _checks:
        _checks.append(check)
    return check


def items_in_use(resource: Resource, dropped: Collection[str]) -> dict[str, str]:
    """The dropped items that must stay, each with why."""
    found: dict[str, str] = {}
    if not dropped:
        return found
    for check in _checks:
        for code, reason in check(resource, dropped).items():
            found.setdefault(code, reason)
    return found
