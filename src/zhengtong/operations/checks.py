"""Start-up checks that tell an operator what is missing, without stopping the platform."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


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
