"""Reading the catalog: search, the negative list, share decisions and DCAT."""

import enum
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import rjieba
from django.db.models import F, Max, Prefetch, QuerySet
from django.utils import timezone

from zhengtong.catalog.models import (
    RESOURCE_CODE_RE,
    Category,
    InformationItem,
    NegativeListReview,
    OpenAttribute,
    Resource,
    ResourceTransition,
    ShareAttribute,
    UpdateCycle,
)
from zhengtong.catalog.states import ResourceState
from zhengtong.core.models import Department

# How much a query word counts where it is found.
WEIGHTS = {"code": 10, "name": 5, "keywords": 3, "items": 2, "abstract": 1}

# The longest search text taken, by the API and the browse page alike: the
# scoring cuts every entry's texts for each word of the query, so an unbounded
# one costs time for no better match.
MAX_QUERY_LENGTH = 100


def published_resources() -> QuerySet[Resource]:
    return (
        Resource.objects.filter(state=ResourceState.PUBLISHED)
        .select_related("provider")
        .prefetch_related(Prefetch("items", queryset=InformationItem.objects.order_by("position")))
    )


def taken_codes(codes: Iterable[str]) -> set[str]:
    """Those of the codes that entries of the catalog already use."""
    return set(Resource.objects.filter(code__in=list(codes)).values_list("code", flat=True))


def folded(text: str) -> str:
    """The text as search compares it: NFKC-normalised and lower-cased.

    A Chinese input method in full-width mode types ＧＤＰ２０２４ for GDP2024;
    rjieba cuts full-width letters one by one, so without this such a query
    found nothing written in half width, and the other way round.
    """
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> set[str]:
    """The search words of a text: rjieba's search-mode cut of the folded text, without
    spaces and one-character punctuation."""
    return {
        word
        for word in rjieba.cut_for_search(folded(text))
        if word.strip() and (len(word) > 1 or word.isalnum())
    }


@dataclass(frozen=True, slots=True)
class SearchFilters:
    query: str = ""
    category: str = ""
    provider: str = ""
    share_attribute: str = ""


# The values each choice filter takes; an empty value means "any".
FILTER_CHOICES: dict[str, list[str]] = {
    "category": list(Category.values),
    "share_attribute": list(ShareAttribute.values),
}


def filter_problems(filters: SearchFilters) -> dict[str, str]:
    """The filters that can match nothing because their value is not one there is,
    by parameter name: ``invalid`` for a value not among the choices, ``unknown``
    for a department code no department has.

    A department that has published nothing yet is a valid provider: it is
    known, and its entries are simply none so far.
    """
    problems: dict[str, str] = {}
    if filters.category and filters.category not in FILTER_CHOICES["category"]:
        problems["category"] = "invalid"
    if filters.provider and not Department.objects.filter(code=filters.provider).exists():
        problems["provider"] = "unknown"
    if filters.share_attribute and filters.share_attribute not in FILTER_CHOICES["share_attribute"]:
        problems["share_attribute"] = "invalid"
    return problems


@dataclass(frozen=True, slots=True)
class Hit:
    resource: Resource
    score: int


def score(resource: Resource, words: set[str]) -> int:
    """Sum the weight of each field that contains each query word."""
    fields = {
        "name": resource.name,
        "keywords": resource.keywords,
        "items": " ".join(item.name for item in resource.items.all()),
        "abstract": resource.abstract,
    }
    cut = {name: (folded(text), tokens(text)) for name, text in fields.items()}
    # A code is found whole, the entry's or its classification's, never as a
    # part of one: every class has a sequence 000001.
    cut["code"] = ("", {resource.code, resource.classification})
    total = 0
    for word in words:
        for name, (text, field_words) in cut.items():
            if word in text or word in field_words:
                total += WEIGHTS[name]
    return total


def search_resources(filters: SearchFilters) -> list[Hit]:
    """Published entries matching the filters, best match first.

    The catalog of a city holds hundreds of entries, not millions, so the
    scoring runs over the filtered rows in Python.
    """
    rows = published_resources()
    if filters.category:
        rows = rows.filter(classification__startswith=filters.category)
    if filters.provider:
        rows = rows.filter(provider__code=filters.provider)
    if filters.share_attribute:
        rows = rows.filter(share_attribute=filters.share_attribute)
    words = tokens(filters.query)
    code = folded(filters.query).strip().replace("-", "/")
    if RESOURCE_CODE_RE.fullmatch(code):
        # Data officers look an entry up by its code, written with "/" or, as in
        # the entry's address, with "-"; cut into words at the "/", it would
        # find the other entries of its classification as well.
        words = {code}
    if not words and filters.query.strip():
        # A query of nothing but a punctuation mark or a symbol ("？", "%", an
        # emoji) has no word to look for. It finds nothing, as "？？" does,
        # rather than the whole catalog as if nothing had been asked.
        return []
    if not words:
        return [Hit(r, 0) for r in rows.order_by("code")]
    hits = [Hit(r, s) for r in rows if (s := score(r, words)) > 0]
    return sorted(hits, key=lambda hit: (-hit.score, hit.resource.code))


class Verdict(enum.StrEnum):
    OPEN = "open"  # any registered system may read it
    GRANT = "grant"  # needs a grant for the requesting system
    NEVER = "never"  # on the negative list, or the resource is not published
    UNKNOWN = "unknown"  # the resource has no such item


@dataclass(frozen=True, slots=True)
class ShareDecision:
    resource_code: str
    published: bool
    items: dict[str, Verdict] = field(default_factory=dict)

    @property
    def shareable(self) -> bool:
        return bool(self.items) and all(
            v in (Verdict.OPEN, Verdict.GRANT) for v in self.items.values()
        )

    @property
    def needs_grant(self) -> bool:
        return Verdict.GRANT in self.items.values()


_VERDICTS = {
    ShareAttribute.UNCONDITIONAL: Verdict.OPEN,
    ShareAttribute.CONDITIONAL: Verdict.GRANT,
    ShareAttribute.NONE: Verdict.NEVER,
}


def share_decision(resource: Resource, item_codes: Iterable[str]) -> ShareDecision:
    """Say for each requested item whether it is open, needs a grant or is never shared.

    The verdict follows the item's ``effective_share``, which the API shows
    too; a resource that is not published shares nothing.
    """
    codes = list(dict.fromkeys(item_codes))
    published = resource.state == ResourceState.PUBLISHED
    items = {item.code: item for item in resource.items.all()}
    verdicts: dict[str, Verdict] = {}
    for code in codes:
        item = items.get(code)
        if item is None:
            verdicts[code] = Verdict.UNKNOWN
        elif not published:
            verdicts[code] = Verdict.NEVER
        else:
            verdicts[code] = _VERDICTS[ShareAttribute(item.effective_share)]
    return ShareDecision(resource.code, published, verdicts)


@dataclass(frozen=True, slots=True)
class NegativeEntry:
    """One line of the negative list: a whole resource (item empty) or one item."""

    resource: Resource
    item: InformationItem | None
    legal_basis: str
    scope: str
    review_date: date | None
    # Whether the review date has come (today included): set by negative_list.
    review_due: bool = False
    # The id of the line's last periodic review, 0 before its first: a review
    # is recorded on the one its reviewer was shown (``stale_negative_review``).
    last_review_id: int = 0

    @property
    def fingerprint(self) -> str:
        """The line's content as listed, digested: a review is recorded on the
        content its reviewer was shown (``stale_negative_review``)."""
        return negative_line_fingerprint(self.item or self.resource)

    @property
    def missing(self) -> list[str]:
        """What the line lacks: entries published before a scope and a review date
        were required may have neither, and only the data bureau can have them
        completed."""
        blank = {
            "legal_basis": not self.legal_basis.strip(),
            "scope": not self.scope.strip(),
            "review_date": self.review_date is None,
        }
        return [name for name, is_blank in blank.items() if is_blank]

    @property
    def needs_attention(self) -> bool:
        return self.review_due or bool(self.missing)


def negative_list(*, providers: Iterable[int] | None = None) -> list[NegativeEntry]:
    """The 不予共享 resources and items of the published catalog (of the given
    provider departments, if any are given), each marked due for review once its
    review date has come."""
    today = timezone.localdate()
    entries: list[NegativeEntry] = []
    resources = published_resources().order_by("code")
    if providers is not None:
        resources = resources.filter(provider__in=list(providers))
    last_reviews = _last_review_ids(resources)
    for resource in resources:
        if resource.share_attribute == ShareAttribute.NONE:
            entries.append(
                NegativeEntry(
                    resource,
                    None,
                    resource.legal_basis,
                    resource.negative_scope,
                    resource.review_date,
                    _due(resource.review_date, today),
                    last_reviews.get((resource.pk, ""), 0),
                )
            )
            continue
        for item in resource.items.all():
            if item.share_attribute == ShareAttribute.NONE:
                entries.append(
                    NegativeEntry(
                        resource,
                        item,
                        item.legal_basis,
                        item.negative_scope,
                        item.review_date,
                        _due(item.review_date, today),
                        last_reviews.get((resource.pk, item.code), 0),
                    )
                )
    return entries


# Sixteen hexadecimal digits tell apart the few versions one line ever has.
FINGERPRINT_LENGTH = 16


def negative_line_fingerprint(line: Resource | InformationItem) -> str:
    """Digest what the negative list shows of a line: its name, legal basis, scope
    and review date.

    A review confirms these; a change of the entry applied while the reviewer's
    page was open (目录变更) may have replaced them, and the review would then
    confirm a line its reviewer never saw. Reviews themselves are told apart by
    the last review's id, which also recognises a form sent twice.
    """
    review_date = line.review_date.isoformat() if line.review_date else None
    shown = [line.name, line.legal_basis, line.negative_scope, review_date]
    text = json.dumps(shown, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def _last_review_ids(resources: QuerySet[Resource]) -> dict[tuple[int, str], int]:
    rows = (
        NegativeListReview.objects.filter(resource__in=resources.values("pk"))
        .values("resource_id", "item_code")
        .annotate(last=Max("pk"))
        .order_by()
    )
    return {(row["resource_id"], row["item_code"]): row["last"] for row in rows}


def last_negative_review_id(resource: Resource, item_code: str) -> int:
    """Return the id of the last periodic review of the line, 0 before its first."""
    last = (
        NegativeListReview.objects.filter(resource=resource, item_code=item_code)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return last or 0


def _due(review_date: date | None, today: date) -> bool:
    return review_date is not None and review_date <= today


def negative_line(resource: Resource, item_code: str) -> NegativeEntry | None:
    """The negative list's line of the resource (``item_code`` empty) or of one of
    its items, or None when it is not on the list."""
    for entry in negative_list(providers=[resource.provider_id]):
        code = entry.item.code if entry.item else ""
        if entry.resource.pk == resource.pk and code == item_code:
            return entry
    return None


def state_reason(resource: Resource) -> str:
    """The data bureau's reason for the entry's state: why its draft was returned
    or why it was retired; empty for any other state.

    The edits of a draft and the changes of a published entry keep the state
    and are passed over, so a returned draft still says why once edited.
    """
    last = (
        ResourceTransition.objects.filter(resource=resource)
        .exclude(from_state=F("to_state"))
        .order_by("-at", "-pk")
        .first()
    )
    if last is None or (last.from_state, last.to_state) not in _STEPS_WITH_A_REASON:
        return ""
    return last.reason


# The steps the data bureau takes with a reason: returning and retiring.
_STEPS_WITH_A_REASON = {
    (ResourceState.SUBMITTED, ResourceState.DRAFT),
    (ResourceState.PUBLISHED, ResourceState.RETIRED),
}


def negative_reviews(resource: Resource) -> QuerySet[NegativeListReview]:
    """The periodic reviews of the resource's negative-list lines, oldest first."""
    return resource.negative_reviews.order_by("at", "pk")


def negative_lines_needing_attention(providers: Iterable[int]) -> list[NegativeEntry]:
    """The negative list's lines of these departments that lack a legal basis, a
    scope or a review date, or whose review date has come."""
    return [e for e in negative_list(providers=providers) if e.needs_attention]


# dct:accrualPeriodicity values from the EU frequency vocabulary.
_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
FREQUENCIES = {
    UpdateCycle.REALTIME: "CONT",
    UpdateCycle.DAILY: "DAILY",
    UpdateCycle.WEEKLY: "WEEKLY",
    UpdateCycle.MONTHLY: "MONTHLY",
    UpdateCycle.QUARTERLY: "QUARTERLY",
    UpdateCycle.HALF_YEARLY: "ANNUAL_2",
    UpdateCycle.YEARLY: "ANNUAL",
    UpdateCycle.IRREGULAR: "IRREG",
}


# dct:accessRights values from the EU access-right vocabulary, which DCAT-AP requires.
_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_RIGHTS = {
    OpenAttribute.UNCONDITIONAL: "PUBLIC",
    OpenAttribute.CONDITIONAL: "RESTRICTED",
}

# What officers put between keywords: commas full-width or not, the enumeration
# comma 、 and semicolons. Spaces are kept, since a keyword may hold them.
_KEYWORD_SEPARATORS_RE = re.compile(r"[,，、;；]")


def open_resources() -> QuerySet[Resource]:
    """The published entries opened to the public.

    A 不予共享 entry is never among them, whatever its open attribute says:
    what no department may receive is not published to everybody. The
    actions refuse that combination; entries stored before the rule are held
    back here.
    """
    return (
        published_resources()
        .exclude(open_attribute=OpenAttribute.NONE)
        .exclude(share_attribute=ShareAttribute.NONE)
        .order_by("code")
    )


def dcat_catalog(base_url: str, resources: Sequence[Resource]) -> dict[str, Any]:
    """The open part of the published catalog as DCAT-AP JSON-LD."""
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": f"{base_url}/catalog/",
        "@type": "dcat:Catalog",
        "dct:title": {"@language": "zh", "@value": "政务信息资源目录（开放部分）"},
        "dcat:dataset": [_dataset(base_url, r) for r in resources],
    }


def _dataset(base_url: str, resource: Resource) -> dict[str, Any]:
    keywords = [k for k in _KEYWORD_SEPARATORS_RE.split(resource.keywords) if k.strip()]
    dataset: dict[str, Any] = {
        # The entry's page, whose address writes the code's "/" as "-".
        "@id": f"{base_url}/catalog/resource/{resource.slug}/",
        "@type": "dcat:Dataset",
        "dct:identifier": resource.code,
        "dct:title": {"@language": "zh", "@value": resource.name},
        "dct:description": {"@language": "zh", "@value": resource.abstract},
        "dct:publisher": {
            "@type": "foaf:Organization",
            "foaf:name": resource.provider.name,
            "dct:identifier": resource.provider_code,
        },
        "dcat:keyword": [k.strip() for k in keywords],
        "dct:accrualPeriodicity": {
            "@id": _FREQUENCY + FREQUENCIES[UpdateCycle(resource.update_cycle)]
        },
        "dcat:theme": resource.classification,
        "dct:accessRights": {
            "@id": _ACCESS_RIGHT + ACCESS_RIGHTS[OpenAttribute(resource.open_attribute)]
        },
    }
    if resource.publish_date is not None:
        dataset["dct:issued"] = {"@type": "xsd:date", "@value": resource.publish_date.isoformat()}
    return dataset
