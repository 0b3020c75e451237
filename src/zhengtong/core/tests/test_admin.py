from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from zhengtong.core.actions import ArrangedDay, do_record_holiday_arrangement
from zhengtong.core.masking import mask_id_number
from zhengtong.core.models import Department, HolidayArrangement, Person
from zhengtong.core.testing import (
    TEST_ACTOR,
    make_credit_code,
    make_department,
    make_id_number,
    make_person,
    make_region_tree,
)
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.backends import RolePermissionBackend
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

NUMBER = make_id_number("430102", dt.date(1990, 1, 1), 1, "M")


@pytest.fixture
def staff() -> Client:
    """The city's system administrator (the role that keeps the registers)."""
    tree = make_region_tree()
    bureau = make_department("长沙市数据资源局", code="cs-data", region=tree.city)
    user = do_create_staff(
        "admin",
        "Zhengtong-admin-2026",
        "管理员",
        bureau,
        ["administrator"],
        actor=TEST_ACTOR,
        scope="region",
    )
    client = Client()
    client.force_login(user)
    client.user_pk = user.pk  # type: ignore[attr-defined]
    return client


def test_adding_a_person_goes_through_the_action(staff: Client) -> None:
    tree = make_region_tree()

    response = staff.post(
        "/admin/core/person/add/",
        {
            "id_number": f" {NUMBER.lower()} ",
            "name": "张三",
            "phone": "",
            "address": "",
            "region": tree.furong.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()
    person = Person.objects.get()
    assert person.id_number == NUMBER
    assert person.birth_date == dt.date(1990, 1, 1)
    entry = LedgerEntry.objects.get(action="core.register_person")
    assert entry.actor_ref == f"user:{staff.user_pk}"  # type: ignore[attr-defined]
    assert entry.subject_id == str(person.pk)


def test_the_admin_refuses_a_bad_number_with_the_validator_message(staff: Client) -> None:
    wrong = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")

    response = staff.post("/admin/core/person/add/", {"id_number": wrong, "name": "张三"})

    assert response.status_code == 200
    assert "校验位不符" in response.content.decode()
    assert not Person.objects.exists()
    assert not LedgerEntry.objects.filter(action="core.register_person").exists()


def test_the_admin_refuses_a_duplicate_number_typed_differently(staff: Client) -> None:
    make_person(id_number=NUMBER)
    response = staff.post("/admin/core/person/add/", {"id_number": f"  {NUMBER}", "name": "张叁"})
    assert response.status_code == 200
    assert Person.objects.count() == 1


def test_a_person_is_shown_masked_and_cannot_be_changed(staff: Client) -> None:
    person = make_person("欧阳娜娜", id_number=NUMBER, phone="13812345678")

    page = staff.get(f"/admin/core/person/{person.pk}/change/").content.decode()
    assert "430102********" in page
    assert NUMBER not in page
    assert "欧阳**" in page
    assert "13812345678" not in page

    response = staff.post(f"/admin/core/person/{person.pk}/change/", {"name": "改名"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.name == "欧阳娜娜"


def test_adding_a_department_goes_through_the_action(staff: Client) -> None:
    tree = make_region_tree()
    response = staff.post(
        "/admin/core/department/add/",
        {
            "code": "cs-amr",
            "name": "长沙市市场监督管理局",
            "short_name": "",
            "credit_code": make_credit_code("430100", 3, authority="1"),
            "region": tree.city.pk,
            "kind": "government",
            "parent": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    department = Department.objects.get(code="cs-amr")
    assert (
        LedgerEntry.objects.filter(
            action="core.register_department", subject_id=str(department.pk)
        ).count()
        == 1
    )


def test_regions_are_read_only_in_the_admin(staff: Client) -> None:
    make_region_tree()
    assert staff.get("/admin/core/region/").status_code == 200
    assert staff.get("/admin/core/region/add/").status_code == 403
    assert staff.post("/admin/core/region/430102/delete/", {"post": "yes"}).status_code == 403


def test_recorded_holiday_notices_are_shown_read_only(staff: Client) -> None:
    arrangement = do_record_holiday_arrangement(
        2030,
        "国办发明电（测试）",
        [ArrangedDay(dt.date(2030, 10, 1), is_working_day=False, name="国庆节")],
        actor=TEST_ACTOR,
    )
    listed = staff.get("/admin/core/holidayarrangement/")
    assert listed.status_code == 200 and "国办发明电（测试）" in listed.content.decode()
    shown = staff.get(f"/admin/core/holidayarrangement/{arrangement.pk}/change/")
    assert shown.status_code == 200 and "国庆节" in shown.content.decode()
    assert staff.get("/admin/core/holidayarrangement/add/").status_code == 403
    deleting = f"/admin/core/holidayarrangement/{arrangement.pk}/delete/"
    assert staff.post(deleting, {"post": "yes"}).status_code == 403
    changed = staff.post(
        f"/admin/core/holidayarrangement/{arrangement.pk}/change/", {"notice": "改过的"}
    )
    assert changed.status_code == 403
    assert HolidayArrangement.objects.get().notice == "国办发明电（测试）"


def test_staff_find_a_person_by_a_number_typed_in_full_width(staff: Client) -> None:
    make_person("张三", id_number=NUMBER)
    typed = NUMBER.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}).lower()

    response = staff.get("/admin/core/person/", {"q": typed})

    assert response.context["cl"].result_count == 1
    assert mask_id_number(NUMBER) in response.content.decode()


def _staff_with(role: str, *, region_scope: bool = True) -> tuple[Client, Department]:
    """A member of staff of the Furong district's data bureau holding ``role``."""
    tree = make_region_tree()
    bureau = make_department("芙蓉区数据资源局", code="fr-data", region=tree.furong)
    user = do_create_staff(
        f"{role}-fr",
        "Zhengtong-admin-2026",
        "芙蓉区某人",
        bureau,
        [role],
        actor=TEST_ACTOR,
        scope="region" if region_scope else "department",
    )
    client = Client()
    client.force_login(user)
    return client, bureau


def _department_form(region_pk: str, code: str) -> dict[str, object]:
    return {
        "code": code,
        "name": f"{code} 局",
        "short_name": "",
        "credit_code": make_credit_code("430102", 7, authority="1"),
        "region": region_pk,
        "kind": "government",
        "parent": "",
    }


def test_the_system_administrators_role_keeps_the_registers_of_its_region() -> None:
    client, bureau = _staff_with("administrator")
    furong = bureau.region
    for page in ("/admin/core/department/", "/admin/core/person/", "/admin/core/region/"):
        assert client.get(page).status_code == 200, page
    # The region picker answers the administrator.
    picked = client.get(
        "/admin/autocomplete/",
        {"app_label": "core", "model_name": "department", "field_name": "region", "term": "芙蓉"},
    )
    assert picked.status_code == 200
    assert [row["id"] for row in picked.json()["results"]] == [furong.code]

    added = client.post("/admin/core/department/add/", _department_form(furong.pk, "fr-amr"))
    assert added.status_code == 302, added.content.decode()
    made = Department.objects.get(code="fr-amr")
    assert LedgerEntry.objects.filter(
        action="core.register_department", subject_id=str(made.pk)
    ).exists()

    # The city is beyond a district post's reach: refused on the form, nothing stored.
    city = furong.parent
    assert city is not None
    refused = client.post("/admin/core/department/add/", _department_form(city.pk, "cs-amr"))
    assert refused.status_code == 200
    assert "您的岗位不能在该行政区域登记。" in refused.content.decode()
    assert not Department.objects.filter(code="cs-amr").exists()


def test_staff_without_the_register_permission_see_no_register() -> None:
    # The auditor may open the admin site (to read users) but keeps no register.
    client, _bureau = _staff_with("auditor")
    for page in (
        "/admin/core/department/",
        "/admin/core/department/add/",
        "/admin/core/person/",
        "/admin/core/region/",
        "/admin/core/holidayarrangement/",
    ):
        assert client.get(page).status_code in (302, 403), page


def test_a_superuser_without_the_role_keeps_no_register() -> None:
    user = get_user_model().objects.create_superuser(
        "root", "root@example.com", "a long enough password", audience="staff"
    )
    client = Client()
    client.force_login(user)
    assert client.get("/admin/core/department/").status_code == 403
    assert client.get("/admin/core/person/add/").status_code == 403


REGISTER_ADD_PAGES = (
    "/admin/core/department/add/",
    "/admin/core/person/add/",
    "/admin/core/enterprise/add/",
)


def test_the_register_forms_offer_only_the_regions_the_post_reaches() -> None:
    client, bureau = _staff_with("administrator")
    furong = bureau.region
    page = client.get("/admin/core/department/add/")
    assert page.status_code == 200
    offered = page.context["adminform"].form.fields["region"].queryset
    assert sorted(offered.values_list("code", flat=True)) == ["430102", "430102001"]
    for model in ("department", "person", "enterprise"):
        picked = client.get(
            "/admin/autocomplete/",
            {"app_label": "core", "model_name": model, "field_name": "region", "term": ""},
        )
        assert picked.status_code == 200
        codes = sorted(row["id"] for row in picked.json()["results"])
        assert codes == [furong.code, "430102001"], model
    # The register of regions itself still lists every region.
    listed = client.get("/admin/core/region/", {"q": "长沙"})
    assert listed.context["cl"].result_count == 1


def test_a_post_of_its_department_only_is_offered_no_register_form() -> None:
    # The department's own administrator: its post reaches no region, so
    # every region would be refused on the form.
    client, _bureau = _staff_with("administrator", region_scope=False)
    listed = client.get("/admin/core/department/")
    assert listed.status_code == 200
    assert listed.context["has_add_permission"] is False
    assert "/admin/core/department/add/" not in listed.content.decode()
    for page in REGISTER_ADD_PAGES:
        assert client.get(page).status_code == 403, page
    make_region_tree()
    refused = client.post("/admin/core/department/add/", _department_form("430102", "fr-amr"))
    assert refused.status_code == 403
    assert not Department.objects.filter(code="fr-amr").exists()
    picked = client.get(
        "/admin/autocomplete/",
        {"app_label": "core", "model_name": "department", "field_name": "region", "term": ""},
    )
    assert picked.status_code in (200, 403)
    if picked.status_code == 200:
        assert picked.json()["results"] == []


class WatchedBackend(RolePermissionBackend):
    """The roles' backend, keeping every copy of itself asked about the registers."""

    asked: ClassVar[list[WatchedBackend]] = []

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if perm == "core.manage_registers":
            type(self).asked.append(self)
        return super().has_perm(user_obj, perm, obj)


WATCHED = ["django.contrib.auth.backends.ModelBackend", f"{__name__}.WatchedBackend"]


def test_the_register_pages_make_the_permission_backends_once(staff: Client) -> None:
    WatchedBackend.asked.clear()
    with override_settings(AUTHENTICATION_BACKENDS=WATCHED):
        for page in ("/admin/core/department/", "/admin/core/person/", *REGISTER_ADD_PAGES):
            assert staff.get(page).status_code == 200, page
    # Many questions, all answered by the one backend made for them.
    assert len(WatchedBackend.asked) > 5
    assert len({id(backend) for backend in WatchedBackend.asked}) == 1
    WatchedBackend.asked.clear()


def test_the_register_pages_follow_a_change_of_the_permission_backends(staff: Client) -> None:
    assert staff.get("/admin/core/department/").status_code == 200
    # Without the roles' backend no role grants anything on the register pages.
    with override_settings(AUTHENTICATION_BACKENDS=WATCHED[:1]):
        assert staff.get("/admin/core/department/").status_code == 403
        assert staff.get("/admin/core/department/add/").status_code == 403
    assert staff.get("/admin/core/department/").status_code == 200
    assert staff.get("/admin/core/department/add/").status_code == 200


def test_a_region_is_named_with_its_code_in_the_readers_brackets(staff: Client) -> None:
    make_region_tree()
    asked = {"app_label": "core", "model_name": "person", "field_name": "region", "term": "芙蓉"}

    def names(language: str) -> list[str]:
        found = staff.get("/admin/autocomplete/", asked, HTTP_ACCEPT_LANGUAGE=language)
        assert found.status_code == 200, found.content.decode()
        return [row["text"] for row in found.json()["results"]]

    assert names("zh-hans") == ["芙蓉区（430102）"]
    assert names("en") == ["芙蓉区 (430102)"]
