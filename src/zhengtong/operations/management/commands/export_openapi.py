"""Write the OpenAPI document, or check that the committed one is current."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengtong.api import api


def openapi_text() -> str:
    """Return the OpenAPI document as stable, reviewable JSON."""
    schema = api.get_openapi_schema()
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Export the OpenAPI document to a file (or stdout), or --check it for drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="File to write or check; stdout if omitted.")
        parser.add_argument(
            "--check", action="store_true", help="Fail if the file differs from the API."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = openapi_text()
        path = Path(options["path"]) if options["path"] else None
        if options["check"]:
            if path is None:
                raise CommandError("--check needs the path of the committed document.")
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                raise CommandError(
                    f"{path} is out of date with the API; run `zhengtong export_openapi {path}`."
                )
            self.stdout.write(f"{path} is current.")
            return
        if path is None:
            sys.stdout.write(text)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {path}")
