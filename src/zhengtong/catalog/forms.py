"""The catalog pages' forms."""

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.access import Principal, may_see, visible_codes, visible_related
from zhengtong.catalog.actions import (
    ItemInput,
    NegativeReviewInput,
    ResourceInput,
    item_length,
    item_problems,
    unknown_related,
    unknown_related_message,
)
from zhengtong.catalog.labels import (
    ITEM_HEADINGS,
    NO,
    YES,
    label,
    labels,
    split_codes,
    value_of,
    yes_no,
)
from zhengtong.catalog.models import (
    RESOURCE_CODE_RE,
    Category,
    DataType,
    InformationItem,
    OpenAttribute,
    Resource,
    ResourceFormat,
    Sensitivity,
    ShareAttribute,
    ShareMethod,
    UpdateCycle,
)
from zhengtong.catalog.selectors import MAX_QUERY_LENGTH, SearchFilters
from zhengtong.core.models import Department
from zhengtong.core.punctuation import listed

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The browse page searches without a filter it cannot apply and says so
# beside the filter (``views.browse``), so the query is never lost.
_IGNORED_FILTER = {"invalid_choice": _("“%(value)s”不是可选的值，已忽略此条件。")}


def shown_version_field(
    minimum: int, refusal: "StrOrPromise", *, required: bool = False
) -> forms.IntegerField:
    """The hidden version of what a form was filled in on, so that a save or a review
    of something changed meanwhile is refused rather than written over; a version
    that is missing (when required) or malformed is refused with ``refusal``."""
    return forms.IntegerField(
        widget=forms.HiddenInput,
        required=required,
        min_value=minimum,
        error_messages={"required": refusal, "invalid": refusal, "min_value": refusal},
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages={"max_length": _("搜索内容最多%(limit_value)d个字，请精简后再搜索。")},
    )
    category = forms.ChoiceField(
        label=_("分类"),
        required=False,
        choices=[("", _("全部")), *list(Category.choices)],
        error_messages=_IGNORED_FILTER,
    )
    provider = forms.ModelChoiceField(
        label=_("提供方"),
        required=False,
        queryset=Department.objects.filter(catalog_resources__state="published")
        .distinct()
        .order_by("code"),
        to_field_name="code",
        empty_label=_("全部"),
        error_messages=_IGNORED_FILTER,
    )
    share_attribute = forms.ChoiceField(
        label=_("共享属性"),
        required=False,
        choices=[("", _("全部")), *list(ShareAttribute.choices)],
        error_messages=_IGNORED_FILTER,
    )

    def query_problems(self) -> list[str]:
        """Why the query cannot be searched (too long), or nothing.

        Unlike a filter, a query is not left out: searching without it would
        list the whole catalog as if nothing had been asked.
        """
        self.is_valid()
        return [str(error) for error in self.errors.get("q", [])]

    def filters(self) -> SearchFilters:
        """The search the form asks for, leaving out each filter that is not valid."""
        self.is_valid()
        d = self.cleaned_data
        provider = d.get("provider")
        return SearchFilters(
            d.get("q", ""),
            d.get("category", ""),
            provider.code if provider else "",
            d.get("share_attribute", ""),
        )


class UploadForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("提供方部门"), queryset=Department.objects.none(), to_field_name="code"
    )
    file = forms.FileField(label=_("XLSX 文件"))

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        if departments.count() == 1:
            field.initial = departments.first()


# The fields a form shows as they are stored.
_PLAIN_FIELDS = (
    "code",
    "name",
    "abstract",
    "keywords",
    "format",
    "share_attribute",
    "share_conditions",
    "share_method",
    "open_attribute",
    "open_conditions",
    "update_cycle",
    "legal_basis",
    "negative_scope",
    "review_date",
)


class ReasonForm(forms.Form):
    # Checked by the action alone (required for a return, 500 characters after
    # trimming, line breaks kept), so that the page and the API refuse alike.
    reason = forms.CharField(
        label=_("理由"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


class NegativeReviewForm(forms.Form):
    """The periodic review of one negative-list line; the action checks the content,
    so the page and the API refuse alike."""

    legal_basis = forms.CharField(label=_("法律法规依据"), required=False)
    scope = forms.CharField(label=_("不予共享范围"), required=False)
    review_date = forms.DateField(
        label=_("下次复核日期"),
        required=False,
        help_text=_("晚于今天，如 2028-06-30"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    note = forms.CharField(
        label=_("复核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # The line's last review as the page showed it (0 for none), so that a
    # review saved meanwhile is not written over and a form sent twice is
    # recorded once. Without it (a page rendered before the form carried it)
    # the review is unconditional, as the API's without one.
    last_review = shown_version_field(
        0, _("复核页面的版本有误，本次复核未生效；请重新加载页面后再填写。")
    )
    # The line's content as the page showed it, so that a line changed meanwhile
    # (a change of the entry applied) is not confirmed unseen. Empty on a page
    # rendered before the form carried it: the review is then on the line as it stands.
    fingerprint = forms.CharField(widget=forms.HiddenInput, required=False, strip=True)

    def to_input(self) -> NegativeReviewInput:
        d = self.cleaned_data
        return NegativeReviewInput(d["legal_basis"], d["scope"], d["review_date"], d["note"])

    def shown_fingerprint(self) -> str | None:
        """The line's fingerprint as the page showed it, or None when the page sent none."""
        return str(self.cleaned_data["fingerprint"]) or None


def _item_help() -> str:
    return gettext(
        "每行一个信息项，各列用 | 分隔：信息项代码|信息项名称|数据类型|数据长度|个人信息|"
        "敏感级别|共享属性|法律法规依据|不予共享范围|复核日期；后几列可省略。"
        "数据类型：{types}（或其代码 C、N、D、T、B、BY）；数据长度为整数；"
        "个人信息：是/否（或 Y/N、true/false），空为否；敏感级别：{levels}，空为内部；"
        "共享属性：{shares}，空为同资源；复核日期如 2027-06-30。"
    ).format(
        types=listed(labels(DataType)),
        levels=listed(labels(Sensitivity)),
        shares=listed(labels(ShareAttribute)),
    )


ITEM_HELP = lazy(_item_help, str)()
EXTENSION_HELP = _("每行一项：名称=值。值为数字、true/false 或带引号的文字等 JSON 时按 JSON 读取。")


def item_line(item: InformationItem | ItemInput) -> str:
    """One item as a line of the items box, in the labels people know."""
    parts = [
        item.code,
        item.name,
        label(DataType, item.data_type),
        str(item.length or ""),
        YES if item.is_personal else NO,
        label(Sensitivity, item.sensitivity),
        label(ShareAttribute, item.share_attribute),
        item.legal_basis,
        item.negative_scope,
        item.review_date.isoformat() if item.review_date else "",
    ]
    while parts and not parts[-1]:
        parts.pop()
    return "|".join(parts)


def extension_text(extension: dict[str, Any]) -> str:
    """Extension fields as 名称=值 lines; JSON where plain text would read back otherwise."""
    lines = []
    for name, value in extension.items():
        shown = value if isinstance(value, str) and _plain(value) else None
        lines.append(f"{name}={shown if shown is not None else _json(value)}")
    return "\n".join(lines)


# Characters at which the box's lines are split (``str.splitlines``) that
# JSON writes as they are; escaped, the value stays on its line.
_LINE_SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    for char, escaped in _LINE_SEPARATORS.items():
        text = text.replace(char, escaped)
    return text


def _plain(text: str) -> bool:
    # Text that reads back as itself: one line, no edge spaces, and not JSON
    # (the text "0731" would come back as the number 731 otherwise). JSON the
    # form refuses to read (too deep, a number too long) is shown quoted too.
    if not text or text != text.strip() or len(text.splitlines()) > 1:
        return False
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


class ResourceForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("提供方部门"), queryset=Department.objects.none(), to_field_name="code"
    )
    code = forms.CharField(label=_("资源代码"), max_length=16, help_text=_("如 102000000/000001"))
    name = forms.CharField(label=_("资源名称"), max_length=200)
    abstract = forms.CharField(label=_("摘要"), widget=forms.Textarea(attrs={"rows": 3}))
    keywords = forms.CharField(label=_("关键字"), required=False, max_length=300)
    format = forms.ChoiceField(label=_("资源格式"), choices=ResourceFormat.choices)
    share_attribute = forms.ChoiceField(label=_("共享属性"), choices=ShareAttribute.choices)
    share_conditions = forms.CharField(label=_("共享条件"), required=False)
    share_method = forms.ChoiceField(
        label=_("共享方式"), required=False, choices=[("", "—"), *list(ShareMethod.choices)]
    )
    open_attribute = forms.ChoiceField(label=_("开放属性"), choices=OpenAttribute.choices)
    open_conditions = forms.CharField(
        label=_("开放条件"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    update_cycle = forms.ChoiceField(label=_("更新周期"), choices=UpdateCycle.choices)
    legal_basis = forms.CharField(label=_("法律法规依据"), required=False, max_length=300)
    negative_scope = forms.CharField(label=_("不予共享范围"), required=False, max_length=300)
    review_date = forms.DateField(
        label=_("复核日期"), required=False, help_text=_("不予共享的复核日期，如 2027-06-30")
    )
    related = forms.CharField(
        label=_("关联资源"),
        required=False,
        max_length=1000,
        help_text=_("已编入目录的资源代码，多个用逗号、空格或换行分隔。"),
    )
    extension = forms.CharField(
        label=_("扩展字段"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=EXTENSION_HELP,
    )
    items = forms.CharField(
        label=_("信息项"), widget=forms.Textarea(attrs={"rows": 8}), help_text=ITEM_HELP
    )

    def __init__(self, *args: Any, departments: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        self.principal = principal

    @staticmethod
    def initial_from(resource: Resource, principal: Principal) -> dict[str, Any]:
        """The entry's fields as the form shows them to the principal.

        Related entries the principal may not see (another department's draft
        that linked itself to this one) are not shown; saving keeps them.
        """
        return {
            "department": resource.provider.code,
            "code": resource.code,
            "name": resource.name,
            "abstract": resource.abstract,
            "keywords": resource.keywords,
            "format": resource.format,
            "share_attribute": resource.share_attribute,
            "share_conditions": resource.share_conditions,
            "share_method": resource.share_method,
            "open_attribute": resource.open_attribute,
            "open_conditions": resource.open_conditions,
            "update_cycle": resource.update_cycle,
            "legal_basis": resource.legal_basis,
            "negative_scope": resource.negative_scope,
            "review_date": resource.review_date,
            "extension": extension_text(resource.extension),
            "related": " ".join(r.code for r in visible_related(principal, resource)),
            "items": "\n".join(item_line(i) for i in resource.items.order_by("position")),
        }

    @staticmethod
    def initial_from_input(
        data: ResourceInput, department_code: str, principal: Principal
    ) -> dict[str, Any]:
        """A change's content as the form shows it; related entries the principal
        may not see are not shown, and saving keeps them."""
        shown = visible_codes(principal, data.related)
        return {
            "department": department_code,
            **{name: getattr(data, name) for name in _PLAIN_FIELDS},
            "extension": extension_text(dict(data.extension)),
            "related": " ".join(code for code in data.related if code in shown),
            "items": "\n".join(item_line(i) for i in data.items),
        }

    def clean_related(self) -> list[str]:
        codes = split_codes(str(self.cleaned_data["related"]))
        malformed = [code for code in codes if not RESOURCE_CODE_RE.fullmatch(code)]
        if malformed:
            raise forms.ValidationError(
                _("资源代码格式有误：%(codes)s。") % {"codes": listed(malformed)}
            )
        # Another department's draft answers as a code not in the catalog, so the
        # form tells no one which drafts exist.
        unknown = unknown_related(codes, self.sees)
        if unknown:
            raise forms.ValidationError(unknown_related_message(unknown))
        return codes

    def sees(self, resource: Resource) -> bool:
        """Whether the person filling in the form may see the entry."""
        return may_see(self.principal, resource)

    def clean_extension(self) -> dict[str, Any]:
        extension: dict[str, Any] = {}
        errors: list[str] = []
        for number, line in enumerate(str(self.cleaned_data["extension"]).splitlines(), start=1):
            if not line.strip():
                continue
            name, equals, text = line.partition("=")
            name, text = name.strip(), text.strip()
            if not equals or not name:
                errors.append(_("扩展字段第%(n)d行应写作“名称=值”。") % {"n": number})
            elif name in extension:
                errors.append(
                    _("扩展字段第%(n)d行：名称“%(name)s”重复。") % {"n": number, "name": name}
                )
            else:
                try:
                    extension[name] = json.loads(text)
                except json.JSONDecodeError:
                    extension[name] = text
                except (ValueError, RecursionError):
                    # JSON all the same, which Python will not read: read as
                    # text, it would change its type unseen.
                    errors.append(
                        _("扩展字段第%(n)d行：数字过长或嵌套过深，无法按 JSON 读取。")
                        % {"n": number}
                    )
        if errors:
            raise forms.ValidationError(errors)
        return extension

    def clean_items(self) -> list[ItemInput]:
        items: list[ItemInput] = []
        errors: list[str] = []
        seen: set[str] = set()
        # The share attribute is cleaned before the items, being declared before them.
        resource_share = str(self.cleaned_data.get("share_attribute", ""))
        for number, line in enumerate(str(self.cleaned_data["items"]).splitlines(), start=1):
            if not line.strip():
                continue
            item, problems = _read_item_line(line)
            if item is not None:
                for field, reason in item_problems(item, resource_share=resource_share).items():
                    problems.setdefault(field, reason)
                if item.code in seen and "code" not in problems:
                    problems["code"] = str(_("信息项代码重复。"))
                seen.add(item.code)
                items.append(item)
            for field, reason in problems.items():
                heading = ITEM_HEADINGS.get(field)
                if heading is None:
                    errors.append(_("第%(n)d行：%(reason)s") % {"n": number, "reason": reason})
                else:
                    # In the reader's language, as the help above the box names
                    # the columns: the workbook's Chinese headings are msgids.
                    errors.append(
                        _("第%(n)d行“%(column)s”：%(reason)s")
                        % {"n": number, "column": gettext(heading), "reason": reason}
                    )
        if errors:
            raise forms.ValidationError(errors)
        return items

    def to_input(self) -> ResourceInput:
        d = self.cleaned_data
        return ResourceInput(
            code=d["code"].strip(),
            name=d["name"],
            abstract=d["abstract"],
            keywords=d["keywords"],
            format=d["format"],
            share_attribute=d["share_attribute"],
            share_conditions=d["share_conditions"],
            share_method=d["share_method"],
            open_attribute=d["open_attribute"],
            open_conditions=d["open_conditions"],
            update_cycle=d["update_cycle"],
            legal_basis=d["legal_basis"],
            negative_scope=d["negative_scope"],
            review_date=d["review_date"],
            extension=d["extension"],
            items=d["items"],
            related=d["related"],
        )


class DraftForm(ResourceForm):
    """A draft's form: the entry's fields and the version of the draft it was filled in on.

    Without a version (a form rendered before drafts had one) the save is
    unconditional, as the API's replacement is.
    """

    version = shown_version_field(1, _("草稿的版本有误，本次保存未生效；请重新加载页面后再修改。"))


class RevisionForm(ResourceForm):
    """A change's form: the entry's fields and the version of the change it was filled in on."""

    version = shown_version_field(
        1, _("缺少变更草稿的版本，本次保存未生效；请重新加载页面后再修改。"), required=True
    )


_ITEM_COLUMNS = len(ITEM_HEADINGS)


def _read_item_line(line: str) -> tuple[ItemInput | None, dict[str, str]]:
    """Read one line of the items box; return the item (None if unreadable) and field -> reason."""
    parts = [p.strip() for p in line.split("|")]
    if len(parts) > _ITEM_COLUMNS:
        # A "|" inside a value would shift every later column: refuse rather than guess.
        return None, {
            "": str(_("最多%(n)d列，多出的列无法识别（值中不能含有“|”）。") % {"n": _ITEM_COLUMNS})
        }
    parts += [""] * (_ITEM_COLUMNS - len(parts))
    code, name, data_type, length, personal, sensitivity, share, basis, scope, review = parts
    problems: dict[str, str] = {}
    data_type_value = value_of(DataType, data_type)
    if data_type_value is None:
        problems["data_type"] = str(
            _("“%(value)s”不是数据类型；应为 %(accepted)s（或 C、N、D、T、B、BY）。")
            % {"value": data_type, "accepted": listed(labels(DataType))}
        )
    if length and not length.isdecimal():
        problems["length"] = str(_("“%(value)s”不是整数。") % {"value": length})
    is_personal = yes_no(personal) if personal else False
    if is_personal is None:
        problems["is_personal"] = str(
            _("“%(value)s”无法识别；应为是或否（Y/N、true/false）。") % {"value": personal}
        )
    sensitivity_value = value_of(Sensitivity, sensitivity) if sensitivity else Sensitivity.INTERNAL
    if sensitivity_value is None:
        problems["sensitivity"] = str(
            _("“%(value)s”不是敏感级别；应为 %(accepted)s。")
            % {"value": sensitivity, "accepted": listed(labels(Sensitivity))}
        )
    share_value = value_of(ShareAttribute, share) if share else ""
    if share_value is None:
        problems["share_attribute"] = str(
            _("“%(value)s”不是共享属性；应为 %(accepted)s，或留空（同资源）。")
            % {"value": share, "accepted": listed(labels(ShareAttribute))}
        )
    review_date: date | None = None
    if review:
        try:
            review_date = date.fromisoformat(review)
        except ValueError:
            problems["review_date"] = str(_("应为日期，如 2027-06-30。"))
    item = ItemInput(
        code=code,
        name=name,
        data_type=data_type_value or "",
        length=item_length(length) if length.isdecimal() else None,
        is_personal=bool(is_personal),
        sensitivity=sensitivity_value or "",
        share_attribute=share_value or "",
        legal_basis=basis,
        negative_scope=scope,
        review_date=review_date,
    )
    return item, problems
