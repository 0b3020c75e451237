"""Start-up checks that tell an operator what is missing, without stopping the platform."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db import router
from django.utils import timezone

from zhengtong.core.calendar import SHANGHAI, is_known_year
from zhengtong.core.models import HolidayArrangement

# From this month on, time limits of ten or twenty working days reach into the
# next year, so its holiday arrangement is needed.
NEXT_YEAR_NEEDED_FROM_MONTH = 12


@checks.register(checks.Tags.compatibility)
def check_shared_data(
    *,
    app_configs: Sequence[AppConfig] | None,
    databases: Sequence[str] | None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Say when the real public data for training and evaluation is not there."""
    if settings.SHARED_DATA_DIR is not None and settings.SHARED_DATA_DIR.is_dir():
        return []
    where = settings.SHARED_DATA_DIR or "../shared/data"
    return [
        checks.Info(
            f"No real-data directory at {where}. The platform runs without it; "
            "models that learn from real public data (citizen-message routing, "
            "sentiment) cannot be trained until it is there.",
            hint="Set ZHENGTONG_SHARED_DATA to the directory holding hotline/ and sentiment/.",
            id="zhengtong.I001",
        )
    ]


# A database check: it reads the recorded notices, so it runs where a command
# names the database (``migrate``, ``check --database default``), not on
# every command.
@checks.register(checks.Tags.database)
def check_holiday_arrangement(
    *,
    app_configs: Sequence[AppConfig] | None,
    databases: Sequence[str] | None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Say when time limits are about to be counted without a year's holiday arrangement."""
    if not databases or router.db_for_read(HolidayArrangement) not in databases:
        return []
    today = timezone.now().astimezone(SHANGHAI).date()
    years = [today.year]
    if today.month >= NEXT_YEAR_NEEDED_FROM_MONTH:
        years.append(today.year + 1)
    unknown = [year for year in years if not is_known_year(year)]
    if not unknown:
        return []
    listed = ", ".join(str(year) for year in unknown)
    hint = (
        "Once the State Council's notice is out, record it with "
        "`zhengtong record_holiday_arrangement FILE.csv --year YEAR --notice REF` "
        "(docs/calendar.md), or install a chinesecalendar release that has it."
    )
    message = (
        f"No holiday arrangement for {listed}: time limits that reach into it count "
        "Monday to Friday as working days, holidays included."
    )
    # This year's limits are being miscounted now; next year's notice may
    # simply not be out yet.
    if today.year in unknown:
        return [checks.Warning(message, hint=hint, id="zhengtong.W001")]
    return [checks.Info(message, hint=hint, id="zhengtong.I002")]
