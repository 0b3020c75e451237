"""The ledger API: public tree heads and proofs, entry search for auditors only."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.ledger import merkle
from zhengtong.ledger.actions import do_seal_ledger
from zhengtong.ledger.encoding import sth_message
from zhengtong.ledger.signing import key_id_of, signing_key, verify_signature
from zhengtong.ledger.tests.cast import ZHANGSAN, LedgerCast, append

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def _get(client: Client, name: str, kwargs: dict[str, Any] | None = None, **query: Any) -> Any:
    return client.get(reverse(f"api:{name}", kwargs=kwargs), query)


def _error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert set(body) == {"code", "message", "detail"}


def test_there_is_no_tree_head_before_the_first_seal(client: Client) -> None:
    _error(_get(client, "ledger_latest_sth"), 404, "no_signed_tree_head")
    _error(_get(client, "ledger_inclusion_proof", {"seq": 0}), 404, "no_signed_tree_head")


def test_anyone_can_read_the_latest_signed_tree_head(client: Client) -> None:
    append(6)
    sth = do_seal_ledger(actor=SYSTEM)
    body = _get(client, "ledger_latest_sth").json()
    assert body["tree_size"] == 6
    assert body["root_hash"] == bytes(sth.root_hash).hex()
    assert body["hash_algorithm"] == "sha256"
    assert body["signature_algorithm"] == "Ed25519"
    assert body["key_id"] == key_id_of(bytes.fromhex(body["public_key"]))
    assert body["signed_message"].encode() == sth_message(
        6, bytes(sth.root_hash), "sha256", body["timestamp_ms"]
    )
    assert verify_signature(
        bytes.fromhex(body["public_key"]),
        bytes.fromhex(body["signature"]),
        body["signed_message"].encode(),
    )
    assert "BEGIN PUBLIC KEY" in body["public_key_pem"]


def test_anyone_can_read_the_public_key(client: Client) -> None:
    body = _get(client, "ledger_public_key").json()
    key = signing_key()
    assert body == {
        "key_id": key.key_id,
        "algorithm": "Ed25519",
        "public_key": key.public_key.hex(),
        "public_key_pem": key.public_key_pem,
    }


def test_an_inclusion_proof_against_the_latest_head_verifies(client: Client) -> None:
    entries = append(9)
    do_seal_ledger(actor=SYSTEM)
    append(3)  # Not yet sealed.
    sth = _get(client, "ledger_latest_sth").json()
    body = _get(client, "ledger_inclusion_proof", {"seq": 4}).json()
    assert body["tree_size"] == 9 and body["seq"] == 4
    assert body["leaf_hash"] == bytes(entries[4].leaf_hash).hex()
    assert body["root_hash"] == sth["root_hash"]
    assert merkle.verify_inclusion(
        4,
        9,
        bytes.fromhex(body["leaf_hash"]),
        [bytes.fromhex(p) for p in body["proof"]],
        bytes.fromhex(sth["root_hash"]),
    )
    # The proof reveals hashes only.
    assert set(body) == {"seq", "tree_size", "leaf_hash", "root_hash", "proof", "hash_algorithm"}


def test_an_inclusion_proof_for_a_given_tree_size(client: Client) -> None:
    append(12)
    body = _get(client, "ledger_inclusion_proof", {"seq": 10}, tree_size=11).json()
    assert body["tree_size"] == 11
    assert merkle.verify_inclusion(
        10,
        11,
        bytes.fromhex(body["leaf_hash"]),
        [bytes.fromhex(p) for p in body["proof"]],
        bytes.fromhex(body["root_hash"]),
    )


def test_it_refuses_proofs_outside_the_tree(client: Client) -> None:
    append(5)
    do_seal_ledger(actor=SYSTEM)
    append(1)
    _error(_get(client, "ledger_inclusion_proof", {"seq": 5}), 409, "entry_not_in_tree")
    _error(_get(client, "ledger_inclusion_proof", {"seq": 9}), 404, "entry_not_found")
    _error(
        _get(client, "ledger_inclusion_proof", {"seq": 1}, tree_size=99), 400, "invalid_tree_size"
    )
    _error(
        _get(client, "ledger_consistency_proof", old_size=0, new_size=5), 400, "invalid_tree_size"
    )
    _error(_get(client, "ledger_consistency_proof", old_size="x"), 422, "invalid_input")


def test_a_refused_size_names_the_parameter_that_was_out_of_range(client: Client) -> None:
    append(5)
    do_seal_ledger(actor=SYSTEM)
    inclusion = _get(client, "ledger_inclusion_proof", {"seq": 1}, tree_size=-1)
    too_new = _get(client, "ledger_consistency_proof", old_size=2, new_size=99)
    too_old = _get(client, "ledger_consistency_proof", old_size=4, new_size=3)
    for response, field in [(inclusion, "tree_size"), (too_new, "new_size"), (too_old, "old_size")]:
        _error(response, 400, "invalid_tree_size")
        assert response.json()["detail"]["field"] == field


def test_a_consistency_proof_between_two_heads_verifies(client: Client) -> None:
    append(3)
    old = _sth_after_seal(client)
    append(10)
    new = _sth_after_seal(client)
    body = _get(client, "ledger_consistency_proof", old_size=old["tree_size"]).json()
    assert (body["old_size"], body["new_size"]) == (3, 13)
    assert (body["old_root"], body["new_root"]) == (old["root_hash"], new["root_hash"])
    assert merkle.verify_consistency(
        3,
        13,
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(new["root_hash"]),
        [bytes.fromhex(p) for p in body["proof"]],
    )
    explicit = _get(client, "ledger_consistency_proof", old_size=3, new_size=13).json()
    assert explicit == body


def _sth_after_seal(client: Client) -> Any:
    do_seal_ledger(actor=SYSTEM)
    return _get(client, "ledger_latest_sth").json()


def test_searching_entries_needs_a_login(client: Client, cast: LedgerCast) -> None:
    _error(_get(client, "ledger_entries"), 401, "not_authenticated")


def test_searching_entries_needs_the_view_entries_permission(
    client: Client, cast: LedgerCast
) -> None:
    client.force_login(cast.clerk)
    _error(_get(client, "ledger_entries"), 403, "permission_denied")


def test_an_auditor_searches_by_actor_subject_action_and_time(
    client: Client, cast: LedgerCast
) -> None:
    client.force_login(cast.auditor)
    other = Actor(kind="client", id="k1", label="食品经营许可系统")
    append(
        3,
        actor=ZHANGSAN,
        action="eservices.submit_application",
        subject_type="eservices.Application",
    )
    append(2, actor=other, action="exchange.read_record", subject_type="exchange.Dataset")

    by_actor = _get(client, "ledger_entries", actor="user:7").json()["entries"]
    assert [e["actor_label"] for e in by_actor] == ["张*"] * 3
    assert (
        _get(client, "ledger_entries", actor="食品经营许可系统").json()["entries"][0]["actor_ref"]
        == "client:k1"
    )

    by_action = _get(client, "ledger_entries", action="exchange.read_record").json()["entries"]
    assert len(by_action) == 2
    subject = _get(
        client, "ledger_entries", subject_type="eservices.Application", subject_id="1"
    ).json()["entries"]
    assert len(subject) == 1 and subject[0]["subject_id"] == "1"

    now = timezone.now()
    assert (
        _get(client, "ledger_entries", until=(now - timedelta(days=1)).isoformat()).json()[
            "entries"
        ]
        == []
    )
    recent = _get(client, "ledger_entries", since=(now - timedelta(hours=1)).isoformat()).json()
    assert len(recent["entries"]) >= 5
    entry = recent["entries"][0]
    assert set(entry) == {
        "seq",
        "recorded_at",
        "actor_ref",
        "actor_label",
        "action",
        "subject_type",
        "subject_id",
        "data_hash",
        "leaf_hash",
    }


def test_search_results_come_newest_first_in_pages(client: Client, cast: LedgerCast) -> None:
    client.force_login(cast.auditor)
    append(7, action="core.page_test")
    first = _get(client, "ledger_entries", action="core.page_test", limit=3).json()
    seqs = [e["seq"] for e in first["entries"]]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == 3
    second = _get(
        client, "ledger_entries", action="core.page_test", limit=3, before=first["next_before"]
    ).json()
    third = _get(
        client, "ledger_entries", action="core.page_test", limit=3, before=second["next_before"]
    ).json()
    all_seqs = seqs + [e["seq"] for e in second["entries"]] + [e["seq"] for e in third["entries"]]
    assert len(set(all_seqs)) == 7
    assert third["next_before"] is None
    _error(_get(client, "ledger_entries", limit=1000), 422, "invalid_input")
