"""Merkle tree hashing, proofs and proof verification as in RFC 9162 §2.1.

A pure module: no Django, no database. The stored ledger uses the same
algorithms through ``plan_*`` and ``*_from_nodes`` with a reader of stored
subtree hashes; the list-taking functions are the reference they are tested
against.

Inputs are LEAF HASHES, not leaf data, as in the transparency-dev reference:
``root_hash``, ``inclusion_proof`` and ``consistency_proof`` take the sequence
of ``leaf_hash(data)`` values, in log order. ``leaf_hash(data)`` is
``H(0x00 || data)``; an interior node is ``H(0x01 || left || right)``; the root
of the empty tree is ``H("")``. Proof elements are ordered from the leaf
towards the root, exactly as RFC 9162 ``PATH`` and ``PROOF`` produce them.

Verification never raises on hostile input: wrong sizes, indices, proof
lengths or hash lengths make it return False. Generation raises ValueError
for arguments that name no proof (an index outside the tree, a consistency
proof from the empty tree or to a smaller tree).

SHA-256 is the default; every function takes a keyword-only ``hasher`` so that
SM3 (GB/T 32905) can be chosen where the state cryptography rules apply.
"""

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from cryptography.hazmat.primitives import hashes

__all__ = [
    "HASHERS",
    "SHA256",
    "SM3",
    "Hasher",
    "MerkleFrontier",
    "NodeReader",
    "consistency_proof",
    "consistency_proof_from_nodes",
    "get_hasher",
    "inclusion_proof",
    "inclusion_proof_from_nodes",
    "leaf_hash",
    "nodes_for_ranges",
    "plan_consistency_proof",
    "plan_inclusion_proof",
    "plan_root",
    "range_nodes",
    "root_from_nodes",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


@dataclass(frozen=True, slots=True)
class Hasher:
    """A hash function with the RFC 9162 domain separation for leaves and nodes."""

    name: str
    digest_size: int
    digest: Callable[[bytes], bytes]

    def empty_root(self) -> bytes:
        return self.digest(b"")

    def leaf(self, data: bytes) -> bytes:
        return self.digest(_LEAF_PREFIX + data)

    def node(self, left: bytes, right: bytes) -> bytes:
        return self.digest(_NODE_PREFIX + left + right)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


SHA256 = Hasher("sha256", 32, _sha256)
SM3 = Hasher("sm3", 32, _sm3)
HASHERS: dict[str, Hasher] = {SHA256.name: SHA256, SM3.name: SM3}


def get_hasher(name: str) -> Hasher:
    """Return the hasher called ``name`` ("sha256" or "sm3")."""
    try:
        return HASHERS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown ledger hash {name!r}; choose one of {sorted(HASHERS)}") from None


# A complete subtree is named by (level, index): it holds the 2**level leaves
# starting at index * 2**level. Level 0 nodes are the leaf hashes.
Node = tuple[int, int]
NodeReader = Callable[[int, int], bytes]
# A proof element is the hash of the leaf range [start, end); it is always a
# subtree that RFC 9162's recursion visits, so ``range_nodes`` can split it.
Range = tuple[int, int]


def _split(n: int) -> int:
    """Return the largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """Return the complete subtrees, left to right, whose hashes make MTH(D[start:end]).

    ``start`` must be a multiple of the largest power of two not above
    ``end - start``, which holds for every range the RFC recursion visits: the
    range then splits into one complete subtree per set bit of its size.
    """
    nodes: list[Node] = []
    size = end - start
    while size > 0:
        level = size.bit_length() - 1
        width = 1 << level
        nodes.append((level, start >> level))
        start += width
        size -= width
    return nodes


def _fold(hashes_left_to_right: Sequence[bytes], hasher: Hasher) -> bytes:
    # The rightmost subtrees are the smallest and the deepest: RFC 9162's
    # recursion hashes them together first.
    result = hashes_left_to_right[-1]
    for h in reversed(hashes_left_to_right[:-1]):
        result = hasher.node(h, result)
    return result


def _range_hash(start: int, end: int, read: NodeReader, hasher: Hasher) -> bytes:
    return _fold([read(level, index) for level, index in range_nodes(start, end)], hasher)


def plan_root(size: int) -> list[Node]:
    """Return the stored nodes needed for the root of a tree of ``size`` leaves."""
    return range_nodes(0, size)


def plan_inclusion_proof(index: int, size: int) -> list[Range]:
    """Return the leaf ranges whose hashes form PATH(index, D[size]), leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    # Walk down from the root; the recursion's output order is the reverse.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start = start + k
    ranges.reverse()
    return ranges


def plan_consistency_proof(old_size: int, new_size: int) -> list[Range]:
    """Return the leaf ranges whose hashes form PROOF(old_size, D[new_size])."""
    if old_size < 0 or new_size < old_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size == 0:
        raise ValueError("a consistency proof from the empty tree is not defined")
    if old_size == new_size:
        return []
    ranges: list[Range] = []
    start, end, m = 0, new_size, old_size
    whole = True  # RFC 9162's flag b: the old tree is a whole subtree so far.
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            whole = False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def nodes_for_ranges(ranges: Iterable[Range]) -> list[Node]:
    """Return every stored node that the hashes of ``ranges`` are made of."""
    return [node for start, end in ranges for node in range_nodes(start, end)]


def root_from_nodes(size: int, read: NodeReader, *, hasher: Hasher = SHA256) -> bytes:
    """Return the root of the first ``size`` leaves from stored subtree hashes."""
    if size == 0:
        return hasher.empty_root()
    return _range_hash(0, size, read, hasher)


def inclusion_proof_from_nodes(
    index: int, size: int, read: NodeReader, *, hasher: Hasher = SHA256
) -> list[bytes]:
    """Return the inclusion proof for leaf ``index`` in a tree of ``size`` from stored nodes."""
    return [_range_hash(s, e, read, hasher) for s, e in plan_inclusion_proof(index, size)]


def consistency_proof_from_nodes(
    old_size: int, new_size: int, read: NodeReader, *, hasher: Hasher = SHA256
) -> list[bytes]:
    """Return the consistency proof between two tree sizes from stored nodes."""
    return [_range_hash(s, e, read, hasher) for s, e in plan_consistency_proof(old_size, new_size)]


def _levels(leaves: Sequence[bytes], hasher: Hasher) -> list[list[bytes]]:
    """Return every complete subtree hash of an in-memory tree, level by level."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([hasher.node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _reader(leaves: Sequence[bytes], hasher: Hasher) -> NodeReader:
    levels = _levels(leaves, hasher)
    return lambda level, index: levels[level][index]


def leaf_hash(data: bytes, *, hasher: Hasher = SHA256) -> bytes:
    """Return H(0x00 || data), the hash of one log entry."""
    return hasher.leaf(data)


def root_hash(leaves: Sequence[bytes], *, hasher: Hasher = SHA256) -> bytes:
    """Return the Merkle tree hash of the given leaf hashes; H("") for none."""
    if not leaves:
        return hasher.empty_root()
    return root_from_nodes(len(leaves), _reader(leaves, hasher), hasher=hasher)


def inclusion_proof(leaves: Sequence[bytes], index: int, *, hasher: Hasher = SHA256) -> list[bytes]:
    """Return the audit path for ``leaves[index]`` in the tree of all ``leaves``."""
    return inclusion_proof_from_nodes(index, len(leaves), _reader(leaves, hasher), hasher=hasher)


def consistency_proof(
    leaves: Sequence[bytes], old_size: int, *, hasher: Hasher = SHA256
) -> list[bytes]:
    """Return the proof that the first ``old_size`` leaves are a prefix of ``leaves``."""
    return consistency_proof_from_nodes(
        old_size, len(leaves), _reader(leaves, hasher), hasher=hasher
    )


def _is_bytes(value: object) -> TypeGuard[bytes | bytearray | memoryview]:
    return isinstance(value, bytes | bytearray | memoryview)


def _is_hash(value: object, hasher: Hasher) -> bool:
    return _is_bytes(value) and len(value) == hasher.digest_size


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def verify_inclusion(
    leaf_index: int,
    tree_size: int,
    leaf_hash: bytes,
    proof: Sequence[bytes],
    root: bytes,
    *,
    hasher: Hasher = SHA256,
) -> bool:
    """Return whether ``proof`` shows ``leaf_hash`` at ``leaf_index`` under ``root`` (§2.1.3.2)."""
    if not (_is_size(leaf_index) and _is_size(tree_size)):
        return False
    if not (_is_hash(leaf_hash, hasher) and _is_bytes(root)):
        return False
    if proof is None or not all(_is_hash(p, hasher) for p in proof):
        return False
    # 1. An index at or beyond the tree size proves nothing.
    if leaf_index >= tree_size:
        return False
    # 2.-3.
    fn, sn = leaf_index, tree_size - 1
    r = bytes(leaf_hash)
    # 4.
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hasher.node(bytes(p), r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hasher.node(r, bytes(p))
        fn >>= 1
        sn >>= 1
    # 5.
    return sn == 0 and r == bytes(root)


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
    *,
    hasher: Hasher = SHA256,
) -> bool:
    """Return whether ``proof`` shows the tree ``old_root`` is a prefix of ``new_root`` (§2.1.4.2).

    Equal sizes are consistent exactly when the roots are equal and the proof
    is empty. A proof from the empty tree (``old_size == 0``) to a larger one
    is not defined by the RFC and never verifies.
    """
    if not (_is_size(old_size) and _is_size(new_size)):
        return False
    # Roots are compared, not hashed, so any bytes are accepted here: a root
    # of the wrong length simply never matches a computed one.
    if not (_is_bytes(old_root) and _is_bytes(new_root)):
        return False
    if proof is None or not all(_is_hash(p, hasher) for p in proof):
        return False
    if new_size < old_size:
        return False
    if old_size == new_size:
        return len(proof) == 0 and bytes(old_root) == bytes(new_root)
    if old_size == 0:
        return False
    # 1.
    if len(proof) == 0:
        return False
    path = [bytes(p) for p in proof]
    # 2. A power-of-two old tree is itself a node of the new tree.
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    # 3.
    fn, sn = old_size - 1, new_size - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = hasher.node(c, fr)
            sr = hasher.node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = hasher.node(sr, c)
        fn >>= 1
        sn >>= 1
    # 7.
    return fr == bytes(old_root) and sr == bytes(new_root) and sn == 0


class MerkleFrontier:
    """The right edge of a growing tree: one complete subtree hash per set bit of its size.

    Appending a leaf completes the leaf itself and every subtree it closes;
    ``append`` returns them so that a store can keep every complete subtree,
    and ``root`` needs only the frontier, so appends never re-read old leaves.
    """

    __slots__ = ("hasher", "hashes", "size")

    def __init__(
        self, size: int = 0, hashes: Sequence[bytes] = (), *, hasher: Hasher = SHA256
    ) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError("a frontier holds exactly one hash per set bit of the tree size")
        self.size = size
        self.hashes = list(hashes)
        self.hasher = hasher

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return the (level, index, hash) of every subtree it completes."""
        index = self.size
        completed = [(0, index, leaf)]
        h, level = leaf, 0
        # Each trailing one bit of the old size is a left sibling waiting on
        # the frontier for exactly this right-hand subtree.
        while index & 1:
            h = self.hasher.node(self.hashes.pop(), h)
            level += 1
            index >>= 1
            completed.append((level, index, h))
        self.hashes.append(h)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.hashes:
            return self.hasher.empty_root()
        return _fold(self.hashes, self.hasher)
