"""Classify a CSV of messages (columns title, body) with the active routing model.

Messages are in the platform's language (``LANGUAGE_CODE``), as in
``hotline_train``; the output file's columns (``label``, ``confidence``,
``label_input``) are the same in every language, for the programs that read it.
"""

import csv
import io
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.hotline import routing
from zhengtong.hotline.management.commands.hotline_train import csv_problem
from zhengtong.hotline.routing_model import (
    CsvFormatError,
    CsvSyntaxError,
    Example,
    ModelFileError,
)

BATCH = 1000


HELP = gettext_lazy(
    "用启用的分拨模型为 INPUT.csv（title、body 两列，title 可为空）中的留言分类，"
    "写入 OUTPUT.csv：原有各列，加上预测类别 label 和置信度 confidence"
    "（原有的 label 列保留为 label_input）。"
)


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Worded when the help is shown, in the language active then; argparse
        # needs a str, not a lazy translation.
        self.help = str(HELP)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path, help=_("待分类的留言 CSV"))
        parser.add_argument("output", type=Path, help=_("输出的 CSV；“-”表示写到标准输出"))

    def handle(self, *args: Any, **options: Any) -> None:
        version = routing.active_version()
        if version is None:
            raise CommandError(
                _("没有启用的分拨模型：请先用 `zhengtong hotline_train --activate` 训练并启用。")
            )
        try:
            model = routing.model_of(version)
        except ModelFileError as error:
            raise CommandError(
                _("模型文件无法读取或已被改动：%(error)s") % {"error": error}
            ) from error
        source: Path = options["input"]
        if source.exists() and not source.is_file():
            raise CommandError(_("%(path)s 不是文件。") % {"path": source})
        try:
            text = source.read_text(encoding="utf-8-sig")
        except FileNotFoundError as error:
            raise CommandError(_("找不到文件 %(path)s。") % {"path": source}) from error
        except UnicodeDecodeError as error:
            raise CommandError(source.name + ": " + _("CSV 文件须为 UTF-8 编码。")) from error
        except OSError as error:
            raise CommandError(
                _("无法读取文件 %(path)s：%(error)s")
                % {"path": source, "error": error.strerror or error}
            ) from error
        # Records end at a newline only: str.splitlines would also break a
        # message at a form feed or U+2028, turning one message into several
        # rows; the csv module wants the text with its line ends untranslated.
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            columns = [c for c in reader.fieldnames or []]
            lowered = {c.strip().lower(): c for c in columns}
            if "body" not in lowered:
                raise CommandError(source.name + ": " + _("CSV 文件须有 body 列（title 列可选）。"))
            rows = list(reader)
        except csv.Error as error:
            # An unbalanced quote runs a field past the csv module's limit.
            raise CommandError(
                csv_problem(source.name, CsvSyntaxError(str(error), line=reader.line_num))
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
        try:
            handle = (
                sys.stdout if str(target) == "-" else target.open("w", encoding="utf-8", newline="")
            )
        except OSError as error:
            raise CommandError(
                _("无法写入 %(path)s：%(error)s")
                % {"path": target, "error": error.strerror or error}
            ) from error
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
                _("已用 v%(number)d 为 %(count)d 条留言分类，写入 %(path)s。")
                % {"number": version.number, "count": len(rows), "path": target}
            )
