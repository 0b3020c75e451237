"""Issuing, signing, verifying and revoking licences; one ledger entry per action."""

import datetime as dt
import re
from pathlib import Path
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone
from stdnum.iso7064 import mod_11_10

from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.ledger.models import LedgerEntry
from zhengtong.licences.actions import Holder, do_issue_licence, do_revoke_licence
from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import (
    find_valid_licence,
    get_licence_type,
    licence_by_number,
    licences_of_holder,
    short_digest_of,
    verify_licence,
)
from zhengtong.licences.tests.cast import (
    FOOD_DATA,
    LicenceCast,
    issue_food_licence,
    issue_pension_certificate,
)


def _reloaded(licence: Licence) -> Licence:
    found = licence_by_number(licence.number)
    assert found is not None
    return found


def test_an_issued_licence_verifies_as_valid(cast: LicenceCast) -> None:
    licence = _reloaded(issue_food_licence(cast))
    found = verify_licence(licence)
    assert (found.status, found.valid, found.signature_ok) == ("valid", True, True)
    assert licence.signature_algorithm == "Ed25519"
    assert len(bytes(licence.signature)) == 64
    assert licence.signing_key.key_id and len(licence.payload_hash) == 64
    assert licence.source == "application:1"
    # Five years less a day, as the food business licence is valid for five years.
    assert licence.valid_until == licence.valid_from.replace(
        year=licence.valid_from.year + 5
    ) - dt.timedelta(days=1)


def test_the_number_is_jy_and_fourteen_digits_with_a_check_digit(cast: LicenceCast) -> None:
    first = issue_food_licence(cast)
    second = issue_food_licence(cast)
    assert re.fullmatch(r"JY\d{14}", first.number)
    assert first.number[2:8] == "430102"  # the issuing bureau's district
    assert (first.number[8:15], second.number[8:15]) == ("0000001", "0000002")
    assert mod_11_10.is_valid(first.number[2:]) and mod_11_10.is_valid(second.number[2:])


def test_a_tampered_field_fails_verification(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    Licence.objects.filter(pk=licence.pk).update(
        data={**licence.data, "business_items": "热食类食品制售；生食类食品制售"}
    )
    found = verify_licence(_reloaded(licence))
    assert (found.status, found.signature_ok, found.valid) == ("forged", False, False)


def test_a_tampered_validity_fails_verification(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    Licence.objects.filter(pk=licence.pk).update(valid_until=dt.date(2099, 12, 31))
    assert verify_licence(_reloaded(licence)).status == "forged"


def test_a_tampered_signature_fails_verification(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    signature = bytearray(bytes(licence.signature))
    signature[0] ^= 0x01
    Licence.objects.filter(pk=licence.pk).update(signature=bytes(signature))
    assert verify_licence(_reloaded(licence)).status == "forged"


def test_a_signature_from_another_licence_fails_verification(cast: LicenceCast) -> None:
    first = issue_food_licence(cast)
    second = issue_food_licence(cast)
    Licence.objects.filter(pk=second.pk).update(
        signature=bytes(first.signature), payload_hash=first.payload_hash
    )
    assert verify_licence(_reloaded(second)).status == "forged"


def test_an_unknown_algorithm_fails_verification(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    Licence.objects.filter(pk=licence.pk).update(signature_algorithm="SM2")
    assert verify_licence(_reloaded(licence)).status == "forged"


def test_a_wrong_qr_digest_fails_verification(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    assert verify_licence(licence, short_digest_of(licence)).status == "valid"
    wrong = verify_licence(licence, "0" * 12)
    assert (wrong.status, wrong.signature_ok, wrong.digest_ok) == ("forged", True, False)


def test_licences_signed_before_a_key_rotation_still_verify(
    cast: LicenceCast, tmp_path: Path
) -> None:
    old = issue_food_licence(cast)
    with override_settings(LICENCE_SIGNING_KEY_FILE=tmp_path / "rotated.pem"):
        new = issue_food_licence(cast)
    assert old.signing_key.key_id != new.signing_key.key_id
    assert verify_licence(_reloaded(old)).status == "valid"
    assert verify_licence(_reloaded(new)).status == "valid"


def test_a_revoked_licence_verifies_as_revoked(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    revoked = do_revoke_licence(licence, "  经营者申请注销  ", actor=TEST_ACTOR)
    assert revoked.revoke_reason == "经营者申请注销"
    found = verify_licence(_reloaded(licence))
    assert (found.status, found.signature_ok) == ("revoked", True)


def test_revoking_needs_a_reason_and_happens_once(cast: LicenceCast) -> None:
    licence = issue_food_licence(cast)
    with pytest.raises(InvalidInput) as refused:
        do_revoke_licence(licence, " ", actor=TEST_ACTOR)
    assert refused.value.code == "reason_required"
    do_revoke_licence(licence, "吊销", actor=TEST_ACTOR)
    with pytest.raises(Conflict) as again:
        do_revoke_licence(licence, "吊销", actor=TEST_ACTOR)
    assert again.value.code == "already_revoked"


def test_a_licence_past_its_end_date_verifies_as_expired(cast: LicenceCast) -> None:
    licence = issue_pension_certificate(cast)
    assert licence.valid_until is not None
    after = licence.valid_until + dt.timedelta(days=1)
    assert verify_licence(licence, today=licence.valid_until).status == "valid"
    assert verify_licence(licence, today=after).status == "expired"
    later = timezone.now() + dt.timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert find_valid_licence(cast.zhangsan.id_number, "pension_insurance_certificate") is None


def test_each_action_writes_one_ledger_entry_without_personal_data(cast: LicenceCast) -> None:
    before = LedgerEntry.objects.count()
    licence = issue_pension_certificate(cast)
    do_revoke_licence(licence, "重复参保", actor=TEST_ACTOR)
    entries = list(LedgerEntry.objects.order_by("seq")[before:])
    assert [e.action for e in entries] == ["licences.issue_licence", "licences.revoke_licence"]
    assert {e.subject_id for e in entries} == {str(licence.pk)}
    assert all(cast.zhangsan.id_number not in str(e.__dict__) for e in entries)


def test_missing_and_unknown_fields_are_refused(cast: LicenceCast) -> None:
    before = Licence.objects.count()
    with pytest.raises(InvalidInput) as refused:
        issue_food_licence(cast, **{"business_items": " ", "colour": "红"})
    assert refused.value.code == "invalid_licence_data"
    assert set(refused.value.detail["fields"]) == {"business_items", "colour"}
    assert Licence.objects.count() == before


def test_a_holder_of_the_wrong_kind_or_number_is_refused(cast: LicenceCast) -> None:
    food = get_licence_type("food_business_licence")
    assert food is not None
    with pytest.raises(InvalidInput) as wrong_kind:
        do_issue_licence(food, Holder.of(cast.zhangsan), FOOD_DATA, cast.market, actor=TEST_ACTOR)
    assert wrong_kind.value.code == "holder_kind_not_allowed"
    code = cast.shop.credit_code
    bad = Holder("enterprise", code[:-1] + ("1" if code[-1] == "0" else "0"), cast.shop.name)
    with pytest.raises(InvalidInput) as bad_code:
        do_issue_licence(food, bad, FOOD_DATA, cast.market, actor=TEST_ACTOR)
    assert bad_code.value.code == "invalid_credit_code"


def test_the_applications_module_finds_a_valid_licence_to_reuse(cast: LicenceCast) -> None:
    assert find_valid_licence(cast.shop.credit_code, "food_business_licence") is None
    revoked = issue_food_licence(cast)
    do_revoke_licence(revoked, "重新申领", actor=TEST_ACTOR)
    assert find_valid_licence(cast.shop.credit_code, "food_business_licence") is None
    current = issue_food_licence(cast)
    assert find_valid_licence(cast.shop.credit_code, "food_business_licence") == current
    assert find_valid_licence(cast.shop.credit_code, "business_licence") is None
    assert list(licences_of_holder(cast.shop.credit_code)) == [current, revoked]
    # A tampered licence is never offered as a material.
    Licence.objects.filter(pk=current.pk).update(holder_name="别的餐饮店")
    assert find_valid_licence(cast.shop.credit_code, "food_business_licence") is None


def test_the_newest_valid_licence_is_offered_and_a_future_one_is_not(cast: LicenceCast) -> None:
    older = issue_food_licence(cast)
    newer = issue_food_licence(cast)
    code = cast.shop.credit_code
    assert find_valid_licence(code.lower(), "food_business_licence") == newer
    # Issued tomorrow (valid from then): not yet a material to reuse today.
    tomorrow = timezone.now() + dt.timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=tomorrow):
        future = issue_food_licence(cast)
        assert find_valid_licence(code, "food_business_licence") == future
    assert future.valid_from > timezone.localdate()
    assert find_valid_licence(code, "food_business_licence") == newer
    assert older != newer


def test_an_older_valid_licence_is_found_behind_several_tampered_newer_ones(
    cast: LicenceCast,
) -> None:
    oldest = issue_food_licence(cast)
    newer = [issue_food_licence(cast) for _ in range(3)]
    code = cast.shop.credit_code
    assert find_valid_licence(code, "food_business_licence") == newer[-1]
    Licence.objects.filter(pk__in=[lic.pk for lic in newer]).update(holder_name="别的餐饮店")
    assert find_valid_licence(code, "food_business_licence") == oldest
