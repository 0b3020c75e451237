"""Credit grading of enterprises (信用分级) by a transparent, configurable scorecard.

An enterprise's credit records — administrative penalties, inspection
results, upheld complaints, HJ 212 over-limit and offline alarms,
commendations and listing as a seriously dishonest entity — become a score
and a grade A/B/C/D. The grade decides how often the enterprise is drawn for
random inspection (``Scorecard.draw_weight``) and is shown to the enterprise
itself. A grade that decides how often a business is inspected must be one
the business can check line by line, so the method is a plain points table
rather than a fitted model: every point on the score comes from one line of
``CreditGrade.lines``, and the lines with the base score add up to the score
exactly.

The method
----------
1. Start from the base score (``base_score``, 100).
2. Each record counts from the day it occurred until its validity window of
   ``validity_months`` (per kind) has passed: a record of 15 March 2022 in a
   36-month window counts up to and including 14 March 2025 and no longer on
   15 March 2025. Months are calendar months; a day missing from the last
   month falls back to that month's last day (31 January plus one month is 28
   or 29 February). Records dated after the day of grading, records whose
   window has passed and repaired records (信用修复 granted, or removal from
   the serious-dishonesty list) do not count; each such group still gets a
   line with 0 points that says why.
3. Records that count are grouped by kind and severity; a group's points are
   ``points per record × number of records`` (a record's ``count`` says how
   many events it stands for, e.g. the alarms of one day).
4. Optional linear decay, per kind (``decay: "linear"``; off by default): a
   record then weighs ``remaining days of its window / days of its window``
   of its points, so a penalty weighs fully on its day and nothing on the day
   its window ends; the group's total is rounded to a whole point, halves
   away from zero. Off by default because a fixed deduction until a fixed
   date is what an enterprise can check and plan for (and what credit-repair
   rules are written around), whereas a decaying score changes every day.
5. A kind with a ``cap`` (e.g. upheld complaints: at most 15 points off)
   adds a line that gives back what goes beyond the cap. The cap applies to
   everything of the kind that counts, that is within its window; with the
   default 12-month windows of the capped kinds it is a cap per year.
6. If the total leaves ``[min_score, max_score]`` (0 and 100), one more line
   brings it back to the bound.
7. The grade is the first of A, B, C whose threshold the score reaches
   (``thresholds``: A ≥ 90, B ≥ 75, C ≥ 60), otherwise D.
8. An enterprise on the serious-dishonesty list (严重失信主体名单) gets at most
   ``serious_dishonesty_grade`` (D), whatever its score; the listing counts
   until it is repaired and has no validity window of its own.

The scorecard is data: ``Scorecard.to_dict()`` / ``Scorecard.from_dict()``
(and the JSON forms) give an administrator a document to edit, and
``Scorecard.validate()`` refuses one that would grade nonsensically, with
every problem named by its place in the document.
"""

from __future__ import annotations

import calendar
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any, TypeGuard, cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

# Record kinds, in the order the explanation lists them.
PENALTY = "penalty"
INSPECTION = "inspection"
COMPLAINT_UPHELD = "complaint_upheld"
OVER_LIMIT_ALARM = "over_limit_alarm"
OFFLINE_ALARM = "offline_alarm"
COMMENDATION = "commendation"
SERIOUS_DISHONESTY = "serious_dishonesty"
KINDS: tuple[str, ...] = (
    PENALTY,
    INSPECTION,
    COMPLAINT_UPHELD,
    OVER_LIMIT_ALARM,
    OFFLINE_ALARM,
    COMMENDATION,
    SERIOUS_DISHONESTY,
)
# The kinds that carry points; serious dishonesty decides the grade instead.
SCORED_KINDS: tuple[str, ...] = KINDS[:-1]

# Severities per kind, from the least to the most serious; "" for kinds without.
SEVERITIES: Mapping[str, tuple[str, ...]] = {
    PENALTY: ("minor", "major", "severe"),
    INSPECTION: ("pass", "problems", "fail"),
    COMPLAINT_UPHELD: ("",),
    OVER_LIMIT_ALARM: ("",),
    OFFLINE_ALARM: ("",),
    COMMENDATION: ("",),
    SERIOUS_DISHONESTY: ("",),
}
# The words penalty decisions and inspection reports use for the severities.
SEVERITY_ALIASES: Mapping[str, Mapping[str, str]] = {
    PENALTY: {"一般": "minor", "较重": "major", "严重": "severe"},
    INSPECTION: {"合格": "pass", "未发现问题": "pass", "发现问题": "problems", "不合格": "fail"},
}
# +1: points may not be negative (a reward); -1: points may not be positive (a deduction).
POINT_SIGNS: Mapping[tuple[str, str], int] = {
    (PENALTY, "minor"): -1,
    (PENALTY, "major"): -1,
    (PENALTY, "severe"): -1,
    (INSPECTION, "pass"): 1,
    (INSPECTION, "problems"): -1,
    (INSPECTION, "fail"): -1,
    (COMPLAINT_UPHELD, ""): -1,
    (OVER_LIMIT_ALARM, ""): -1,
    (OFFLINE_ALARM, ""): -1,
    (COMMENDATION, ""): 1,
}

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
THRESHOLD_GRADES: tuple[str, ...] = GRADES[:-1]
DECAYS: tuple[str, ...] = ("none", "linear")
FORMAT_VERSION = 1
# A window longer than a century, or a draw weight finer than one in a
# million (or above a million), is no policy but a typing error, and one the
# calendar (dates end in year 9999) or the published draw rules cannot carry.
MAX_VALIDITY_MONTHS = 1200
MAX_WEIGHT_TERM = 1_000_000

# What a line is about.
COUNTED = "counted"
CAPPED = "capped"
REPAIRED = "repaired"
EXPIRED = "expired"
NOT_YET = "not_yet"
BOUNDED = "bounded"
LISTED = "listed"
EXCLUDED_STATUSES: tuple[str, ...] = (REPAIRED, EXPIRED, NOT_YET)

KIND_LABELS: Mapping[str, str] = {
    PENALTY: gettext_noop("行政处罚"),
    INSPECTION: gettext_noop("监督检查"),
    COMPLAINT_UPHELD: gettext_noop("查实的投诉"),
    OVER_LIMIT_ALARM: gettext_noop("在线监测超标报警"),
    OFFLINE_ALARM: gettext_noop("在线监测离线报警"),
    COMMENDATION: gettext_noop("表彰奖励"),
    SERIOUS_DISHONESTY: gettext_noop("列入严重失信主体名单"),
}
SEVERITY_LABELS: Mapping[tuple[str, str], str] = {
    (PENALTY, "minor"): gettext_noop("一般行政处罚"),
    (PENALTY, "major"): gettext_noop("较重行政处罚"),
    (PENALTY, "severe"): gettext_noop("严重行政处罚"),
    (INSPECTION, "pass"): gettext_noop("监督检查未发现问题"),
    (INSPECTION, "problems"): gettext_noop("监督检查发现问题"),
    (INSPECTION, "fail"): gettext_noop("监督检查不合格"),
}

DEFAULT_CONFIG: Mapping[str, Any] = {
    "version": FORMAT_VERSION,
    "base_score": 100,
    "min_score": 0,
    "max_score": 100,
    "kinds": {
        PENALTY: {
            "points": {"minor": -5, "major": -15, "severe": -30},
            "validity_months": 36,
            "cap": None,
            "decay": "none",
        },
        INSPECTION: {
            "points": {"pass": 2, "problems": -5, "fail": -15},
            "validity_months": 24,
            "cap": None,
            "decay": "none",
        },
        COMPLAINT_UPHELD: {"points": -3, "validity_months": 12, "cap": -15, "decay": "none"},
        OVER_LIMIT_ALARM: {"points": -2, "validity_months": 12, "cap": -20, "decay": "none"},
        OFFLINE_ALARM: {"points": -1, "validity_months": 12, "cap": -5, "decay": "none"},
        COMMENDATION: {"points": 5, "validity_months": 24, "cap": 10, "decay": "none"},
    },
    "thresholds": {"A": 90, "B": 75, "C": 60},
    "serious_dishonesty_grade": "D",
    "draw_weights": {"A": "1/2", "B": "1", "C": "2", "D": "4"},
}


class ScorecardError(ValueError):
    """A scorecard that cannot be used; ``problems`` names each fault by its place."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class CreditRecord:
    """One fact on an enterprise's credit file.

    ``severity`` is ``minor``/``major``/``severe`` for penalties (or 一般/较重/
    严重), ``pass``/``problems``/``fail`` for inspections (or 合格/发现问题/不合格)
    and empty for every other kind. ``count`` is how many events the record
    stands for. ``repaired`` is true once credit repair has been granted for it
    (for a listing: once the enterprise is removed from the list).
    """

    kind: str
    occurred_on: date
    severity: str = ""
    count: int = 1
    description: str = ""
    repaired: bool = False
    source_ref: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown credit record kind {self.kind!r}; known: {', '.join(KINDS)}")
        severity = SEVERITY_ALIASES.get(self.kind, {}).get(self.severity, self.severity)
        if severity not in SEVERITIES[self.kind]:
            allowed = [s for s in SEVERITIES[self.kind] if s] or ["(empty)"]
            raise ValueError(
                f"severity {self.severity!r} is not one of {', '.join(allowed)} for {self.kind}"
            )
        object.__setattr__(self, "severity", severity)
        if isinstance(self.occurred_on, datetime) or not isinstance(self.occurred_on, date):
            raise TypeError("occurred_on must be a date (not a datetime)")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"count must be a whole number of at least 1, not {self.count!r}")


@dataclass(frozen=True, slots=True)
class KindRule:
    """How records of one kind score.

    ``points`` maps each severity of the kind ("" for kinds without severity)
    to the points one record adds (negative: a deduction). ``cap`` limits the
    kind's total within its window (same sign as its points; None: no cap).
    """

    points: Mapping[str, int]
    validity_months: int
    cap: int | None = None
    decay: str = "none"


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One line of a grade's explanation; the lines' points plus the base make the score.

    ``status`` says what the line is: ``counted`` records, a ``capped`` kind,
    records excluded because ``repaired``, ``expired`` or ``not_yet`` (dated after
    the day of grading), the score ``bounded`` to its range, or the enterprise
    ``listed`` as seriously dishonest. ``kind`` is empty for a ``bounded`` line.
    """

    kind: str
    severity: str
    count: int
    points: int
    reason: str
    status: str = COUNTED
    source_refs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the line as JSON-ready data."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "count": self.count,
            "points": self.points,
            "reason": self.reason,
            "status": self.status,
            "source_refs": list(self.source_refs),
        }


@dataclass(frozen=True, slots=True)
class CreditGrade:
    """The result of grading: the score, the grade and every line that explains them.

    ``score_grade`` is the grade the score alone earns; ``grade`` differs from
    it only when the enterprise is ``listed`` as seriously dishonest.
    """

    score: int
    grade: str
    score_grade: str
    base_score: int
    listed: bool
    as_of: date
    lines: tuple[ScoreLine, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the grade as JSON-ready data."""
        return {
            "score": self.score,
            "grade": self.grade,
            "score_grade": self.score_grade,
            "base_score": self.base_score,
            "listed": self.listed,
            "as_of": self.as_of.isoformat(),
            "lines": [line.to_dict() for line in self.lines],
        }


@dataclass(frozen=True, slots=True)
class Scorecard:
    """The configurable scorecard; ``DEFAULT_SCORECARD`` is the one shipped."""

    rules: Mapping[str, KindRule]
    thresholds: Mapping[str, int]
    draw_weights: Mapping[str, Fraction]
    base_score: int = 100
    min_score: int | None = 0
    max_score: int | None = 100
    serious_dishonesty_grade: str = "D"
    version: int = FORMAT_VERSION

    # Documents ------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: object) -> Scorecard:
        """Build and validate a scorecard from its document; raise ``ScorecardError``."""
        problems: list[str] = []
        scorecard = _parse(data, problems)
        if scorecard is not None:
            # What could not be read is reported once, by its own place.
            seen = [_problem_path(problem) for problem in problems]
            problems.extend(
                problem
                for problem in scorecard._problems()
                if not any(_related(_problem_path(problem), path) for path in seen)
            )
        if problems or scorecard is None:
            raise ScorecardError(problems)
        return scorecard

    @classmethod
    def from_json(cls, text: str | bytes) -> Scorecard:
        """Build and validate a scorecard from its JSON document."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as error:
            raise ScorecardError(
                [_("评分标准不是有效的 JSON：%(error)s") % {"error": error}]
            ) from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the scorecard as a JSON-ready document that ``from_dict`` reads back."""
        kinds: dict[str, Any] = {}
        for kind in SCORED_KINDS:
            rule = self.rules[kind]
            points: int | dict[str, int]
            if SEVERITIES[kind] == ("",):
                points = rule.points[""]
            else:
                points = {severity: rule.points[severity] for severity in SEVERITIES[kind]}
            kinds[kind] = {
                "points": points,
                "validity_months": rule.validity_months,
                "cap": rule.cap,
                "decay": rule.decay,
            }
        return {
            "version": self.version,
            "base_score": self.base_score,
            "min_score": self.min_score,
            "max_score": self.max_score,
            "kinds": kinds,
            "thresholds": {grade: self.thresholds[grade] for grade in THRESHOLD_GRADES},
            "serious_dishonesty_grade": self.serious_dishonesty_grade,
            "draw_weights": {grade: _fraction_text(self.draw_weights[grade]) for grade in GRADES},
        }

    def to_json(self) -> str:
        """Return the scorecard as an indented JSON document."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    # Rules -----------------------------------------------------------------

    def validate(self) -> None:
        """Raise ``ScorecardError`` naming every problem; return quietly if there is none."""
        problems = self._problems()
        if problems:
            raise ScorecardError(problems)

    def _problems(self) -> list[str]:
        problems: list[str] = []
        _check_rules(self.rules, problems)
        range_ok = _check_range(self, problems)
        _check_thresholds(self, problems, range_ok=range_ok)
        if self.serious_dishonesty_grade not in GRADES:
            problems.append(
                _("%(path)s：须为 A、B、C、D 之一") % {"path": "serious_dishonesty_grade"}
            )
        _check_draw_weights(self.draw_weights, problems)
        return problems

    def grade_for_score(self, score: int) -> str:
        """Return the grade a score earns by the thresholds alone."""
        for grade in THRESHOLD_GRADES:
            if score >= self.thresholds[grade]:
                return grade
        return GRADES[-1]

    def draw_weight(self, grade: str | CreditGrade) -> Fraction:
        """Return the weight of a grade in random inspection draws (higher: drawn more)."""
        letter = grade.grade if isinstance(grade, CreditGrade) else grade
        if letter not in GRADES:
            raise ValueError(f"unknown credit grade {letter!r}")
        return self.draw_weights[letter]


# Grading ----------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Return the same day ``months`` calendar months later, or that month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def grade(
    records: Iterable[CreditRecord],
    scorecard: Scorecard | None = None,
    *,
    today: date,
) -> CreditGrade:
    """Grade an enterprise's credit records as of ``today`` and explain every point."""
    card = DEFAULT_SCORECARD if scorecard is None else scorecard
    card.validate()
    if isinstance(today, datetime) or not isinstance(today, date):
        raise TypeError("today must be a date (not a datetime)")

    groups: dict[tuple[str, str, str], list[CreditRecord]] = {}
    for record in records:
        if not isinstance(record, CreditRecord):
            raise TypeError(f"not a CreditRecord: {record!r}")
        status = _status_of(record, card, today)
        groups.setdefault((record.kind, record.severity, status), []).append(record)

    lines: list[ScoreLine] = []
    listed = False
    for kind in KINDS:
        if kind == SERIOUS_DISHONESTY:
            listed = _listing_lines(groups, card, lines)
        else:
            _kind_lines(kind, groups, card.rules[kind], today, lines)

    raw = card.base_score + sum(line.points for line in lines)
    score = raw
    if card.max_score is not None and raw > card.max_score:
        score = card.max_score
        reason = _("合计得分 %(raw)d 分超过满分 %(bound)d 分，按 %(bound)d 分计")
    elif card.min_score is not None and raw < card.min_score:
        score = card.min_score
        reason = _("合计得分 %(raw)d 分低于最低分 %(bound)d 分，按 %(bound)d 分计")
    else:
        reason = ""
    if score != raw:
        lines.append(
            ScoreLine(
                kind="",
                severity="",
                count=0,
                points=score - raw,
                reason=reason % {"raw": raw, "bound": score},
                status=BOUNDED,
            )
        )

    score_grade = card.grade_for_score(score)
    final = score_grade
    if listed:
        final = GRADES[max(GRADES.index(score_grade), GRADES.index(card.serious_dishonesty_grade))]
    return CreditGrade(
        score=score,
        grade=final,
        score_grade=score_grade,
        base_score=card.base_score,
        listed=listed,
        as_of=today,
        lines=tuple(lines),
    )


def draw_weight(grade: str | CreditGrade, scorecard: Scorecard | None = None) -> Fraction:
    """Return the inspection-draw weight of a grade under ``scorecard`` (the default if None)."""
    return (DEFAULT_SCORECARD if scorecard is None else scorecard).draw_weight(grade)


def _status_of(record: CreditRecord, card: Scorecard, today: date) -> str:
    if record.occurred_on > today:
        return NOT_YET
    if record.repaired:
        return REPAIRED
    if record.kind == SERIOUS_DISHONESTY:
        return LISTED
    if today >= add_months(record.occurred_on, card.rules[record.kind].validity_months):
        return EXPIRED
    return COUNTED


def _refs(records: Iterable[CreditRecord]) -> tuple[str, ...]:
    return tuple(sorted({record.source_ref for record in records if record.source_ref}))


def _label(kind: str, severity: str) -> str:
    return _(SEVERITY_LABELS.get((kind, severity), KIND_LABELS[kind]))


def _round_half_away(value: Fraction) -> int:
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def _counted_reason(each: int, count: int, *, decayed: bool) -> str:
    if each == 0:
        return ngettext(
            "近%(months)d个月内%(label)s %(count)d 次，按现行评分标准不计分",
            "近%(months)d个月内%(label)s %(count)d 次，按现行评分标准不计分",
            count,
        )
    if decayed and each < 0:
        return ngettext(
            "近%(months)d个月内%(label)s %(count)d 次，每次扣 %(each)d 分，"
            "随时间在有效期内线性递减，现共扣 %(total)d 分",
            "近%(months)d个月内%(label)s %(count)d 次，每次扣 %(each)d 分，"
            "随时间在有效期内线性递减，现共扣 %(total)d 分",
            count,
        )
    if decayed:
        return ngettext(
            "近%(months)d个月内%(label)s %(count)d 次，每次加 %(each)d 分，"
            "随时间在有效期内线性递减，现共加 %(total)d 分",
            "近%(months)d个月内%(label)s %(count)d 次，每次加 %(each)d 分，"
            "随时间在有效期内线性递减，现共加 %(total)d 分",
            count,
        )
    if each < 0:
        return ngettext(
            "近%(months)d个月内%(label)s %(count)d 次，每次扣 %(each)d 分",
            "近%(months)d个月内%(label)s %(count)d 次，每次扣 %(each)d 分",
            count,
        )
    return ngettext(
        "近%(months)d个月内%(label)s %(count)d 次，每次加 %(each)d 分",
        "近%(months)d个月内%(label)s %(count)d 次，每次加 %(each)d 分",
        count,
    )


def _kind_lines(
    kind: str,
    groups: Mapping[tuple[str, str, str], list[CreditRecord]],
    rule: KindRule,
    today: date,
    lines: list[ScoreLine],
) -> None:
    total = 0
    counted = 0
    for severity in SEVERITIES[kind]:
        records = groups.get((kind, severity, COUNTED))
        if not records:
            continue
        each = rule.points[severity]
        count = sum(record.count for record in records)
        decayed = rule.decay == "linear"
        if decayed:
            exact = Fraction(0)
            for record in records:
                expiry = add_months(record.occurred_on, rule.validity_months)
                share = Fraction((expiry - today).days, (expiry - record.occurred_on).days)
                exact += each * record.count * share
            points = _round_half_away(exact)
        else:
            points = each * count
        params = {
            "months": rule.validity_months,
            "label": _label(kind, severity),
            "count": count,
            "each": abs(each),
            "total": abs(points),
        }
        total += points
        counted += count
        lines.append(
            ScoreLine(
                kind=kind,
                severity=severity,
                count=count,
                points=points,
                reason=_counted_reason(each, count, decayed=decayed) % params,
                status=COUNTED,
                source_refs=_refs(records),
            )
        )

    cap = rule.cap
    if cap is not None and (total < cap < 0 or total > cap > 0):
        params = {"label": _(KIND_LABELS[kind]), "cap": abs(cap), "excess": abs(total - cap)}
        if cap < 0:
            reason = _("%(label)s累计扣分上限 %(cap)d 分，超出的 %(excess)d 分不再扣除")
        else:
            reason = _("%(label)s累计加分上限 %(cap)d 分，超出的 %(excess)d 分不再加分")
        lines.append(
            ScoreLine(
                kind=kind,
                severity="",
                count=counted,
                points=cap - total,
                reason=reason % params,
                status=CAPPED,
            )
        )

    for status in EXCLUDED_STATUSES:
        for severity in SEVERITIES[kind]:
            records = groups.get((kind, severity, status))
            if not records:
                continue
            count = sum(record.count for record in records)
            params = {"label": _label(kind, severity), "count": count}
            if status == REPAIRED:
                reason = ngettext(
                    "%(label)s %(count)d 次已完成信用修复，不再计分",
                    "%(label)s %(count)d 次已完成信用修复，不再计分",
                    count,
                )
            elif status == EXPIRED:
                params["months"] = rule.validity_months
                reason = ngettext(
                    "%(label)s %(count)d 次已超过%(months)d个月有效期，不再计分",
                    "%(label)s %(count)d 次已超过%(months)d个月有效期，不再计分",
                    count,
                )
            else:
                reason = ngettext(
                    "%(label)s %(count)d 次发生在评价日之后，不计入本次评价",
                    "%(label)s %(count)d 次发生在评价日之后，不计入本次评价",
                    count,
                )
            lines.append(
                ScoreLine(
                    kind=kind,
                    severity=severity,
                    count=count,
                    points=0,
                    reason=reason % params,
                    status=status,
                    source_refs=_refs(records),
                )
            )


def _listing_lines(
    groups: Mapping[tuple[str, str, str], list[CreditRecord]],
    card: Scorecard,
    lines: list[ScoreLine],
) -> bool:
    listed = groups.get((SERIOUS_DISHONESTY, "", LISTED))
    if listed:
        grade_of_listed = card.serious_dishonesty_grade
        if grade_of_listed == GRADES[-1]:
            reason = _("已列入严重失信主体名单，不论得分，信用等级评为 %(grade)s 级")
        else:
            reason = _("已列入严重失信主体名单，不论得分，信用等级最高为 %(grade)s 级")
        lines.append(
            ScoreLine(
                kind=SERIOUS_DISHONESTY,
                severity="",
                count=sum(record.count for record in listed),
                points=0,
                reason=reason % {"grade": grade_of_listed},
                status=LISTED,
                source_refs=_refs(listed),
            )
        )
    excluded_reasons = {
        REPAIRED: gettext_noop("已通过信用修复移出严重失信主体名单，不再影响信用等级"),
        NOT_YET: gettext_noop("列入严重失信主体名单的日期在评价日之后，不计入本次评价"),
    }
    for status, reason in excluded_reasons.items():
        records = groups.get((SERIOUS_DISHONESTY, "", status))
        if records:
            lines.append(
                ScoreLine(
                    kind=SERIOUS_DISHONESTY,
                    severity="",
                    count=sum(record.count for record in records),
                    points=0,
                    reason=_(reason),
                    status=status,
                    source_refs=_refs(records),
                )
            )
    return bool(listed)


# Reading documents --------------------------------------------------------------

_TOP_KEYS = (
    "version",
    "base_score",
    "min_score",
    "max_score",
    "kinds",
    "thresholds",
    "serious_dishonesty_grade",
    "draw_weights",
)
_PATH = re.compile(r"[A-Za-z0-9_.]+")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _need_int(value: object, path: str, problems: list[str]) -> TypeGuard[int]:
    if _is_int(value):
        return True
    problems.append(_("%(path)s：须为整数") % {"path": path})
    return False


def _need_optional_int(value: object, path: str, problems: list[str]) -> bool:
    if value is None or _is_int(value):
        return True
    problems.append(_("%(path)s：须为整数或 null") % {"path": path})
    return False


def _need_mapping(value: object, path: str, problems: list[str]) -> TypeGuard[Mapping[Any, Any]]:
    if isinstance(value, Mapping):
        return True
    problems.append(_("%(path)s：须为 JSON 对象") % {"path": path})
    return False


def _check_keys(
    data: Mapping[Any, Any],
    path: str,
    required: Iterable[str],
    optional: Iterable[str],
    problems: list[str],
    unknown_message: str = gettext_noop("%(path)s：未知的设置项"),
) -> None:
    required = tuple(required)
    allowed = set(required) | set(optional)
    prefix = f"{path}." if path else ""
    for key in data:
        if key not in allowed:
            problems.append(_(unknown_message) % {"path": f"{prefix}{key}"})
    for key in required:
        if key not in data:
            problems.append(_("%(path)s：缺少此设置项") % {"path": f"{prefix}{key}"})


def _parse(data: object, problems: list[str]) -> Scorecard | None:
    if not isinstance(data, Mapping):
        problems.append(_("评分标准须为一个 JSON 对象"))
        return None
    _check_keys(data, "", [key for key in _TOP_KEYS if key != "version"], ["version"], problems)
    version = data.get("version", FORMAT_VERSION)
    if _need_int(version, "version", problems) and version != FORMAT_VERSION:
        problems.append(
            _("%(path)s：不支持的格式版本 %(value)s（应为 %(expected)d）")
            % {"path": "version", "value": version, "expected": FORMAT_VERSION}
        )
    for key in ("base_score", "min_score", "max_score"):
        if key in data:
            if key == "base_score":
                _need_int(data[key], key, problems)
            else:
                _need_optional_int(data[key], key, problems)

    rules: dict[str, KindRule] = {}
    kinds = data.get("kinds", {})
    if _need_mapping(kinds, "kinds", problems):
        _check_keys(
            kinds,
            "kinds",
            SCORED_KINDS,
            (),
            problems,
            gettext_noop("%(path)s：未知的记录类型"),
        )
        for kind in SCORED_KINDS:
            if kind in kinds:
                rule = _parse_rule(kind, kinds[kind], problems)
                if rule is not None:
                    rules[kind] = rule

    thresholds: dict[str, int] = {}
    raw_thresholds = data.get("thresholds", {})
    if _need_mapping(raw_thresholds, "thresholds", problems):
        _check_keys(
            raw_thresholds,
            "thresholds",
            THRESHOLD_GRADES,
            (),
            problems,
            gettext_noop("%(path)s：未知的等级（D 级没有门槛，低于 C 级门槛即为 D 级）"),
        )
        for grade_letter in THRESHOLD_GRADES:
            value = raw_thresholds.get(grade_letter)
            if grade_letter in raw_thresholds and _need_int(
                value, f"thresholds.{grade_letter}", problems
            ):
                thresholds[grade_letter] = value

    weights: dict[str, Fraction] = {}
    raw_weights = data.get("draw_weights", {})
    if _need_mapping(raw_weights, "draw_weights", problems):
        _check_keys(
            raw_weights, "draw_weights", GRADES, (), problems, gettext_noop("%(path)s：未知的等级")
        )
        for grade_letter in GRADES:
            if grade_letter in raw_weights:
                weight = _parse_fraction(
                    raw_weights[grade_letter], f"draw_weights.{grade_letter}", problems
                )
                if weight is not None:
                    weights[grade_letter] = weight

    return Scorecard(
        rules=rules,
        thresholds=thresholds,
        draw_weights=weights,
        base_score=cast(int, data.get("base_score")),
        min_score=cast(int | None, data.get("min_score")),
        max_score=cast(int | None, data.get("max_score")),
        serious_dishonesty_grade=cast(str, data.get("serious_dishonesty_grade")),
        version=cast(int, version),
    )


def _problem_path(problem: str) -> str:
    # Every problem starts with its place in the document, in any language.
    match = _PATH.match(problem)
    return match.group(0) if match else ""


def _related(path: str, other: str) -> bool:
    if not path or not other:
        return False
    return path == other or path.startswith(f"{other}.") or other.startswith(f"{path}.")


def _parse_rule(kind: str, data: object, problems: list[str]) -> KindRule | None:
    path = f"kinds.{kind}"
    if not _need_mapping(data, path, problems):
        return None
    before = len(problems)
    _check_keys(data, path, ("points", "validity_months"), ("cap", "decay"), problems)
    raw_points = data.get("points")
    points: dict[str, int] = {}
    if SEVERITIES[kind] == ("",):
        if "points" in data and _need_int(raw_points, f"{path}.points", problems):
            points[""] = raw_points
    elif "points" in data and _need_mapping(raw_points, f"{path}.points", problems):
        _check_keys(
            raw_points,
            f"{path}.points",
            SEVERITIES[kind],
            (),
            problems,
            gettext_noop("%(path)s：未知的严重程度"),
        )
        for severity in SEVERITIES[kind]:
            if severity in raw_points and _need_int(
                raw_points[severity], f"{path}.points.{severity}", problems
            ):
                points[severity] = raw_points[severity]
    validity = data.get("validity_months")
    if "validity_months" in data:
        _need_int(validity, f"{path}.validity_months", problems)
    cap = data.get("cap")
    _need_optional_int(cap, f"{path}.cap", problems)
    decay = data.get("decay", "none")
    if not isinstance(decay, str):
        problems.append(_decay_problem(f"{path}.decay"))
    if len(problems) > before:
        return None
    return KindRule(
        points=points,
        validity_months=cast(int, validity),
        cap=cast(int | None, cap),
        decay=cast(str, decay),
    )


def _parse_fraction(value: object, path: str, problems: list[str]) -> Fraction | None:
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, int | str):
            return Fraction(value.strip() if isinstance(value, str) else value)
        if isinstance(value, float):
            # The shortest decimal form: 0.1 is 1/10, not the binary fraction nearest to it.
            return Fraction(repr(value))
        raise TypeError
    except (TypeError, ValueError, ZeroDivisionError):
        problems.append(
            _('%(path)s：须为正数，可写作整数、小数或 "p/q" 形式的分数') % {"path": path}
        )
        return None


def _fraction_text(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def _decay_problem(path: str) -> str:
    return _('%(path)s：须为 "none"（不递减）或 "linear"（在有效期内线性递减）') % {"path": path}


# Checking a scorecard ---------------------------------------------------------------


def _check_rules(rules: Mapping[str, KindRule], problems: list[str]) -> None:
    for kind in rules:
        if kind not in SCORED_KINDS:
            problems.append(_("%(path)s：未知的记录类型") % {"path": f"kinds.{kind}"})
    for kind in SCORED_KINDS:
        path = f"kinds.{kind}"
        rule = rules.get(kind)
        if rule is None:
            problems.append(_("%(path)s：缺少此记录类型的评分规则") % {"path": path})
            continue
        for severity in rule.points:
            if severity not in SEVERITIES[kind]:
                problems.append(
                    _("%(path)s：未知的严重程度") % {"path": f"{path}.points.{severity}"}
                )
        signs: set[int] = set()
        for severity in SEVERITIES[kind]:
            point_path = f"{path}.points.{severity}" if severity else f"{path}.points"
            if severity not in rule.points:
                problems.append(_("%(path)s：缺少此设置项") % {"path": point_path})
                continue
            value = rule.points[severity]
            if not _need_int(value, point_path, problems):
                continue
            sign = POINT_SIGNS[(kind, severity)]
            signs.add(sign)
            if sign < 0 and value > 0:
                message = _("%(path)s：%(label)s是扣分项，分值不能为正数（现为 %(value)d）")
            elif sign > 0 and value < 0:
                message = _("%(path)s：%(label)s是加分项，分值不能为负数（现为 %(value)d）")
            else:
                continue
            problems.append(
                message % {"path": point_path, "label": _label(kind, severity), "value": value}
            )
        _check_severity_order(kind, rule, path, problems)
        if _need_int(rule.validity_months, f"{path}.validity_months", problems):
            if rule.validity_months < 1:
                problems.append(
                    _("%(path)s：有效期须至少 1 个月") % {"path": f"{path}.validity_months"}
                )
            elif rule.validity_months > MAX_VALIDITY_MONTHS:
                problems.append(
                    _("%(path)s：有效期不能超过 %(max)d 个月")
                    % {"path": f"{path}.validity_months", "max": MAX_VALIDITY_MONTHS}
                )
        if rule.decay not in DECAYS:
            problems.append(_decay_problem(f"{path}.decay"))
        _check_cap(kind, rule, signs, path, problems)


def _check_severity_order(kind: str, rule: KindRule, path: str, problems: list[str]) -> None:
    severities = [s for s in SEVERITIES[kind] if _is_int(rule.points.get(s))]
    for lighter, heavier in itertools.pairwise(severities):
        if rule.points[heavier] > rule.points[lighter]:
            problems.append(
                _(
                    "%(path)s：%(heavier)s（%(heavier_points)d 分）"
                    "不能比%(lighter)s（%(lighter_points)d 分）得分高"
                )
                % {
                    "path": f"{path}.points",
                    "heavier": _label(kind, heavier),
                    "heavier_points": rule.points[heavier],
                    "lighter": _label(kind, lighter),
                    "lighter_points": rule.points[lighter],
                }
            )


def _check_cap(kind: str, rule: KindRule, signs: set[int], path: str, problems: list[str]) -> None:
    cap = rule.cap
    cap_path = f"{path}.cap"
    if cap is None or not _need_int(cap, cap_path, problems):
        return
    if len(signs) > 1:
        problems.append(
            _("%(path)s：%(label)s既有加分也有扣分，不能设累计上限")
            % {"path": cap_path, "label": _(KIND_LABELS[kind])}
        )
    elif cap == 0:
        problems.append(
            _("%(path)s：累计上限不能为 0（不计分请把分值设为 0，不设上限请写 null）")
            % {"path": cap_path}
        )
    elif signs == {-1} and cap > 0:
        problems.append(
            _("%(path)s：%(label)s是扣分项，累计上限须为负数（现为 %(value)d）")
            % {"path": cap_path, "label": _(KIND_LABELS[kind]), "value": cap}
        )
    elif signs == {1} and cap < 0:
        problems.append(
            _("%(path)s：%(label)s是加分项，累计上限须为正数（现为 %(value)d）")
            % {"path": cap_path, "label": _(KIND_LABELS[kind]), "value": cap}
        )


def _check_range(card: Scorecard, problems: list[str]) -> bool:
    """Check the score range; return whether it can be used to check the thresholds."""
    ok = _need_int(card.base_score, "base_score", problems)
    ok = _need_optional_int(card.min_score, "min_score", problems) and ok
    ok = _need_optional_int(card.max_score, "max_score", problems) and ok
    if not ok:
        return False
    if (
        card.min_score is not None
        and card.max_score is not None
        and card.min_score >= card.max_score
    ):
        problems.append(
            _("min_score：最低分（%(low)d）须小于满分 max_score（%(high)d）")
            % {"low": card.min_score, "high": card.max_score}
        )
        return False
    if not _within(card, card.base_score):
        problems.append(_("base_score：基础分须在 min_score 与 max_score 之间"))
    if not _is_int(card.version) or card.version != FORMAT_VERSION:
        problems.append(
            _("%(path)s：不支持的格式版本 %(value)s（应为 %(expected)d）")
            % {"path": "version", "value": card.version, "expected": FORMAT_VERSION}
        )
    return True


def _within(card: Scorecard, value: int) -> bool:
    above_min = card.min_score is None or value >= card.min_score
    below_max = card.max_score is None or value <= card.max_score
    return above_min and below_max


def _check_thresholds(card: Scorecard, problems: list[str], *, range_ok: bool) -> None:
    values: list[int] = []
    for grade_letter in card.thresholds:
        if grade_letter not in THRESHOLD_GRADES:
            problems.append(
                _("%(path)s：未知的等级（D 级没有门槛，低于 C 级门槛即为 D 级）")
                % {"path": f"thresholds.{grade_letter}"}
            )
    for grade_letter in THRESHOLD_GRADES:
        path = f"thresholds.{grade_letter}"
        if grade_letter not in card.thresholds:
            problems.append(_("%(path)s：缺少此设置项") % {"path": path})
            return
        value = card.thresholds[grade_letter]
        if not _need_int(value, path, problems):
            return
        values.append(value)
        if range_ok and not _within(card, value):
            problems.append(_("%(path)s：门槛须在 min_score 与 max_score 之间") % {"path": path})
    if any(higher <= lower for higher, lower in itertools.pairwise(values)):
        problems.append(
            _("thresholds：门槛须从 A 到 C 严格递减（现为 A %(a)d、B %(b)d、C %(c)d）")
            % {"a": values[0], "b": values[1], "c": values[2]}
        )


def _check_draw_weights(weights: Mapping[str, Fraction], problems: list[str]) -> None:
    for grade_letter in weights:
        if grade_letter not in GRADES:
            problems.append(_("%(path)s：未知的等级") % {"path": f"draw_weights.{grade_letter}"})
    checked: list[tuple[str, Fraction]] = []
    for grade_letter in GRADES:
        path = f"draw_weights.{grade_letter}"
        if grade_letter not in weights:
            problems.append(_("%(path)s：缺少此设置项") % {"path": path})
            continue
        weight = weights[grade_letter]
        if not isinstance(weight, Fraction) or weight <= 0:
            problems.append(_("%(path)s：抽查权重须大于 0") % {"path": path})
            continue
        if weight.numerator > MAX_WEIGHT_TERM or weight.denominator > MAX_WEIGHT_TERM:
            problems.append(
                _("%(path)s：抽查权重的分子和分母都不能超过 %(max)d")
                % {"path": path, "max": MAX_WEIGHT_TERM}
            )
            continue
        checked.append((grade_letter, weight))
    for (higher, higher_weight), (lower, lower_weight) in itertools.pairwise(checked):
        if lower_weight < higher_weight:
            problems.append(
                _(
                    "draw_weights：信用等级越低，抽查权重不能越小"
                    "（%(lower)s 级 %(lower_weight)s 小于 %(higher)s 级 %(higher_weight)s）"
                )
                % {
                    "lower": lower,
                    "lower_weight": _fraction_text(lower_weight),
                    "higher": higher,
                    "higher_weight": _fraction_text(higher_weight),
                }
            )


DEFAULT_SCORECARD: Scorecard = Scorecard.from_dict(DEFAULT_CONFIG)
