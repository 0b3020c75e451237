"""Recording the State Council's holiday notice for a year the holiday package does not know.

The days below are invented for the tests; the real notice is recorded by the
operator when it is published.
"""

import datetime as dt
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from zhengtong.core import calendar
from zhengtong.core.calendar import (
    SHANGHAI,
    add_working_days,
    calendar_coverage,
    is_known_year,
    is_working_day,
)
from zhengtong.core.models import HolidayArrangement
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db

# The first year the installed package has no arrangement for.
YEAR = calendar_coverage().stop
NOTICE = f"国办发明电〔{YEAR - 1}〕9号"


def _first(weekday: int, month: int, year: int = YEAR) -> dt.date:
    """The first given weekday (0 = Monday) of the month."""
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


# A Monday-to-Friday holiday week in May, worked in lieu on the Saturday before.
HOLIDAY_MONDAY = _first(0, 5) + dt.timedelta(days=7)
HOLIDAY_FRIDAY = HOLIDAY_MONDAY + dt.timedelta(days=4)
MAKE_UP_SATURDAY = HOLIDAY_MONDAY - dt.timedelta(days=2)

Record = Callable[..., Any]


@pytest.fixture
def record(tmp_path: Path, django_capture_on_commit_callbacks: Any) -> Record:
    """Run the command on a CSV of rows, as an operator does, committing as production does."""

    def run(rows: list[str], *, year: int = YEAR, notice: str = NOTICE) -> str:
        file = tmp_path / "arrangement.csv"
        file.write_text("date,kind,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command(
                "record_holiday_arrangement",
                str(file),
                "--year",
                str(year),
                "--notice",
                notice,
                "--published",
                f"{year - 1}-11-04",
                stdout=out,
            )
        return out.getvalue()

    return run


LABOUR_DAY_ROWS = [
    f"{HOLIDAY_MONDAY}/{HOLIDAY_FRIDAY},休,劳动节",
    f"{MAKE_UP_SATURDAY},班,劳动节",
]


def test_a_recorded_notice_decides_the_working_days_of_a_year_the_package_lacks(
    record: Record, caplog: pytest.LogCaptureFixture
) -> None:
    assert not is_known_year(YEAR)
    assert is_working_day(HOLIDAY_MONDAY)  # Monday to Friday, before the notice

    said = record(LABOUR_DAY_ROWS)

    assert f"{YEAR} ({NOTICE}): 5 holidays, 1 weekend days worked in lieu" in said
    assert is_known_year(YEAR)
    assert not any(is_working_day(HOLIDAY_MONDAY + dt.timedelta(days=n)) for n in range(5))
    assert is_working_day(MAKE_UP_SATURDAY)
    assert not is_working_day(MAKE_UP_SATURDAY + dt.timedelta(days=1))  # an ordinary Sunday
    # Accepted on the Thursday before with three working days: Friday, the
    # make-up Saturday, then the Monday after the holiday week.
    thursday = dt.datetime.combine(
        MAKE_UP_SATURDAY - dt.timedelta(days=2), dt.time(10), tzinfo=SHANGHAI
    )
    deadline = add_working_days(thursday, 3)
    assert deadline.date() == HOLIDAY_FRIDAY + dt.timedelta(days=3)
    # The year is known now: counting in it warns no more.
    calendar._warned_years.discard(YEAR)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="zhengtong.core.calendar"):
        is_working_day(dt.date(YEAR, 8, 3))
    assert not [r for r in caplog.records if str(YEAR) in r.getMessage()]

    arrangement = HolidayArrangement.objects.get(year=YEAR)
    assert arrangement.notice == NOTICE
    assert arrangement.published_on == dt.date(YEAR - 1, 11, 4)
    assert arrangement.days.count() == 6
    entry = LedgerEntry.objects.get(action="core.record_holiday_arrangement")
    assert entry.subject_id == str(arrangement.pk)


@pytest.mark.parametrize(
    ("encoding", "newline"), [("gbk", "\r\n"), ("gb18030", "\n"), ("utf-8-sig", "\r\n")]
)
def test_a_file_saved_by_excel_is_read(
    tmp_path: Path, django_capture_on_commit_callbacks: Any, encoding: str, newline: str
) -> None:
    # Excel on a Chinese Windows saves CSV in GBK with CRLF line ends, or with
    # a BOM when "CSV UTF-8" is chosen.
    file = tmp_path / "arrangement.csv"
    rows = ["date,kind,name", *LABOUR_DAY_ROWS, ",,", " , , ", ""]
    file.write_bytes(newline.join(rows).encode(encoding))
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "record_holiday_arrangement",
            str(file),
            "--year",
            str(YEAR),
            "--notice",
            NOTICE,
            stdout=io.StringIO(),
        )
    assert not is_working_day(HOLIDAY_MONDAY)
    assert set(HolidayArrangement.objects.get().days.values_list("name", flat=True)) == {"劳动节"}


def test_a_file_in_no_known_encoding_records_nothing(tmp_path: Path) -> None:
    file = tmp_path / "arrangement.csv"
    file.write_bytes(b"date,kind,name\n" + b"\xff\xfe\xff\n")
    with pytest.raises(CommandError, match="GB 18030"):
        call_command(
            "record_holiday_arrangement", str(file), "--year", str(YEAR), "--notice", NOTICE
        )
    assert not HolidayArrangement.objects.exists()


def test_a_corrected_notice_replaces_the_year_s_days(record: Record) -> None:
    record(LABOUR_DAY_ROWS)
    corrected = f"{NOTICE}（更正）"

    record(
        [f"{HOLIDAY_MONDAY}/{HOLIDAY_MONDAY + dt.timedelta(days=2)},休,劳动节"], notice=corrected
    )

    assert not is_working_day(HOLIDAY_MONDAY + dt.timedelta(days=2))
    assert is_working_day(HOLIDAY_MONDAY + dt.timedelta(days=3))  # no longer a holiday
    assert not is_working_day(MAKE_UP_SATURDAY)  # no longer worked
    assert HolidayArrangement.objects.get().notice == corrected
    assert LedgerEntry.objects.filter(action="core.record_holiday_arrangement").count() == 2


def test_a_notice_can_correct_a_year_the_package_knows(record: Record) -> None:
    known = calendar_coverage().stop - 1
    monday = _first(0, 3, known) + dt.timedelta(days=14)
    assert is_working_day(monday)

    record([f"{monday},休,测试"], year=known, notice="测试更正")

    assert not is_working_day(monday)
    assert is_working_day(monday + dt.timedelta(days=1))  # the package still answers the rest


def test_a_file_with_a_bad_row_records_nothing_and_names_every_row(record: Record) -> None:
    with pytest.raises(CommandError) as refused:
        record(
            [
                f"{HOLIDAY_MONDAY},休,劳动节",
                f"{HOLIDAY_FRIDAY},放假,劳动节",
                f"{YEAR}-02-30,休,春节",
                f"{HOLIDAY_FRIDAY}/{HOLIDAY_MONDAY},休,劳动节",
            ]
        )
    message = str(refused.value)
    assert "row 3: kind must be 休/holiday or 班/working, not '放假'" in message
    assert f"row 4: date must be YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD, not '{YEAR}-02-30'" in message
    assert "row 5: the period" in message and "ends before it begins" in message
    assert not HolidayArrangement.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert is_working_day(HOLIDAY_MONDAY)


def test_days_the_notice_cannot_hold_are_refused_by_day(record: Record) -> None:
    wednesday = HOLIDAY_MONDAY + dt.timedelta(days=2)
    with pytest.raises(CommandError) as refused:
        record(
            [
                f"{HOLIDAY_MONDAY},休,劳动节",
                f"{HOLIDAY_MONDAY},休,劳动节",
                f"{wednesday},班,劳动节",
                f"{YEAR + 1}-01-01,休,元旦",
                f"{YEAR - 1}-12-31,休,元旦",  # the December before may start the New Year holiday
                f"{HOLIDAY_FRIDAY},休,",
            ]
        )
    message = str(refused.value)
    assert "节假日安排有误，未录入任何日期。" in message
    assert f"{HOLIDAY_MONDAY}: 该日期重复出现。 (duplicate_day)" in message
    assert f"{wednesday}: 调休上班日应为星期六或星期日。 (make_up_day_not_weekend)" in message
    assert f"{YEAR + 1}-01-01: 日期不在{YEAR}年度内。 (day_outside_year)" in message
    assert f"{HOLIDAY_FRIDAY}: 请填写节日名称。 (name_required)" in message
    assert f"{YEAR - 1}-12-31" not in message
    assert not HolidayArrangement.objects.exists()


def test_a_year_outside_the_calendar_s_range_is_refused(record: Record) -> None:
    with pytest.raises(CommandError, match="年度应在2004到2099之间"):
        record(["2100-01-01,休,元旦"], year=2100)


def test_other_processes_see_a_notice_once_their_copy_is_old(
    record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert is_working_day(HOLIDAY_MONDAY)  # this process now holds a copy without the notice
    stale = calendar._recorded
    record(LABOUR_DAY_ROWS)
    calendar._recorded = stale  # as in a process that did not record it

    assert is_working_day(HOLIDAY_MONDAY)
    monkeypatch.setattr(calendar, "RECORDED_REFRESH_SECONDS", 0.0)
    assert not is_working_day(HOLIDAY_MONDAY)


def test_a_read_that_fails_for_a_moment_keeps_counting_by_the_notices_read(
    record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(LABOUR_DAY_ROWS)
    assert not is_working_day(HOLIDAY_MONDAY)

    def unavailable(alias: str) -> list[tuple[int, dt.date, bool]]:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(calendar, "_arrangement_rows", unavailable)
    monkeypatch.setattr(calendar, "RECORDED_REFRESH_SECONDS", 0.0)
    assert not is_working_day(HOLIDAY_MONDAY)
    assert is_known_year(YEAR)


def _holiday_messages() -> list[checks.CheckMessage]:
    found = checks.run_checks(databases=["default"])
    return [m for m in found if m.id in ("zhengtong.W001", "zhengtong.I002")]


def _today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    instant = dt.datetime.combine(day, dt.time(9), tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: instant)


def test_the_checks_say_when_a_year_s_arrangement_is_missing(
    record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    _today(monkeypatch, dt.date(YEAR - 1, 11, 30))
    assert _holiday_messages() == []

    _today(monkeypatch, dt.date(YEAR - 1, 12, 1))  # limits now reach into the next year
    [upcoming] = _holiday_messages()
    assert upcoming.id == "zhengtong.I002" and f"for {YEAR}:" in upcoming.msg
    assert "record_holiday_arrangement" in str(upcoming.hint)

    _today(monkeypatch, dt.date(YEAR, 1, 4))
    [missing] = _holiday_messages()
    assert missing.id == "zhengtong.W001" and missing.level == checks.WARNING

    # Commands that name no database do not read it for this check.
    assert not [m for m in checks.run_checks() if m.id == "zhengtong.W001"]

    record(LABOUR_DAY_ROWS)
    assert _holiday_messages() == []
