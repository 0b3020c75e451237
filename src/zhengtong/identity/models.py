"""Users of the four audiences, roles as data, scoped staff posts and G2G clients."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengtong.core.models import Department, Enterprise, Person, Region


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("公众（G2C）")
    ENTERPRISE = "enterprise", _("企业（G2B）")
    STAFF = "staff", _("工作人员（G2E）")


class User(AbstractUser):
    """A person who logs in: a citizen, an enterprise's user or a member of staff.

    Department systems (G2G) are not users: they are ``SystemClient`` rows that
    authenticate with API credentials.
    """

    audience = models.CharField(_("用户类别"), max_length=16, choices=Audience.choices)
    # The real-name identity (实名) behind the account, when verified.
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="user"
    )
    display_name = models.CharField(_("显示名称"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


class Role(models.Model):
    """A named bundle of permissions; which permissions exist is defined in code."""

    code = models.SlugField(_("角色编码"), max_length=32, unique=True)
    name = models.CharField(_("角色名称"), max_length=64)
    audience = models.CharField(_("适用用户"), max_length=16, choices=Audience.choices)
    permissions = models.JSONField(_("权限"), default=list)

    class Meta:
        ordering = ["code"]
        verbose_name = _("角色")
        verbose_name_plural = _("角色")

    def __str__(self) -> str:
        return self.name


class ScopeLevel(models.TextChoices):
    DEPARTMENT = "department", _("本部门")
    REGION = "region", _("本行政区域")


class StaffPost(models.Model):
    """A staff member's role in a department, with the scope the role acts on."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="posts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="posts")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="posts")
    scope = models.CharField(
        _("数据范围"), max_length=16, choices=ScopeLevel.choices, default=ScopeLevel.DEPARTMENT
    )
    # The region a REGION-scoped post covers (the department's own region by default).
    scope_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department", "role"], name="unique_staff_post")
        ]
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")

    def __str__(self) -> str:
        return f"{self.department} · {self.role}"


class EnterpriseRelation(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("法定代表人")
    AGENT = "agent", _("授权经办人")


class EnterpriseMembership(models.Model):
    """A user's standing to act for an enterprise (G2B)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enterprise_memberships")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="members")
    relation = models.CharField(_("关系"), max_length=24, choices=EnterpriseRelation.choices)
    valid_until = models.DateField(_("授权有效期至"), null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "enterprise"], name="unique_enterprise_member")
        ]
        verbose_name = _("企业用户")
        verbose_name_plural = _("企业用户")

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_relation_display()}"


class SystemClient(models.Model):
    """A department's system that calls the APIs (G2G)."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="clients")
    name = models.CharField(_("系统名称"), max_length=128)
    # Public part of the credential, sent with every call to find the row.
    key_id = models.CharField(max_length=32, unique=True)
    # Only a hash of the secret is kept; the secret is shown once when issued.
    secret_hash = models.CharField(max_length=256)
    scopes = models.JSONField(_("接口权限范围"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("接入系统")
        verbose_name_plural = _("接入系统")

    def __str__(self) -> str:
        return self.name


class LoginFailure(models.Model):
    """One failed log-in, kept for throttling by account and by client address."""

    username = models.CharField(_("用户名"), max_length=150)
    ip_address = models.GenericIPAddressField(_("来源地址"))
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        # The throttle counts recent failures per account and per address.
        indexes = [
            models.Index(fields=["username", "at"], name="login_failure_user_idx"),
            models.Index(fields=["ip_address", "at"], name="login_failure_ip_idx"),
        ]
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")

    def __str__(self) -> str:
        return f"{self.username} @ {self.ip_address}"
