"""``zhengtong create_staff USERNAME --name 姓名 --department CODE --role ROLE [...]``.

Opens a staff account from the command line, above all the first system
administrator of a new installation: Django's superuser holds no domain
permission here, so someone must be given the administrator role.
The password is read from ``ZHENGTONG_NEW_PASSWORD`` (or the file named by
``ZHENGTONG_NEW_PASSWORD_FILE``) or asked for twice, never taken as an argument
where it would land in the shell history.
"""

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengtong.core.actors import Actor
from zhengtong.core.errors import ZhengtongError
from zhengtong.core.selectors import get_department, get_region
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import ScopeLevel
from zhengtong.settings.env import env_str


class Command(BaseCommand):
    help = "Create a staff account with roles in a department (e.g. the first administrator)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="the staff member's name (姓名)")
        parser.add_argument("--department", required=True, metavar="CODE")
        parser.add_argument(
            "--role",
            action="append",
            dest="roles",
            required=True,
            metavar="CODE",
            help="role code, e.g. administrator; may be repeated",
        )
        parser.add_argument("--scope", choices=ScopeLevel.values, default=ScopeLevel.DEPARTMENT)
        parser.add_argument(
            "--scope-region",
            metavar="CODE",
            help="for --scope region: the region covered (default: the department's region)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            department = get_department(options["department"])
            region = get_region(options["scope_region"]) if options["scope_region"] else None
            user = do_create_staff(
                options["username"],
                self._password(),
                options["name"],
                department,
                options["roles"],
                actor=Actor.system("create_staff"),
                scope=options["scope"],
                scope_region=region,
            )
        except ZhengtongError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"created {user.username} ({', '.join(options['roles'])} in {department.code})"
            )
        )

    def _password(self) -> str:
        given = env_str("ZHENGTONG_NEW_PASSWORD", "")
        if given:
            return given
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the passwords differ")
        return first
