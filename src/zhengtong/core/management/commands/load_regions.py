"""``zhengtong load_regions [--province 430000 ...]``: load the GB/T 2260 divisions."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengtong.core.actions import do_load_regions
from zhengtong.core.actors import Actor
from zhengtong.core.divisions import division_list, divisions_for
from zhengtong.core.errors import InvalidInput
from zhengtong.core.models import Region


class Command(BaseCommand):
    help = "Load the administrative divisions (GB/T 2260) from the bundled official list."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--province",
            action="append",
            dest="provinces",
            metavar="CODE",
            help="load only this province (six-digit code, e.g. 430000); may be repeated",
        )

    def handle(self, *args: Any, provinces: list[str] | None = None, **options: Any) -> None:
        data = division_list()
        try:
            wanted = divisions_for(provinces)
        except InvalidInput as error:
            raise CommandError(str(error.message)) from None
        before = Region.objects.count()
        changed = do_load_regions(actor=Actor.system("load_regions"), province_codes=provinces)
        created = Region.objects.count() - before
        updated = changed - created

        self.stdout.write(f"source: {data.source}, as of {data.as_of}, sha256 {data.sha256}")
        levels = [sum(1 for d in wanted if d.level == level) for level in (1, 2, 3, 4)]
        self.stdout.write(
            f"in the list: {len(wanted)} (provinces {levels[0]}, cities {levels[1]}, "
            f"counties {levels[2]}, townships {levels[3]})"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"created {created}, updated {updated}, unchanged {len(wanted) - changed}"
            )
        )
