"""Read-mostly admin for the registers: new rows go through the actions, nothing is edited.

Changes to a register are acts that must reach the ledger, so the admin never
saves a model itself: ``save_model`` calls the action, and existing rows are
shown read-only. Personal data is shown masked.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from django.contrib import admin, auth
from django.core.signals import setting_changed
from django.db.models import Model, QuerySet
from django.dispatch import receiver
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhengtong.core.actions import (
    do_register_department,
    do_register_enterprise,
    do_register_person,
)
from zhengtong.core.actors import Actor
from zhengtong.core.admin_actions import ActionAdminMixin, ReadOnlyAdmin
from zhengtong.core.forms import (
    DepartmentRegistrationForm,
    EnterpriseRegistrationForm,
    PersonRegistrationForm,
)
from zhengtong.core.masking import mask_address, mask_id_number, mask_name, mask_phone
from zhengtong.core.models import (
    Department,
    Enterprise,
    HolidayArrangement,
    HolidayArrangementDay,
    Person,
    Region,
)
from zhengtong.core.validators import normalise


def admin_actor(request: HttpRequest) -> Actor:
    """Return the actor for a member of staff working in the admin."""
    user = request.user
    label = getattr(user, "display_name", "") or user.get_username()
    return Actor(kind="user", id=str(user.pk), label=label)


M = TypeVar("M", bound=Model)

# The platform's permission codes (identity/permissions.py), which the roles
# grant; the identity app's backend answers them from the roles.
MANAGE_REGISTERS = "core.manage_registers"


@functools.cache
def _backends() -> tuple[Any, ...]:
    """The configured authentication backends, made once rather than on every check.

    ``auth.get_backends()`` imports and instantiates each backend anew, and a
    register page asks for a permission many times.
    """
    return tuple(auth.get_backends())


@receiver(setting_changed)
def _forget_backends(*, setting: str, **kwargs: Any) -> None:
    # Tests that override the setting (and the settings they restore) are followed at once.
    if setting == "AUTHENTICATION_BACKENDS":
        _backends.cache_clear()


def _holds(user: Any, perm: str, obj: Any = None) -> bool:
    """Whether the user's roles grant ``perm`` (for ``obj``'s place, if given).

    Asked of the backends directly: ``user.has_perm`` says yes to a
    superuser for everything, and the superuser flag grants no power here.
    """
    return user.is_active and any(backend.has_perm(user, perm, obj) for backend in _backends())


def _regions_held(user: Any, perm: str) -> QuerySet[Region]:
    """The regions where the user's roles grant ``perm``.

    Asked of the backends that can list them (``regions_with_perm``); one
    that cannot grants ``perm`` for no region here, as Django's own
    ``ModelBackend`` grants no permission on an object.
    """
    regions = Region.objects.none()
    if not user.is_active:
        return regions
    for backend in _backends():
        listing = getattr(backend, "regions_with_perm", None)
        if listing is not None:
            regions |= listing(user, perm)
    return regions


def _may_manage_registers(request: HttpRequest) -> bool:
    return _holds(request.user, MANAGE_REGISTERS)


# The register forms' region field, whose picker (the admin's autocomplete)
# offers only the regions the user may register in.
_REGISTER_REGION_FIELDS = {
    ("core", model, "region") for model in ("department", "person", "enterprise")
}


class RegisterAdmin(ActionAdminMixin, admin.ModelAdmin[M]):
    """Adds through an action, shows existing rows read-only, never deletes.

    Whoever may keep the registers (``core.manage_registers``) sees and adds
    rows, adding only in the regions their post reaches; ``view_permission``
    lets others see them (read-only, personal data masked).
    """

    view_permission = MANAGE_REGISTERS

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return _may_manage_registers(request) or _holds(request.user, self.view_permission)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A post that reaches no region (a department-wide one) could fill in
        # the form but never save it: every region would be refused.
        return (
            _may_manage_registers(request)
            and _regions_held(request.user, MANAGE_REGISTERS).exists()
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name != "region":
            return super().formfield_for_foreignkey(db_field, request, **kwargs)
        kwargs["queryset"] = _regions_held(request.user, MANAGE_REGISTERS)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None:
            # A region outside the list (typed in, or out of reach since the
            # page was opened) is refused with the words the form always used.
            field.error_messages["invalid_choice"] = _("您的岗位不能在该行政区域登记。")
        return field

    def get_form(
        self, request: HttpRequest, obj: M | None = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[M]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form
        user = request.user

        class InScope(form):  # type: ignore[valid-type,misc]
            """The register form, refusing a region the user's post does not reach."""

            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                region = cleaned.get("region")
                if region is not None and not _holds(user, MANAGE_REGISTERS, region):
                    self.add_error("region", _("您的岗位不能在该行政区域登记。"))
                return cleaned

        return InScope

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: M, form: ModelForm[M], change: bool) -> None:
        if change:  # pragma: no cover - change is refused by has_change_permission
            raise PermissionError("registers are changed through actions only")
        made = self.register(admin_actor(request), form.cleaned_data)
        # The admin goes on to log and redirect with the object it built.
        obj.__dict__.update(made.__dict__)

    def register(self, actor: Actor, data: dict[str, Any]) -> M:
        raise NotImplementedError


class IdNumberSearchMixin:
    """Searches for a 身份证号 as the register stores it.

    Staff type what is on the card, often with a Chinese input method left in
    full width (４３０１…Ｘ); the register holds the ASCII form.
    """

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        return super().get_search_results(  # type: ignore[misc,no-any-return]
            request, queryset, normalise(search_term)
        )


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    fields = ("code", "name", "level", "parent", "path")
    readonly_fields = fields
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_manage_registers(request)

    def has_view_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        # Read by those who register departments, persons and enterprises in them.
        return _may_manage_registers(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Region], search_term: str
    ) -> tuple[QuerySet[Region], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        asked_for = (
            request.GET.get("app_label"),
            request.GET.get("model_name"),
            request.GET.get("field_name"),
        )
        if asked_for in _REGISTER_REGION_FIELDS:
            # The picker of a register form: only where the user may register.
            found = found.filter(pk__in=_regions_held(request.user, MANAGE_REGISTERS))
        return found, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Regions come from the official list: ``zhengtong load_regions``.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        return False


@admin.register(Department)
class DepartmentAdmin(RegisterAdmin[Department]):
    form = DepartmentRegistrationForm
    list_display = ("name", "code", "region", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code", "credit_code")
    list_select_related = ("region",)
    autocomplete_fields = ("region", "parent")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Department | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        return (
            "code",
            "name",
            "short_name",
            "credit_code",
            "region",
            "kind",
            "parent",
            "is_active",
        )

    def register(self, actor: Actor, data: dict[str, Any]) -> Department:
        return do_register_department(
            data["code"],
            data["name"],
            data["credit_code"],
            data["region"],
            data["kind"],
            actor=actor,
            parent=data.get("parent"),
            short_name=data.get("short_name", ""),
        )


@admin.register(Person)
class PersonAdmin(IdNumberSearchMixin, RegisterAdmin[Person]):
    form = PersonRegistrationForm
    view_permission = "core.view_person"
    list_display = ("masked_name", "masked_id_number", "sex", "region")
    list_filter = ("sex",)
    # Exact match only: staff find a person they already know the number of,
    # they do not browse by fragments of numbers.
    search_fields = ("=id_number",)
    list_select_related = ("region",)
    autocomplete_fields = ("region",)

    @admin.display(description=_("姓名"))
    def masked_name(self, person: Person) -> str:
        return mask_name(person.name)

    @admin.display(description=_("公民身份号码"))
    def masked_id_number(self, person: Person) -> str:
        return mask_id_number(person.id_number)

    @admin.display(description=_("手机号码"))
    def masked_phone(self, person: Person) -> str:
        return mask_phone(person.phone)

    @admin.display(description=_("住址"))
    def masked_address(self, person: Person) -> str:
        return mask_address(person.address)

    def get_fields(self, request: HttpRequest, obj: Person | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("id_number", "name", "phone", "address", "region")
        return (
            "masked_name",
            "masked_id_number",
            "sex",
            "masked_phone",
            "masked_address",
            "region",
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Person | None = None
    ) -> tuple[str, ...]:
        return () if obj is None else self.get_fields(request, obj)

    def register(self, actor: Actor, data: dict[str, Any]) -> Person:
        return do_register_person(
            data["id_number"],
            data["name"],
            actor=actor,
            phone=data.get("phone", ""),
            address=data.get("address", ""),
            region=data.get("region"),
        )


@admin.register(Enterprise)
class EnterpriseAdmin(RegisterAdmin[Enterprise]):
    form = EnterpriseRegistrationForm
    view_permission = "core.view_enterprise"
    list_display = ("name", "credit_code", "region", "industry", "established_on")
    search_fields = ("name", "=credit_code")
    list_select_related = ("region",)
    autocomplete_fields = ("region", "legal_representative")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Enterprise | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ()
        return (
            "credit_code",
            "name",
            "legal_representative",
            "address",
            "region",
            "industry_code",
            "industry",
            "established_on",
        )

    def register(self, actor: Actor, data: dict[str, Any]) -> Enterprise:
        return do_register_enterprise(
            data["credit_code"],
            data["name"],
            data["legal_representative"],
            data["address"],
            data["region"],
            actor=actor,
            industry_code=data.get("industry_code", ""),
            industry=data.get("industry", ""),
            established_on=data.get("established_on"),
        )


class HolidayArrangementDayInline(admin.TabularInline[HolidayArrangementDay, HolidayArrangement]):
    model = HolidayArrangementDay
    fields = ("day", "name", "is_working_day")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_registers(request)


@admin.register(HolidayArrangement)
class HolidayArrangementAdmin(ReadOnlyAdmin):
    """Shows the recorded notices; ``zhengtong record_holiday_arrangement`` records them."""

    list_display = ("year", "notice", "published_on", "recorded_at")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_manage_registers(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage_registers(request)

    fields = ("year", "notice", "published_on", "recorded_at")
    readonly_fields = fields
    inlines = (HolidayArrangementDayInline,)
