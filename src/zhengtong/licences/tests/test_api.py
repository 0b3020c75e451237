"""The licences API: public verification and keys, and the holder's own list."""

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.encoding import canonical_json
from zhengtong.licences.actions import do_revoke_licence
from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import short_digest_of
from zhengtong.licences.tests.cast import (
    LicenceCast,
    issue_food_licence,
    issue_pension_certificate,
)


def _get(client: Client, path: str) -> tuple[int, Any]:
    response = client.get(f"/api/licences{path}")
    return response.status_code, response.json()


def test_verify_answers_status_issuer_and_signature(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    status, body = _get(Client(), f"/verify/{licence.number}?s={short_digest_of(licence)}")
    assert status == 200
    assert body["status"] == "valid" and body["valid"] is True
    assert body["type"] == "food_business_licence"
    assert body["issuer"] == "长沙市芙蓉区市场监督管理局"
    assert body["valid_until"] == licence.valid_until.isoformat()  # type: ignore[union-attr]
    assert body["algorithm"] == "Ed25519" and body["key_id"] == licence.signing_key.key_id
    assert body["signature_ok"] is True and body["digest_ok"] is True


def test_verify_reports_revoked_forged_and_unknown(cast: LicenceCast) -> None:
    client = Client()
    revoked = issue_food_licence(cast)
    do_revoke_licence(revoked, "注销", actor=TEST_ACTOR)
    assert _get(client, f"/verify/{revoked.number}")[1]["status"] == "revoked"

    forged = issue_food_licence(cast)
    Licence.objects.filter(pk=forged.pk).update(data={**forged.data, "residence": "别处"})
    _status, body = _get(client, f"/verify/{forged.number}")
    assert (body["status"], body["valid"], body["signature_ok"]) == ("forged", False, False)

    genuine = issue_food_licence(cast)
    _status, body = _get(client, f"/verify/{genuine.number}?s=abcdefabcdef")
    assert (body["status"], body["signature_ok"], body["digest_ok"]) == ("forged", True, False)
    # A digest no QR code carries, in any script, is a digest that does not match.
    status, body = _get(client, f"/verify/{genuine.number}?s=伪造的摘要")
    assert status == 200 and (body["status"], body["digest_ok"]) == ("forged", False)

    status, body = _get(client, "/verify/JY00000000000000")
    assert status == 404 and body["code"] == "licence_not_found"


def test_anyone_can_check_a_signature_with_the_published_key(cast: LicenceCast) -> None:
    licence = issue_pension_certificate(cast)
    status, keys = _get(Client(), "/keys")
    assert status == 200
    (key,) = [k for k in keys if k["key_id"] == licence.signing_key.key_id]
    assert key["algorithm"] == "Ed25519" and key["current"] is True
    public = serialization.load_pem_public_key(key["public_key_pem"].encode())
    assert isinstance(public, Ed25519PublicKey)
    # The signed message is the canonical JSON of the documented payload.
    payload = {
        "v": 2,
        "type": {"code": "pension_insurance_certificate", "name": "城乡居民基本养老保险参保证明"},
        "number": licence.number,
        "holder": {"kind": "person", "id": cast.zhangsan.id_number, "name": "张三"},
        "data": licence.data,
        "fields": [
            {"code": "insured_region", "label": "参保地"},
            {"code": "insured_on", "label": "参保日期"},
            {"code": "address", "label": "户籍地址"},
        ],
        "issuer": {
            "code": cast.hrss.code,
            "name": cast.hrss.name,
            "credit_code": cast.hrss.credit_code,
        },
        "validity": {
            "from": licence.valid_from.isoformat(),
            "until": licence.valid_until.isoformat() if licence.valid_until else None,
        },
    }
    public.verify(bytes(licence.signature), canonical_json(payload))
    assert base64.b64encode(bytes(licence.signature))


def test_keys_lists_the_current_key_before_anything_is_signed(db: None) -> None:
    status, keys = _get(Client(), "/keys")
    assert status == 200 and len(keys) == 1
    assert keys[0]["current"] is True and keys[0]["first_used_at"] is None


def test_mine_lists_only_the_users_own_licences(cast: LicenceCast) -> None:
    mine = issue_pension_certificate(cast)
    issue_pension_certificate(cast, cast.wangwu)
    shop = issue_food_licence(cast)
    client = Client()
    assert _get(client, "/mine")[0] == 401
    client.force_login(cast.citizen)
    status, body = _get(client, "/mine")
    assert status == 200 and [item["number"] for item in body] == [mine.number]
    assert body[0]["holder_id"] == cast.zhangsan.id_number  # the holder sees it unmasked
    assert body[0]["status"] == "valid"
    assert body[0]["verification_url"].startswith("http://testserver/licences/verify/")
    assert _get(client, f"/mine/{shop.number}")[1]["code"] == "not_found"

    client.force_login(cast.owner_user)
    status, one = _get(client, f"/mine/{shop.number}")
    assert status == 200 and one["type_name"] == "食品经营许可证"
    assert {f["code"]: f["value"] for f in one["fields"]}["legal_representative"] == "刘晓梅"


def test_staff_have_no_licences_of_their_own(cast: LicenceCast) -> None:
    client = Client()
    client.force_login(cast.clerk)
    status, body = _get(client, "/mine")
    assert status == 403 and body["code"] == "not_a_licence_holder"
