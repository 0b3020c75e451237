"""Measure the data quality of hosted datasets now, without waiting for the daily task."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengtong.core.actors import Actor
from zhengtong.exchange.models import HostedDataset
from zhengtong.exchange.quality import do_measure_dataset_quality


class Command(BaseCommand):
    help = (
        "Measure completeness, validity, timeliness and duplicates of every hosted dataset "
        "(or of one) and keep a quality report for each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--resource",
            metavar="CODE",
            help="measure only the dataset of this catalog resource (e.g. 102000000/000001)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        datasets = HostedDataset.objects.select_related("resource").order_by("resource__code")
        code = options["resource"]
        if code:
            datasets = datasets.filter(resource__code=code.replace("-", "/"))
            if not datasets.exists():
                raise CommandError(f"no hosted dataset for resource {code}")
        actor = Actor.system("exchange.measure_quality")
        for dataset in datasets:
            report = do_measure_dataset_quality(dataset, actor=actor)
            figures = report.figures
            self.stdout.write(
                f"{dataset.resource.code} {dataset.resource.name}: score {report.score}, "
                f"{figures['records']} records, "
                f"completeness {_percent(figures['completeness']['percent'])}, "
                f"validity {_percent(figures['validity']['percent'])}, "
                f"timeliness {report.timeliness}, "
                f"duplicates {figures['duplicates']['records']}"
            )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value}%"
