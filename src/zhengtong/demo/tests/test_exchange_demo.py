"""The demo city's shared data: resources, hosted datasets, applications, grants and uses."""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from zhengtong.core.testing import make_id_number
from zhengtong.demo import city
from zhengtong.eservices.prefill import PLATFORM_CLIENT_NAME
from zhengtong.exchange.demo import CityBuilder, population_rows, vehicle_rows
from zhengtong.exchange.governed import key_hash
from zhengtong.exchange.models import (
    AccessApplication,
    AccessLog,
    AccessSubject,
    DatasetVersion,
    Grant,
    Record,
)
from zhengtong.ledger.models import LedgerEntry

POPULATION = "101000000-000001"
ENTERPRISES = "102000000-000001"


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def token_of(output: str) -> str:
    return next(line for line in output.splitlines() if "Bearer " in line).split("Bearer ")[1]


def person_id(username: str) -> str:
    person = next(p for p in city.PEOPLE if p.username == username)
    return make_id_number(person.region_code, person.birth, person.seq, person.sex)


def counts() -> tuple[int, ...]:
    return (
        LedgerEntry.objects.count(),
        DatasetVersion.objects.count(),
        Record.objects.count(),
        AccessApplication.objects.count(),
        Grant.objects.count(),
        AccessLog.objects.count(),
    )


@pytest.mark.django_db
def test_running_it_twice_adds_no_rows_applications_or_ledger_entries() -> None:
    first = load_demo()
    before = counts()
    second = load_demo()
    assert counts() == before
    assert "exchange: 13 datasets, 5 applications, 7 governed reads loaded" in first
    assert "exchange: 0 datasets, 0 applications, 0 governed reads loaded" in second


@pytest.mark.django_db
def test_the_demo_city_shares_its_data() -> None:
    output = load_demo()
    client = Client()

    published = client.get("/api/catalog/resources").json()
    names = {entry["name"] for entry in published}
    assert len(published) >= 15
    assert {
        "人口基本信息",
        "企业登记信息",
        "社会保险参保信息",
        "不动产登记信息",
        "严重失信主体名单",
    } <= names

    negative = client.get("/api/catalog/negative-list").json()
    assert {"婚姻登记信息", "企业登记信息", "基本医疗保险参保信息"} <= {
        entry["resource_name"] for entry in negative
    }
    assert all(entry["legal_basis"] and entry["review_date"] for entry in negative)

    # Every generated row passes the exchange's checks, check digits included.
    # (Other modules publish through the exchange too, e.g. the credit list's
    # own listings; those are small loads and are tested where they are made.)
    versions = DatasetVersion.objects.exclude(source_name="regulation.dishonesty_list")
    assert versions.count() >= 12
    assert all(v.rejected == 0 and v.accepted >= 50 for v in versions)
    assert client.login(username="caiming", password=city.DEMO_PASSWORD)
    population = client.get(f"/api/exchange/datasets/{POPULATION}").json()
    assert population["records"] > 1000

    applications = {
        a.client.name: a
        for a in AccessApplication.objects.select_related("client").exclude(
            client__name=PLATFORM_CLIENT_NAME
        )
    }
    states = sorted(a.state for a in applications.values())
    assert states == ["granted", "granted", "pending", "pending", "refused"]
    # The online-services platform reads the population register for prefill, and the
    # social-insurance register for the pension item's check, under grants of its own.
    platform = AccessApplication.objects.filter(client__name=PLATFORM_CLIENT_NAME)
    assert sorted((a.resource.code, a.state) for a in platform) == [
        ("101000000/000001", "granted"),
        ("303000000/000001", "granted"),
    ]
    now = timezone.now()
    overdue = [a for a in applications.values() if a.state == "pending" and a.due_at < now]
    assert len(overdue) == 1 and overdue[0].submitted_at < overdue[0].due_at
    grants = Grant.objects.filter(revoked_at__isnull=True).exclude(
        client__name=PLATFORM_CLIENT_NAME
    )
    assert grants.count() == 2 and any(g.clear_fields == ["name"] for g in grants)

    assert "caiming" in output and "denglei" in output and "sunba" in output
    assert "zhangsan" in output


@pytest.mark.django_db
def test_the_printed_token_reads_shared_data_masked_and_never_negative_list_items() -> None:
    token = token_of(load_demo())
    http = Client(headers={"Authorization": f"Bearer {token}"})

    def post(slug: str, body: dict[str, Any]) -> Any:
        return http.post(f"/api/exchange/shared/{slug}/look-up", body, "application/json")

    zhangsan = post(POPULATION, {"key": person_id("zhangsan"), "purpose": "核验经营者身份"})
    assert zhangsan.status_code == 200, zhangsan.json()
    values = zhangsan.json()["values"]
    assert values["name"] == "张*" and "name" in zhangsan.json()["masked"]
    # The grant covers these items only; the address was not asked for.
    assert set(values) == {"id_number", "name", "gender", "birth"}

    firm = Record.objects.filter(dataset__resource__code=ENTERPRISES.replace("-", "/")).first()
    assert firm is not None
    open_read = post(ENTERPRISES, {"key": firm.key, "purpose": "核对营业执照信息"})
    assert open_read.status_code == 200
    assert open_read.json()["values"]["name"] == firm.values["name"]
    assert "legal_rep_id" not in open_read.json()["values"]
    refused = post(
        ENTERPRISES, {"key": firm.key, "purpose": "核对法定代表人", "fields": ["legal_rep_id"]}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "negative_list"


@pytest.mark.django_db
def test_the_demo_citizens_have_data_use_records() -> None:
    load_demo()
    for username in ("zhangsan", "liuxiaomei"):
        logs = AccessLog.objects.filter(
            subjects__key_hash=key_hash(person_id(username))
        ).select_related("client__department")
        assert logs.count() >= 2, username
        assert all(log.data["purpose"] for log in logs)
        assert {log.client.department.code for log in logs} >= {"cs-market", "cs-service-centre"}
    # Somebody outside the demo story has no uses on record.
    stranger = Record.objects.filter(dataset__resource__code="101000000/000001").last()
    assert stranger is not None
    assert not AccessSubject.objects.filter(key_hash=key_hash(stranger.key)).exists()


def test_the_generated_city_is_the_same_every_time() -> None:
    first, second = CityBuilder(), CityBuilder()
    assert list(population_rows(first)) == list(population_rows(second))
    assert list(vehicle_rows(first)) == list(vehicle_rows(second))
    numbers = [row["id_number"] for row in population_rows(CityBuilder())]
    assert len(numbers) == len(set(numbers)) > 2000
