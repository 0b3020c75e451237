"""Appending entries, the stored tree, and sealing signed tree heads."""

import hashlib
import os
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
from django.utils.module_loading import import_string
from pytest_django.fixtures import Settings

from zhengtong.core.actors import Actor
from zhengtong.ledger import merkle
from zhengtong.ledger.actions import (
    PendingEntry,
    canonical_json,
    do_seal_ledger,
    record_entries,
    record_entry,
)
from zhengtong.ledger.encoding import epoch_millis, leaf_data, node_id, sth_message
from zhengtong.ledger.models import LedgerEntry, LedgerHead, LedgerNode, SignedTreeHead
from zhengtong.ledger.selectors import tree_state
from zhengtong.ledger.signing import key_id_of, signing_key, verify_signature
from zhengtong.ledger.tasks import seal_ledger
from zhengtong.ledger.tests.cast import ZHANGSAN, append

pytestmark = pytest.mark.django_db

# Transactional tests here restore the migrated rows (roles, content types)
# after their flush, like the browser tests, so that those still find them.
COMMITTING = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SYSTEM = Actor.system("test")


def _leaves() -> list[bytes]:
    return [
        bytes(h) for h in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)
    ]


@COMMITTING
def test_it_refuses_to_write_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="inside the action's transaction"):
        record_entry(actor=ZHANGSAN, action="core.x", subject_type="t", subject_id=1, data={})
    with pytest.raises(RuntimeError):
        record_entries([PendingEntry(ZHANGSAN, "core.x", "t", 1)])
    assert not LedgerEntry.objects.exists()


@COMMITTING
def test_a_committed_ledger_is_emptied_by_flush_between_transactional_tests() -> None:
    # The append-only triggers let only ``flush`` through; this test's
    # teardown flushes a ledger that really committed rows.
    append(3)
    do_seal_ledger(actor=SYSTEM)
    assert LedgerEntry.objects.count() == 3


def test_sequence_numbers_start_at_zero_and_have_no_gaps() -> None:
    with transaction.atomic():
        first = record_entry(
            actor=ZHANGSAN,
            action="core.register_person",
            subject_type="core.Person",
            subject_id=1,
            data={"name": "张三"},
        )
    append(3)
    assert first.seq == 0
    assert list(LedgerEntry.objects.values_list("seq", flat=True)) == [0, 1, 2, 3]
    assert tree_state().size == 4


def test_a_rolled_back_action_leaves_no_entry_and_no_gap() -> None:
    append(2)

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        record_entry(actor=ZHANGSAN, action="core.x", subject_type="t", subject_id=9, data={})
        raise Refused
    append(1)
    assert list(LedgerEntry.objects.values_list("seq", flat=True)) == [0, 1, 2]


def test_an_entry_keeps_a_hash_of_the_data_not_the_data() -> None:
    data = {"name": "张三", "id_number": "430102199001011234"}
    with transaction.atomic():
        entry = record_entry(
            actor=ZHANGSAN,
            action="core.register_person",
            subject_type="core.Person",
            subject_id=5,
            data=data,
        )
    stored = LedgerEntry.objects.get(seq=entry.seq)
    assert bytes(stored.data_hash) == hashlib.sha256(canonical_json(data)).digest()
    row = [str(v) for v in LedgerEntry.objects.filter(seq=entry.seq).values_list().get()]
    assert not any("张三" in v or "430102199001011234" in v for v in row)
    assert stored.subject_id == "5"
    assert (stored.actor_ref, stored.actor_label) == ("user:7", "张*")


def test_the_leaf_hash_is_the_hash_of_the_documented_encoding() -> None:
    (entry,) = append(1)
    stored = LedgerEntry.objects.get(seq=entry.seq)
    data = leaf_data(
        stored.seq,
        stored.recorded_at,
        stored.actor_ref,
        stored.actor_label,
        stored.action,
        stored.subject_type,
        stored.subject_id,
        bytes(stored.data_hash),
    )
    assert data[:1] == b"\x01"
    assert bytes(stored.leaf_hash) == hashlib.sha256(b"\x00" + data).digest()
    assert bytes(stored.leaf_hash) == entry.leaf_hash


def test_the_head_holds_the_root_of_all_entries() -> None:
    for batch in (1, 2, 5, 1, 13):
        append(batch)
        state = tree_state()
        assert state.size == LedgerEntry.objects.count()
        assert state.root_hash == merkle.root_hash(_leaves())


def test_every_complete_subtree_is_stored_once() -> None:
    append(11)
    leaves = _leaves()
    stored = {(n.level, n.index): bytes(n.hash) for n in LedgerNode.objects.all()}
    # 11 leaves, 5 pairs, 2 quads, 1 eight.
    assert len(stored) == 11 + 5 + 2 + 1
    for level in range(4):
        width = 1 << level
        for index in range(11 // width):
            subtree = leaves[index * width : (index + 1) * width]
            assert stored[(level, index)] == merkle.root_hash(subtree)
    assert {n.id for n in LedgerNode.objects.all()} == {node_id(*key) for key in stored}


def test_single_and_batched_appends_build_the_same_tree() -> None:
    append(3)
    with transaction.atomic():
        for n in range(4):
            record_entry(actor=ZHANGSAN, action="core.x", subject_type="t", subject_id=n, data={})
    assert tree_state().root_hash == merkle.root_hash(_leaves())
    assert LedgerNode.objects.filter(level=0).count() == 7


def test_an_sm3_ledger_hashes_everything_with_sm3(settings: Settings) -> None:
    settings.LEDGER_HASH = "sm3"
    entries = append(3)
    head = LedgerHead.objects.get()
    assert head.hash_algorithm == "sm3"
    assert bytes(entries[0].data_hash) == merkle.SM3.digest(canonical_json({"n": 0}))
    assert tree_state().root_hash == merkle.root_hash(_leaves(), hasher=merkle.SM3)
    # The algorithm is fixed when the ledger starts; a later setting does not mix hashes.
    settings.LEDGER_HASH = "sha256"
    append(1)
    assert tree_state().root_hash == merkle.root_hash(_leaves(), hasher=merkle.SM3)
    assert do_seal_ledger(actor=SYSTEM).hash_algorithm == "sm3"


def test_sealing_signs_the_current_head(signing_key_file: Path) -> None:
    append(5)
    sth = do_seal_ledger(actor=SYSTEM)
    key = signing_key()
    assert (sth.tree_size, bytes(sth.root_hash)) == (5, tree_state().root_hash)
    assert sth.key_id == key.key_id == hashlib.sha256(key.public_key).hexdigest()[:16]
    assert sth.key_id == key_id_of(bytes(sth.public_key))
    assert sth.sealed_by == "system:test"
    assert sth.timestamp.microsecond % 1000 == 0
    stored = SignedTreeHead.objects.get(pk=sth.pk)
    message = sth_message(5, bytes(stored.root_hash), "sha256", epoch_millis(stored.timestamp))
    assert message.decode().splitlines() == [
        "zhengtong-ledger/v1",
        "5",
        bytes(stored.root_hash).hex(),
        "sha256",
        str(epoch_millis(stored.timestamp)),
    ]
    assert verify_signature(bytes(stored.public_key), bytes(stored.signature), message)
    assert not verify_signature(bytes(stored.public_key), bytes(stored.signature), message + b"x")


def test_sealing_an_unchanged_tree_returns_the_latest_head() -> None:
    append(2)
    first = do_seal_ledger(actor=SYSTEM)
    assert do_seal_ledger(actor=SYSTEM).pk == first.pk
    append(1)
    second = do_seal_ledger(actor=SYSTEM)
    assert second.pk != first.pk and second.tree_size == 3
    assert SignedTreeHead.objects.count() == 2
    # Sealing records no entry of its own.
    assert LedgerEntry.objects.count() == 3


def test_the_empty_ledger_can_be_sealed() -> None:
    sth = do_seal_ledger(actor=SYSTEM)
    assert sth.tree_size == 0
    assert bytes(sth.root_hash) == hashlib.sha256(b"").digest()


def test_the_signing_key_is_generated_private_to_its_owner(signing_key_file: Path) -> None:
    assert not signing_key_file.exists()
    key = signing_key()
    assert signing_key_file.exists()
    assert stat.S_IMODE(os.stat(signing_key_file).st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in signing_key_file.read_bytes()
    # The same key on every later use.
    assert signing_key().public_key == key.public_key


def test_the_seal_task_seals_the_ledger() -> None:
    append(4)
    result = seal_ledger.enqueue()
    assert result.return_value == 4
    assert SignedTreeHead.objects.get().tree_size == 4


def test_the_scheduler_knows_the_seal_task() -> None:
    assert import_string("zhengtong.ledger.tasks.seal_ledger") is seal_ledger


def test_the_seal_command_signs_and_reports_the_head() -> None:
    append(3)
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("ledger_seal", stdout=out)
    sth = SignedTreeHead.objects.get()
    assert sth.sealed_by == "system:ledger_seal"
    assert f"树大小 3，根 {bytes(sth.root_hash).hex()}，密钥 {sth.key_id}" in out.getvalue()
