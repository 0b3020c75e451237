"""Working days (工作日) in Asia/Shanghai, with public holidays, make-up days and suspensions.

The counting rules are set out in docs/calendar.md; in short:

* A working day is a day the State Council's holiday arrangement makes one:
  Monday to Friday unless a public holiday, plus the weekend make-up days
  (调休上班). The arrangement comes from the ``chinese-calendar`` data and
  from the notices recorded in the platform (``HolidayArrangement``), which
  take precedence day by day. For a year neither covers, Monday to Friday are
  working days and a warning is logged once for that year.
* A time limit of N working days that starts at an instant ends at the end of
  the Nth working day after the day the instant falls on: the day of
  acceptance is not counted, the general rule for periods in Chinese law
  (民法典 第二百零一条). With N = 0 it ends at the end of that day.
* Time between two instants is counted in working days: each working day
  contributes the fraction of its 24 hours that lies between the instants, and
  nothing inside a suspended interval counts (the clock stops during 补正).
* A suspension extends a time limit by exactly the working time it stopped the
  clock for; the limit then ends at the end of the working day in which that
  time runs out, because time limits are announced as dates.

All instants must be timezone-aware; results are in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar.constants import holidays as _calendar_holidays

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")

Interval = tuple[dt.datetime, dt.datetime]

_warned_years: set[int] = set()
_warned_lock = threading.Lock()


@cache
def calendar_coverage() -> range:
    """Return the years for which the holiday package knows the arrangement."""
    years = [day.year for day in _calendar_holidays]
    return range(min(years), max(years) + 1)


def is_known_year(year: int) -> bool:
    """Whether the year's arrangement is known, from the package or a recorded notice."""
    return year in calendar_coverage() or year in _recorded_arrangements().years


def is_working_day(day: dt.date) -> bool:
    """Return whether the day is a working day in mainland China."""
    if isinstance(day, dt.datetime):
        day = day.astimezone(SHANGHAI).date() if day.tzinfo else day.date()
    return _is_working_date(day)


def working_days_after(first: dt.date, last: dt.date) -> int:
    """Return the whole working days after ``first`` up to and including ``last``.

    Negative when ``last`` comes before ``first``: the working days from the day
    after ``last`` up to and including ``first``, counted back.
    """
    if last < first:
        return -working_days_after(last, first)
    return sum(
        _is_working_date(first + dt.timedelta(days=n)) for n in range(1, (last - first).days + 1)
    )


def _is_working_date(day: dt.date) -> bool:
    recorded = _recorded_arrangements()
    working = recorded.days.get(day)
    if working is not None:
        return working
    return _package_working_date(day, day.year in recorded.years)


# Every deadline walks day by day; the package's answer for a date never
# changes while the process runs (its tables come with the installed release).
@lru_cache(maxsize=8192)
def _package_working_date(day: dt.date, recorded_year: bool) -> bool:
    if day.year in calendar_coverage():
        return bool(chinese_calendar.is_workday(day))
    if not recorded_year:
        _warn_unknown_year(day.year)
    return day.weekday() < 5


# Recorded notices ------------------------------------------------------------

# How long a process trusts the notices it read. Notices are recorded once or
# twice a year; every process sees a new one within this time, and a deadline
# walk costs no query.
RECORDED_REFRESH_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Recorded:
    days: dict[dt.date, bool]
    years: frozenset[int]
    read_at: float


_recorded: _Recorded | None = None
# The last notices read: a read that fails for a moment (the database busy or
# restarting) keeps counting by them rather than by the package alone.
_last_read: _Recorded | None = None
_recorded_lock = threading.Lock()
_unreadable_warned = False


def _recorded_arrangements() -> _Recorded:
    current = _recorded
    if current is not None and time.monotonic() - current.read_at < RECORDED_REFRESH_SECONDS:
        return current
    return _read_recorded_arrangements()


def forget_recorded_arrangements() -> None:
    """Make this process read the recorded notices again at its next count."""
    global _recorded, _last_read
    with _recorded_lock:
        _recorded = _last_read = None


def _read_recorded_arrangements() -> _Recorded:
    global _recorded, _last_read, _unreadable_warned
    from django.db import DatabaseError, connections, router, transaction

    from zhengtong.core.models import HolidayArrangementDay

    alias = router.db_for_read(HolidayArrangementDay)
    try:
        # Inside a transaction a failed read must not break it: a savepoint
        # keeps it usable. Outside one the read runs in autocommit, so on
        # SQLite it takes no write turn.
        if connections[alias].in_atomic_block:
            with transaction.atomic(using=alias):
                rows = _arrangement_rows(alias)
        else:
            rows = _arrangement_rows(alias)
    except (DatabaseError, RuntimeError) as error:
        # DatabaseError: no table before the first migrate, or the database
        # gone for a moment. RuntimeError: database access refused (a test
        # without the database). Tried again after the refresh interval.
        if not _unreadable_warned and isinstance(error, DatabaseError):
            _unreadable_warned = True
            logger.info("Recorded holiday arrangements not readable (%s).", error)
        known = _last_read or _Recorded({}, frozenset(), 0.0)
        fresh = _Recorded(known.days, known.years, time.monotonic())
    else:
        days: dict[dt.date, bool] = {}
        years: set[int] = set()
        # A later year's notice decides a day two notices name (the last days of December).
        for year, day, working in rows:
            years.add(year)
            days[day] = working
        fresh = _Recorded(days, frozenset(years), time.monotonic())
        _last_read = fresh
    with _recorded_lock:
        _recorded = fresh
    return fresh


def _arrangement_rows(alias: str) -> list[tuple[int, dt.date, bool]]:
    from zhengtong.core.models import HolidayArrangementDay

    return list(
        HolidayArrangementDay.objects.using(alias)
        .order_by("arrangement__year", "day")
        .values_list("arrangement__year", "day", "is_working_day")
    )


def _warn_unknown_year(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    coverage = calendar_coverage()
    logger.warning(
        "No holiday arrangement for %d (known: %d-%d); counting Monday to Friday as working "
        "days. Record the State Council's notice once it is published "
        "(zhengtong record_holiday_arrangement, docs/calendar.md).",
        year,
        coverage.start,
        coverage.stop - 1,
    )


def _require_aware(*instants: dt.datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("working-day arithmetic needs timezone-aware datetimes")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=SHANGHAI)


def _merge(suspended: Sequence[Interval]) -> list[Interval]:
    """Return the suspended intervals sorted, with overlapping ones merged."""
    intervals = []
    for begin, end in suspended:
        _require_aware(begin, end)
        if end < begin:
            raise ValueError("a suspended interval ends before it begins")
        if end > begin:
            intervals.append((begin, end))
    intervals.sort()
    merged: list[Interval] = []
    for begin, end in intervals:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _overlap(begin: dt.datetime, end: dt.datetime, intervals: Sequence[Interval]) -> dt.timedelta:
    total = dt.timedelta(0)
    for low, high in intervals:
        if high <= begin:
            continue
        if low >= end:
            break
        total += min(end, high) - max(begin, low)
    return total


def _days_from(start: dt.datetime) -> Iterator[tuple[dt.date, dt.datetime, dt.datetime]]:
    """Yield each local day from the start's day on, with its bounds in absolute time."""
    day = start.astimezone(SHANGHAI).date()
    while True:
        following = day + dt.timedelta(days=1)
        yield day, _midnight(day), _midnight(following)
        day = following


def _working_fraction(
    day: dt.date,
    day_begin: dt.datetime,
    day_end: dt.datetime,
    begin: dt.datetime,
    end: dt.datetime,
    intervals: Sequence[Interval],
) -> Fraction:
    """Return the part of the day between begin and end that counts, as a fraction of the day."""
    if not is_working_day(day):
        return Fraction(0)
    low, high = max(day_begin, begin), min(day_end, end)
    if high <= low:
        return Fraction(0)
    counted = (high - low) - _overlap(low, high, intervals)
    # Each day counts as one whatever its length, which keeps historical
    # daylight-saving days (1986-1991) exact.
    return Fraction(_microseconds(counted), _microseconds(day_end - day_begin))


def _microseconds(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def working_days_between(
    start: dt.datetime, end: dt.datetime, suspended: Sequence[Interval] = ()
) -> float:
    """Return the working days between two instants, less suspended time (negative if reversed)."""
    _require_aware(start, end)
    if end < start:
        return -working_days_between(end, start, suspended)
    return float(_working_time(start, end, _merge(suspended)))


def _working_time(start: dt.datetime, end: dt.datetime, intervals: Sequence[Interval]) -> Fraction:
    total = Fraction(0)
    for day, day_begin, day_end in _days_from(start):
        if day_begin >= end:
            break
        total += _working_fraction(day, day_begin, day_end, start, end, intervals)
    return total


def add_working_days(start: dt.datetime, n: int, suspended: Sequence[Interval] = ()) -> dt.datetime:
    """Return when a time limit of n working days that starts at ``start`` ends."""
    _require_aware(start)
    if n < 0:
        raise ValueError("a time limit cannot be a negative number of working days")
    first_day = start.astimezone(SHANGHAI).date()
    day = first_day
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    deadline = _end_of_day(day)
    intervals = [(b, e) for b, e in _merge(suspended) if e > start]
    if not intervals:
        return deadline

    # The clock stops while suspended: the limit is the working time it would
    # have had without suspensions, spent only while the clock runs.
    budget = _working_time(start, _midnight(day + dt.timedelta(days=1)), ())
    spent = Fraction(0)
    for current, day_begin, day_end in _days_from(start):
        spent += _working_fraction(current, day_begin, day_end, start, day_end, intervals)
        if spent >= budget:
            return _end_of_day(current)
    raise AssertionError("unreachable: the day iterator is infinite")  # pragma: no cover
