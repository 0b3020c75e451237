"""Train a routing classifier version from a labelled CSV (columns title, body, label).

Messages are in the platform's language (``LANGUAGE_CODE``, 简体中文 by
default): Django runs a command with the configured language active unless
the command opts out (``no_translations``), and these commands do not. The
figures of the report (macro-F1, the per-class table, ``vN``) keep one form
in every language, for scripts that read them.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.core.actors import Actor
from zhengtong.core.errors import ZhengtongError
from zhengtong.core.punctuation import listed
from zhengtong.hotline.categories import category_name
from zhengtong.hotline.classifier_actions import (
    do_activate_classifier,
    do_queue_training,
    run_training,
)
from zhengtong.hotline.models import ClassifierVersion
from zhengtong.hotline.routing_model import CsvFormatError, CsvSyntaxError, read_examples_csv
from zhengtong.hotline.selectors import unmapped_categories
from zhengtong.hotline.states import TrainingState

ACTOR = Actor.system("hotline_train")


def default_data() -> Path | None:
    shared = settings.SHARED_DATA_DIR
    if shared is None:
        return None
    path = Path(shared) / "hotline" / "messages_labelled.csv"
    return path if path.is_file() else None


def csv_problem(name: str, error: CsvFormatError) -> str:
    """Why a CSV file cannot be read, after the file's name, in the reader's language."""
    if isinstance(error, CsvSyntaxError):
        problem = _("第 %(line)d 行起无法读取：可能有未配对的引号，或某一栏过长。") % {
            "line": error.line
        }
    elif isinstance(error.__cause__, UnicodeDecodeError):
        problem = _("CSV 文件须为 UTF-8 编码。")
    else:
        problem = _("CSV 文件须有 body 和 label 两列（title 列可选）。")
    return f"{name}: {problem}"


HELP = gettext_lazy(
    "用标注留言 CSV（title、body、label 三列，title 可为空）训练 12345 分拨模型，"
    "以交叉验证评估，并记为一个新版本。"
)


class Command(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Worded when the help is shown, in the language active then; argparse
        # needs a str, not a lazy translation.
        self.help = str(HELP)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data",
            type=Path,
            help=_("标注留言 CSV（默认：共享数据目录中的 hotline/messages_labelled.csv）"),
        )
        parser.add_argument(
            "--folds",
            type=int,
            default=5,
            help=_("评估报告的交叉验证折数（0：不评估）"),
        )
        parser.add_argument(
            "--no-corrections",
            action="store_true",
            help=_("不使用上次训练以来派单员的人工派单结果"),
        )
        parser.add_argument("--activate", action="store_true", help=_("训练完成后立即启用新版本"))
        parser.add_argument(
            "--if-none-active",
            action="store_true",
            help=_("已有启用的版本时不训练（供安装脚本使用）"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_none_active"] and ClassifierVersion.objects.filter(is_active=True).exists():
            self.stdout.write("hotline: " + _("已有启用的分拨模型，无需训练。"))
            return
        data = options["data"] or default_data()
        if data is None:
            message = _(
                "没有找到标注留言：请用 --data 指定 CSV 文件（title、body、label 三列），"
                "或把 hotline/messages_labelled.csv 放入共享数据目录"
                "（ZHENGTONG_SHARED_DATA）。启用模型之前，每条留言都等待人工派单。"
            )
            if options["if_none_active"]:
                self.stdout.write(f"hotline: {message}")
                return
            raise CommandError(message)
        if not data.is_file():
            raise CommandError(_("%(path)s 不是文件。") % {"path": data})
        # A file that cannot be read is refused before a version is recorded
        # for it, as the models page refuses the upload.
        try:
            read_examples_csv(data, require_label=True)
        except CsvFormatError as error:
            raise CommandError(csv_problem(data.name, error)) from None
        try:
            version = do_queue_training(
                actor=ACTOR,
                data_path=data.resolve(),
                include_corrections=not options["no_corrections"],
                # The versions' pages show the source: the file's name, not its place.
                source=data.name,
            )
            self.stdout.write(
                _("正在用 %(path)s 训练 v%(number)d ……") % {"path": data, "number": version.number}
            )
            version = run_training(version, actor=ACTOR, folds=options["folds"])
            if version.state != TrainingState.READY:
                raise CommandError(_("训练失败：%(error)s") % {"error": version.error_label})
            report = version.report
            if report:
                self.stdout.write(
                    _("交叉验证 macro-F1 %(mean).4f（%(folds)d 折：%(each)s）")
                    % {
                        "mean": report["macro_f1_mean"],
                        "folds": report["folds"],
                        "each": ", ".join(map(str, report["macro_f1_folds"])),
                    }
                )
                # One line per label in the same form in every language.
                for row in report["per_class"]:
                    self.stdout.write(
                        f"  {row['label']}: P {row['precision']:.3f} R {row['recall']:.3f} "
                        f"F1 {row['f1']:.3f} n={row['support']}"
                    )
            self.stdout.write(
                _("v%(number)d：%(examples)d 条样本，训练用时 %(seconds).1f 秒")
                % {
                    "number": version.number,
                    "examples": version.examples,
                    "seconds": version.train_seconds,
                }
            )
            if options["activate"] or options["if_none_active"]:
                # Asked for on the command line, where an installation trains
                # before any rule is loaded: activated, and the categories no
                # rule sends anywhere are named, as the models page asks.
                do_activate_classifier(version, actor=ACTOR, confirm_unmapped=True)
                self.stdout.write(_("v%(number)d 已启用。") % {"number": version.number})
                unmapped = unmapped_categories(version.labels)
                if unmapped:
                    self.stderr.write(
                        _("以下类别没有分拨规则，判为这些类别的诉求将等待人工派单：%(labels)s")
                        % {"labels": listed(category_name(label) for label in unmapped)}
                    )
        except ZhengtongError as error:
            raise CommandError(str(error.message)) from error
