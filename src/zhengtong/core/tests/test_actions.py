import datetime as dt

import pytest

from zhengtong.core.actions import (
    do_register_department,
    do_register_enterprise,
    do_register_person,
)
from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.models import Department, Enterprise, Person
from zhengtong.core.selectors import (
    departments_in,
    find_enterprise_by_credit_code,
    find_person_by_id_number,
)
from zhengtong.core.testing import (
    make_credit_code,
    make_department,
    make_enterprise,
    make_id_number,
    make_person,
    make_region_tree,
)
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

REGISTRAR = Actor(kind="user", id="7", label="李四")
ZHANG_SAN_ID = make_id_number("430102", dt.date(1990, 1, 1), 1, "M")


class TestPeople:
    def test_it_registers_a_person_and_derives_birth_date_and_sex(self) -> None:
        person = do_register_person(ZHANG_SAN_ID, " 张三 ", actor=REGISTRAR, phone="138 1234 5678")

        person.refresh_from_db()
        assert person.name == "张三"
        assert person.birth_date == dt.date(1990, 1, 1)
        assert person.sex == "M"
        assert person.phone == "13812345678"
        assert str(person) == "张*"

    def test_it_stores_the_normalised_number(self) -> None:
        number = make_id_number("430102", dt.date(1990, 1, 1), 2, "F")
        person = do_register_person(f" {number.lower()} ", "李娜", actor=REGISTRAR)
        assert person.id_number == number
        assert person.sex == "F"
        assert find_person_by_id_number(number.lower()) == person

    def test_it_writes_one_ledger_entry_for_the_person(self) -> None:
        person = do_register_person(ZHANG_SAN_ID, "张三", actor=REGISTRAR)

        entry = LedgerEntry.objects.get()
        assert entry.action == "core.register_person"
        assert (entry.subject_type, entry.subject_id) == ("core.person", str(person.pk))
        assert entry.actor_ref == "user:7"

    def test_it_refuses_a_duplicate_id_number(self) -> None:
        do_register_person(ZHANG_SAN_ID, "张三", actor=REGISTRAR)
        with pytest.raises(Conflict) as caught:
            do_register_person(ZHANG_SAN_ID.lower(), "张叁", actor=REGISTRAR)
        assert caught.value.code == "duplicate_id_number"
        assert Person.objects.count() == 1
        assert LedgerEntry.objects.count() == 1

    def test_it_refuses_an_invalid_number_before_writing_anything(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            do_register_person(ZHANG_SAN_ID[:-1] + "Y", "张三", actor=REGISTRAR)
        assert caught.value.code == "invalid_id_number"
        assert not Person.objects.exists()
        assert not LedgerEntry.objects.exists()

    @pytest.mark.parametrize(
        ("name", "phone", "code"),
        [("  ", "", "required"), ("张三", "call me", "invalid_phone"), ("张" * 65, "", "too_long")],
    )
    def test_it_refuses_bad_details(self, name: str, phone: str, code: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            do_register_person(ZHANG_SAN_ID, name, actor=REGISTRAR, phone=phone)
        assert caught.value.code == code


class TestDepartments:
    def test_it_registers_a_department_with_one_ledger_entry(self) -> None:
        tree = make_region_tree()
        credit_code = make_credit_code("430100", 42, authority="1", entity_type="1")

        department = do_register_department(
            "cs-amr",
            "长沙市市场监督管理局",
            credit_code.lower(),
            tree.city,
            "government",
            actor=REGISTRAR,
            short_name="市市场监管局",
        )

        assert department.credit_code == credit_code
        entry = LedgerEntry.objects.get()
        assert entry.action == "core.register_department"
        assert entry.subject_id == str(department.pk)

    def test_it_refuses_a_department_credit_code_with_a_wrong_check_digit(self) -> None:
        tree = make_region_tree()
        code = make_credit_code("430100", 42, authority="1")
        wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
        with pytest.raises(InvalidInput) as caught:
            do_register_department(
                "cs-amr", "市场监管局", wrong, tree.city, "government", actor=REGISTRAR
            )
        assert caught.value.code == "invalid_credit_code"
        assert caught.value.detail["expected"] == code[-1]

    def test_it_refuses_a_duplicate_credit_code_and_a_duplicate_code(self) -> None:
        existing = make_department()
        tree = make_region_tree()
        with pytest.raises(Conflict) as caught:
            do_register_department(
                "other", "另一个局", existing.credit_code, tree.city, "government", actor=REGISTRAR
            )
        assert caught.value.code == "duplicate_credit_code"
        with pytest.raises(Conflict) as caught:
            do_register_department(
                existing.code,
                "另一个局",
                make_credit_code(seq=9999, authority="1"),
                tree.city,
                "government",
                actor=REGISTRAR,
            )
        assert caught.value.code == "duplicate_department_code"

    @pytest.mark.parametrize(
        ("code", "kind", "error"),
        [
            ("bad code!", "government", "invalid_department_code"),
            ("ok-code", "ministry", "invalid_department_kind"),
        ],
    )
    def test_it_refuses_a_bad_code_or_kind(self, code: str, kind: str, error: str) -> None:
        tree = make_region_tree()
        with pytest.raises(InvalidInput) as caught:
            do_register_department(
                code, "局", make_credit_code(authority="1"), tree.city, kind, actor=REGISTRAR
            )
        assert caught.value.code == error

    def test_departments_in_a_city_include_those_of_its_districts(self) -> None:
        tree = make_region_tree()
        city_bureau = make_department("长沙市市场监督管理局", region=tree.city)
        district_bureau = make_department(
            "芙蓉区市场监督管理局", region=tree.furong, parent=city_bureau
        )
        make_department("天心区市场监督管理局", region=tree.tianxin)

        assert set(departments_in(tree.furong)) == {district_bureau}
        assert set(departments_in(tree.city)) == set(Department.objects.all())


class TestEnterprises:
    def test_it_registers_an_enterprise_with_one_ledger_entry(self) -> None:
        tree = make_region_tree()
        owner = make_person("王芳", sex="F")
        before = LedgerEntry.objects.count()

        shop = do_register_enterprise(
            make_credit_code("430102", 5),
            "长沙市芙蓉区好味道餐饮店",
            owner,
            "湖南省长沙市芙蓉区五一大道100号",
            tree.furong,
            actor=REGISTRAR,
            industry_code="h6210",
            industry="正餐服务",
            established_on=dt.date(2020, 5, 1),
        )

        assert shop.industry_code == "H6210"
        assert find_enterprise_by_credit_code(shop.credit_code.lower()) == shop
        assert LedgerEntry.objects.count() == before + 1
        assert LedgerEntry.objects.order_by("-seq").first().action == "core.register_enterprise"  # type: ignore[union-attr]

    def test_it_refuses_a_duplicate_credit_code(self) -> None:
        shop = make_enterprise()
        with pytest.raises(Conflict) as caught:
            make_enterprise("另一家店", credit_code=shop.credit_code)
        assert caught.value.code == "duplicate_credit_code"
        assert Enterprise.objects.count() == 1

    def test_it_refuses_an_unsaved_legal_representative(self) -> None:
        tree = make_region_tree()
        with pytest.raises(InvalidInput) as caught:
            do_register_enterprise(
                make_credit_code(), "店", Person(name="无名"), "地址", tree.furong, actor=REGISTRAR
            )
        assert caught.value.code == "invalid_legal_representative"

    def test_it_refuses_a_future_establishment_date(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            make_enterprise(established_on=dt.date.today() + dt.timedelta(days=400))
        assert caught.value.code == "invalid_established_on"


class TestFactories:
    def test_factories_make_many_distinct_valid_people(self) -> None:
        people = [make_person() for _ in range(510)]
        assert len({p.id_number for p in people}) == 510

    def test_make_id_number_refuses_an_order_code_out_of_range(self) -> None:
        with pytest.raises(ValueError):
            make_id_number(seq=500, sex="F")
