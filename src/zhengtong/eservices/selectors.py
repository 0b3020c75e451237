"""Reading service items: the published guides, search, and what other parts need."""

import threading
from dataclasses import dataclass

from django.db import router
from django.db.models import Prefetch, QuerySet

from zhengtong.core.models import Department
from zhengtong.eservices.models import (
    Material,
    ProcessVersion,
    ServiceItem,
    SpecialProcedure,
    Target,
)
from zhengtong.eservices.process import ProcessFiles
from zhengtong.eservices.search import Document, query_terms, score
from zhengtong.eservices.states import ItemState


def with_parts(rows: QuerySet[ServiceItem]) -> QuerySet[ServiceItem]:
    return rows.select_related("department").prefetch_related(
        Prefetch("materials", queryset=Material.objects.order_by("position")),
        Prefetch("special_procedures", queryset=SpecialProcedure.objects.order_by("position")),
        "co_departments",
    )


def published_items() -> QuerySet[ServiceItem]:
    """The items whose guides are public and that take applications."""
    return with_parts(ServiceItem.objects.filter(state=ItemState.PUBLISHED))


def find_published_item(code: str) -> ServiceItem | None:
    """Return the published item with this code, or None (for the application flow)."""
    return published_items().filter(code=code).first()


def guide_departments() -> QuerySet[Department]:
    """Departments with at least one published item, for the guide filters."""
    return (
        Department.objects.filter(service_items__state=ItemState.PUBLISHED)
        .distinct()
        .order_by("code")
    )


# The longest search text taken, by the API and the guide page alike: the
# scoring compares every item with the words of the query, so an unbounded one
# costs time for no better match.
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True, slots=True)
class ItemFilters:
    query: str = ""
    # "person" or "legal"; items for both audiences match either.
    target: str = ""
    department: str = ""
    item_type: str = ""


@dataclass(frozen=True, slots=True)
class ItemHit:
    item: ServiceItem
    score: float


def document_of(item: ServiceItem) -> Document:
    return Document(
        name=item.name,
        phrasings=[str(p) for p in item.phrasings],
        keywords=item.keywords,
        materials=[m.name for m in item.materials.all()],
        faqs=[f"{faq.get('question', '')} {faq.get('answer', '')}" for faq in item.faqs],
    )


def search_items(filters: ItemFilters) -> list[ItemHit]:
    """Published items matching the filters, best match first.

    A city publishes hundreds of items, not millions, so scoring runs over the
    filtered rows in Python (see ``search.py`` for how people's words are read).
    """
    rows = published_items()
    if filters.target in (Target.PERSON, Target.LEGAL):
        rows = rows.filter(target__in=[filters.target, Target.BOTH])
    if filters.department:
        rows = rows.filter(department__code=filters.department)
    if filters.item_type:
        rows = rows.filter(item_type=filters.item_type)
    terms = query_terms(filters.query)
    if not terms:
        return [ItemHit(item, 0.0) for item in rows.order_by("code")]
    hits = [
        ItemHit(item, s)
        for item in rows
        if (s := score(document_of(item), terms, filters.query)) > 0
    ]
    return sorted(hits, key=lambda hit: (-hit.score, hit.item.code))


# The process versions this server process knows to be stored, by database
# alias, process and digest. A stored version never changes, so asking the
# database again at every step of every application learns nothing. Only what
# a committed transaction stored or read is remembered (see
# do_record_process_version), so a row rolled back (a test's, say) is never
# taken for stored; a flush forgets everything (apps.py) and a lookup that
# misses forgets its version, so the next step stores it again.
_known_stored: set[tuple[str, str, str]] = set()
_known_stored_lock = threading.Lock()


def _version_key(process_id: str, digest: str) -> tuple[str, str, str]:
    return (router.db_for_write(ProcessVersion), process_id, digest)


def is_known_stored(process_id: str, digest: str) -> bool:
    """Whether this process has seen the version stored in the database in use."""
    key = _version_key(process_id, digest)
    with _known_stored_lock:
        return key in _known_stored


def remember_stored(process_id: str, digest: str) -> None:
    """Remember that the version is stored (call once its transaction has committed)."""
    key = _version_key(process_id, digest)
    with _known_stored_lock:
        _known_stored.add(key)


def forget_stored_process_versions() -> None:
    """Make this process ask the database again whether each version is stored."""
    with _known_stored_lock:
        _known_stored.clear()


def stored_process_files(process_id: str, digest: str) -> ProcessFiles | None:
    """Return the files of a stored process version, or None if it is not stored."""
    version = ProcessVersion.objects.filter(process_id=process_id, digest=digest).first()
    if version is None:
        key = _version_key(process_id, digest)
        with _known_stored_lock:
            _known_stored.discard(key)
        return None
    return ProcessFiles(
        process_id=version.process_id,
        bpmn=version.bpmn.encode("utf-8"),
        dmn={str(name): str(text).encode("utf-8") for name, text in version.dmn.items()},
    )
