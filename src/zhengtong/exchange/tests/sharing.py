"""Shared set-up of the application, grant and 我的数据使用记录 tests.

The market bureau (吴十) publishes and hosts two resources: enterprise
registration keyed by 统一社会信用代码, with a conditional phone item and a
never-shared legal representative's id number, and population information
keyed by 身份证号, whose address item is conditional. The county bureau (周九)
has a system that reads shared data; 钱一 administers a third department with
no say over either.
"""

from dataclasses import dataclass, replace

from django.test import Client

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.actions import ItemInput, ResourceInput
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import PASSWORD, resource_input
from zhengtong.core.models import Enterprise, Person
from zhengtong.core.testing import (
    TEST_ACTOR,
    make_credit_code,
    make_department,
    make_enterprise,
    make_person,
)
from zhengtong.exchange import actions
from zhengtong.exchange.govstack import DATA_CLIENT_HEADER, client_identifier
from zhengtong.exchange.models import AccessApplication, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.identity.actions import (
    do_create_citizen,
    do_create_enterprise_user,
    do_create_staff,
    do_issue_client,
)
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import SystemClient, User

ENTERPRISES = "102000000/000002"
POPULATION = "101000000/000001"
PURPOSE = "食品经营许可审批中联系申请企业"
BASIS = "《食品经营许可和备案管理办法》第十条"

POPULATION_INPUT = replace(
    resource_input(POPULATION),
    name="人口基本信息",
    abstract="本市户籍人口的基本信息。",
    keywords="人口",
    items=[
        ItemInput("id_number", "公民身份号码", "C", 18, is_personal=True),
        ItemInput("name", "姓名", "C", 50, is_personal=True),
        ItemInput(
            "address",
            "住址",
            "C",
            200,
            is_personal=True,
            share_attribute="conditional",
            legal_basis="《居住证暂行条例》第十条",
        ),
    ],
)


@dataclass(frozen=True)
class Sharing:
    cast: ExchangeCast
    enterprises: Resource
    population: Resource
    uscc: str
    person: Person
    enterprise: Enterprise
    # The county bureau's system that reads shared data, and its bearer token.
    reader: SystemClient
    reader_token: str
    # The market bureau's system that pushes its records.
    pusher: SystemClient
    pusher_token: str
    outsider: User
    citizen: User
    enterprise_user: User

    @property
    def officer(self) -> User:
        return self.cast.catalog.officer

    @property
    def county_officer(self) -> User:
        return self.cast.catalog.county_officer

    @property
    def bureau(self) -> User:
        return self.cast.catalog.bureau

    def api(self, token: str) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    def govstack(self, token: str) -> Client:
        """As ``api``, sending the GovStack client header that names the system."""
        system = {self.reader_token: self.reader, self.pusher_token: self.pusher}[token]
        return govstack_http(system, token)


def govstack_http(system: SystemClient, token: str) -> Client:
    """A department system calling the exchange's GovStack profile, which requires the
    client header (``ZHENGTONG/GOV/<department>/<key id>``) on every operation."""
    return Client(
        HTTP_AUTHORIZATION=f"Bearer {token}",
        headers={DATA_CLIENT_HEADER: client_identifier(system)},
    )


def publish(cast: ExchangeCast, data: ResourceInput) -> Resource:
    officer = actor_of(cast.catalog.officer)
    resource = catalog.do_create_resource(cast.catalog.market, data, actor=officer)
    resource = catalog.do_submit_resource(resource, actor=officer)
    resource = catalog.do_review_resource(resource, actor=TEST_ACTOR)
    return catalog.do_publish_resource(resource, actor=TEST_ACTOR)


def make_sharing(cast: ExchangeCast) -> Sharing:
    officer = actor_of(cast.catalog.officer)
    enterprises = publish(cast, resource_input(ENTERPRISES))
    population = publish(cast, POPULATION_INPUT)
    person = make_person("张三")
    owner = make_person("赵六")
    uscc = make_credit_code(seq=4242)
    enterprise = make_enterprise(
        "长沙某某餐饮有限公司", credit_code=uscc, legal_representative=owner
    )
    hosted = actions.do_register_hosted_dataset(enterprises, "uscc", actor=officer)
    actions.do_load_dataset_rows(
        hosted,
        [{"uscc": uscc, "name": enterprise.name, "phone": "13812345678"}],
        actor=officer,
        source_name="enterprises.csv",
    )
    people = actions.do_register_hosted_dataset(population, "id_number", actor=officer)
    actions.do_load_dataset_rows(
        people,
        [{"id_number": person.id_number, "name": "张三", "address": "长沙市芙蓉区文艺路1号"}],
        actor=officer,
        source_name="people.csv",
    )
    reader, reader_secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    pusher, pusher_secret = do_issue_client(
        cast.catalog.market, "市场主体登记系统", ["exchange.push_records"], actor=TEST_ACTOR
    )
    third = make_department("长沙市生态环境局", code="cs-eco")
    return Sharing(
        cast=cast,
        enterprises=enterprises,
        population=population,
        uscc=uscc,
        person=person,
        enterprise=enterprise,
        reader=reader,
        reader_token=f"{reader.key_id}.{reader_secret}",
        pusher=pusher,
        pusher_token=f"{pusher.key_id}.{pusher_secret}",
        outsider=do_create_staff(
            "qianyi", PASSWORD, "钱一", third, ["administrator"], actor=TEST_ACTOR
        ),
        citizen=do_create_citizen("zhangsan", PASSWORD, person, actor=TEST_ACTOR),
        enterprise_user=do_create_enterprise_user(
            "zhaoliu",
            PASSWORD,
            owner,
            enterprise,
            "legal_representative",
            actor=TEST_ACTOR,
        ),
    )


def apply_for_phone(sharing: Sharing) -> AccessApplication:
    return actions.do_apply_for_access(
        sharing.enterprises,
        sharing.reader,
        actions.ApplicationInput(
            purpose=PURPOSE,
            legal_basis=BASIS,
            fields=["name", "phone"],
            duration_days=365,
            expected_per_day=100,
        ),
        actor=actor_of(sharing.county_officer),
    )


def grant_address(sharing: Sharing) -> Grant:
    """A second grant in force: the reader's address look-ups on the population resource."""
    application = actions.do_apply_for_access(
        sharing.population,
        sharing.reader,
        actions.ApplicationInput(
            purpose="户籍核对事项办理",
            legal_basis="《居住证暂行条例》第十条",
            fields=["address"],
            duration_days=30,
            expected_per_day=10,
        ),
        actor=actor_of(sharing.county_officer),
    )
    return actions.do_grant_application(application, actor=actor_of(sharing.officer))


def logged_in(user: User) -> Client:
    http = Client()
    http.force_login(user)
    return http
