import datetime as dt
from typing import Any

import pytest
from django.test import Client

from zhengtong.core.actions import do_load_regions
from zhengtong.core.actors import Actor
from zhengtong.core.testing import (
    make_credit_code,
    make_department,
    make_id_number,
    make_region_tree,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("zhengtong.core.tests.urls")]


@pytest.fixture
def client() -> Client:
    # The public operations need no CSRF token: they are not cookie-authenticated.
    return Client(enforce_csrf_checks=True)


def _post(client: Client, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = client.post(path, body, content_type="application/json")
    return response.status_code, response.json()


class TestRegions:
    def test_a_region_comes_with_its_ancestors_and_children(self, client: Client) -> None:
        do_load_regions(actor=Actor.system("test"), province_codes=["430000"])

        response = client.get("/api/core/regions/430102")

        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "芙蓉区"
        assert body["parent_code"] == "430100"
        assert [a["name"] for a in body["ancestors"]] == ["湖南省", "长沙市"]
        children = {c["code"]: c["name"] for c in body["children"]}
        assert children["430102001"] == "文艺路街道"

    def test_an_unknown_region_has_the_error_shape(self, client: Client) -> None:
        response = client.get("/api/core/regions/999999")
        assert response.status_code == 404
        body = response.json()
        assert set(body) == {"code", "message", "detail"}
        assert body["code"] == "region_not_found"

    def test_the_list_gives_provinces_children_or_matches(self, client: Client) -> None:
        make_region_tree()

        assert [r["code"] for r in client.get("/api/core/regions").json()] == ["430000"]
        children = client.get("/api/core/regions", {"parent": "430100"}).json()
        assert [r["name"] for r in children] == ["芙蓉区", "天心区"]
        matches = client.get("/api/core/regions", {"parent": "430100", "q": "文艺"}).json()
        assert [r["code"] for r in matches] == ["430102001"]
        by_code = client.get("/api/core/regions", {"q": "430103"}).json()
        assert [r["name"] for r in by_code] == ["天心区"]

    def test_the_list_refuses_an_unknown_parent_and_a_bad_limit(self, client: Client) -> None:
        response = client.get("/api/core/regions", {"parent": "999999"})
        assert response.status_code == 404
        response = client.get("/api/core/regions", {"limit": 0})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_input"


class TestNumberChecks:
    def test_a_valid_id_number_gives_its_facts(self, client: Client) -> None:
        make_region_tree()
        number = make_id_number("430102", dt.date(1988, 2, 29), 5, "F")

        status, body = _post(client, "/api/core/checks/id-number", {"id_number": f" {number} "})

        assert status == 200
        assert body["id_number"] == number
        assert body["birth_date"] == "1988-02-29"
        assert body["sex"] == "F"
        assert body["region_code"] == "430102"
        assert [r["name"] for r in body["region"]] == ["湖南省", "长沙市", "芙蓉区"]

    def test_a_wrong_check_digit_is_refused_with_the_stable_code(self, client: Client) -> None:
        number = make_id_number()
        wrong = "0" if number[-1] != "0" else "1"

        status, body = _post(
            client, "/api/core/checks/id-number", {"id_number": number[:-1] + wrong}
        )

        assert status == 400
        assert body["code"] == "invalid_id_number"
        assert body["detail"]["position"] == 18
        assert body["detail"]["expected"] == number[-1]
        assert number[-1] in body["message"]

    def test_messages_follow_the_request_language(self, client: Client) -> None:
        status, body = _post(client, "/api/core/checks/id-number", {"id_number": "12345"})
        assert status == 400
        assert "18" in body["message"]
        english = client.post(
            "/api/core/checks/id-number",
            {"id_number": "12345"},
            content_type="application/json",
            headers={"accept-language": "en"},
        ).json()
        assert english["code"] == "invalid_id_number"
        assert "18" in english["message"]
        assert english["message"] != body["message"]

    def test_a_valid_credit_code_gives_its_parts(self, client: Client) -> None:
        make_region_tree()
        code = make_credit_code("430102", 77)

        status, body = _post(client, "/api/core/checks/credit-code", {"credit_code": code.lower()})

        assert status == 200
        assert body["credit_code"] == code
        assert body["authority_code"] == "9"
        assert body["authority"]
        assert body["region_code"] == "430102"
        assert body["region"][-1]["name"] == "芙蓉区"
        assert body["organisation_code"] == code[8:17]

    def test_a_bad_credit_code_is_refused_with_the_position(self, client: Client) -> None:
        status, body = _post(
            client, "/api/core/checks/credit-code", {"credit_code": "9111000060003734OL"}
        )
        assert status == 400
        assert body["code"] == "invalid_credit_code"
        assert body["detail"]["position"] == 17

    def test_a_missing_field_is_a_validation_error(self, client: Client) -> None:
        status, body = _post(client, "/api/core/checks/credit-code", {})
        assert status == 422
        assert body["code"] == "invalid_input"


class TestDepartments:
    def test_departments_of_a_city_include_its_districts(self, client: Client) -> None:
        tree = make_region_tree()
        city = make_department("长沙市市场监督管理局", code="cs-amr", region=tree.city)
        make_department("芙蓉区市场监督管理局", code="fr-amr", region=tree.furong, parent=city)
        make_department("天心区市场监督管理局", code="tx-amr", region=tree.tianxin)

        in_city = client.get("/api/core/departments", {"region": "430100"}).json()
        in_furong = client.get("/api/core/departments", {"region": "430102"}).json()

        assert {d["code"] for d in in_city} == {"cs-amr", "fr-amr", "tx-amr"}
        assert [d["code"] for d in in_furong] == ["fr-amr"]
        assert in_furong[0]["parent_code"] == "cs-amr"
        assert in_furong[0]["region"] == {"code": "430102", "name": "芙蓉区", "level": 3}
        assert in_furong[0]["kind"] == "government"

    def test_an_unknown_region_is_not_found(self, client: Client) -> None:
        response = client.get("/api/core/departments", {"region": "999999"})
        assert response.status_code == 404
        assert response.json()["code"] == "region_not_found"
