"""The pure Merkle module against the RFC 9162 test vectors of transparency-dev/merkle."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from zhengtong.ledger import merkle

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "rfc9162_vectors.json").read_text(encoding="utf-8")
)
LEAVES = [merkle.leaf_hash(bytes.fromhex(data)) for data in VECTORS["leaf_data"]]
ROOTS = [bytes.fromhex(root) for root in VECTORS["roots"]]


def _hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["desc"] for case in cases]


@pytest.mark.parametrize("case", VECTORS["inclusion"], ids=_ids(VECTORS["inclusion"]))
def test_it_verifies_inclusion_exactly_as_the_reference_vectors_say(case: dict[str, Any]) -> None:
    assert (
        merkle.verify_inclusion(
            case["leaf_index"],
            case["tree_size"],
            bytes.fromhex(case["leaf_hash"]),
            _hashes(case["proof"]),
            bytes.fromhex(case["root"]),
        )
        is case["valid"]
    )


@pytest.mark.parametrize("case", VECTORS["consistency"], ids=_ids(VECTORS["consistency"]))
def test_it_verifies_consistency_exactly_as_the_reference_vectors_say(
    case: dict[str, Any],
) -> None:
    assert (
        merkle.verify_consistency(
            case["old_size"],
            case["new_size"],
            bytes.fromhex(case["old_root"]),
            bytes.fromhex(case["new_root"]),
            _hashes(case["proof"]),
        )
        is case["valid"]
    )


def test_the_vectors_hold_must_fail_cases_of_every_kind() -> None:
    # Guards the data file itself: a trimmed file would make the tests above vacuous.
    failing = {c["desc"].split(": ")[-1] for c in VECTORS["inclusion"] if not c["valid"]}
    failing |= {c["desc"].split(": ")[-1] for c in VECTORS["consistency"] if not c["valid"]}
    for kind in (
        "modified proof[0] bit 3",
        "modified proof[1] bit 4",
        "leafIdx + 1",
        "treeSize * 2",
        "size1 - 1",
        "removed component",
        "truncated proof",
        "trailing garbage",
        "preceding root1",
        "wrong root2",
        "swapped roots",
        "empty proof",
    ):
        assert kind in failing


@pytest.mark.parametrize("size", range(1, 9))
def test_it_computes_the_reference_roots(size: int) -> None:
    assert merkle.root_hash(LEAVES[:size]) == ROOTS[size - 1]


def test_the_root_of_the_empty_tree_is_the_hash_of_the_empty_string() -> None:
    assert merkle.root_hash([]) == hashlib.sha256(b"").digest()
    assert merkle.root_hash([], hasher=merkle.SM3) == bytes.fromhex(
        "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"
    )


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert merkle.root_hash(LEAVES[:2]) == hashlib.sha256(b"\x01" + LEAVES[0] + LEAVES[1]).digest()


@pytest.mark.parametrize(
    "case",
    [c for c in VECTORS["inclusion"] if c["valid"] and c["desc"].startswith("vector")],
    ids=lambda c: c["desc"],
)
def test_it_generates_the_reference_inclusion_proofs(case: dict[str, Any]) -> None:
    leaves = LEAVES[: case["tree_size"]]
    assert merkle.inclusion_proof(leaves, case["leaf_index"]) == _hashes(case["proof"])


@pytest.mark.parametrize(
    "case",
    [c for c in VECTORS["consistency"] if c["valid"] and c["desc"].startswith("vector")],
    ids=lambda c: c["desc"],
)
def test_it_generates_the_reference_consistency_proofs(case: dict[str, Any]) -> None:
    leaves = LEAVES[: case["new_size"]]
    assert merkle.consistency_proof(leaves, case["old_size"]) == _hashes(case["proof"])


@pytest.mark.parametrize("hasher", [merkle.SHA256, merkle.SM3], ids=lambda h: h.name)
def test_every_proof_it_generates_verifies_and_no_neighbour_does(hasher: merkle.Hasher) -> None:
    for size in range(1, 34):
        leaves = [merkle.leaf_hash(str(i).encode(), hasher=hasher) for i in range(size)]
        root = merkle.root_hash(leaves, hasher=hasher)
        for index in range(size):
            proof = merkle.inclusion_proof(leaves, index, hasher=hasher)
            assert merkle.verify_inclusion(index, size, leaves[index], proof, root, hasher=hasher)
            if size > 1:
                other = (index + 1) % size
                assert not merkle.verify_inclusion(
                    other, size, leaves[index], proof, root, hasher=hasher
                )
        for old in range(1, size + 1):
            old_root = merkle.root_hash(leaves[:old], hasher=hasher)
            proof = merkle.consistency_proof(leaves, old, hasher=hasher)
            assert merkle.verify_consistency(old, size, old_root, root, proof, hasher=hasher)
            if old < size:
                assert not merkle.verify_consistency(
                    old, size, root, old_root, proof, hasher=hasher
                )


def test_a_proof_made_with_sha256_does_not_verify_under_sm3() -> None:
    leaves = LEAVES[:5]
    proof = merkle.inclusion_proof(leaves, 2)
    assert merkle.verify_inclusion(2, 5, leaves[2], proof, ROOTS[4])
    assert not merkle.verify_inclusion(2, 5, leaves[2], proof, ROOTS[4], hasher=merkle.SM3)


def test_the_sm3_hasher_follows_gb_t_32905() -> None:
    # The standard's first example: SM3("abc").
    assert merkle.SM3.digest(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert merkle.get_hasher("SM3") is merkle.SM3
    with pytest.raises(ValueError, match="unknown ledger hash"):
        merkle.get_hasher("md5")


@pytest.mark.parametrize(
    "args",
    [
        (-1, 1),
        (0, -1),
        (True, 2),
        (None, 1),
        (0, "1"),
        (2**64 - 1, 1),
    ],
)
def test_verify_inclusion_returns_false_on_hostile_numbers(args: tuple[Any, Any]) -> None:
    assert merkle.verify_inclusion(args[0], args[1], LEAVES[0], [], LEAVES[0]) is False


@pytest.mark.parametrize(
    "proof", [None, [None], ["ab" * 16], [b"\x00" * 31], [bytes(32)] * 70], ids=str
)
def test_verify_returns_false_on_malformed_proofs(proof: Any) -> None:
    assert merkle.verify_inclusion(0, 8, LEAVES[0], proof, ROOTS[7]) is False
    assert merkle.verify_consistency(1, 8, ROOTS[0], ROOTS[7], proof) is False


def test_verify_consistency_returns_false_on_hostile_sizes_and_roots() -> None:
    proof = merkle.consistency_proof(LEAVES, 6)
    assert merkle.verify_consistency(6, 8, ROOTS[5], ROOTS[7], proof)
    assert not merkle.verify_consistency(-6, 8, ROOTS[5], ROOTS[7], proof)
    assert not merkle.verify_consistency(6, -8, ROOTS[5], ROOTS[7], proof)
    assert not merkle.verify_consistency(6, 8, None, ROOTS[7], proof)  # type: ignore[arg-type]
    assert not merkle.verify_consistency(6, 8, ROOTS[5], "x" * 32, proof)  # type: ignore[arg-type]


def test_generation_refuses_what_names_no_proof() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(LEAVES, 8)
    with pytest.raises(ValueError):
        merkle.inclusion_proof(LEAVES, -1)
    with pytest.raises(ValueError):
        merkle.consistency_proof(LEAVES, 0)
    with pytest.raises(ValueError):
        merkle.consistency_proof(LEAVES[:3], 4)
    assert merkle.consistency_proof(LEAVES, 8) == []


def test_the_frontier_gives_every_completed_subtree_and_the_root() -> None:
    frontier = merkle.MerkleFrontier()
    completed: list[tuple[int, int, bytes]] = []
    for leaf in LEAVES:
        completed += frontier.append(leaf)
        assert frontier.root() == ROOTS[frontier.size - 1]
    # 8 leaves, 4 pairs, 2 quads and the whole tree.
    assert [(level, index) for level, index, _h in completed if level] == [
        (1, 0),
        (1, 1),
        (2, 0),
        (1, 2),
        (1, 3),
        (2, 1),
        (3, 0),
    ]
    assert completed[-1][2] == ROOTS[7]
    assert merkle.MerkleFrontier().root() == merkle.root_hash([])
    resumed = merkle.MerkleFrontier(
        6, [merkle.root_hash(LEAVES[:4]), merkle.root_hash(LEAVES[4:6])]
    )
    resumed.append(LEAVES[6])
    assert resumed.root() == ROOTS[6]
    with pytest.raises(ValueError):
        merkle.MerkleFrontier(3, [LEAVES[0]])
