"""``zhengtong record_holiday_arrangement FILE.csv --year 2027 --notice 国办发明电〔2026〕N号``.

Records a year's holiday arrangement from the State Council's notice, so that
working days are counted by it before the holiday package carries it. The
file has one row per day or period, with the columns ``date`` (``2027-02-06``
or a period ``2027-02-06/2027-02-12``), ``kind`` (``休`` or ``holiday``; ``班``
or ``working`` for a weekend day worked in lieu) and ``name`` (春节). Every
row is checked before anything is recorded; a file with a bad row records
nothing and the problems are listed by row.
"""

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhengtong.core.actions import ArrangedDay, do_record_holiday_arrangement
from zhengtong.core.actors import Actor
from zhengtong.core.errors import InvalidInput

HOLIDAY_KINDS = {"休", "holiday"}
WORKING_KINDS = {"班", "working"}
# A period longer than this is a typing error, not a holiday: the longest
# arranged holidays (Spring Festival, National Day) last eight or nine days.
LONGEST_PERIOD_DAYS = 31


class Command(BaseCommand):
    help = "Record a year's holiday arrangement (the State Council's notice) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV with the columns date, kind, name")
        parser.add_argument("--year", type=int, required=True, help="the year of the notice")
        parser.add_argument("--notice", required=True, help="the notice's reference (文号)")
        parser.add_argument(
            "--published", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD"
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        year: int,
        notice: str,
        published: dt.date | None,
        **options: Any,
    ) -> None:
        days, problems = read_arrangement(file)
        if problems:
            raise CommandError("nothing recorded:\n" + "\n".join(problems))
        try:
            arrangement = do_record_holiday_arrangement(
                year,
                notice,
                days,
                published_on=published,
                actor=Actor.system("record_holiday_arrangement"),
            )
        except InvalidInput as error:
            listed = [
                f"{p['day']}: {p['message']} ({p['code']})"
                for p in error.detail.get("problems", [])
            ]
            raise CommandError("\n".join([str(error.message), *listed])) from None
        holidays = sum(not d.is_working_day for d in days)
        self.stdout.write(
            self.style.SUCCESS(
                f"{arrangement.year} ({arrangement.notice}): {holidays} holidays, "
                f"{len(days) - holidays} weekend days worked in lieu"
            )
        )


def read_arrangement(path: Path) -> tuple[list[ArrangedDay], list[str]]:
    """Read the file's days; return them with every problem, each naming its row."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: {error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on a Chinese Windows saves "CSV" in the ANSI code page, GBK,
        # which GB 18030 extends; a file that is neither is refused.
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as error:
            raise CommandError(
                _("%(path)s：编码既不是 UTF-8 也不是 GB 18030（%(error)s）。")
                % {"path": path, "error": error}
            ) from None
    reader = csv.DictReader(text.splitlines())
    missing = {"date", "kind", "name"} - set(reader.fieldnames or [])
    if missing:
        raise CommandError(f"{path}: missing columns: {', '.join(sorted(missing))}")
    days: list[ArrangedDay] = []
    problems: list[str] = []
    for row_number, row in enumerate(reader, start=2):  # row 1 is the header
        if not any(isinstance(value, str) and value.strip() for value in row.values()):
            # Spreadsheets save rows that were once formatted as ",,": no day.
            continue
        kind = (row["kind"] or "").strip()
        if kind not in HOLIDAY_KINDS | WORKING_KINDS:
            problems.append(
                f"row {row_number}: kind must be 休/holiday or 班/working, not {kind!r}"
            )
            continue
        try:
            period = _period((row["date"] or "").strip())
        except ValueError as error:
            problems.append(f"row {row_number}: {error}")
            continue
        days.extend(ArrangedDay(day, kind in WORKING_KINDS, row["name"] or "") for day in period)
    if not days and not problems:
        problems.append("the file has no rows")
    return days, problems


def _period(text: str) -> list[dt.date]:
    first_text, _, last_text = text.partition("/")
    try:
        first = dt.date.fromisoformat(first_text)
        last = dt.date.fromisoformat(last_text) if last_text else first
    except ValueError:
        raise ValueError(
            f"date must be YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD, not {text!r}"
        ) from None
    if last < first:
        raise ValueError(f"the period {text} ends before it begins")
    if (last - first).days >= LONGEST_PERIOD_DAYS:
        raise ValueError(f"the period {text} is longer than {LONGEST_PERIOD_DAYS} days")
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
