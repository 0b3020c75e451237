"""Take a backup of the installation into a new directory, or check one."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengtong.core.actors import Actor
from zhengtong.operations.backup import BackupError, check_backup, take_backup


class Command(BaseCommand):
    help = (
        "Copy the database (consistently, while the platform runs) and the data directory's "
        "files into DIRECTORY, with a manifest of their SHA-256; --check checks a backup "
        "against its manifest and verifies the ledger in it. Keys only with --with-keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory", help="A new or empty directory outside the data directory."
        )
        parser.add_argument(
            "--check", action="store_true", help="Check the backup in DIRECTORY instead."
        )
        parser.add_argument(
            "--with-keys",
            action="store_true",
            help="Also copy the secret key, signing keys and pseudonym key (keep such a "
            "backup encrypted and apart).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["directory"])
        try:
            if options["check"]:
                self._check(path)
            else:
                self._take(path, with_keys=options["with_keys"])
        except BackupError as error:
            raise CommandError(str(error)) from error

    def _take(self, path: Path, *, with_keys: bool) -> None:
        backup = take_backup(path, actor=Actor.system("backup"), with_keys=with_keys)
        files = backup.manifest["files"]
        size = sum(f["size"] for f in files.values())
        self.stdout.write(
            f"Backup in {backup.path}: {backup.manifest['database']} database and "
            f"{len(files) - 1} files, {size / 1e6:.1f} MB; ledger {backup.manifest['ledger']}."
        )
        if not with_keys:
            self.stdout.write(
                "Keys are not included: back up the secret, signing and pseudonym keys "
                "separately (docs/operations/deploy.md, section 7)."
            )

    def _check(self, path: Path) -> None:
        report = check_backup(path)
        if report.ledger_output:
            self.stdout.write(report.ledger_output)
        if report.problems:
            for problem in report.problems:
                self.stderr.write(problem)
            count = len(report.problems)
            raise CommandError(
                f"The backup in {path} failed its check: "
                f"{count} problem{'' if count == 1 else 's'}."
            )
        self.stdout.write(
            self.style.SUCCESS(f"The backup in {path} checks: {report.files_checked} files.")
        )
