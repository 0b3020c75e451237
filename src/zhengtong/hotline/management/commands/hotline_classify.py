"""Classify a CSV of messages (columns title, body) with the active routing model."""

import csv
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengtong.hotline import routing
from zhengtong.hotline.routing_model import CsvFormatError, Example, ModelFileError

BATCH = 1000


class Command(BaseCommand):
    help = (
        "Classify INPUT.csv (columns title, body; title may be empty) with the active routing "
        "model and write OUTPUT.csv: the input columns plus the predicted label and its "
        "confidence (an input label column is kept as label_input)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("output", type=Path, help="'-' writes to standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        version = routing.active_version()
        if version is None:
            raise CommandError(
                "no routing model is active: train one with `zhengtong hotline_train --activate`"
            )
        try:
            model = routing.model_of(version)
        except ModelFileError as error:
            raise CommandError(str(error)) from error
        source: Path = options["input"]
        try:
            text = source.read_text(encoding="utf-8-sig")
        except FileNotFoundError as error:
            raise CommandError(f"{source} not found") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{source} is not UTF-8 text") from error
        reader = csv.DictReader(text.splitlines())
        try:
            columns = [c for c in reader.fieldnames or []]
            lowered = {c.strip().lower(): c for c in columns}
            if "body" not in lowered:
                raise CommandError("missing column: body")
            rows = list(reader)
        except csv.Error as error:
            # An unbalanced quote runs a field past the csv module's limit.
            raise CommandError(
                f"{source.name} line {reader.line_num}: {error} (an unbalanced quote?)"
            ) from None
        title_column, body_column = lowered.get("title"), lowered["body"]
        # The prediction goes to ``label`` and ``confidence``; a label the input
        # already had (a hand label, say) is kept beside it as ``label_input``.
        given_label = lowered.get("label")
        output_columns = [c for c in columns if c.strip().lower() not in ("label", "confidence")]
        if given_label is not None:
            output_columns.append("label_input")
        output_columns += ["label", "confidence"]
        target = options["output"]
        handle = (
            sys.stdout if str(target) == "-" else target.open("w", encoding="utf-8", newline="")
        )
        try:
            writer = csv.DictWriter(handle, fieldnames=output_columns, extrasaction="ignore")
            writer.writeheader()
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                predictions = model.predict(
                    [
                        Example(
                            (row.get(title_column) or "") if title_column else "",
                            row.get(body_column) or "",
                        )
                        for row in batch
                    ]
                )
                for row, prediction in zip(batch, predictions, strict=True):
                    out = dict(row)
                    if given_label is not None:
                        out["label_input"] = row.get(given_label) or ""
                    out["label"] = prediction.label
                    out["confidence"] = f"{prediction.confidence:.4f}"
                    writer.writerow(out)
        except CsvFormatError as error:
            raise CommandError(str(error)) from error
        finally:
            if handle is not sys.stdout:
                handle.close()
        if handle is not sys.stdout:
            self.stderr.write(
                f"{len(rows)} messages classified with v{version.number} into {target}"
            )
