"""Changing the shared registers. Every change writes one ledger entry in its transaction."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.core import calendar
from zhengtong.core.actors import Actor
from zhengtong.core.divisions import Division, division_list, divisions_for
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.masking import mask_id_number, mask_name
from zhengtong.core.models import (
    Department,
    DepartmentKind,
    Enterprise,
    HolidayArrangement,
    HolidayArrangementDay,
    Person,
    Region,
    RegionLevel,
)
from zhengtong.core.selectors import PATH_SEPARATOR
from zhengtong.core.validators import (
    SHANGHAI,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)
from zhengtong.ledger.actions import record_entry

M = TypeVar("M", bound=Model)

REGION_BATCH_SIZE = 2000
# GB/T 4754 industry codes: a section letter A-T, then up to four digits.
_INDUSTRY_CODE = re.compile(r"^[A-T][0-9]{0,4}$")


# Regions ---------------------------------------------------------------------


def do_load_regions(*, actor: Actor, province_codes: Sequence[str] | None = None) -> int:
    """Load the GB/T 2260 divisions (all, or only the given provinces); return how many changed.

    Loading is idempotent: divisions already present with the same name,
    level and parent are left alone, so a second run changes no region. Regions
    that have left the official list are kept, because departments, people and
    records may still refer to them.
    """
    data = division_list()
    wanted = divisions_for(province_codes)
    paths = _paths(data.divisions)

    with transaction.atomic(durable=True):
        existing = {
            code: (name, level, parent_id, path)
            for code, name, level, parent_id, path in Region.objects.values_list(
                "code", "name", "level", "parent_id", "path"
            )
        }
        to_create: list[Region] = []
        to_update: list[Region] = []
        for division in wanted:
            row = Region(
                code=division.code,
                name=division.name,
                level=division.level,
                parent_id=division.parent_code or None,
                path=paths[division.code],
            )
            current = existing.get(division.code)
            if current is None:
                to_create.append(row)
            elif current != (row.name, row.level, row.parent_id, row.path):
                to_update.append(row)
        # Parents first, so that the rows are valid even where foreign keys
        # are checked immediately.
        Region.objects.bulk_create(to_create, batch_size=REGION_BATCH_SIZE)
        Region.objects.bulk_update(
            to_update, ["name", "level", "parent", "path"], batch_size=REGION_BATCH_SIZE
        )
        counts = {
            str(level): sum(1 for d in wanted if d.level == level) for level in RegionLevel.values
        }
        record_entry(
            actor=actor,
            action="core.load_regions",
            subject_type="core.region_list",
            subject_id=data.as_of,
            data={
                "provinces": sorted(province_codes) if province_codes is not None else "all",
                "counts": counts,
                "created": len(to_create),
                "updated": len(to_update),
                "unchanged": len(wanted) - len(to_create) - len(to_update),
                "source": data.source,
                "as_of": data.as_of,
                "sha256": data.sha256,
            },
        )
    return len(to_create) + len(to_update)


def _paths(divisions: Sequence[Division]) -> dict[str, str]:
    """Return each division's materialised path of codes from its province down."""
    parents = {d.code: d.parent_code for d in divisions}
    paths: dict[str, str] = {}
    for division in sorted(divisions, key=lambda d: d.level):
        parent = parents[division.code]
        paths[division.code] = (
            paths[parent] + PATH_SEPARATOR + division.code if parent else division.code
        )
    return paths


# Departments -----------------------------------------------------------------


def do_register_department(
    code: str,
    name: str,
    credit_code: str,
    region: Region,
    kind: str,
    *,
    actor: Actor,
    parent: Department | None = None,
    short_name: str = "",
) -> Department:
    """Register a government department or public institution of a region."""
    code = code.strip()
    try:
        validate_slug(code)
    except ValidationError:
        raise InvalidInput(
            _("部门编码只能包含字母、数字、连字符和下划线。"),
            code="invalid_department_code",
            detail={"field": "code"},
        ) from None
    if len(code) > _max_length(Department, "code"):
        raise _too_long("code")
    name = _required_text(name, "name", _("请填写部门名称。"), Department)
    short_name = _optional_text(short_name, "short_name", Department)
    credit_code = validate_credit_code(credit_code)
    if kind not in DepartmentKind.values:
        raise InvalidInput(
            _("部门类别无效。"),
            code="invalid_department_kind",
            detail={"field": "kind", "expected": DepartmentKind.values},
        )

    with transaction.atomic(durable=True):
        if Department.objects.filter(code=code).exists():
            raise _conflict("duplicate_department_code", "code", _("部门编码已被使用。"))
        if Department.objects.filter(credit_code=credit_code).exists():
            raise _conflict("duplicate_credit_code", "credit_code", _("该统一社会信用代码已登记。"))
        department = _create(
            lambda: Department.objects.create(
                code=code,
                name=name,
                short_name=short_name,
                credit_code=credit_code,
                region=region,
                kind=kind,
                parent=parent,
            ),
            "duplicate_department_code",
            "code",
        )
        record_entry(
            actor=actor,
            action="core.register_department",
            subject_type="core.department",
            subject_id=department.pk,
            data={
                "code": code,
                "name": name,
                "short_name": short_name,
                "credit_code": credit_code,
                "region": region.pk,
                "kind": kind,
                "parent": parent.code if parent else None,
            },
        )
    return department


# People ----------------------------------------------------------------------


def do_register_person(
    id_number: str,
    name: str,
    *,
    actor: Actor,
    phone: str = "",
    address: str = "",
    region: Region | None = None,
) -> Person:
    """Register a natural person; the birth date and sex come from the 身份证号."""
    facts = validate_id_number(id_number)
    name = _required_text(name, "name", _("请填写姓名。"), Person)
    phone = validate_phone(phone)
    address = _optional_text(address, "address", Person)

    with transaction.atomic(durable=True):
        if Person.objects.filter(id_number=facts.number).exists():
            raise _conflict("duplicate_id_number", "id_number", _("该公民身份号码已登记。"))
        person = _create(
            lambda: Person.objects.create(
                id_number=facts.number,
                name=name,
                birth_date=facts.birth_date,
                sex=facts.sex,
                phone=phone,
                address=address,
                region=region,
            ),
            "duplicate_id_number",
            "id_number",
        )
        # The ledger keeps hashes of this data, and an identity number is
        # guessable from its hash, so only masked values go in.
        record_entry(
            actor=actor,
            action="core.register_person",
            subject_type="core.person",
            subject_id=person.pk,
            data={
                "id_number": mask_id_number(facts.number),
                "name": mask_name(name),
                "region": region.pk if region else None,
            },
        )
    return person


# Enterprises -----------------------------------------------------------------


def do_register_enterprise(
    credit_code: str,
    name: str,
    legal_representative: Person,
    address: str,
    region: Region,
    *,
    actor: Actor,
    industry_code: str = "",
    industry: str = "",
    established_on: dt.date | None = None,
) -> Enterprise:
    """Register an enterprise (legal person) with its 统一社会信用代码."""
    credit_code = validate_credit_code(credit_code)
    name = _required_text(name, "name", _("请填写企业名称。"), Enterprise)
    address = _required_text(address, "address", _("请填写住所。"), Enterprise)
    industry = _optional_text(industry, "industry", Enterprise)
    industry_code = industry_code.strip().upper()
    if industry_code and not _INDUSTRY_CODE.fullmatch(industry_code):
        raise InvalidInput(
            _("行业代码应为GB/T 4754门类字母加至多4位数字，如 H6210。"),
            code="invalid_industry_code",
            detail={"field": "industry_code"},
        )
    if (
        established_on is not None
        and established_on > timezone.localtime(timezone.now(), SHANGHAI).date()
    ):
        raise InvalidInput(
            _("成立日期不能晚于今天。"),
            code="invalid_established_on",
            detail={"field": "established_on"},
        )
    if legal_representative.pk is None:
        raise InvalidInput(
            _("法定代表人须先登记为自然人。"),
            code="invalid_legal_representative",
            detail={"field": "legal_representative"},
        )

    with transaction.atomic(durable=True):
        if Enterprise.objects.filter(credit_code=credit_code).exists():
            raise _conflict("duplicate_credit_code", "credit_code", _("该统一社会信用代码已登记。"))
        enterprise = _create(
            lambda: Enterprise.objects.create(
                credit_code=credit_code,
                name=name,
                legal_representative=legal_representative,
                address=address,
                region=region,
                industry_code=industry_code,
                industry=industry,
                established_on=established_on,
            ),
            "duplicate_credit_code",
            "credit_code",
        )
        record_entry(
            actor=actor,
            action="core.register_enterprise",
            subject_type="core.enterprise",
            subject_id=enterprise.pk,
            data={
                "credit_code": credit_code,
                "name": name,
                "legal_representative": legal_representative.pk,
                "region": region.pk,
                "industry_code": industry_code,
                "established_on": established_on.isoformat() if established_on else None,
            },
        )
    return enterprise


# Holiday arrangements --------------------------------------------------------

# The years a notice can be for: the holiday package starts at 2004, and a
# year far ahead has no notice yet.
FIRST_ARRANGED_YEAR = 2004
LAST_ARRANGED_YEAR = 2099


@dataclass(frozen=True, slots=True)
class ArrangedDay:
    """A day a notice changes: a public holiday, or a weekend day worked in lieu."""

    day: dt.date
    is_working_day: bool
    name: str


def do_record_holiday_arrangement(
    year: int,
    notice: str,
    days: Sequence[ArrangedDay],
    *,
    actor: Actor,
    published_on: dt.date | None = None,
) -> HolidayArrangement:
    """Record a year's holiday arrangement from the State Council's notice.

    Every working-day time limit counts by it from then on, ahead of the
    holiday package. A notice recorded again for the same year (a corrected
    entry) replaces the earlier one. Days must fall in the year, or in the
    December before it (a New Year holiday may start on 30 or 31 December);
    a day worked in lieu must be a Saturday or a Sunday. Either every day is
    recorded or, with the problems listed by day, none: half an arrangement
    would count some holidays as working days.
    """
    if not FIRST_ARRANGED_YEAR <= year <= LAST_ARRANGED_YEAR:
        raise InvalidInput(
            _("年度应在%(first)d到%(last)d之间。")
            % {"first": FIRST_ARRANGED_YEAR, "last": LAST_ARRANGED_YEAR},
            code="invalid_year",
            detail={"field": "year", "min": FIRST_ARRANGED_YEAR, "max": LAST_ARRANGED_YEAR},
        )
    notice = _required_text(notice, "notice", _("请填写通知文号。"), HolidayArrangement)
    problems = _arrangement_problems(year, days)
    if problems:
        raise InvalidInput(
            _("节假日安排有误，未录入任何日期。"),
            code="invalid_holiday_arrangement",
            detail={"problems": problems},
        )
    ordered = sorted(days, key=lambda d: d.day)
    with transaction.atomic(durable=True):
        arrangement = HolidayArrangement.objects.select_for_update().filter(year=year).first()
        replaced = None
        if arrangement is None:
            arrangement = HolidayArrangement(year=year)
        else:
            replaced = arrangement.notice
            arrangement.days.all().delete()
        arrangement.notice = notice
        arrangement.published_on = published_on
        arrangement.recorded_at = timezone.now()
        arrangement.save()
        HolidayArrangementDay.objects.bulk_create(
            HolidayArrangementDay(
                arrangement=arrangement,
                day=d.day,
                is_working_day=d.is_working_day,
                name=_clean(d.name),
            )
            for d in ordered
        )
        record_entry(
            actor=actor,
            action="core.record_holiday_arrangement",
            subject_type="core.holidayarrangement",
            subject_id=arrangement.pk,
            data={
                "year": year,
                "notice": notice,
                "published_on": published_on.isoformat() if published_on else None,
                "holidays": [d.day.isoformat() for d in ordered if not d.is_working_day],
                "working_days": [d.day.isoformat() for d in ordered if d.is_working_day],
                "replaced_notice": replaced,
            },
        )
        # This process counts by the notice at once; the others within
        # calendar.RECORDED_REFRESH_SECONDS.
        transaction.on_commit(calendar.forget_recorded_arrangements)
    return arrangement


def _arrangement_problems(year: int, days: Sequence[ArrangedDay]) -> list[dict[str, str]]:
    """Every problem of the notice's days, each with the day it concerns."""
    if not days:
        return [{"day": "", "code": "no_days", "message": str(_("通知中没有任何日期。"))}]
    first, last = dt.date(year - 1, 12, 1), dt.date(year, 12, 31)
    name_length = _max_length(HolidayArrangementDay, "name")
    problems: list[dict[str, str]] = []
    seen: set[dt.date] = set()

    def problem(day: dt.date, code: str, message: str) -> None:
        problems.append({"day": day.isoformat(), "code": code, "message": message})

    for d in days:
        if not first <= d.day <= last:
            problem(
                d.day,
                "day_outside_year",
                _("日期不在%(year)d年度内。") % {"year": year},
            )
        if d.day in seen:
            problem(d.day, "duplicate_day", _("该日期重复出现。"))
        seen.add(d.day)
        if d.is_working_day and d.day.weekday() < 5:
            problem(d.day, "make_up_day_not_weekend", _("调休上班日应为星期六或星期日。"))
        name = _clean(d.name)
        if not name:
            problem(d.day, "name_required", _("请填写节日名称。"))
        elif len(name) > name_length:
            problem(d.day, "too_long", _("节日名称过长。"))
    return problems


# Helpers ---------------------------------------------------------------------


def _create(make: Callable[[], M], conflict_code: str, field: str) -> M:
    """Create a row, turning a unique-constraint race into the same Conflict as the check."""
    try:
        with transaction.atomic():
            return make()
    except IntegrityError:
        raise _conflict(conflict_code, field, _("该记录已存在。")) from None


def _conflict(code: str, field: str, message: str) -> Conflict:
    return Conflict(message, code=code, detail={"field": field})


def _clean(value: str) -> str:
    # Only surrounding whitespace: names keep their full-width brackets and dots.
    return value.strip()


def _max_length(model: type[Model], field: str) -> int:
    length: Any = model._meta.get_field(field).max_length  # type: ignore[union-attr]
    return int(length)


def _too_long(field: str) -> InvalidInput:
    return InvalidInput(_("内容过长。"), code="too_long", detail={"field": field})


def _required_text(value: str, field: str, message: str, model: type[Model]) -> str:
    text = _clean(value)
    if not text:
        raise InvalidInput(message, code="required", detail={"field": field})
    if len(text) > _max_length(model, field):
        raise _too_long(field)
    return text


def _optional_text(value: str, field: str, model: type[Model]) -> str:
    text = _clean(value)
    if len(text) > _max_length(model, field):
        raise _too_long(field)
    return text
