from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from zhengtong.core.models import Department, Enterprise, Person, Region
from zhengtong.demo import city
from zhengtong.identity.models import SystemClient, User
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.models import Inspection


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_builds_the_demo_city_with_real_region_codes() -> None:
    output = load_demo()
    assert Region.objects.get(code="430102").parent_id == "430100"
    assert Region.objects.filter(code__startswith="430102", level=4).exists()
    assert Department.objects.count() == len(city.DEPARTMENTS) >= 20
    assert Person.objects.count() == len(city.PEOPLE)
    assert Enterprise.objects.count() == len(city.ENTERPRISES)
    # Every department has at least one named member of staff.
    for department in Department.objects.all():
        assert User.objects.filter(posts__department=department).exists(), department.name
    assert "lisi" in output and city.DEMO_PASSWORD in output and "Bearer " in output


@pytest.mark.django_db
def test_running_it_twice_changes_nothing() -> None:
    first = load_demo()
    counts = (
        Department.objects.count(),
        User.objects.count(),
        SystemClient.objects.count(),
        LedgerEntry.objects.count(),
    )
    second = load_demo()
    assert counts == (
        Department.objects.count(),
        User.objects.count(),
        SystemClient.objects.count(),
        LedgerEntry.objects.count(),
    )
    # The printed API credentials stay usable across runs.
    assert first.splitlines()[-3] == second.splitlines()[-3]


@pytest.mark.django_db
def test_its_printed_logins_and_api_credentials_work() -> None:
    output = load_demo()
    client = Client()
    for username in ("zhangsan", "liuxiaomei", "lisi", "qianqi"):
        assert client.login(username=username, password=city.DEMO_PASSWORD), username
        me = client.get("/api/identity/me")
        assert me.status_code == 200
        client.logout()
    token = next(line for line in output.splitlines() if "Bearer " in line).split("Bearer ")[1]
    me = Client().get("/api/identity/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200


@pytest.mark.django_db
def test_every_demo_change_is_in_the_ledger() -> None:
    load_demo()
    actions = set(LedgerEntry.objects.values_list("action", flat=True))
    assert {
        "core.load_regions",
        "core.register_department",
        "core.register_person",
        "core.register_enterprise",
        "identity.issue_client",
    } <= actions


@pytest.mark.django_db
def test_it_prints_working_credentials_again_after_a_rotation() -> None:
    from zhengtong.core.actors import Actor
    from zhengtong.identity.actions import do_rotate_client_secret

    first = load_demo()
    client = SystemClient.objects.get(name=city.DEMO_CLIENT_NAME)
    do_rotate_client_secret(client, actor=Actor.system("test"))
    second = load_demo()
    token = next(line for line in second.splitlines() if "Bearer " in line).split("Bearer ")[1]
    assert token not in first
    me = Client().get("/api/identity/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert SystemClient.objects.filter(name=city.DEMO_CLIENT_NAME).count() == 1


@pytest.mark.django_db
def test_the_fire_brigade_is_a_co_department_of_the_restaurant_bundle() -> None:
    from zhengtong.eservices.models import ServiceItem

    load_demo()
    fire = Department.objects.get(code="cs-fire")
    assert fire.name == "长沙市消防救援支队"
    # Its reviewer works the bundle's fire.reviewer lane (see eservices' test_licence_mapping).
    assert User.objects.filter(username="leiming", posts__department=fire).exists()
    restaurant = ServiceItem.objects.get(name="开办餐饮店“一件事”")
    assert {d.code for d in restaurant.co_departments.all()} == {"cs-environment", "cs-fire"}


@pytest.mark.django_db
def test_every_workbench_of_online_services_has_work_waiting() -> None:
    load_demo()
    numbers: dict[str, tuple[str, str]] = {}
    for applicant in ("zhangsan", "chenjianguo", "huangli"):
        client = Client()
        assert client.login(username=applicant, password=city.DEMO_PASSWORD)
        (application,) = client.get("/api/services/applications/").json()
        numbers[applicant] = (application["number"], application["state"])
    assert [state for _number, state in numbers.values()] == [
        "accepted",
        "submitted",
        "correcting",
    ]
    # Who has which application in 我的待办: the parallel reviews, acceptance, the
    # correction the hygiene reviewer asked for.
    waiting = {
        "fangyu": "zhangsan",
        "leiming": "zhangsan",
        "hejing": "chenjianguo",
        "kongli": "huangli",
    }
    for staff, applicant in waiting.items():
        client = Client()
        assert client.login(username=staff, password=city.DEMO_PASSWORD)
        page = client.get("/services/work/").content.decode()
        assert numbers[applicant][0] in page, (staff, applicant)
        others = set(numbers) - {applicant}
        assert not any(numbers[other][0] in page for other in others), staff
    # The hygiene applicant is on the serious-dishonesty list: the reviewer is told.
    client = Client()
    client.login(username="kongli", password=city.DEMO_PASSWORD)
    (task,) = client.get("/api/services/applications/tasks").json()
    detail = client.get(f"/services/work/{task['id']}/").content.decode()
    assert "严重失信" in detail and "长沙橘洲文化传媒有限公司" in detail


@pytest.mark.django_db
def test_the_demo_inspection_result_is_entered_by_the_regulator() -> None:
    load_demo()
    recorded = Inspection.objects.exclude(outcome="").values_list("recorded_by", flat=True)
    # Who entered it is shown on the task page: a person, not the loading command.
    assert list(recorded) == ["周检"]
