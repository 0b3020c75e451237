"""The ``zhengtong`` console script: Django's management commands with our settings."""

import os
import sys


def main() -> None:
    """Run a management command, defaulting to the embedded settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
