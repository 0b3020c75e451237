"""Electronic licences (电子证照): their types, the issued licences and the signing keys."""

import uuid
from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhengtong.core.models import Department

# The first payload version that signs the type's name and the field labels.
NAMES_SIGNED_FROM = 2


class HolderKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人和其他组织")


class IssuerKind(models.TextChoices):
    MARKET_REGULATION = "market_regulation", _("市场监督管理部门")
    HEALTH = "health", _("卫生健康部门")
    HUMAN_RESOURCES = "human_resources", _("人力资源和社会保障部门")
    OTHER = "other", _("其他部门")


class LicenceStatus(models.TextChoices):
    """What a verification finds; only revocation is stored, the rest is computed."""

    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已注销")
    EXPIRED = "expired", _("已过期")
    FORGED = "forged", _("验证未通过")


class LicenceType(models.Model):
    """A kind of licence, with the fields every licence of the kind carries.

    ``fields`` is a list of ``{"code", "label", "required", "mask"}``: ``mask``
    names a kind of personal information (core.masking) shown masked on the
    public verification page, or is empty for a field shown as it is.
    """

    code = models.SlugField(_("证照类型代码"), max_length=64, unique=True)
    name = models.CharField(_("证照名称"), max_length=64)
    issuer_kind = models.CharField(_("发证部门类别"), max_length=32, choices=IssuerKind.choices)
    # Which holders the licence is issued to (HolderKind values).
    holder_kinds = models.JSONField(_("持证主体类别"), default=list)
    # None: valid until revoked (长期).
    validity_years = models.PositiveSmallIntegerField(_("有效期（年）"), null=True, blank=True)
    number_prefix = models.CharField(_("证号前缀"), max_length=8)
    fields = models.JSONField(_("证照信息项"), default=list)

    class Meta:
        ordering = ("code",)
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the page's language; the stored name stays the licence's own wording."""
        return gettext(self.name)


class LicenceSigningKey(models.Model):
    """A public key that signed licences; kept after rotation so old licences verify."""

    key_id = models.CharField(_("密钥标识"), max_length=64, unique=True)
    algorithm = models.CharField(_("签名算法"), max_length=16)
    public_key = models.BinaryField(_("公钥"))
    created_at = models.DateTimeField(_("首次使用时间"), default=timezone.now)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("证照签名公钥")
        verbose_name_plural = _("证照签名公钥")

    def __str__(self) -> str:
        return f"{self.algorithm} {self.key_id}"


class Licence(models.Model):
    """One issued licence; its signed content never changes, only revocation is added."""

    licence_type = models.ForeignKey(
        LicenceType, on_delete=models.PROTECT, related_name="licences", verbose_name=_("证照类型")
    )
    number = models.CharField(_("证照编号"), max_length=32, unique=True)
    holder_kind = models.CharField(_("持证主体类别"), max_length=16, choices=HolderKind.choices)
    # 公民身份号码 for a person, 统一社会信用代码 for an enterprise.
    holder_id = models.CharField(_("持证主体证件号码"), max_length=18, db_index=True)
    holder_name = models.CharField(_("持证主体名称"), max_length=128)
    data = models.JSONField(_("证照信息"), default=dict)
    issuer = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("发证部门")
    )
    # The issuer as signed: a department renamed later (机构改革) does not
    # change what its earlier licences say, nor whether they verify.
    issuer_code = models.CharField(_("发证机关编码"), max_length=64)
    issuer_name = models.CharField(_("发证机关名称"), max_length=128)
    issuer_credit_code = models.CharField(_("发证机关统一社会信用代码"), max_length=18)
    # The layout of the signed payload (licences.signing.PAYLOAD_VERSION at
    # issue): version 1 signed neither the type's name nor the field labels.
    payload_version = models.PositiveSmallIntegerField(_("签名内容版本"))
    # The type's name and the labels of the fields carried, as signed (version
    # 2 on; empty for version 1): ``[{"code", "label"}]`` in the type's order.
    type_name = models.CharField(_("证照名称（签发时）"), max_length=64, blank=True)
    field_labels = models.JSONField(_("信息项名称（签发时）"), default=list, blank=True)
    issued_at = models.DateTimeField(_("签发时间"))
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("注销原因"), blank=True)
    # Where the licence came from: an application id, or a note for licences
    # loaded from elsewhere. Free text, so that the applications module can link later.
    source = models.CharField(_("来源"), max_length=128, blank=True)
    signature = models.BinaryField(_("签名"))
    signature_algorithm = models.CharField(_("签名算法"), max_length=16)
    signing_key = models.ForeignKey(
        LicenceSigningKey, on_delete=models.PROTECT, related_name="licences"
    )
    # SHA-256 of the canonical payload that was signed, in hex.
    payload_hash = models.CharField(_("签名内容摘要"), max_length=64)

    class Meta:
        ordering = ("-issued_at", "-id")
        indexes = [
            models.Index(fields=["holder_id", "licence_type"], name="licence_holder_type_idx")
        ]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")

    def __str__(self) -> str:
        return f"{self.signed_type_name} {self.number}"

    @property
    def names_signed(self) -> bool:
        """Whether the signature covers the type's name and the field labels."""
        return self.payload_version >= NAMES_SIGNED_FROM

    @property
    def signed_type_name(self) -> str:
        """The type's name as signed; for an older licence, the type's current name."""
        return self.type_name if self.names_signed else self.licence_type.name

    @property
    def display_type_name(self) -> str:
        """The type's name in the page's language (the signed wording in Chinese)."""
        return gettext(self.signed_type_name)

    def stored_status(self, today: date | None = None) -> str:
        """Return valid, revoked or expired from the stored dates (the signature is not checked)."""
        if self.revoked_at is not None:
            return LicenceStatus.REVOKED
        today = today or timezone.localdate()
        if self.valid_until is not None and self.valid_until < today:
            return LicenceStatus.EXPIRED
        return LicenceStatus.VALID


class LicenceSequence(models.Model):
    """The last sequence number given to a licence type in a region (for licence numbers)."""

    licence_type = models.ForeignKey(LicenceType, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=6)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("证照编号序列")
        verbose_name_plural = _("证照编号序列")
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "region_code"], name="unique_licence_sequence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_code} {self.last}"


class LicenceShare(models.Model):
    """A share link a holder made: until when it shows the licence, and whether it was withdrawn.

    The link's token is signed (licences.sharing) and names the row by ``key``,
    so a holder can withdraw a link sent to the wrong person before it expires.
    """

    # Random, not the row's id: a token tells nothing of how many links exist.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, related_name="shares", verbose_name=_("电子证照")
    )
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    # Who made it, as the ledger names actors: the value outlives the account.
    created_by_ref = models.CharField(max_length=100)
    created_by_label = models.CharField(_("生成人"), max_length=100)
    expires_at = models.DateTimeField(_("链接有效期至"))
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by_ref = models.CharField(max_length=100, blank=True)
    withdrawn_by_label = models.CharField(_("撤回人"), max_length=100, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["licence", "expires_at"], name="licence_share_expiry_idx")]
        verbose_name = _("证照分享链接")
        verbose_name_plural = _("证照分享链接")

    def __str__(self) -> str:
        return f"{self.licence.number} {self.expires_at:%Y-%m-%d %H:%M}"
