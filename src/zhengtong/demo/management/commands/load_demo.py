"""Create the demo city (idempotent) and print log-in details for every audience."""

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from zhengtong.catalog.demo import load_demo_catalog
from zhengtong.core import actions as core_actions
from zhengtong.core import selectors as core_selectors
from zhengtong.core.actors import Actor
from zhengtong.core.models import Department, Person
from zhengtong.core.testing import make_credit_code, make_id_number
from zhengtong.demo import city
from zhengtong.eservices.demo import load_demo_platform_access, load_demo_service_items
from zhengtong.eservices.demo_applications import load_demo_applications
from zhengtong.exchange.demo import ExchangeSummary, load_demo_exchange
from zhengtong.hotline.demo import LOGINS as HOTLINE_LOGINS
from zhengtong.hotline.demo import load_demo_hotline
from zhengtong.identity import actions as identity_actions
from zhengtong.identity import credentials
from zhengtong.identity.models import EnterpriseRelation, SystemClient, User
from zhengtong.licences.demo import load_demo_licences
from zhengtong.regulation.demo import LOGINS as REGULATION_LOGINS
from zhengtong.regulation.demo import load_demo_regulation, load_demo_regulation_work

ACTOR = Actor.system("load_demo")


class Command(BaseCommand):
    help = "Create the demo city 长沙市 with departments, staff, citizens and enterprises."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all-regions",
            action="store_true",
            help="Load the whole national region list, not only the demo province.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        provinces = None if options["all_regions"] else [city.PROVINCE_CODE]
        if options["all_regions"] or not core_selectors.search_regions(city.CITY_CODE).exists():
            count = core_actions.do_load_regions(actor=ACTOR, province_codes=provinces)
            self.stdout.write(f"regions: {count} loaded")
        departments = self._departments()
        people = self._people()
        enterprises = self._enterprises(people)
        logins = self._staff(departments) + self._public_users(people, enterprises)
        self.stdout.write(f"catalog: {load_demo_catalog(actor=ACTOR)} resources loaded")
        # The client comes before the exchange: its system applies for and reads shared data.
        credentials = self._client(departments)
        exchange = load_demo_exchange(actor=ACTOR)
        self.stdout.write(
            f"exchange: {exchange.new_datasets} datasets, {exchange.new_applications} "
            f"applications, {exchange.new_reads} governed reads loaded"
        )
        self.stdout.write(f"licences: {load_demo_licences(actor=ACTOR)} issued")
        self.stdout.write(f"eservices: {load_demo_service_items(actor=ACTOR)} service items loaded")
        grants = load_demo_platform_access(actor=ACTOR)
        self.stdout.write(f"eservices: {grants} grants for prefill and credit checks")
        self.stdout.write(f"hotline: {load_demo_hotline(actor=ACTOR)} demo messages registered")
        for username, what in HOTLINE_LOGINS:
            self.stdout.write(f"  12345 {username}: {what}")
        uploads = load_demo_regulation(actor=ACTOR)
        self.stdout.write(f"regulation: {uploads} HJ 212 uploads stored for the monitoring points")
        for line in load_demo_regulation_work(actor=ACTOR):
            self.stdout.write(f"regulation: {line}")
        for username, what in REGULATION_LOGINS:
            self.stdout.write(f"  互联网+监管 {username}: {what}")
        # After regulation: the credit check at submission sees the dishonesty list.
        self.stdout.write(f"eservices: {load_demo_applications()} applications in progress")
        self._print(logins, credentials, exchange)

    def _departments(self) -> dict[str, Department]:
        made: dict[str, Department] = {}
        for seq, item in enumerate(city.DEPARTMENTS, start=1):
            existing = Department.objects.filter(code=item.code).first()
            if existing is None:
                existing = core_actions.do_register_department(
                    item.code,
                    item.name,
                    make_credit_code(item.region_code, seq, authority="1", entity_type="1"),
                    core_selectors.get_region(item.region_code),
                    item.kind,
                    actor=ACTOR,
                    parent=made.get(item.parent_code) if item.parent_code else None,
                    short_name=item.short_name,
                )
            made[item.code] = existing
        return made

    def _people(self) -> dict[str, Person]:
        made: dict[str, Person] = {}
        for item in city.PEOPLE:
            number = make_id_number(item.region_code, item.birth, item.seq, item.sex)
            person = core_selectors.find_person_by_id_number(number)
            if person is None:
                person = core_actions.do_register_person(
                    number,
                    item.name,
                    actor=ACTOR,
                    phone=item.phone,
                    address=item.address,
                    region=core_selectors.get_region(item.region_code),
                )
            made[item.name] = person
        return made

    def _enterprises(self, people: dict[str, Person]) -> dict[str, Any]:
        made: dict[str, Any] = {}
        for item in city.ENTERPRISES:
            code = make_credit_code(item.region_code, item.seq)
            enterprise = core_selectors.find_enterprise_by_credit_code(code)
            if enterprise is None:
                enterprise = core_actions.do_register_enterprise(
                    code,
                    item.name,
                    people[item.legal_representative],
                    item.address,
                    core_selectors.get_region(item.region_code),
                    actor=ACTOR,
                    industry_code=item.industry_code,
                    industry=item.industry,
                    established_on=item.established_on,
                )
            made[item.name] = enterprise
        return made

    def _staff(self, departments: dict[str, Department]) -> list[tuple[str, str, str]]:
        logins: list[tuple[str, str, str]] = []
        named = list(city.STAFF)
        covered = {item.department_code for item in named}
        clerk_names = iter(city.CLERK_NAMES)
        for item in city.DEPARTMENTS:
            if item.code not in covered:
                named.append(
                    city.DemoStaff(f"clerk-{item.code}", next(clerk_names), item.code, ("clerk",))
                )
        for staff in named:
            if not User.objects.filter(username=staff.username).exists():
                identity_actions.do_create_staff(
                    staff.username,
                    city.DEMO_PASSWORD,
                    staff.name,
                    departments[staff.department_code],
                    staff.roles,
                    actor=ACTOR,
                    scope=staff.scope,
                    scope_region=(
                        core_selectors.get_region(staff.scope_region_code)
                        if staff.scope_region_code
                        else None
                    ),
                )
            if staff.note:
                label = f"工作人员 {staff.name}（{departments[staff.department_code].name}）"
                logins.append((label, staff.username, staff.note))
        return logins

    def _public_users(
        self, people: dict[str, Person], enterprises: dict[str, Any]
    ) -> list[tuple[str, str, str]]:
        logins: list[tuple[str, str, str]] = []
        legal_of = {item.legal_representative: item.name for item in city.ENTERPRISES}
        agent_of = {username: item.name for item in city.ENTERPRISES for username in item.agents}
        for item in city.PEOPLE:
            if item.username is None:
                continue
            person = people[item.name]
            exists = User.objects.filter(username=item.username).exists()
            if item.name in legal_of:
                firm = legal_of[item.name]
                if not exists:
                    identity_actions.do_create_enterprise_user(
                        item.username,
                        city.DEMO_PASSWORD,
                        person,
                        enterprises[firm],
                        EnterpriseRelation.LEGAL_REPRESENTATIVE,
                        actor=ACTOR,
                    )
                logins.append((f"企业法定代表人 {item.name}", item.username, firm))
            elif item.username in agent_of:
                firm = agent_of[item.username]
                if not exists:
                    identity_actions.do_create_enterprise_user(
                        item.username,
                        city.DEMO_PASSWORD,
                        person,
                        enterprises[firm],
                        EnterpriseRelation.AGENT,
                        actor=ACTOR,
                    )
                logins.append((f"企业经办人 {item.name}", item.username, firm))
            else:
                if not exists:
                    identity_actions.do_create_citizen(
                        item.username, city.DEMO_PASSWORD, person, actor=ACTOR
                    )
                logins.append((f"市民 {item.name}", item.username, "G2C"))
        return logins

    def _client(self, departments: dict[str, Department]) -> str:
        """Return working demo G2G credentials, issuing or rotating them only when needed.

        The secret is shown once when issued, so it is kept (mode 0600) in the
        data directory for re-printing; if it was rotated or revoked from the
        developer page since, a fresh one is made. A client issued by an older
        demo without today's scopes is revoked and replaced, as scopes are fixed
        at issue.
        """
        path = Path(settings.DATA_DIR) / "demo-api-credentials.txt"
        stored = path.read_text(encoding="utf-8").strip() if path.exists() else ""
        key_id, secret = credentials.split_token(stored) or ("", "")
        client = SystemClient.objects.filter(
            key_id=key_id,
            department=departments[city.DEMO_CLIENT_DEPARTMENT],
            revoked_at__isnull=True,
        ).first()
        if client is not None and not set(city.DEMO_CLIENT_SCOPES) <= set(client.scopes):
            identity_actions.do_revoke_client(client, actor=ACTOR)
            client = None
        if client is not None and credentials.verify_secret(secret, client.secret_hash).ok:
            return stored
        if client is not None:
            secret = identity_actions.do_rotate_client_secret(client, actor=ACTOR)
        else:
            client, secret = identity_actions.do_issue_client(
                departments[city.DEMO_CLIENT_DEPARTMENT],
                city.DEMO_CLIENT_NAME,
                list(city.DEMO_CLIENT_SCOPES),
                actor=ACTOR,
            )
        token = f"{client.key_id}.{secret}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token)
        return token

    def _print(
        self, logins: list[tuple[str, str, str]], token: str, exchange: ExchangeSummary
    ) -> None:
        out = self.stdout
        out.write("")
        out.write("演示城市已就绪：长沙市（区划代码 430100）")
        out.write(f"所有演示账号的密码：{city.DEMO_PASSWORD}")
        out.write("")
        # Usernames first: they are ASCII, so the columns line up in any terminal.
        for label, username, note in logins:
            out.write(f"  {username:<14}{label}  {note}")
        out.write("")
        out.write(
            f"  共享交换：{exchange.datasets} 个托管数据集、{exchange.records} 条记录（虚构），"
            f"{exchange.applications} 项共享申请、{exchange.grants} 项有效授权，"
            f"演示部门系统用数 {exchange.reads} 次"
        )
        out.write(
            "  数据共享申请：wushi、denglei 申请，caiming、tangjing 答复，sunba 查看逾期未答复；"
            "zhangsan、liuxiaomei 查看“我的数据使用记录”"
        )
        out.write("")
        out.write(f"  部门系统（G2G）{city.DEMO_CLIENT_NAME}：Authorization: Bearer {token}")
        out.write("  审计人员：用户名 qianqi，访问 /audit/；接口文档：/api/docs")
        out.write("")
