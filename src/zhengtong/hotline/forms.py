"""The hotline pages' forms: they parse input; the rules live in the actions.

The photo checks here repeat the action's (type by the file's first bytes,
size, count) so that a citizen learns of a wrong file before anything is
read into memory; the action checks again for every other channel.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.core.errors import InvalidInput
from zhengtong.core.forms import CreditCodeField, OneTimeKeyField
from zhengtong.core.punctuation import listed
from zhengtong.core.selectors import departments_in
from zhengtong.hotline.actions import (
    ALLOWED_ATTACHMENT_TYPES,
    MAX_CONTENT,
    MAX_EXTENSION_DAYS,
    MAX_LOCATION,
    MAX_NOTE,
    MAX_REPLY,
    MAX_TITLE,
    NewAttachment,
    checked_contact_phone,
)
from zhengtong.hotline.categories import category_name
from zhengtong.hotline.routing import city_districts
from zhengtong.hotline.routing_model import (
    MIN_EXAMPLES_PER_LABEL,
    CsvFormatError,
    CsvSyntaxError,
    read_examples_csv,
)
from zhengtong.hotline.selectors import handling_departments
from zhengtong.hotline.states import Channel, Rating, Urgency

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"
# A labelled CSV of a whole city's messages is a few tens of megabytes at most.
MAX_TRAINING_CSV_BYTES = 50 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": PHOTO_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def sniffed_type(head: bytes, declared: str) -> str:
    """Return the attachment type the file's first bytes show, else what the browser said."""
    for content_type, magic in ALLOWED_ATTACHMENT_TYPES.items():
        if head.startswith(magic):
            return content_type
    return declared or "application/octet-stream"


def read_photos(files: Sequence[UploadedFile[bytes]]) -> tuple[NewAttachment, ...]:
    """Read checked uploads into the action's attachment values."""
    photos = []
    for upload in files:
        upload.seek(0)
        data = upload.read()
        photos.append(
            NewAttachment(
                name=upload.name or "photo",
                content_type=sniffed_type(data[:16], upload.content_type or ""),
                data=data,
            )
        )
    return tuple(photos)


def _check_photos(files: list[UploadedFile[bytes]]) -> list[UploadedFile[bytes]]:
    limit = int(settings.HOTLINE_MAX_ATTACHMENTS)
    if len(files) > limit:
        raise forms.ValidationError(_("附件最多 %(n)d 个。") % {"n": limit})
    largest = int(settings.HOTLINE_MAX_ATTACHMENT_BYTES)
    for upload in files:
        name = upload.name or ""
        if (upload.size or 0) > largest:
            raise forms.ValidationError(
                _("附件“%(name)s”超过 %(mb)d MB。") % {"name": name, "mb": largest // 1048576}
            )
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if sniffed_type(head, "") not in ALLOWED_ATTACHMENT_TYPES:
            raise forms.ValidationError(
                _("附件“%(name)s”不是 JPG、PNG、WebP 图片或 PDF 文件。") % {"name": name}
            )
    return files


class TextareaField(forms.CharField):
    """Text written in a textarea, each line break one character as the textarea counts it.

    A browser sends every line break as CR LF, while the textarea and its
    ``maxlength`` count it as one character: a long reply of many paragraphs
    the textarea took would otherwise be refused as too long by a count its
    writer cannot see, and be stored with line breaks of two kinds.
    """

    def to_python(self, value: Any) -> str:
        text = str(super().to_python(value))
        return text.replace("\r\n", "\n").replace("\r", "\n")


class _MessageFields(forms.Form):
    # The form's one-time key: the same form sent twice (a double tap, a
    # resend after the network timed out) registers one case.
    submission = OneTimeKeyField()
    title = forms.CharField(
        label=gettext_lazy("标题（选填）"),
        required=False,
        max_length=MAX_TITLE,
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("一句话概括，如：小区楼下烧烤油烟扰民")}
        ),
    )
    content = TextareaField(
        label=gettext_lazy("诉求内容"),
        max_length=MAX_CONTENT,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": gettext_lazy("请写明发生了什么、从什么时候开始、希望怎样解决。"),
            }
        ),
    )
    location_text = forms.CharField(
        label=gettext_lazy("事发地点"),
        required=False,
        max_length=MAX_LOCATION,
        help_text=gettext_lazy(
            "写明区县、街道和小区或道路，便于转给属地部门，如：芙蓉区文艺路街道某小区。"
        ),
    )
    contact_name = forms.CharField(label=gettext_lazy("联系人"), required=False, max_length=64)
    contact_phone = forms.CharField(
        label=gettext_lazy("联系电话"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    anonymous = forms.BooleanField(
        label=gettext_lazy("匿名反映"),
        required=False,
        help_text=gettext_lazy(
            "匿名诉求不登记联系人和电话，办理部门答复后直接办结，不回访、不能评价。"
        ),
    )


class SubmitForm(_MessageFields):
    """A citizen's message (网站渠道); the urgency is the centre's to set, not the citizen's."""

    photos = MultipleFileField(
        label=gettext_lazy("照片或材料（选填）"),
        required=False,
        help_text=gettext_lazy("JPG、PNG、WebP 图片或 PDF，最多 6 个，每个不超过 10 MB。"),
    )

    def __init__(
        self, *args: Any, has_account: bool = False, account_phone: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.has_account = has_account
        if account_phone:
            self.fields["contact_phone"].help_text = _(
                "不填则使用账号登记的手机号 %(phone)s 回访。"
            ) % {"phone": account_phone}
        photos = self.fields["photos"]
        photos.help_text = _("JPG、PNG、WebP 图片或 PDF，最多 %(n)d 个，每个不超过 %(mb)d MB。") % {
            "n": settings.HOTLINE_MAX_ATTACHMENTS,
            "mb": settings.HOTLINE_MAX_ATTACHMENT_BYTES // 1048576,
        }

    def clean_photos(self) -> list[UploadedFile[bytes]]:
        files: list[UploadedFile[bytes]] = self.cleaned_data.get("photos") or []
        return _check_photos(files)

    def clean(self) -> dict[str, Any]:
        # Checked here as well as on submission, so that a page missing both
        # the request and a way to call back says so at once.
        cleaned = super().clean() or {}
        if "contact_phone" in cleaned:
            try:
                checked_contact_phone(
                    cleaned["contact_phone"],
                    anonymous=bool(cleaned.get("anonymous")),
                    has_account=self.has_account,
                    channel=Channel.WEB,
                )
            except InvalidInput as error:
                self.add_error("contact_phone", str(error.message))
        return cleaned


class CallForm(_MessageFields):
    """A call summary entered by a 12345 agent, with the urgency the agent judged."""

    urgency = forms.ChoiceField(
        label=gettext_lazy("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content"].label = _("来电内容摘要")
        self.fields["contact_phone"].label = _("来电号码")


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=gettext_lazy("您对办理结果满意吗？"), choices=Rating.choices, widget=forms.RadioSelect
    )
    comment = TextareaField(
        label=gettext_lazy("意见（选填）"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def department_choices(*, handlers_only: bool = True) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    departments = departments_in()
    if handlers_only:
        # Only where someone can sign for the case: a bureau without any 12345
        # handler (an audit office) would leave it waiting unseen.
        departments = departments.filter(pk__in=handling_departments().values("pk"))
    return forms.ModelChoiceField(
        label=gettext_lazy("承办部门"),
        queryset=departments.order_by("region_id", "code"),
        to_field_name="code",
        empty_label=gettext_lazy("请选择部门"),
    )


def department_options() -> list[tuple[Any, str]]:
    """The departments a case may be sent to, as the dispatch forms of one page list them."""
    options = department_choices().choices
    assert isinstance(options, forms.models.ModelChoiceIterator)
    return [(value, str(label)) for value, label in options]


def district_choices() -> forms.ModelChoiceField:  # type: ignore[type-arg]
    """Where a dispatcher places a case: a district of the city, or left as read from the text."""
    return forms.ModelChoiceField(
        label=gettext_lazy("事发区县"),
        queryset=city_districts(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("未识别"),
        help_text=gettext_lazy("按事发地点核对；未识别或识别错误时请选择正确的区县。"),
    )


def district_options() -> list[tuple[Any, str]]:
    """The districts a case may be placed in, as the dispatch forms of one page list them."""
    options = district_choices().choices
    assert isinstance(options, forms.models.ModelChoiceIterator)
    return [(value, str(label)) for value, label in options]


class DispatchForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("类别"))
    # Replaced by fresh fields per form (no query when this module is imported).
    department = department_choices(handlers_only=False)
    district = district_choices()
    # The centre's judgement: an online message comes in as 一般 whatever it says.
    urgency = forms.ChoiceField(
        label=gettext_lazy("紧急程度"), choices=Urgency.choices, required=False
    )
    note = forms.CharField(
        label=gettext_lazy("派单说明（选填）"), required=False, max_length=MAX_NOTE
    )

    def __init__(
        self,
        *args: Any,
        categories: Sequence[str],
        departments: list[tuple[Any, str]] | None = None,
        districts: list[tuple[Any, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("请选择类别")), *((c, category_name(c)) for c in categories)]
        # A fresh query per form: departments are added and retired. A page
        # of many forms passes the list it read once; the action refuses a
        # department nobody can sign for, however it was posted.
        department = department_choices(handlers_only=departments is None)
        if departments is not None:
            # A page of many forms lists the departments read once for all of them
            # (department_options); a posted choice is still checked against the table.
            department.choices = departments
        self.fields["department"] = department
        district = district_choices()
        if districts is not None:
            district.choices = districts
        self.fields["district"] = district


class ReturnForm(forms.Form):
    reason = TextareaField(
        label=gettext_lazy("退回理由"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("说明为什么不属于本部门职责，派单员据此改派。"),
    )


class RecallForm(forms.Form):
    reason = TextareaField(
        label=gettext_lazy("撤回理由"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("如派错部门、部门无人签收；撤回后工单回到待派单队列，可重新派单。"),
    )


class UrgencyForm(forms.Form):
    urgency = forms.ChoiceField(label=gettext_lazy("紧急程度"), choices=Urgency.choices)
    note = forms.CharField(label=gettext_lazy("说明（选填）"), required=False, max_length=MAX_NOTE)


class ExtensionForm(forms.Form):
    days = forms.IntegerField(
        label=gettext_lazy("延期工作日"), min_value=1, max_value=MAX_EXTENSION_DAYS, initial=5
    )
    reason = TextareaField(
        label=gettext_lazy("延期理由"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReplyForm(forms.Form):
    reply = TextareaField(
        label=gettext_lazy("答复内容"),
        max_length=MAX_REPLY,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "写明调查核实的情况、处理结果或下一步安排和时间、依据的规定，以及联系电话。"
        ),
    )
    upheld_against = CreditCodeField(
        label=gettext_lazy("查实的被投诉企业（统一社会信用代码，选填）"),
        required=False,
        help_text=gettext_lazy(
            "投诉经查属实的，填写被投诉企业的统一社会信用代码，计入该企业信用记录。"
        ),
    )


class DecideExtensionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")])
    note = forms.CharField(label=gettext_lazy("审批意见"), required=False, max_length=MAX_NOTE)


class UrgeForm(forms.Form):
    supervise = forms.BooleanField(required=False)
    note = forms.CharField(label=gettext_lazy("说明（选填）"), required=False, max_length=MAX_NOTE)
    # The form's one-time key, posted by the page's own field (``urge_key``):
    # a double click urges once.
    submission = OneTimeKeyField()


SHARED_DATA = "shared"
UPLOADED = "upload"
CORRECTIONS_ONLY = "corrections"


class TrainForm(forms.Form):
    """Start a training run: the shared labelled messages, an uploaded CSV, or the labels alone."""

    source = forms.ChoiceField(label=gettext_lazy("训练数据"), widget=forms.RadioSelect)
    csv_file = forms.FileField(
        label=gettext_lazy("上传 CSV"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=gettext_lazy("UTF-8 编码，列为 title、body、label（title 可为空）。"),
    )
    include_corrections = forms.BooleanField(
        label=gettext_lazy("加入派单员人工派单的样本"), required=False, initial=True
    )

    def __init__(self, *args: Any, shared_name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = []
        if shared_name:
            choices.append(
                (SHARED_DATA, _("共享数据目录中的标注留言（%(name)s）") % {"name": shared_name})
            )
        choices += [
            (UPLOADED, _("上传标注数据 CSV")),
            (CORRECTIONS_ONLY, _("只用人工派单样本")),
        ]
        field = self.fields["source"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.initial = choices[0][0]
        self.examples = 0

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        upload = data.get("csv_file")
        if source == UPLOADED:
            if upload is None:
                self.add_error("csv_file", _("请选择要上传的 CSV 文件。"))
            else:
                try:
                    self.examples = _check_training_csv(upload)
                except forms.ValidationError as error:
                    self.add_error("csv_file", error)
        if source == CORRECTIONS_ONLY and not data.get("include_corrections"):
            self.add_error("include_corrections", _("只用人工派单样本时须勾选此项。"))
        return data


def _check_training_csv(upload: UploadedFile[bytes]) -> int:
    if (upload.size or 0) > MAX_TRAINING_CSV_BYTES:
        raise forms.ValidationError(
            _("CSV 文件不能超过 %(mb)d MB。") % {"mb": MAX_TRAINING_CSV_BYTES // 1048576}
        )
    upload.seek(0)
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise forms.ValidationError(_("CSV 文件须为 UTF-8 编码。")) from None
    finally:
        upload.seek(0)
    try:
        examples = read_examples_csv(io.StringIO(text), require_label=True)
    except CsvSyntaxError as error:
        raise forms.ValidationError(
            _(
                "CSV 文件从第 %(line)d 行起无法读取：可能有未配对的引号，或某一栏过长。"
                "请检查后再上传。"
            )
            % {"line": error.line}
        ) from None
    except CsvFormatError:
        raise forms.ValidationError(
            _("CSV 文件须有 body 和 label 两列（title 列可选）。")
        ) from None
    counts = Counter(e.label for e in examples if e.label and (e.body or e.title))
    if len(counts) < 2:
        raise forms.ValidationError(_("训练数据至少要有两个类别。"))
    scarce = sorted(label for label, n in counts.items() if n < MIN_EXAMPLES_PER_LABEL)
    if scarce:
        raise forms.ValidationError(
            _("每个类别至少需要 %(n)d 条样本，不足的类别：%(labels)s。")
            % {"n": MIN_EXAMPLES_PER_LABEL, "labels": listed(scarce)}
        )
    if sum(counts.values()) != len(examples):
        raise forms.ValidationError(_("CSV 中有类别或内容为空的行，请补全或删除后再上传。"))
    return len(examples)
