"""Read-mostly admin for accounts, roles, posts and G2G clients.

Every change goes through an action, so that it reaches the ledger: an
account can be deactivated or reactivated, a role's permissions replaced, a
post assigned or ended, a client revoked. Nothing is deleted. Passwords and
client secrets are never shown, not even as hashes; a client is issued (and
its secret shown once) on the developer page or through the API.

Access follows the domain permissions, not Django's model permissions, so a
superuser without the administrator role sees nothing here.

The admin site logs people in and out through the portal's own pages, so that
its login is throttled and recorded like every other.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zhengtong.core.admin_actions import ActionAdminMixin
from zhengtong.core.errors import Conflict, ZhengtongError
from zhengtong.core.masking import mask_id_number, mask_name
from zhengtong.identity.access import access_user_to_manage_by_id
from zhengtong.identity.actions import (
    check_post,
    check_role_permissions,
    do_assign_post,
    do_end_post,
    do_log_out,
    do_revoke_client,
    do_set_role_permissions,
    do_set_user_active,
)
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import (
    Audience,
    EnterpriseMembership,
    LoginFailure,
    Role,
    ScopeLevel,
    StaffPost,
    SystemClient,
    User,
)
from zhengtong.identity.permissions import (
    MANAGE_CLIENTS,
    MANAGE_USERS,
    VIEW_USERS,
    departments_in_scope,
    has_permission,
    holds_installation_wide,
    permission_choices,
    role_label,
)
from zhengtong.identity.selectors import accounts_managed_by, accounts_seen_by


def _may_view_users(request: HttpRequest) -> bool:
    return has_permission(request.user, VIEW_USERS) or has_permission(request.user, MANAGE_USERS)


def _user_departments(request: HttpRequest) -> QuerySet[Any]:
    return departments_in_scope(request.user, VIEW_USERS) | departments_in_scope(
        request.user, MANAGE_USERS
    )


def _may_manage_account(request: HttpRequest, account: User) -> bool:
    """Whether the request's user administers this account, not merely sees it.

    The list also holds the staff whom ``identity.view_users`` shows; changing
    one needs ``identity.manage_users`` over the account's region, as
    ``access_user_to_manage_by_id`` decides.
    """
    try:
        access_user_to_manage_by_id(request.user, account.pk)
    except ZhengtongError:
        return False
    return True


# --- logging in and out ---------------------------------------------------------------------


@never_cache
def _log_in_through_the_portal(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    # Django's own admin login form checks passwords without the throttle and
    # without a ledger entry, so the admin site sends people to the portal's.
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        # Logged in but not allowed in the admin site: sending them to the
        # login page would bring them straight back here.
        raise PermissionDenied
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


@never_cache
@require_POST
def _log_out_through_the_action(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    do_log_out(request)
    return HttpResponseRedirect(resolve_url(settings.LOGOUT_REDIRECT_URL))


admin.site.login = _log_in_through_the_portal  # type: ignore[method-assign]
admin.site.logout = _log_out_through_the_action  # type: ignore[method-assign,assignment]


# --- accounts -------------------------------------------------------------------------------


class StaffPostInline(admin.TabularInline[StaffPost, User]):
    model = StaffPost
    fk_name = "user"
    fields = ("department", "role", "scope", "scope_region", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False


class EnterpriseMembershipInline(admin.TabularInline[EnterpriseMembership, User]):
    model = EnterpriseMembership
    fk_name = "user"
    fields = ("enterprise", "relation", "valid_until", "is_active")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False


class UserActivationForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("is_active",)


@admin.register(User)
class UserAdmin(ActionAdminMixin, admin.ModelAdmin[User]):
    form = UserActivationForm
    list_display = ("username", "display_name", "audience", "is_active", "last_login")
    list_filter = ("audience", "is_active")
    search_fields = ("=username", "display_name")
    inlines = (StaffPostInline, EnterpriseMembershipInline)
    readonly_fields = (
        "username",
        "display_name",
        "audience",
        "real_name",
        "date_joined",
        "last_login",
    )
    fields = (*readonly_fields, "is_active")

    @admin.display(description=_("实名信息"))
    def real_name(self, user: User) -> str:
        person = user.person
        if person is None:
            return "—"
        return f"{mask_name(person.name)} {mask_id_number(person.id_number)}"

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request).select_related("person")
        return users.filter(pk__in=accounts_seen_by(request.user).values("pk"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view_users(request)

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return _may_view_users(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Accounts are opened by registration and by the staff commands, with a password.
        return False

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if not has_permission(request.user, MANAGE_USERS):
            return False
        return obj is None or _may_manage_account(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: User, form: ModelForm[User], change: bool
    ) -> None:
        if "is_active" in form.changed_data:
            stored = User.objects.get(pk=obj.pk)
            if not self.has_change_permission(request, stored):
                raise PermissionDenied
            do_set_user_active(stored, obj.is_active, actor=actor_of(request.user))

    def save_related(
        self, request: HttpRequest, form: ModelForm[User], formsets: Any, change: bool
    ) -> None:
        # The inlines are read-only; nothing else is saved.
        return None


# --- roles ----------------------------------------------------------------------------------


class RolePermissionsForm(forms.ModelForm[Role]):
    permissions = forms.MultipleChoiceField(
        label=_("权限"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Role
        fields = ("permissions",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["permissions"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = permission_choices()

    def clean_permissions(self) -> list[str]:
        codes: list[str] = list(self.cleaned_data["permissions"])
        try:
            check_role_permissions(self.instance, codes)
        except ZhengtongError as exc:
            raise forms.ValidationError(str(exc.message)) from None
        return codes


@admin.register(Role)
class RoleAdmin(ActionAdminMixin, admin.ModelAdmin[Role]):
    form = RolePermissionsForm
    list_display = ("code", "label", "audience", "permission_count")
    list_filter = ("audience",)
    readonly_fields = ("code", "label", "audience")
    fields = ("code", "label", "audience", "permissions")

    @admin.display(description=_("角色名称"))
    def label(self, role: Role) -> str:
        return role_label(role)

    @admin.display(description=_("权限数"))
    def permission_count(self, role: Role) -> int:
        return len(role.permissions)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view_users(request)

    def has_view_permission(self, request: HttpRequest, obj: Role | None = None) -> bool:
        return _may_view_users(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Role | None = None) -> bool:
        # A role is one row for the whole installation: changing its permissions
        # changes every holder's, in every county, so only an administrator of
        # every department may do it.
        return holds_installation_wide(request.user, MANAGE_USERS)

    def has_delete_permission(self, request: HttpRequest, obj: Role | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Role, form: ModelForm[Role], change: bool
    ) -> None:
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        stored = Role.objects.get(pk=obj.pk)
        changed = do_set_role_permissions(
            stored, form.cleaned_data["permissions"], actor=actor_of(request.user)
        )
        obj.permissions = changed.permissions


# --- posts ----------------------------------------------------------------------------------


class StaffPostForm(forms.ModelForm[StaffPost]):
    # The administrator filling the form in; ``StaffPostAdmin.get_form`` sets it.
    administrator: Any = None

    class Meta:
        model = StaffPost
        fields = ("user", "department", "role", "scope", "scope_region")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user, department, role = data.get("user"), data.get("department"), data.get("role")
        if user is not None and department is not None and role is not None and "scope" in data:
            try:
                check_post(user, department, role.code, data["scope"], data.get("scope_region"))
            except ZhengtongError as exc:
                field = str(exc.detail.get("field", ""))
                field = {"role_codes": "role"}.get(field, field)
                self.add_error(field if field in self.fields else None, str(exc.message))
        if (
            department is not None
            and data.get("scope") == ScopeLevel.REGION
            and not self.has_error("scope_region")
        ):
            # A region-wide post reaches every department of its region, so it
            # may reach no further than its administrator does.
            region = data.get("scope_region") or department.region
            if not has_permission(self.administrator, MANAGE_USERS, region=region):
                self.add_error(
                    "scope_region" if data.get("scope_region") else "scope",
                    _("岗位的数据范围不能超出您所管理的行政区域。"),
                )
        return data

    def validate_unique(self) -> None:
        # An ended post may be taken up again; the action decides.
        return None


@admin.register(StaffPost)
class StaffPostAdmin(ActionAdminMixin, admin.ModelAdmin[StaffPost]):
    form = StaffPostForm
    list_display = ("user", "department", "role_name", "scope", "scope_region", "is_active")
    list_filter = ("is_active", "scope", "role")
    search_fields = ("=user__username", "user__display_name", "department__name")
    list_select_related = ("user", "department", "role", "scope_region")
    # Departments are offered from the administrator's scope (see below); a
    # region is entered by its code, there are too many to list.
    autocomplete_fields = ("user",)
    raw_id_fields = ("scope_region",)
    actions = ("end_posts",)

    @admin.display(description=_("角色"))
    def role_name(self, post: StaffPost) -> str:
        return role_label(post.role)

    def get_readonly_fields(
        self, request: HttpRequest, obj: StaffPost | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        return ("user", "department", "role", "scope", "scope_region", "is_active")

    def get_form(
        self,
        request: HttpRequest,
        obj: StaffPost | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm[StaffPost]]:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"administrator": request.user})

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffPost]:
        return super().get_queryset(request).filter(department__in=_user_departments(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view_users(request)

    def has_view_permission(self, request: HttpRequest, obj: StaffPost | None = None) -> bool:
        return _may_view_users(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, MANAGE_USERS)

    def has_change_permission(self, request: HttpRequest, obj: StaffPost | None = None) -> bool:
        # Posts are never edited: they are assigned, and ended by the list action.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StaffPost | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: StaffPost, form: ModelForm[StaffPost], change: bool
    ) -> None:
        data = form.cleaned_data
        department = data["department"]
        # The form offers only what is in scope; checked again so that nothing
        # depends on the form having done so.
        if not has_permission(request.user, MANAGE_USERS, department=department):
            raise PermissionDenied
        user = access_user_to_manage_by_id(request.user, data["user"].pk)
        post = do_assign_post(
            user,
            department,
            data["role"].code,
            actor=actor_of(request.user),
            scope=data["scope"],
            scope_region=data.get("scope_region"),
        )
        obj.__dict__.update(post.__dict__)

    @admin.action(description=_("结束所选岗位"))
    def end_posts(self, request: HttpRequest, queryset: QuerySet[StaffPost]) -> None:
        ended, ended_meanwhile = 0, 0
        for post in queryset.filter(is_active=True).select_related("user", "department", "role"):
            if has_permission(request.user, MANAGE_USERS, department=post.department):
                try:
                    do_end_post(post, actor=actor_of(request.user))
                except Conflict as refusal:
                    # Someone else ended it since the list was read.
                    if refusal.code != "post_ended":
                        raise
                    ended_meanwhile += 1
                    continue
                ended += 1
        self.message_user(
            request,
            ngettext("已结束%(count)d个岗位。", "已结束%(count)d个岗位。", ended)
            % {"count": ended},
            messages.SUCCESS,
        )
        if ended_meanwhile:
            self.message_user(
                request,
                ngettext(
                    "%(count)d个岗位已由他人结束，本次未重复结束。",
                    "%(count)d个岗位已由他人结束，本次未重复结束。",
                    ended_meanwhile,
                )
                % {"count": ended_meanwhile},
                messages.WARNING,
            )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "department":
            kwargs["queryset"] = departments_in_scope(request.user, MANAGE_USERS)
        if db_field.name == "user":
            # Only the staff the administrator manages: a post changes its holder's roles.
            kwargs["queryset"] = accounts_managed_by(request.user).filter(audience=Audience.STAFF)
        if db_field.name == "role":
            kwargs["queryset"] = Role.objects.filter(audience=Audience.STAFF)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- G2G clients ----------------------------------------------------------------------------


@admin.register(SystemClient)
class SystemClientAdmin(admin.ModelAdmin[SystemClient]):
    list_display = ("name", "department", "key_id", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "=key_id", "department__name")
    list_select_related = ("department",)
    # Never the secret hash: nothing in the admin helps anyone test a guess.
    fields = (
        "name",
        "department",
        "key_id",
        "scopes",
        "created_at",
        "rotated_at",
        "revoked_at",
        "last_used_at",
    )
    readonly_fields = fields
    actions = ("revoke_clients",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SystemClient]:
        return (
            super()
            .get_queryset(request)
            .filter(department__in=departments_in_scope(request.user, MANAGE_CLIENTS))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, MANAGE_CLIENTS)

    def has_view_permission(self, request: HttpRequest, obj: SystemClient | None = None) -> bool:
        return has_permission(request.user, MANAGE_CLIENTS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Issued on the developer page or through the API, which show the secret once.
        return False

    def has_change_permission(self, request: HttpRequest, obj: SystemClient | None = None) -> bool:
        # Only the list's revoke action changes anything.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SystemClient | None = None) -> bool:
        return False

    @admin.action(description=_("吊销所选接入系统的凭证"))
    def revoke_clients(self, request: HttpRequest, queryset: QuerySet[SystemClient]) -> None:
        revoked = 0
        for client in queryset.filter(revoked_at__isnull=True).select_related("department"):
            if has_permission(request.user, MANAGE_CLIENTS, department=client.department):
                do_revoke_client(client, actor=actor_of(request.user))
                revoked += 1
        self.message_user(
            request,
            ngettext("已吊销%(count)d个接入系统。", "已吊销%(count)d个接入系统。", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin[LoginFailure]):
    list_display = ("at", "username", "ip_address")
    search_fields = ("=username", "=ip_address")
    date_hierarchy = "at"
    fields = ("at", "username", "ip_address")
    readonly_fields = fields

    # Failures name accounts by what was typed, which no region places, so
    # only an administrator of every department reads them.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return holds_installation_wide(request.user, MANAGE_USERS)

    def has_view_permission(self, request: HttpRequest, obj: LoginFailure | None = None) -> bool:
        return holds_installation_wide(request.user, MANAGE_USERS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoginFailure | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LoginFailure | None = None) -> bool:
        return False
