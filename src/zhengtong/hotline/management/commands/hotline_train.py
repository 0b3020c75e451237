"""Train a routing classifier version from a labelled CSV (columns title, body, label)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengtong.core.actors import Actor
from zhengtong.core.errors import ZhengtongError
from zhengtong.hotline.classifier_actions import (
    do_activate_classifier,
    do_queue_training,
    run_training,
)
from zhengtong.hotline.models import ClassifierVersion
from zhengtong.hotline.routing_model import CsvFormatError, read_examples_csv
from zhengtong.hotline.states import TrainingState

ACTOR = Actor.system("hotline_train")


def default_data() -> Path | None:
    shared = settings.SHARED_DATA_DIR
    if shared is None:
        return None
    path = Path(shared) / "hotline" / "messages_labelled.csv"
    return path if path.is_file() else None


class Command(BaseCommand):
    help = (
        "Train a 12345 routing classifier from a CSV with columns title, body, label "
        "(title may be empty), evaluate it by cross-validation and record it as a new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data",
            type=Path,
            help="labelled CSV (default: hotline/messages_labelled.csv of the shared data)",
        )
        parser.add_argument(
            "--folds", type=int, default=5, help="cross-validation folds for the report (0: skip)"
        )
        parser.add_argument(
            "--no-corrections",
            action="store_true",
            help="leave out the dispatchers' decisions stored since the last training",
        )
        parser.add_argument(
            "--activate", action="store_true", help="route with the new version at once"
        )
        parser.add_argument(
            "--if-none-active",
            action="store_true",
            help="do nothing when a version is already active (for set-up scripts)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_none_active"] and ClassifierVersion.objects.filter(is_active=True).exists():
            self.stdout.write("hotline: a routing model is already active; nothing to train")
            return
        data = options["data"] or default_data()
        if data is None:
            message = (
                "no labelled messages found: pass --data CSV (columns title, body, label), or put "
                "hotline/messages_labelled.csv in the shared data directory "
                "(ZHENGTONG_SHARED_DATA). Until a model is active, every message waits "
                "for a dispatcher."
            )
            if options["if_none_active"]:
                self.stdout.write(f"hotline: {message}")
                return
            raise CommandError(message)
        if not data.is_file():
            raise CommandError(f"{data} is not a file")
        # A file that cannot be read is refused before a version is recorded
        # for it, as the models page refuses the upload.
        try:
            read_examples_csv(data, require_label=True)
        except CsvFormatError as error:
            raise CommandError(f"{data.name}: {error}") from None
        try:
            version = do_queue_training(
                actor=ACTOR,
                data_path=data.resolve(),
                include_corrections=not options["no_corrections"],
                # The versions' pages show the source: the file's name, not its place.
                source=data.name,
            )
            self.stdout.write(f"training version v{version.number} on {data} ...")
            version = run_training(version, actor=ACTOR, folds=options["folds"])
            if version.state != TrainingState.READY:
                raise CommandError(f"training failed: {version.error}")
            report = version.report
            if report:
                self.stdout.write(
                    f"cross-validated macro-F1 {report['macro_f1_mean']:.4f} "
                    f"({report['folds']} folds: {', '.join(map(str, report['macro_f1_folds']))})"
                )
                for row in report["per_class"]:
                    self.stdout.write(
                        f"  {row['label']}: P {row['precision']:.3f} R {row['recall']:.3f} "
                        f"F1 {row['f1']:.3f} n={row['support']}"
                    )
            self.stdout.write(
                f"v{version.number}: {version.examples} examples, "
                f"trained in {version.train_seconds:.1f} s"
            )
            if options["activate"] or options["if_none_active"]:
                do_activate_classifier(version, actor=ACTOR)
                self.stdout.write(f"v{version.number} is now active")
        except ZhengtongError as error:
            raise CommandError(str(error.message)) from error
