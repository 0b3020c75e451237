"""The Idempotency-Key header's value and the stored form of a caller's key, shared by the APIs."""

import pytest

from zhengtong.core.errors import InvalidInput
from zhengtong.core.idempotency import caller_key, checked_idempotency_key, key_reused


@pytest.mark.parametrize("value", ["a", "~" * 255, "550e8400-e29b-41d4-a716-446655440000"])
def test_it_takes_one_to_255_visible_ascii_characters(value: str) -> None:
    assert checked_idempotency_key(value) == value


@pytest.mark.parametrize(
    "value", ["", "x" * 256, "has space", "tab\tin", "全角", "key\n", "\nkey", "k" * 255 + "\n"]
)
def test_it_refuses_any_other_value_naming_the_header(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_idempotency_key(value)
    assert refused.value.as_dict() == {
        "code": "invalid_idempotency_key",
        "message": "Idempotency-Key 须为 1 至 255 个可见 ASCII 字符。",
        "detail": {"header": "Idempotency-Key"},
    }


def test_the_stored_key_keeps_the_format_the_stored_keys_were_made_with() -> None:
    # Literal digests: keys already stored by the hotline (an API client's
    # actor ref) and the services (an account) must still be found by a retry.
    assert caller_key("client:7", "call-20261206-0001") == "e9f7cfdfac90cb01c30616e681607f02"
    assert caller_key("user:42", "apply-20261207-0001") == "330a97c7b1b03a745948e816eaa594a7"


def test_one_callers_key_is_not_anothers() -> None:
    assert caller_key("user:1", "k") != caller_key("user:2", "k")


def test_a_reused_key_is_a_conflict_with_its_own_code() -> None:
    refused = key_reused("另一份申请", {"fileId": "A-1"})
    assert (refused.status, refused.as_dict()) == (
        409,
        {"code": "idempotency_key_reused", "message": "另一份申请", "detail": {"fileId": "A-1"}},
    )
