"""Every change to the catalog: one action, one transaction, one ledger entry."""

import dataclasses
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.item_uses import items_in_use
from zhengtong.catalog.models import (
    ITEM_CODE_RE,
    DataType,
    InformationItem,
    NegativeListReview,
    OpenAttribute,
    Resource,
    ResourceFormat,
    ResourceRevision,
    ResourceTransition,
    Sensitivity,
    ShareAttribute,
    ShareMethod,
    UpdateCycle,
    is_resource_code,
)
from zhengtong.catalog.selectors import last_negative_review_id, negative_line_fingerprint
from zhengtong.catalog.states import (
    OPEN_REVISION_STATES,
    ResourceState,
    RevisionState,
    check_revision_transition,
    check_transition,
)
from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput, NotFound
from zhengtong.core.models import Department
from zhengtong.core.punctuation import listed
from zhengtong.ledger.actions import record_entry

SUBJECT = "catalog.Resource"


@dataclass(frozen=True, slots=True)
class ItemInput:
    code: str
    name: str
    data_type: str
    length: int | None = None
    is_personal: bool = False
    sensitivity: str = Sensitivity.INTERNAL
    share_attribute: str = ""
    legal_basis: str = ""
    negative_scope: str = ""
    review_date: date | None = None


@dataclass(frozen=True, slots=True)
class ResourceInput:
    """What a data officer fills in for one resource."""

    code: str
    name: str
    abstract: str
    format: str
    share_attribute: str
    open_attribute: str
    update_cycle: str
    keywords: str = ""
    share_conditions: str = ""
    share_method: str = ""
    open_conditions: str = ""
    legal_basis: str = ""
    negative_scope: str = ""
    review_date: date | None = None
    extension: dict[str, Any] = field(default_factory=dict)
    items: Sequence[ItemInput] = ()
    # Codes of related resources. Without ``sees`` (the platform's own loaders)
    # codes not (yet) in the catalog are skipped; with it, refused.
    related: Sequence[str] = ()


# Says whether the person making a change may see an entry; the interfaces
# pass ``lambda r: may_see(user, r)``.
Sees = Callable[[Resource], bool]

# Texts that hold more than one line; every other text is one line.
MULTILINE_FIELDS = frozenset({"abstract", "share_conditions", "open_conditions"})
# What a multi-line text may hold of the control characters: line breaks and tabs.
_LINE_BREAKS = frozenset("\n\r\t")
# Extension fields deeper than this are no catalog metadata; a deep value
# would also exhaust the JSON encoder's recursion on the way to the database.
MAX_EXTENSION_DEPTH = 20
# The most characters a spreadsheet cell holds: Excel's limit, which openpyxl
# enforces by cutting off the rest. A longer text would be exported cut short
# and come back changed from the workbook the officers fill in.
CELL_CAPACITY = 32_767
# One short of a full cell, so that a full cell read from a workbook can only
# be a text cut off there (``xlsx``).
MAX_CELL_TEXT = CELL_CAPACITY - 1


def resource_problems(data: ResourceInput) -> dict[str, str]:
    """Return field -> reason for everything wrong with the input (empty when valid)."""
    problems: dict[str, str] = {}
    if not is_resource_code(data.code) and is_resource_code(_half_width(data.code)):
        # Typed with a Chinese input method in full-width mode, the code looks
        # right and the general rule below would not say what is wrong.
        problems["code"] = str(_("资源代码须用半角数字和“/”填写，如 102000000/000001。"))
    elif not is_resource_code(data.code):
        problems["code"] = str(
            _(
                "资源代码应为“9位分类代码/6位顺序码”，如 102000000/000001："
                "基础信息资源的项为01至05，未用的层级为0，顺序码从000001起。"
            )
        )
    if not data.name.strip():
        problems["name"] = str(_("请填写资源名称。"))
    if not data.abstract.strip():
        problems["abstract"] = str(_("请填写资源摘要。"))
    choices = (
        ("format", data.format, ResourceFormat.values),
        ("share_attribute", data.share_attribute, ShareAttribute.values),
        ("open_attribute", data.open_attribute, OpenAttribute.values),
        ("update_cycle", data.update_cycle, UpdateCycle.values),
    )
    for name, value, allowed in choices:
        if value not in allowed:
            problems[name] = str(_("取值不在字典中。"))
    if data.share_method and data.share_method not in ShareMethod.values:
        problems["share_method"] = str(_("取值不在字典中。"))
    if data.share_attribute != ShareAttribute.NONE and not data.share_method:
        problems["share_method"] = str(_("可共享的资源须填写共享方式。"))
    if data.share_attribute in (
        ShareAttribute.CONDITIONAL,
        ShareAttribute.NONE,
    ) and not _cites_article(data.legal_basis):
        problems["legal_basis"] = str(
            _("有条件共享和不予共享须写明法律法规名称和条款，如《某某法》第十条。")
        )
    if data.share_attribute == ShareAttribute.CONDITIONAL and not data.share_conditions.strip():
        problems["share_conditions"] = str(_("有条件共享须写明共享条件。"))
    if data.open_attribute == OpenAttribute.CONDITIONAL and not data.open_conditions.strip():
        # The public learns from the entry on what terms it is opened; without
        # them 有条件开放 says nothing a reader could meet.
        problems["open_conditions"] = str(_("有条件开放须写明开放条件。"))
    if data.share_attribute == ShareAttribute.NONE:
        problems.update(_negative_list_problems(data.negative_scope, data.review_date))
    # A resource refused to every department is not opened to everybody: the
    # open data and the DCAT export would publish what the exchange withholds.
    if data.share_attribute == ShareAttribute.NONE and data.open_attribute in (
        OpenAttribute.UNCONDITIONAL,
        OpenAttribute.CONDITIONAL,
    ):
        problems["open_attribute"] = str(_("不予共享的资源只能不予开放。"))
    for name in _TEXT_FIELDS:
        reason = _unstorable_text(name, getattr(data, name))
        if reason is not None:
            problems.setdefault(name, reason)
    for name in ("name", "keywords", "legal_basis", "negative_scope"):
        reason = _too_long(Resource, name, getattr(data, name))
        if reason is not None:
            problems.setdefault(name, reason)
    for name in sorted(MULTILINE_FIELDS):
        # The one-line texts are held to their columns' lengths above.
        if len(getattr(data, name)) > MAX_CELL_TEXT:
            reason = str(_("不能超过%(most)d个字符。") % {"most": MAX_CELL_TEXT})
            problems.setdefault(name, reason)
    reason = _extension_problem(data.extension)
    if reason is not None:
        problems["extension"] = reason
    if not data.items:
        problems["items"] = str(_("至少需要一个信息项。"))
    seen: set[str] = set()
    for item in data.items:
        reason = item_problem(item, resource_share=data.share_attribute)
        if reason is None and item.code in seen:
            reason = str(_("信息项代码重复。"))
        if reason is not None:
            problems[f"items.{item.code or '?'}"] = reason
        seen.add(item.code)
    return problems


# The largest length a database's integer column keeps on every backend.
MAX_ITEM_LENGTH = 2_147_483_647


def item_length(digits: str) -> int:
    """Read a length written in decimal digits.

    A number of more digits than any allowed length is read as one past the
    largest, so that ``item_problems`` refuses it like any other too large a
    length; Python would not even convert one of over 4,300 digits.
    """
    if len(digits) > len(str(MAX_ITEM_LENGTH)):
        return MAX_ITEM_LENGTH + 1
    return int(digits)


_TEXT_FIELDS = (
    "code",
    "name",
    "abstract",
    "keywords",
    "share_conditions",
    "open_conditions",
    "legal_basis",
    "negative_scope",
)
_ITEM_TEXT_FIELDS = ("code", "name", "legal_basis", "negative_scope")
# The form shows each item as one line of columns separated by this; a value
# holding it would shift the later columns, and the entry could no longer be
# saved there unchanged.
ITEM_COLUMN_SEPARATOR = "|"


def item_separator_message() -> str:
    """Say that an item's text cannot hold the form's column separator."""
    return str(_("不能含有“|”（表单中用它分隔信息项的各列）。"))


def _item_line_problem(text: str) -> str | None:
    """Why a text cannot stand in an item's line of the form's items box, or None."""
    char = _in_one_line(text)
    if char is not None:
        return str(_("不能含有控制字符等不可见字符（%(char)s）。") % {"char": char})
    if ITEM_COLUMN_SEPARATOR in text:
        return item_separator_message()
    return None


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character of the text that no catalog text may hold, as U+XXXX, or None.

    Control characters (NUL included, which PostgreSQL's text refuses), lone
    surrogates and the non-characters U+FFFE and U+FFFF: none can be written to
    an XLSX sheet, and the control characters are invisible where they do harm.
    A multi-line text keeps its line breaks and tabs.
    """
    for char in text:
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff":
            return f"U+{ord(char):04X}"
    return None


def _in_one_line(text: str) -> str | None:
    """The first character of a text meant for one line of a form's box that ends the line.

    The boxes are read a line at a time (``str.splitlines``), which also ends
    a line at the line and paragraph separators U+2028 and U+2029; the other
    characters that end one are control characters, refused everywhere.
    """
    char = control_character(text)
    if char is not None:
        return char
    for char in text:
        if unicodedata.category(char) in ("Zl", "Zp"):
            return f"U+{ord(char):04X}"
    return None


def _unstorable_text(name: str, text: str) -> str | None:
    char = control_character(text, multiline=name in MULTILINE_FIELDS)
    if char is None:
        return None
    return str(_("不能含有控制字符等不可见字符（%(char)s）。") % {"char": char})


def _extension_problem(extension: dict[str, Any]) -> str | None:
    """Why the extension fields cannot be stored, or None.

    Walked without recursion, so that no nesting can exhaust the stack here.
    """
    for name in extension:
        if "=" in str(name):
            # The form shows each field as one 名称=值 line and reads the name up
            # to the first "=": such a name would come back as another name
            # and value the next time the entry is saved there.
            return str(_("扩展字段的名称不能含有“=”（表单中用它分隔名称和值）。"))
    stack: list[tuple[Any, int]] = [(extension, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_EXTENSION_DEPTH:
            return str(_("扩展字段嵌套不能超过%(most)d层。") % {"most": MAX_EXTENSION_DEPTH})
        if isinstance(value, dict):
            for key, inner in value.items():
                # A name is one line: the form shows each field as one 名称=值 line.
                char = _in_one_line(str(key)) if depth == 1 else control_character(str(key))
                if char is not None:
                    return str(
                        _("扩展字段的名称不能含有控制字符等不可见字符（%(char)s）。")
                        % {"char": char}
                    )
                stack.append((inner, depth + 1))
        elif isinstance(value, list):
            stack.extend((inner, depth + 1) for inner in value)
        elif isinstance(value, str):
            char = control_character(value, multiline=True)
            if char is not None:
                return str(
                    _("扩展字段的值不能含有控制字符等不可见字符（%(char)s）。") % {"char": char}
                )
    try:
        # Stored as JSON, which has no NaN or Infinity (Python's parser takes them).
        text = json.dumps(extension, allow_nan=False, ensure_ascii=False)
    except ValueError:
        return str(_("扩展字段的值不能是 NaN 或 Infinity。"))
    if len(text) > MAX_CELL_TEXT:
        # The workbook holds the extension fields as this JSON text in one cell.
        return str(_("扩展字段写成 JSON 不能超过%(most)d个字符。") % {"most": MAX_CELL_TEXT})
    return None


def _too_long(model: type[Resource | InformationItem], name: str, value: str) -> str | None:
    most = getattr(model._meta.get_field(name), "max_length", None)
    if isinstance(most, int) and len(value.strip()) > most:
        return str(_("不能超过%(most)d个字符。") % {"most": most})
    return None


def item_problem(item: ItemInput, *, resource_share: str = "") -> str | None:
    """The first thing wrong with an item, or None."""
    return next(iter(item_problems(item, resource_share=resource_share).values()), None)


def item_problems(item: ItemInput, *, resource_share: str = "") -> dict[str, str]:
    """Return field -> reason for everything wrong with one item (empty when valid).

    ``resource_share`` is the share attribute of the item's resource, where known.
    """
    problems: dict[str, str] = {}
    if not ITEM_CODE_RE.fullmatch(item.code) and ITEM_CODE_RE.fullmatch(_half_width(item.code)):
        problems["code"] = str(_("信息项代码须用半角字母、数字和 _ . - 填写。"))
    elif not ITEM_CODE_RE.fullmatch(item.code):
        problems["code"] = str(_("信息项代码只能由字母、数字和 _ . - 组成。"))
    if not item.name.strip():
        problems["name"] = str(_("请填写信息项名称。"))
    for name in _ITEM_TEXT_FIELDS:
        reason = _unstorable_text(name, getattr(item, name))
        if reason is None:
            reason = _item_line_problem(getattr(item, name))
        if reason is not None:
            problems.setdefault(name, reason)
    for name in _ITEM_TEXT_FIELDS:
        reason = _too_long(InformationItem, name, getattr(item, name))
        if reason is not None:
            problems.setdefault(name, reason)
    if item.data_type not in DataType.values:
        problems["data_type"] = str(_("数据类型应为 C、N、D、T、B 或 BY。"))
    if item.length is not None and not 1 <= item.length <= MAX_ITEM_LENGTH:
        problems["length"] = str(
            _("数据长度应为1至%(most)d之间的整数。") % {"most": MAX_ITEM_LENGTH}
        )
    if item.sensitivity not in Sensitivity.values:
        problems["sensitivity"] = str(_("敏感级别不在字典中。"))
    if item.share_attribute and item.share_attribute not in ShareAttribute.values:
        problems["share_attribute"] = str(_("取值不在字典中。"))
    if item.share_attribute in (
        ShareAttribute.CONDITIONAL,
        ShareAttribute.NONE,
    ) and not _cites_article(item.legal_basis):
        problems["legal_basis"] = str(
            _("有条件共享和不予共享须写明法律法规名称和条款，如《某某法》第十条。")
        )
    if item.share_attribute == ShareAttribute.NONE:
        for name, reason in _negative_list_problems(item.negative_scope, item.review_date).items():
            problems.setdefault(name, reason)
    reason = item_share_problem(item, resource_share)
    if reason is not None:
        problems.setdefault("share_attribute", reason)
    return problems


def item_share_problem(item: ItemInput, resource_share: str) -> str | None:
    """Why the item's share attribute cannot stand in a resource shared as ``resource_share``.

    Nothing of a 不予共享 resource is shared (``InformationItem.effective_share``),
    so an item of it marked shared would say what the exchange never does, as
    a 不予共享 resource marked 开放 would.
    """
    if resource_share == ShareAttribute.NONE and item.share_attribute in (
        ShareAttribute.UNCONDITIONAL,
        ShareAttribute.CONDITIONAL,
    ):
        return str(_("不予共享的资源中，信息项只能不予共享或同资源。"))
    return None


def _negative_list_problems(scope: str, review_date: date | None) -> dict[str, str]:
    # Each line of the negative list (负面清单) says what is refused, on which
    # legal basis (checked with the other cross-field rules), how far and
    # until when; the list is incomplete without the scope and review date.
    problems: dict[str, str] = {}
    if not scope.strip():
        problems["negative_scope"] = str(_("不予共享须写明不予共享范围。"))
    if review_date is None:
        problems["review_date"] = str(_("不予共享须填写复核日期。"))
    return problems


# An article: 第 and a number in Chinese or Arabic numerals, then 条. The 条
# alone is no citation, since it also ends the names of regulations (条例).
_ARTICLE_RE = re.compile(r"第[〇零一二两三四五六七八九十百千0-9０-９]+条")


def _cites_article(text: str) -> bool:
    """A legal basis names the law or regulation and the article it relies on."""
    text = text.strip()
    article = _ARTICLE_RE.search(text)
    # The law's name comes before its first article.
    return article is not None and len(text[: article.start()].strip()) >= 2


def _half_width(text: str) -> str:
    """The text with full-width letters, digits and punctuation written in half width."""
    return unicodedata.normalize("NFKC", text)


def _check(data: ResourceInput) -> None:
    problems = resource_problems(data)
    if problems:
        raise InvalidInput(_("目录内容不完整或不符合要求。"), detail={"fields": problems})


# A review date (复核日期) says when a refusal is next looked at; one set to a day
# already gone would put the line on the list overdue from the start. Only a
# date the officer sets or changes is checked, against the entry as it stood:
# an entry whose date passed while it was stored stays loadable and editable
# (fixing a typo does not need the refusal reviewed first), and is shown as
# due on the negative list until the data bureau's periodic review sets the
# next date.
PAST_REVIEW_DATE = "review_date_in_past"


def review_date_passed(review_date: date | None, kept: date | None = None) -> bool:
    """Whether a review date being set is before today (in the platform's time zone)."""
    return review_date is not None and review_date != kept and review_date < timezone.localdate()


def review_date_problems(
    data: ResourceInput, before: ResourceInput | None = None
) -> dict[str, str]:
    """Return field -> reason for each review date set before today (empty when none is).

    ``before`` is the entry as it stood; a date it held already is not checked.
    """
    problems: dict[str, str] = {}
    if review_date_passed(data.review_date, before.review_date if before else None):
        problems["review_date"] = str(_("复核日期不能早于今天。"))
    kept = {item.code: item.review_date for item in before.items} if before else {}
    for item in data.items:
        if review_date_passed(item.review_date, kept.get(item.code)):
            problems[f"items.{item.code}"] = str(
                _("信息项“%(code)s”的复核日期不能早于今天。") % {"code": item.code}
            )
    return problems


def _check_edit(data: ResourceInput, before: ResourceInput | None) -> None:
    """Check what an officer saves: the entry's rules and the review dates set or changed.

    Refused only for a review date in the past, the code says so
    (``review_date_in_past``); with other problems it is ``invalid_input``, all
    of them in ``detail.fields`` so that a form shows them at once.
    """
    problems = resource_problems(data)
    passed = review_date_problems(data, before)
    for name, reason in passed.items():
        problems.setdefault(name, reason)
    if problems:
        only_dates = all(passed.get(name) == reason for name, reason in problems.items())
        raise InvalidInput(
            _("目录内容不完整或不符合要求。"),
            code=PAST_REVIEW_DATE if only_dates else None,
            detail={"fields": problems},
        )


def _fill(resource: Resource, data: ResourceInput) -> None:
    resource.code = data.code
    resource.classification = data.code.split("/")[0]
    resource.name = data.name.strip()
    resource.abstract = data.abstract.strip()
    resource.keywords = data.keywords.strip()
    resource.format = data.format
    resource.share_attribute = data.share_attribute
    resource.share_conditions = data.share_conditions
    resource.share_method = data.share_method
    resource.open_attribute = data.open_attribute
    resource.open_conditions = data.open_conditions
    resource.update_cycle = data.update_cycle
    resource.legal_basis = data.legal_basis.strip()
    resource.negative_scope = data.negative_scope.strip()
    resource.review_date = data.review_date
    resource.extension = dict(data.extension)


def _save_items(resource: Resource, items: Sequence[ItemInput]) -> None:
    resource.items.all().delete()
    InformationItem.objects.bulk_create(
        InformationItem(
            resource=resource,
            position=n,
            code=item.code,
            name=item.name.strip(),
            data_type=item.data_type,
            length=item.length,
            is_personal=item.is_personal,
            sensitivity=item.sensitivity,
            share_attribute=item.share_attribute,
            legal_basis=item.legal_basis.strip(),
            negative_scope=item.negative_scope.strip(),
            review_date=item.review_date,
        )
        for n, item in enumerate(items)
    )


def unknown_related(codes: Sequence[str], sees: Sees, known: Collection[str] = ()) -> list[str]:
    """Those of the codes that name no entry the person may see, nor one of ``known``."""
    wanted = [code for code in dict.fromkeys(codes) if code not in known]
    found = Resource.objects.filter(code__in=wanted).select_related("provider__region")
    seen = {r.code for r in found if sees(r)}
    return [code for code in wanted if code not in seen]


def unknown_related_message(codes: Sequence[str]) -> str:
    """Say that the codes are not in the catalog, as the form, the API and the workbook do."""
    return str(_("目录中没有这些资源：%(codes)s。") % {"codes": listed(codes)})


def _refuse_unknown_related(
    codes: Sequence[str], sees: Sees | None, known: Collection[str] = ()
) -> None:
    # An entry the person may not see (another department's draft) answers
    # as a code not in the catalog, so that nobody learns which drafts exist.
    if sees is None:
        return
    unknown = unknown_related(codes, sees, known)
    if unknown:
        raise InvalidInput(
            _("目录内容不完整或不符合要求。"),
            detail={"fields": {"related": unknown_related_message(unknown)}},
        )


def _link_related(resource: Resource, codes: Sequence[str], sees: Sees | None) -> None:
    """Set the entries this one names as related; the named entries are not changed."""
    linked = list(Resource.objects.filter(code__in=codes).exclude(pk=resource.pk))
    if sees is not None:
        # The editor was never shown the links to entries it may not see (links
        # stored both ways before they belonged to the entry naming them, to
        # another department's draft), so its list cannot name them; they stay.
        hidden = resource.related.select_related("provider__region")
        linked += [r for r in hidden if not sees(r) and r not in linked]
    resource.related.set(linked)


def _refuse_taken_code(code: str, resource: Resource | None = None) -> None:
    if _code_taken(code, resource):
        raise _code_taken_error(code)


def _code_taken(code: str, resource: Resource | None = None) -> bool:
    taken = Resource.objects.filter(code=code)
    if resource is not None:
        taken = taken.exclude(pk=resource.pk)
    return taken.exists()


def _code_taken_error(code: str) -> Conflict:
    return Conflict(_("该资源代码已被使用。"), code="code_taken", detail={"code": code})


def _create(provider: Department, data: ResourceInput, actor: Actor) -> Resource:
    resource = Resource(provider=provider, provider_code=provider.credit_code)
    _fill(resource, data)
    resource.save()
    _save_items(resource, data.items)
    _link_related(resource, data.related, None)
    _transition_row(resource, "", ResourceState.DRAFT, "", actor)
    return resource


def do_create_resource(
    provider: Department, data: ResourceInput, *, actor: Actor, sees: Sees | None = None
) -> Resource:
    """Create a draft entry of the provider department; ``sees`` bounds its related entries."""
    _check_edit(data, None)
    try:
        with transaction.atomic(durable=True):
            _refuse_taken_code(data.code)
            _refuse_unknown_related(data.related, sees)
            resource = _create(provider, data, actor)
            record_entry(
                actor=actor,
                action="catalog.create_resource",
                subject_type=SUBJECT,
                subject_id=resource.pk,
                data={"code": resource.code, "provider": provider.code, "items": len(data.items)},
            )
    except IntegrityError as error:
        # Another creation took the code between the check and the insert;
        # its transaction was not yet committed when the check looked.
        if _code_taken(data.code):
            raise _code_taken_error(data.code) from error
        raise
    return resource


def do_update_resource(
    resource: Resource,
    data: ResourceInput,
    *,
    actor: Actor,
    sees: Sees | None = None,
    department_code: str | None = None,
    version: int | None = None,
) -> Resource:
    """Replace a draft's content (items included); only drafts are edited.

    With ``sees``, related entries the editor may not see are refused when
    named and kept when linked already. ``department_code`` is the provider
    the editor named, where the interface asks for one: the provider is the
    entry's for good, and another is refused (``department_fixed``). With
    ``version``, the version of the draft the editor was shown, a draft saved
    since (``stale_draft``) is not written over.
    """
    _refuse_other_provider(resource, department_code)
    _check_edit(data, _stored_input(resource))
    try:
        with transaction.atomic(durable=True):
            locked = Resource.objects.select_for_update().get(pk=resource.pk)
            if locked.state != ResourceState.DRAFT:
                raise Conflict(_("只有草稿可以修改。"), code="not_draft")
            if version is not None and version != locked.version:
                raise Conflict(
                    _("这份草稿在您打开之后已被修改并保存，本次保存未生效。"),
                    code="stale_draft",
                    detail={"version": locked.version, "given": version},
                )
            _refuse_taken_code(data.code, locked)
            _refuse_unknown_related(data.related, sees)
            _fill(locked, data)
            locked.version += 1
            locked.save()
            _save_items(locked, data.items)
            _link_related(locked, data.related, sees)
            # Every edit is a step of the history, draft to draft, as the others are.
            _transition_row(locked, ResourceState.DRAFT, ResourceState.DRAFT, "", actor)
            record_entry(
                actor=actor,
                action="catalog.update_resource",
                subject_type=SUBJECT,
                subject_id=locked.pk,
                data={"code": locked.code, "items": len(data.items)},
            )
    except IntegrityError as error:
        # A creation took the new code between the check and the save.
        if _code_taken(data.code, resource):
            raise _code_taken_error(data.code) from error
        raise
    return locked


def _refuse_other_provider(resource: Resource, department_code: str | None) -> None:
    # The provider answers for the entry and its data; an entry moved to
    # another department would carry the first one's published history,
    # reviews and grants. Another department catalogues its own entry.
    if department_code is None or department_code == resource.provider.code:
        return
    message = str(_("提供方部门不能修改：其他部门的资源须由该部门另行编目。"))
    raise InvalidInput(
        message, code="department_fixed", detail={"fields": {"department_code": message}}
    )


def do_import_resources(
    provider: Department,
    rows: Sequence[ResourceInput],
    *,
    actor: Actor,
    sees: Sees | None = None,
) -> list[Resource]:
    """Create drafts from checked rows of an uploaded workbook, as one change."""
    for data in rows:
        _check_edit(data, None)
    try:
        with transaction.atomic(durable=True):
            for data in rows:
                _refuse_taken_code(data.code)
            batch = {data.code for data in rows}
            _refuse_unknown_related([c for data in rows for c in data.related], sees, batch)
            made = [_create(provider, data, actor) for data in rows]
            # A row may name a resource of a later row; link once all of them exist.
            for resource, data in zip(made, rows, strict=True):
                resource.related.set(
                    Resource.objects.filter(code__in=data.related).exclude(pk=resource.pk)
                )
            record_entry(
                actor=actor,
                action="catalog.import_resources",
                subject_type="core.Department",
                subject_id=provider.pk,
                data={"codes": [r.code for r in made]},
            )
    except IntegrityError as error:
        # Another creation or import took a code between the check and the insert.
        taken = [data.code for data in rows if _code_taken(data.code)]
        if taken:
            raise _code_taken_error(taken[0]) from error
        raise
    return made


def _transition_row(
    resource: Resource, from_state: str, to_state: str, reason: str, actor: Actor
) -> ResourceTransition:
    return ResourceTransition.objects.create(
        resource=resource,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        actor_ref=actor.ref,
        actor_label=actor.label,
        at=timezone.now(),
    )


def _move(
    resource: Resource,
    target: str,
    actor: Actor,
    *,
    reason: str = "",
    version: int | None = None,
) -> Resource:
    with transaction.atomic(durable=True):
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        step = check_transition(locked.state, target)
        if step == "submit":
            # A draft saved before a rule was made (the negative list's scope
            # and review date, say) goes to review only once it meets them all;
            # a review date still to come when it was saved may have passed
            # since, and would put its line on the negative list overdue.
            _check_edit(_stored_input(locked), None)
        if step == "review":
            _refuse_own_submission(locked, actor)
            _refuse_unseen(
                locked.version,
                version,
                _("这条目录在您打开之后已被修改，本次审核未生效；请查看修改后的内容再审核。"),
            )
        _transition_row(locked, locked.state, target, reason, actor)
        locked.state = target
        if target == ResourceState.PUBLISHED:
            locked.publish_date = timezone.localdate()
        locked.save(update_fields=["state", "publish_date", "updated_at"])
        data: dict[str, Any] = {"code": locked.code, "state": target}
        if reason:
            data["reason"] = reason
        if step == "retire":
            closed = _discard_open_revision(locked)
            if closed is not None:
                data["discarded_revision"] = closed.pk
        record_entry(
            actor=actor,
            action=f"catalog.{step}_resource",
            subject_type=SUBJECT,
            subject_id=locked.pk,
            data=data,
        )
    return locked


def _discard_open_revision(resource: Resource) -> ResourceRevision | None:
    """Discard the retired entry's open change, drafted or submitted.

    A change of an entry no longer published can be neither submitted nor
    applied; left open, it would wait on the workbenches for ever.
    """
    revision = (
        ResourceRevision.objects.select_for_update()
        .filter(resource=resource, state__in=OPEN_REVISION_STATES)
        .first()
    )
    if revision is None:
        return None
    revision.state = RevisionState.DISCARDED
    revision.save(update_fields=["state", "updated_at"])
    return revision


def _stored_input(resource: Resource) -> ResourceInput:
    """The entry as it is stored, in the shape the checks read."""
    return ResourceInput(
        code=resource.code,
        name=resource.name,
        abstract=resource.abstract,
        format=resource.format,
        share_attribute=resource.share_attribute,
        open_attribute=resource.open_attribute,
        update_cycle=resource.update_cycle,
        keywords=resource.keywords,
        share_conditions=resource.share_conditions,
        share_method=resource.share_method,
        open_conditions=resource.open_conditions,
        legal_basis=resource.legal_basis,
        negative_scope=resource.negative_scope,
        review_date=resource.review_date,
        extension=resource.extension,
        items=[
            ItemInput(
                code=item.code,
                name=item.name,
                data_type=item.data_type,
                length=item.length,
                is_personal=item.is_personal,
                sensitivity=item.sensitivity,
                share_attribute=item.share_attribute,
                legal_basis=item.legal_basis,
                negative_scope=item.negative_scope,
                review_date=item.review_date,
            )
            for item in resource.items.order_by("position")
        ],
    )


def _refuse_own_submission(resource: Resource, actor: Actor) -> None:
    # Four eyes: whoever submitted an entry does not also approve it. The
    # platform's own loaders (system actors) are nobody's reviewer.
    if actor.kind != "user":
        return
    last = resource.transitions.order_by("-at", "-pk").first()
    if last is not None and last.actor_ref == actor.ref:
        raise Conflict(_("提交人不能审核自己提交的目录。"), code="own_submission")


def do_submit_resource(resource: Resource, *, actor: Actor) -> Resource:
    return _move(resource, ResourceState.SUBMITTED, actor)


def do_review_resource(resource: Resource, *, actor: Actor, version: int | None = None) -> Resource:
    """Approve a submitted entry; with ``version``, the version of the draft the
    reviewer was shown, an entry edited since (``stale_review``) is not approved."""
    return _move(resource, ResourceState.REVIEWED, actor, version=version)


def _refuse_unseen(current: int, shown: int | None, message: str | Promise) -> None:
    # Returned by another reviewer, edited and submitted again while the page
    # was open: an approval would be of content its reviewer never saw.
    if shown is not None and shown != current:
        raise Conflict(
            message,
            code="stale_review",
            detail={"version": current, "given": shown},
        )


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    most = ResourceTransition._meta.get_field("reason").max_length
    assert isinstance(most, int)
    if len(reason) > most:
        message = str(_("理由不能超过%(most)d个字符。") % {"most": most})
        raise InvalidInput(
            message, code="reason_too_long", detail={"fields": {"reason": message}, "most": most}
        )
    char = control_character(reason, multiline=True)
    if char is not None:
        message = str(_("理由不能含有控制字符等不可见字符（%(char)s）。") % {"char": char})
        raise InvalidInput(message, detail={"fields": {"reason": message}})
    return reason


def do_return_resource(resource: Resource, reason: str, *, actor: Actor) -> Resource:
    """Send a submitted entry back to its department's draft, saying why."""
    if not reason.strip():
        raise InvalidInput(_("退回须说明理由。"), code="reason_required")
    return _move(resource, ResourceState.DRAFT, actor, reason=_checked_reason(reason))


def do_publish_resource(resource: Resource, *, actor: Actor) -> Resource:
    return _move(resource, ResourceState.PUBLISHED, actor)


def do_retire_resource(resource: Resource, reason: str, *, actor: Actor) -> Resource:
    """Take a published entry out of the catalog, saying why, discarding its open change if any."""
    # Departments reading the entry through the exchange lose it: the
    # provider and they learn from the history why, as for a return.
    if not reason.strip():
        raise InvalidInput(_("下架须说明理由。"), code="reason_required")
    return _move(resource, ResourceState.RETIRED, actor, reason=_checked_reason(reason))


@dataclass(frozen=True, slots=True)
class NegativeReviewInput:
    """The data bureau's periodic review of one line of the negative list."""

    legal_basis: str
    scope: str
    review_date: date | None
    note: str = ""


def negative_review_problems(data: NegativeReviewInput, *, item: bool = False) -> dict[str, str]:
    """Return field -> reason for everything wrong with a review (empty when valid).

    ``item`` says the line is an item's, whose texts the items box shows as columns.
    """
    problems: dict[str, str] = {}
    if item:
        # Whatever an item's line of the form's items box cannot hold: a bar,
        # and a line or paragraph separator, which would end the line there.
        for name in ("legal_basis", "scope"):
            reason = _item_line_problem(getattr(data, name))
            if reason is not None:
                problems[name] = reason
    if not _cites_article(data.legal_basis):
        problems["legal_basis"] = str(_("不予共享须写明法律法规名称和条款，如《某某法》第十条。"))
    problems.update(
        {
            ("scope" if name == "negative_scope" else name): reason
            for name, reason in _negative_list_problems(data.scope, data.review_date).items()
        }
    )
    if data.review_date is not None and data.review_date <= timezone.localdate():
        # A review sets when the refusal is next looked at; a date already come
        # would leave the line due the moment it is reviewed.
        problems["review_date"] = str(_("下次复核日期须晚于今天。"))
    fields = (
        ("legal_basis", "legal_basis", data.legal_basis),
        ("scope", "negative_scope", data.scope),
        ("note", "note", data.note),
    )
    for name, column, value in fields:
        char = control_character(value, multiline=name == "note")
        most = getattr(NegativeListReview._meta.get_field(column), "max_length", None)
        if char is not None:
            reason = str(_("不能含有控制字符等不可见字符（%(char)s）。") % {"char": char})
            problems.setdefault(name, reason)
        elif isinstance(most, int) and len(value.strip()) > most:
            problems.setdefault(name, str(_("不能超过%(most)d个字符。") % {"most": most}))
    return problems


def do_review_negative_line(
    resource: Resource,
    item_code: str,
    data: NegativeReviewInput,
    *,
    actor: Actor,
    last_review: int | None = None,
    fingerprint: str | None = None,
) -> NegativeListReview:
    """Record the periodic review of a published negative-list line: the whole
    resource (``item_code`` empty) or one of its items refused on its own.

    The line's legal basis, scope and next review date become the reviewed
    ones; what is shared does not change. ``last_review`` is the id of the
    line's last review the reviewer was shown (0 for none): a review recorded
    since is not written over (``stale_negative_review``), unless it is this
    very review by the same reviewer, sent again, which is answered with
    the review already recorded. ``fingerprint`` is the line's fingerprint as
    the reviewer was shown it (``selectors.negative_line_fingerprint``): a
    line whose content changed since (a change of the entry applied
    meanwhile) is not confirmed (``stale_negative_review``), and a line taken
    off the list since is refused as such (``not_on_negative_list``). Without
    them the review is unconditional.
    """
    problems = negative_review_problems(data, item=bool(item_code))
    if problems:
        # The same code as a review date set in the past on the entry, when that
        # is all that is wrong.
        only_date = set(problems) == {"review_date"} and data.review_date is not None
        raise InvalidInput(
            _("复核内容不完整或不符合要求。"),
            code=PAST_REVIEW_DATE if only_date else None,
            detail={"fields": problems},
        )
    assert data.review_date is not None
    with transaction.atomic(durable=True):
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        if locked.state != ResourceState.PUBLISHED:
            raise Conflict(_("只有已发布的目录可以复核负面清单。"), code="not_published")
        # A reviewer who was shown the line learns that it left the list since
        # (made shareable, or its item taken out, by a change applied meanwhile),
        # where "not found" would read as a mistyped address.
        shown = fingerprint is not None
        line: Resource | InformationItem
        if not item_code:
            if locked.share_attribute != ShareAttribute.NONE:
                raise _not_on_negative_list(since_shown=shown)
            line = locked
        else:
            item = locked.items.filter(code=item_code).first()
            if item is None and shown:
                raise _not_on_negative_list(since_shown=True)
            if item is None:
                raise NotFound(_("该资源没有这个信息项。"), code="unknown_item")
            # An item of a 不予共享 resource is refused with the whole resource,
            # on the resource's line.
            if (
                item.share_attribute != ShareAttribute.NONE
                or locked.share_attribute == ShareAttribute.NONE
            ):
                raise _not_on_negative_list(since_shown=shown)
            line = item
        current = last_negative_review_id(locked, item_code)
        if last_review is not None and last_review != current:
            repeated = _same_review_again(locked, item_code, last_review, data, actor)
            if repeated is not None:
                return repeated
            raise Conflict(
                _("这一项在您打开之后已有人复核并保存，本次复核未生效。"),
                code="stale_negative_review",
                detail={"last_review": current, "given": last_review},
            )
        as_it_stands = negative_line_fingerprint(line)
        if fingerprint is not None and fingerprint != as_it_stands:
            raise Conflict(
                _("这一项的内容在您打开之后已有改动，本次复核未生效；请查看改动后的内容再复核。"),
                code="stale_negative_review",
                detail={"fingerprint": as_it_stands, "given": fingerprint},
            )
        previous = line.review_date
        before = {
            "legal_basis": line.legal_basis,
            "negative_scope": line.negative_scope,
            "review_date": previous.isoformat() if previous else None,
        }
        line.legal_basis = data.legal_basis.strip()
        line.negative_scope = data.scope.strip()
        line.review_date = data.review_date
        line.save(update_fields=["legal_basis", "negative_scope", "review_date"])
        # The entry's content changed: a reader holding the version learns it.
        locked.version += 1
        locked.save(update_fields=["version", "updated_at"])
        revision = _carry_review_into_revision(
            locked,
            item_code,
            before,
            {
                "legal_basis": line.legal_basis,
                "negative_scope": line.negative_scope,
                "review_date": data.review_date.isoformat(),
            },
        )
        review = NegativeListReview.objects.create(
            resource=locked,
            item_code=item_code,
            legal_basis=line.legal_basis,
            negative_scope=line.negative_scope,
            review_date=data.review_date,
            previous_review_date=previous,
            note=data.note.strip(),
            actor_ref=actor.ref,
            actor_label=actor.label,
            at=timezone.now(),
        )
        record_entry(
            actor=actor,
            action="catalog.review_negative_line",
            subject_type=SUBJECT,
            subject_id=locked.pk,
            data={
                "code": locked.code,
                "item": item_code,
                "review_date": data.review_date.isoformat(),
                "previous_review_date": previous.isoformat() if previous else None,
                **({"revision": revision.pk} if revision is not None else {}),
            },
        )
    return review


def _same_review_again(
    resource: Resource, item_code: str, shown: int, data: NegativeReviewInput, actor: Actor
) -> NegativeListReview | None:
    """The review recorded since ``shown`` when it is the only one and says what
    ``data`` says, by the same reviewer: the same form sent twice (a double
    click, a resent request), not a second review."""
    since = list(
        NegativeListReview.objects.filter(
            resource=resource, item_code=item_code, pk__gt=shown
        ).order_by("pk")[:2]
    )
    if len(since) != 1:
        return None
    review = since[0]
    same = (
        review.actor_ref == actor.ref
        and review.legal_basis == data.legal_basis.strip()
        and review.negative_scope == data.scope.strip()
        and review.review_date == data.review_date
        and review.note == data.note.strip()
    )
    return review if same else None


def _carry_review_into_revision(
    resource: Resource, item_code: str, before: dict[str, Any], after: dict[str, Any]
) -> ResourceRevision | None:
    """Give the entry's open change the reviewed values of the fields it left as they were.

    The change holds the whole entry as it stood when it was opened; applied
    as it is, it would put back the values this review replaced. A field the
    change's officers did change keeps their value, which the data bureau
    then sees beside the reviewed one before applying.
    """
    revision = (
        ResourceRevision.objects.select_for_update()
        .filter(resource=resource, state__in=OPEN_REVISION_STATES)
        .first()
    )
    if revision is None:
        return None
    content = dict(revision.content)
    line: dict[str, Any] | None = content
    if item_code:
        items = [dict(item) for item in content.get("items", [])]
        line = next((item for item in items if item.get("code") == item_code), None)
        content["items"] = items
    if line is None:
        # The change takes the item out: nothing of it to carry.
        return None
    carried = False
    for name, value in after.items():
        stored = line.get(name)
        if (stored.strip() if isinstance(stored, str) else stored) == before[name]:
            line[name] = value
            carried = True
    if not carried:
        return None
    revision.content = content
    # An editor who loaded the change before the review would put the
    # replaced values back on saving: the review is a save of its own.
    revision.version += 1
    revision.save(update_fields=["content", "version", "updated_at"])
    return revision


def _not_on_negative_list(*, since_shown: bool = False) -> Conflict:
    if since_shown:
        message = _("这一项在您打开之后已不在负面清单上（已改为可共享或已删去），本次复核未生效。")
    else:
        message = _("这一项不在负面清单上。")
    return Conflict(message, code="not_on_negative_list")


# --- changes of published entries (目录变更) ------------------------------------------

REVISION_SUBJECT = "catalog.ResourceRevision"


def input_as_json(data: ResourceInput) -> dict[str, Any]:
    """The input as a revision stores it (dates as ISO text)."""
    content = dataclasses.asdict(data)
    content["review_date"] = data.review_date.isoformat() if data.review_date else None
    content["related"] = list(data.related)
    for item, stored in zip(data.items, content["items"], strict=True):
        stored["review_date"] = item.review_date.isoformat() if item.review_date else None
    return content


def input_from_json(content: dict[str, Any]) -> ResourceInput:
    """A revision's stored content as an input the checks read."""
    values = dict(content)
    items = [
        ItemInput(
            **{
                **item,
                "review_date": date.fromisoformat(item["review_date"])
                if item.get("review_date")
                else None,
            }
        )
        for item in values.pop("items", [])
    ]
    review = values.get("review_date")
    values["review_date"] = date.fromisoformat(review) if review else None
    values["related"] = tuple(values.get("related", ()))
    return ResourceInput(**values, items=items)


def stored_input(resource: Resource) -> ResourceInput:
    """The published entry as it stands, related entries included."""
    current = _stored_input(resource)
    related = tuple(resource.related.order_by("code").values_list("code", flat=True))
    return dataclasses.replace(current, related=related)


def _revision_record(revision: ResourceRevision, step: str, actor: Actor, **data: Any) -> None:
    record_entry(
        actor=actor,
        action=f"catalog.{step}_revision",
        subject_type=REVISION_SUBJECT,
        subject_id=revision.pk,
        data={"code": revision.resource.code, "state": revision.state, **data},
    )


def do_open_revision(resource: Resource, *, actor: Actor) -> ResourceRevision:
    """Start a change of a published entry, from the entry as it stands."""
    with transaction.atomic(durable=True):
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        if locked.state != ResourceState.PUBLISHED:
            raise Conflict(_("只有已发布的目录可以变更。"), code="not_published")
        if locked.revisions.filter(state__in=OPEN_REVISION_STATES).exists():
            raise Conflict(_("这条目录已有一项未完成的变更。"), code="revision_open")
        revision = ResourceRevision.objects.create(
            resource=locked,
            content=input_as_json(stored_input(locked)),
            opened_by_ref=actor.ref,
        )
        _revision_record(revision, "open", actor)
    return revision


def _locked_revision(revision: ResourceRevision) -> ResourceRevision:
    # The entry's row first, then the change's, in the order the other actions
    # take them (the negative-list review locks the entry, then its change),
    # so that two of them never wait for each other.
    resource = Resource.objects.select_for_update().get(pk=revision.resource_id)
    locked = ResourceRevision.objects.select_for_update().get(pk=revision.pk)
    locked.resource = resource
    return locked


def do_update_revision(
    revision: ResourceRevision,
    data: ResourceInput,
    *,
    actor: Actor,
    sees: Sees | None = None,
    version: int | None = None,
    department_code: str | None = None,
) -> ResourceRevision:
    """Replace a draft change's content; the resource code is the entry's and stays.

    With ``sees``, related entries the editor may not see are refused when
    named and kept when linked already, as for drafts. With ``version``, the
    version of the change the editor was shown, a change saved since
    (``stale_revision``) is not written over. ``department_code``, where the
    interface asks for one, must be the entry's provider (``department_fixed``).
    """
    _refuse_other_provider(revision.resource, department_code)
    if data.code != revision.resource.code:
        message = str(_("变更不能修改资源代码：代码不同的是另一条目录。"))
        raise InvalidInput(message, code="code_fixed", detail={"fields": {"code": message}})
    # Dates are checked against the published entry: the change proposes them.
    _check_edit(data, _stored_input(revision.resource))
    with transaction.atomic(durable=True):
        locked = _locked_revision(revision)
        if locked.state != RevisionState.DRAFT:
            raise Conflict(_("只有变更草稿可以修改。"), code="not_draft")
        if version is not None and version != locked.version:
            raise Conflict(
                _("这份变更草稿在您打开之后已被修改并保存，本次保存未生效。"),
                code="stale_revision",
                detail={"version": locked.version, "given": version},
            )
        _refuse_dropping_items_in_use(locked.resource, data)
        _refuse_unknown_related(data.related, sees)
        related = list(dict.fromkeys(data.related))
        if sees is not None:
            before = input_from_json(locked.content).related
            hidden = Resource.objects.filter(code__in=before).select_related("provider__region")
            related += [r.code for r in hidden if not sees(r) and r.code not in related]
        locked.content = input_as_json(dataclasses.replace(data, related=tuple(related)))
        locked.version += 1
        locked.save(update_fields=["content", "version", "updated_at"])
        _revision_record(locked, "update", actor, items=len(data.items), version=locked.version)
    return locked


def _move_revision(
    revision: ResourceRevision,
    target: str,
    actor: Actor,
    *,
    reason: str = "",
    version: int | None = None,
) -> ResourceRevision:
    with transaction.atomic(durable=True):
        locked = _locked_revision(revision)
        step = check_revision_transition(locked.state, target)
        resource = locked.resource
        content = input_from_json(locked.content)
        if step in ("submit", "apply"):
            if resource.state != ResourceState.PUBLISHED:
                raise Conflict(_("只有已发布的目录可以变更。"), code="not_published")
            if step == "submit":
                # A date that was still to come when the change was saved may
                # have passed before it is submitted; the data bureau would
                # otherwise approve a line overdue the day it applies.
                _check_edit(content, _stored_input(resource))
            else:
                _check(content)
            # A use may have begun since the change was saved (a dataset registered).
            _refuse_dropping_items_in_use(resource, content)
        if step == "apply":
            # Four eyes, as for new entries: whoever submitted the change does
            # not also approve it.
            if actor.kind == "user" and locked.submitted_by_ref == actor.ref:
                raise Conflict(_("提交人不能审核自己提交的变更。"), code="own_submission")
            _refuse_unseen(
                locked.version,
                version,
                _("这项变更在您打开之后已被修改，本次审核未生效；请查看修改后的内容再审核。"),
            )
            _apply(resource, content, actor)
        if step == "submit":
            locked.submitted_by_ref = actor.ref
            locked.returned_reason = ""
        if step == "return":
            locked.returned_reason = reason
        locked.state = target
        locked.save()
        data: dict[str, Any] = {"reason": reason} if reason else {}
        _revision_record(locked, step, actor, **data)
    return locked


def _apply(resource: Resource, data: ResourceInput, actor: Actor) -> None:
    """Make the entry what the change says; it stays published, with its publish date."""
    _fill(resource, data)
    # A save of the content like any other: the version read before it is outdated.
    resource.version += 1
    resource.save()
    _save_items(resource, data.items)
    # Links to entries the change's editors could not see were kept in its
    # content; a code whose entry is gone since is dropped.
    resource.related.set(Resource.objects.filter(code__in=data.related).exclude(pk=resource.pk))
    # Published to published: the history shows it as the entry's change.
    _transition_row(resource, ResourceState.PUBLISHED, ResourceState.PUBLISHED, "", actor)


def do_submit_revision(revision: ResourceRevision, *, actor: Actor) -> ResourceRevision:
    return _move_revision(revision, RevisionState.SUBMITTED, actor)


def do_discard_revision(revision: ResourceRevision, *, actor: Actor) -> ResourceRevision:
    return _move_revision(revision, RevisionState.DISCARDED, actor)


def do_return_revision(
    revision: ResourceRevision, reason: str, *, actor: Actor
) -> ResourceRevision:
    """Send a submitted change back to the provider's officers, saying why."""
    if not reason.strip():
        raise InvalidInput(_("退回须说明理由。"), code="reason_required")
    return _move_revision(revision, RevisionState.DRAFT, actor, reason=_checked_reason(reason))


def do_apply_revision(
    revision: ResourceRevision, *, actor: Actor, version: int | None = None
) -> ResourceRevision:
    """Approve a submitted change and make the published entry what it says (data
    bureau); with ``version``, as shown to the reviewer, a change saved since
    (``stale_review``) is not applied."""
    return _move_revision(revision, RevisionState.APPLIED, actor, version=version)


def _refuse_dropping_items_in_use(resource: Resource, data: ResourceInput) -> None:
    kept = {item.code for item in data.items}
    dropped = [code for code in resource.items.values_list("code", flat=True) if code not in kept]
    in_use = items_in_use(resource, dropped)
    if in_use:
        raise Conflict(
            _("变更删去了仍在使用的信息项。"),
            code="item_in_use",
            detail={"fields": {f"items.{code}": reason for code, reason in in_use.items()}},
        )
