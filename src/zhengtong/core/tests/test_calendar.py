import datetime as dt
import logging
import random

import pytest

from zhengtong.core import calendar
from zhengtong.core.calendar import (
    SHANGHAI,
    add_working_days,
    calendar_coverage,
    is_working_day,
    working_days_after,
    working_days_between,
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime.combine(dt.date(year, month, day), dt.time.max, tzinfo=SHANGHAI)


class TestWorkingDays:
    def test_national_day_2025_has_a_sunday_make_up_day_and_eight_holidays(self) -> None:
        assert is_working_day(dt.date(2025, 9, 28))  # Sunday, worked in lieu
        assert not is_working_day(dt.date(2025, 9, 27))  # an ordinary Saturday
        for day in range(1, 9):
            assert not is_working_day(dt.date(2025, 10, day))
        assert is_working_day(dt.date(2025, 10, 9))
        assert is_working_day(dt.date(2025, 10, 11))  # Saturday, worked in lieu

    def test_spring_festival_2026_follows_the_published_arrangement(self) -> None:
        assert is_working_day(dt.date(2026, 2, 14))  # Saturday, worked in lieu
        for day in range(15, 24):
            assert not is_working_day(dt.date(2026, 2, day))
        assert is_working_day(dt.date(2026, 2, 24))
        assert is_working_day(dt.date(2026, 2, 28))  # Saturday, worked in lieu

    def test_whole_working_days_after_a_day_count_the_days_worked_in_lieu(self) -> None:
        # Friday 13 February 2026 to Tuesday the 24th: Saturday the 14th is worked,
        # the Spring Festival holiday is not, and the 24th is.
        assert working_days_after(dt.date(2026, 2, 13), dt.date(2026, 2, 24)) == 2
        assert working_days_after(dt.date(2026, 2, 24), dt.date(2026, 2, 13)) == -2
        assert working_days_after(dt.date(2026, 2, 24), dt.date(2026, 2, 24)) == 0

    def test_the_coverage_is_the_years_the_data_knows(self) -> None:
        coverage = calendar_coverage()
        assert 2004 in coverage
        assert 2026 in coverage
        assert coverage.stop - 1 >= 2026

    def test_an_unknown_year_falls_back_to_monday_to_friday_and_warns_once(
        self, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(calendar, "_warned_years", set())
        calendar._package_working_date.cache_clear()  # answers for the year may be cached
        year = calendar_coverage().stop + 5
        monday = dt.date(year, 1, 1) + dt.timedelta(days=(7 - dt.date(year, 1, 1).weekday()) % 7)

        with caplog.at_level(logging.WARNING, logger="zhengtong.core.calendar"):
            week = [is_working_day(monday + dt.timedelta(days=i)) for i in range(7)]
            is_working_day(monday + dt.timedelta(days=30))

        assert week == [True, True, True, True, True, False, False]
        warnings = [r for r in caplog.records if str(year) in r.getMessage()]
        assert len(warnings) == 1


class TestTimeLimits:
    def test_the_day_of_acceptance_is_not_counted(self) -> None:
        # Accepted on Tuesday 30 September: the 1st to 8th are holidays, then
        # Thursday 9th, Friday 10th and Saturday 11th (a make-up day).
        assert add_working_days(at(2025, 9, 30, 10), 3) == end_of(2025, 10, 11)

    def test_a_make_up_sunday_counts(self) -> None:
        assert add_working_days(at(2025, 9, 26, 16), 1) == end_of(2025, 9, 28)

    def test_acceptance_on_a_holiday_counts_from_the_next_working_day(self) -> None:
        assert add_working_days(at(2026, 2, 17, 9), 1) == end_of(2026, 2, 24)

    def test_zero_days_ends_with_the_day_of_acceptance(self) -> None:
        assert add_working_days(at(2025, 10, 9, 9), 0) == end_of(2025, 10, 9)

    def test_a_suspension_stops_the_clock(self) -> None:
        start = at(2025, 10, 9, 9)
        assert add_working_days(start, 2) == end_of(2025, 10, 11)

        one_working_day = [(at(2025, 10, 10), at(2025, 10, 11))]
        assert add_working_days(start, 2, one_working_day) == end_of(2025, 10, 13)

    def test_a_suspension_over_holidays_changes_nothing(self) -> None:
        start = at(2025, 9, 30, 9)
        holidays = [(at(2025, 10, 2), at(2025, 10, 6))]
        assert add_working_days(start, 3, holidays) == add_working_days(start, 3)

    def test_a_part_day_suspension_moves_the_limit_to_the_end_of_a_later_day(self) -> None:
        start = at(2025, 10, 9, 9)
        two_hours = [(at(2025, 10, 10, 10), at(2025, 10, 10, 12))]
        assert add_working_days(start, 2, two_hours) == end_of(2025, 10, 13)

    def test_suspensions_before_the_start_do_not_count(self) -> None:
        start = at(2025, 10, 9, 9)
        earlier = [(at(2025, 9, 1), at(2025, 9, 5))]
        assert add_working_days(start, 2, earlier) == end_of(2025, 10, 11)

    def test_it_refuses_naive_instants_and_negative_limits(self) -> None:
        with pytest.raises(ValueError):
            add_working_days(dt.datetime(2025, 10, 9, 9), 1)
        with pytest.raises(ValueError):
            add_working_days(at(2025, 10, 9), -1)
        with pytest.raises(ValueError):
            add_working_days(at(2025, 10, 9), 1, [(at(2025, 10, 10), at(2025, 10, 9))])

    def test_it_accepts_instants_in_any_timezone(self) -> None:
        # 17:00 UTC on 8 October is 01:00 on the 9th in Shanghai.
        start = dt.datetime(2025, 10, 8, 17, tzinfo=dt.UTC)
        assert add_working_days(start, 1) == end_of(2025, 10, 10)


class TestCounting:
    def test_it_counts_only_working_days(self) -> None:
        assert working_days_between(at(2025, 9, 30), at(2025, 10, 9)) == 1.0
        assert working_days_between(at(2025, 9, 30, 12), at(2025, 10, 9, 12)) == 1.0

    def test_it_leaves_out_suspended_time(self) -> None:
        suspended = [(at(2025, 9, 30, 18), at(2025, 10, 9, 6))]
        assert working_days_between(at(2025, 9, 30), at(2025, 10, 10), suspended) == 1.5

    def test_overlapping_suspensions_are_counted_once(self) -> None:
        suspended = [
            (at(2025, 10, 9, 6), at(2025, 10, 9, 12)),
            (at(2025, 10, 9, 0), at(2025, 10, 9, 9)),
        ]
        assert working_days_between(at(2025, 10, 9), at(2025, 10, 10), suspended) == 0.5

    def test_reversed_instants_count_negative(self) -> None:
        assert working_days_between(at(2025, 10, 10), at(2025, 10, 9)) == -1.0

    def test_it_falls_back_for_unknown_years(self) -> None:
        year = calendar_coverage().stop + 3
        # Any seven consecutive days hold five Monday-to-Friday days.
        assert working_days_between(at(year, 3, 1), at(year, 3, 8)) == 5.0


# A property checked on many generated cases, with a fixed seed so that a
# failure can be reproduced.
_rng = random.Random(20251001)
_CASES = [
    (
        at(2024, 1, 1) + dt.timedelta(minutes=_rng.randrange(0, 3 * 366 * 24 * 60)),
        _rng.choice([0, 1, 2, 5, 10, 20, 30]),
    )
    for _ in range(60)
]


@pytest.mark.parametrize(("start", "n"), _CASES)
def test_a_limit_of_n_days_spans_n_working_days_after_the_day_of_acceptance(
    start: dt.datetime, n: int
) -> None:
    deadline = add_working_days(start, n)
    day_after = dt.datetime.combine(
        start.astimezone(SHANGHAI).date() + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI
    )
    assert deadline.time() == dt.time.max
    assert working_days_between(day_after, deadline) == pytest.approx(n, abs=1e-9)
    if n:
        assert is_working_day(deadline.date())


@pytest.mark.parametrize(("start", "n"), _CASES[:30])
def test_a_suspension_gives_back_at_least_the_time_it_took(start: dt.datetime, n: int) -> None:
    pause_from = start + dt.timedelta(hours=_rng.randrange(1, 200))
    suspended = [(pause_from, pause_from + dt.timedelta(hours=_rng.randrange(1, 300)))]

    plain = add_working_days(start, n)
    extended = add_working_days(start, n, suspended)

    assert extended >= plain
    assert (
        working_days_between(start, extended, suspended)
        >= working_days_between(start, plain) - 1e-9
    )
    # And not a working day more than needed.
    previous_end = dt.datetime.combine(extended.date(), dt.time.min, tzinfo=SHANGHAI)
    if extended > plain:
        assert working_days_between(start, previous_end, suspended) < working_days_between(
            start, plain
        )
