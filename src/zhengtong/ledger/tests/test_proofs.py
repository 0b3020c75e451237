"""Proofs and roots from the stored subtree hashes agree with the reference module."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengtong.core.errors import Conflict, InvalidInput, NotFound
from zhengtong.ledger import merkle
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import (
    LedgerDamaged,
    consistency_proof_for,
    inclusion_proof_for,
    root_at,
    tree_state,
)
from zhengtong.ledger.tests.cast import append, raw_sql, triggers_off

pytestmark = pytest.mark.django_db


def _leaves() -> list[bytes]:
    return [
        bytes(h) for h in LedgerEntry.objects.order_by("seq").values_list("leaf_hash", flat=True)
    ]


def test_stored_roots_match_the_reference_for_every_size() -> None:
    append(21)
    leaves = _leaves()
    for size in range(22):
        assert root_at(size) == merkle.root_hash(leaves[:size])


def test_stored_inclusion_proofs_match_the_reference_and_verify() -> None:
    append(19)
    leaves = _leaves()
    for size in (1, 2, 7, 8, 13, 19):
        root = merkle.root_hash(leaves[:size])
        for seq in range(size):
            proof = inclusion_proof_for(seq, size)
            assert proof.proof == merkle.inclusion_proof(leaves[:size], seq)
            assert (proof.leaf_hash, proof.root_hash) == (leaves[seq], root)
            assert merkle.verify_inclusion(seq, size, proof.leaf_hash, proof.proof, root)


def test_stored_consistency_proofs_match_the_reference_and_verify() -> None:
    append(17)
    leaves = _leaves()
    for new in (1, 5, 8, 16, 17):
        for old in range(1, new + 1):
            proof = consistency_proof_for(old, new)
            assert proof.proof == merkle.consistency_proof(leaves[:new], old)
            assert merkle.verify_consistency(old, new, proof.old_root, proof.new_root, proof.proof)


def test_a_proof_reads_the_stored_nodes_in_one_query() -> None:
    append(1000)
    with CaptureQueriesContext(connection) as queries:
        proof = inclusion_proof_for(555, 1000)
    # The head, then every node the proof and the root need.
    assert len(queries) == 2
    assert merkle.verify_inclusion(555, 1000, proof.leaf_hash, proof.proof, tree_state().root_hash)
    with CaptureQueriesContext(connection) as queries:
        consistency_proof_for(300, 1000)
    assert len(queries) == 2


def test_it_refuses_sizes_and_entries_outside_the_tree() -> None:
    append(5)
    with pytest.raises(InvalidInput):
        inclusion_proof_for(1, 6)
    with pytest.raises(NotFound):
        inclusion_proof_for(5, 5)
    with pytest.raises(Conflict) as refused:
        inclusion_proof_for(4, 3)
    assert refused.value.code == "entry_not_in_tree"
    with pytest.raises(InvalidInput):
        consistency_proof_for(0, 5)
    with pytest.raises(InvalidInput):
        consistency_proof_for(4, 3)
    with pytest.raises(InvalidInput):
        root_at(-1)


def test_a_missing_subtree_hash_is_reported_not_guessed() -> None:
    append(4)
    with triggers_off():
        raw_sql([("DELETE FROM ledger_ledgernode WHERE level = %s", (1,))])
    with pytest.raises(LedgerDamaged):
        inclusion_proof_for(0, 4)
