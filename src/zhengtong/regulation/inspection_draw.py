"""The verifiable random inspection draw (双随机、一公开).

A regulator draws which enterprises to inspect (targets, in shares that depend
on their credit class) and which inspectors go to each (at least two, never
one who must recuse himself). "Random" is only worth something if the public
can check it, so the draw is a deterministic function of a secret seed and of
the published registers, and the authority commits to the seed before the
draw:

1. Before the draw, publish the *announcement*: the commitment to the seed,
   the registers, the rules and their digest (``announcement``).
2. Draw (``draw``) and publish the *transcript* (``DrawResult.transcript``):
   the announcement plus the seed and the result.
3. Anyone recomputes the draw from the transcript alone
   (``verify_transcript``, or ``python -m zhengtong.regulation.inspection_draw
   verify TRANSCRIPT.json [--announcement ANNOUNCEMENT.json]``) and checks
   that the transcript agrees with the announcement published earlier.

The commitment stops the authority from changing the seed after seeing the
registers' outcome; the registers digest binds the draw to exactly these
registers. It does not stop an authority from trying many seeds *before*
committing: the seed must be generated in a witnessed procedure (``new_seed``
uses the operating system's generator) or, in a later version, mixed with
public randomness published after the commitment.

The algorithm, version 1, precisely enough to re-implement it
-------------------------------------------------------------
All hashes are SHA-256. ``||`` is byte concatenation.

Commitment. ``commitment = hex(SHA-256(b"zhengtong-draw-commit-v1\\x00" ||
seed))``, lowercase hex. A seed is at least 32 bytes.

Canonical JSON. UTF-8, object keys sorted, no whitespace (separators ``,``
and ``:``), non-ASCII characters written as themselves, control characters
escaped as in RFC 8259 (Python's ``json.dumps(value, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)``). The documents hold only
strings, lists, objects, integers and null, with ASCII keys, so this is also
their RFC 8785 (JCS) form. Every list below is sorted by Unicode code point
(the same order as by UTF-8 bytes).

Rules document::

    {"inspectors_per_target": 2,
     "ratios": {"A": "1/20", "B": "1/10", "C": "3/10", "D": "1"},
     "required_qualification": null or "<qualification>",
     "task_id": "<task id>"}

Each ratio is an exact fraction in lowest terms written ``"p/q"``, or ``"p"``
when ``q`` is 1; all four classes appear (a class left out of the rules is
``"0"``). A float ratio is taken at its shortest decimal form (0.05 is 1/20,
not the binary fraction nearest to it).

Registers document::

    {"inspectors": [{"conflicts": [<target ids>], "department": "<department>",
                     "id": "<inspector id>", "qualifications": [<qualifications>]}, ...],
     "targets": [{"credit_class": "A" | "B" | "C" | "D", "id": "<target id>"}, ...]}

with inspectors sorted by ``id``, targets sorted by ``id``, and ``conflicts``
and ``qualifications`` sorted. Names are not part of the draw.

Registers digest. ``digest = SHA-256(canonical_json({"registers": <registers
document>, "rules": <rules document>}))``, published as lowercase hex; the
random streams use its 32 raw bytes.

Random streams. A stream has a label (a text, UTF-8 encoded). Its bytes are
``block(0) || block(1) || ...`` with ``block(i) = SHA-256(seed || digest ||
label || i)``, ``i`` as an 8-byte big-endian unsigned integer. Word ``j`` of
the stream is bytes ``8j`` to ``8j + 7`` read as a big-endian unsigned 64-bit
integer (so each block gives four words). ``below(n)``, for ``n >= 1``, takes
the next word ``w`` and rejects it while ``w >= floor(2**64 / n) * n``; it
returns ``w mod n`` of the first word not rejected. Every call consumes at
least one word, also for ``n = 1``.

Targets. For each credit class ``c`` in the order A, B, C, D: ``a`` is the
list of that class's target ids, sorted; ``n = len(a)``; the count is
``k = ceil(ratio(c) * n)``, computed exactly (5 % of 30 targets is 1.5, so 2
are drawn; a ratio above 0 always draws at least one target of a non-empty
class). With the stream labelled ``"targets:" + c``, a partial Fisher-Yates
shuffle: for ``i`` from 0 to ``k - 1``, ``j = i + below(n - i)``, swap
``a[i]`` and ``a[j]``. The drawn targets are ``a[0:k]``, published sorted.

Inspectors. For each drawn target ``t``: ``a`` is the list of eligible
inspectors, sorted by id: those holding the rule's required qualification
(every inspector when it is null) and without ``t`` among their conflicts.
``m = inspectors_per_target``, ``k = min(m, len(a))`` and the *shortfall* is
``m - k``. With the stream labelled ``"inspectors:" + t``, for ``i`` from 0 to
``k - 1``: ``p`` is the list of positions ``i .. len(a) - 1`` whose
inspector's department is not among the departments of ``a[0:i]``, or all of
``i .. len(a) - 1`` when there is none; ``j = p[below(len(p))]``; swap ``a[i]``
and ``a[j]``. The target's inspectors are ``a[0:k]`` in that order. So two
inspectors of one target come from different departments whenever the
eligible inspectors span more than one, every eligible inspector is equally
likely to be drawn first, and when all departments differ this is exactly the
partial Fisher-Yates shuffle above. A shortfall is published, never hidden:
the inspection needs a supplementary draw or more inspectors in the register.

Result document::

    {"inspections": [{"credit_class": "B", "inspectors": [<ids, in draw order>],
                      "shortfall": 0, "target": "<target id>"}, ...],
     "targets": {"A": [<drawn ids, sorted>], "B": [...], "C": [...], "D": [...]}}

with inspections sorted by target id.

Transcript. ``{"algorithm": "zhengtong-draw-v1", "commitment": ...,
"registers": ..., "registers_digest": ..., "result": ..., "rules": ...,
"seed": <lowercase hex>, "task_id": ..., "version": 1}``; the announcement is
the same without ``seed`` and ``result``. Verification recomputes every field
from ``seed``, ``registers`` and ``rules`` and compares.

Supplementary draws (补充抽取)
----------------------------
When the register changed after a draw left inspections short (inspectors
added, recusals lifted), a supplementary draw fills them as its own
verifiable step, committed and announced before it is drawn exactly like the
original. It refers to the original transcript, and to the task's earlier
supplementary transcripts in order, by ``transcript digest`` = hex SHA-256
of the transcript's canonical JSON.

Supplementary rules document: the original's without ``ratios``::

    {"inspectors_per_target": 2, "required_qualification": null or "...", "task_id": "..."}

Basis document: ``{"original": <transcript digest>, "previous": [<transcript
digests of the earlier supplementary draws, in order>]}``, and ``"finished":
[<target ids, sorted>]`` when some target left short has its result recorded
all the same (possible only for results recorded before results of short
inspections were refused): such an inspection is over and is not filled any
more. The key is left out when there is none. A supplementary draw cancelled
before its draw drew nobody and has no transcript: it is not among
``previous``.

Supplementary registers document::

    {"inspections": [{"assigned": [{"department": "...", "id": "..."}, ...],
                      "shortfall": 1, "target": "<target id>"}, ...],
     "inspectors": [<as in the registers document, conflicts limited to these targets>]}

``inspections`` are the targets still short after the original and the earlier
supplementary draws, less those ``finished``, sorted by target id, each with
the inspectors it already has (sorted by id) and how many it lacks;
``len(assigned) + shortfall`` is ``inspectors_per_target``. The registers
digest is ``SHA-256(canonical_json({"basis": ..., "registers": ...,
"rules": ...}))``, and the random streams use it.

For each short target ``t``: ``a`` is the list of eligible inspectors, sorted
by id: as in the original draw, but also without those ``assigned`` to ``t``;
``k = min(shortfall, len(a))``; with the stream labelled ``"inspectors:" + t``
the inspectors are drawn as in the original draw, except that the departments
of the ``assigned`` inspectors count as already sent from the first pick on.
Result document: ``{"inspections": [{"inspectors": [<new ids, in draw order>],
"shortfall": <still missing>, "target": ...}, ...]}``, sorted by target id.

Transcript: ``{"algorithm": "zhengtong-draw-supplementary-v1", "basis": ...,
"commitment": ..., "registers": ..., "registers_digest": ..., "result": ...,
"rules": ..., "seed": ..., "task_id": ..., "version": 1}``; the announcement is
the same without ``seed`` and ``result``. Verification recomputes it like the
original's; given the original transcript (``--original``) and the earlier
supplementary ones (``--previous``, in order, the drawn ones only), it also
checks the digests, the rules, and that ``inspections`` are exactly what those
left short, less those ``finished`` (each of which they left short).

This module is pure Python with no Django, so that the verifier runs anywhere.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import secrets
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol, cast

__all__ = [
    "ALGORITHM",
    "CREDIT_CLASSES",
    "MIN_SEED_BYTES",
    "SUPPLEMENTARY_ALGORITHM",
    "VERSION",
    "Assignment",
    "CreditClass",
    "DrawResult",
    "DrawRules",
    "Inspector",
    "RandomStream",
    "ShortInspection",
    "SupplementaryAssignment",
    "SupplementaryResult",
    "SupplementaryRules",
    "Target",
    "announcement",
    "canonical_json",
    "commit",
    "draw",
    "draw_supplementary",
    "main",
    "new_seed",
    "registers_digest",
    "short_inspections",
    "supplementary_announcement",
    "transcript_differences",
    "transcript_digest",
    "verify_commitment",
    "verify_transcript",
]

VERSION: Final = 1
ALGORITHM: Final = "zhengtong-draw-v1"
SUPPLEMENTARY_ALGORITHM: Final = "zhengtong-draw-supplementary-v1"
MIN_SEED_BYTES: Final = 32
COMMIT_PREFIX: Final = b"zhengtong-draw-commit-v1\x00"

CreditClass = Literal["A", "B", "C", "D"]
CREDIT_CLASSES: Final[tuple[CreditClass, ...]] = ("A", "B", "C", "D")

_WORDS_PER_BLOCK = 4
_TWO_64 = 1 << 64
_ANNOUNCEMENT_KEYS = (
    "algorithm",
    "commitment",
    "registers",
    "registers_digest",
    "rules",
    "task_id",
    "version",
)
_TRANSCRIPT_KEYS = (*_ANNOUNCEMENT_KEYS, "result", "seed")
_SUPPLEMENTARY_ANNOUNCEMENT_KEYS = (*_ANNOUNCEMENT_KEYS, "basis")
_SUPPLEMENTARY_TRANSCRIPT_KEYS = (*_SUPPLEMENTARY_ANNOUNCEMENT_KEYS, "result", "seed")


# -- registers and rules ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """An enterprise on the register of inspection targets."""

    id: str
    name: str
    credit_class: CreditClass


@dataclass(frozen=True, slots=True)
class Inspector:
    """An inspector on the register; ``conflicts`` are the target ids he must recuse from (回避)."""

    id: str
    name: str
    department: str
    qualifications: frozenset[str] = frozenset()
    conflicts: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class DrawRules:
    """What one draw (one inspection task) asks for.

    ``ratios`` is the share of each credit class to draw, as a ``Fraction``,
    an ``int``, a ``float`` (taken at its shortest decimal form) or a string
    such as ``"0.05"`` or ``"1/20"``; a class left out draws nothing.
    """

    task_id: str
    ratios: Mapping[str, Fraction | float | int | str]
    inspectors_per_target: int = 2
    required_qualification: str | None = None

    def __post_init__(self) -> None:
        _require_text(self.task_id, "task_id")
        unknown = set(self.ratios) - set(CREDIT_CLASSES)
        if unknown:
            raise ValueError(f"ratios name unknown credit classes: {sorted(unknown)}")
        exact = {c: _as_fraction(self.ratios.get(c, 0), c) for c in CREDIT_CLASSES}
        object.__setattr__(self, "ratios", MappingProxyType(exact))
        if isinstance(self.inspectors_per_target, bool) or not isinstance(
            self.inspectors_per_target, int
        ):
            raise TypeError("inspectors_per_target must be an int")
        # Inspections are carried out by at least two law-enforcement officers.
        if self.inspectors_per_target < 2:
            raise ValueError("inspectors_per_target must be at least 2")
        if self.required_qualification is not None:
            _require_text(self.required_qualification, "required_qualification")

    def ratio(self, credit_class: CreditClass) -> Fraction:
        """Return the exact share of ``credit_class`` to draw."""
        return cast(Fraction, self.ratios[credit_class])

    def count(self, credit_class: CreditClass, class_size: int) -> int:
        """Return how many of ``class_size`` targets of a class are drawn: ceil(ratio × size)."""
        return math.ceil(self.ratio(credit_class) * class_size)


def _as_fraction(value: object, credit_class: str) -> Fraction:
    if isinstance(value, bool):
        raise TypeError(f"ratio of class {credit_class} must be a number, not a bool")
    try:
        if isinstance(value, Fraction | int):
            ratio = Fraction(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError
            ratio = Fraction(repr(value))
        elif isinstance(value, str):
            ratio = Fraction(value.strip())
        else:
            raise TypeError(f"ratio of class {credit_class} must be a number")
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"ratio of class {credit_class} is not a number: {value!r}") from None
    if not 0 <= ratio <= 1:
        raise ValueError(f"ratio of class {credit_class} must be between 0 and 1, not {ratio}")
    return ratio


def _require_text(value: object, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")


# -- commitment -------------------------------------------------------------------------------


def new_seed() -> bytes:
    """Return a fresh seed of 32 bytes from the operating system's generator."""
    return secrets.token_bytes(MIN_SEED_BYTES)


def commit(seed: bytes) -> str:
    """Return the commitment to publish before the draw: SHA-256 of the prefixed seed, in hex."""
    _check_seed(seed)
    return hashlib.sha256(COMMIT_PREFIX + seed).hexdigest()


def verify_commitment(commitment: str, seed: bytes) -> bool:
    """Say whether ``seed`` is the seed ``commitment`` was made to."""
    if not isinstance(commitment, str) or not isinstance(seed, bytes | bytearray):
        return False
    if len(seed) < MIN_SEED_BYTES:
        return False
    expected = hashlib.sha256(COMMIT_PREFIX + bytes(seed)).hexdigest()
    return secrets.compare_digest(expected, commitment.lower())


def _check_seed(seed: bytes) -> None:
    if not isinstance(seed, bytes | bytearray):
        raise TypeError("the seed must be bytes")
    if len(seed) < MIN_SEED_BYTES:
        raise ValueError(f"the seed must be at least {MIN_SEED_BYTES} bytes")


# -- canonical form ---------------------------------------------------------------------------


def canonical_json(value: object) -> bytes:
    """Return the canonical UTF-8 JSON of ``value``: sorted keys, no whitespace."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _rules_document(rules: DrawRules) -> dict[str, Any]:
    return {
        "inspectors_per_target": rules.inspectors_per_target,
        "ratios": {c: str(rules.ratio(c)) for c in CREDIT_CLASSES},
        "required_qualification": rules.required_qualification,
        "task_id": rules.task_id,
    }


def _checked_targets(targets: Iterable[Target]) -> list[Target]:
    ordered = sorted(targets, key=lambda t: _sort_key(t.id, "target id"))
    for target in ordered:
        if target.credit_class not in CREDIT_CLASSES:
            raise ValueError(
                f"target {target.id!r} has unknown credit class {target.credit_class!r}"
            )
    _require_unique([t.id for t in ordered], "target")
    return ordered


def _checked_inspectors(inspectors: Iterable[Inspector]) -> list[Inspector]:
    ordered = sorted(inspectors, key=lambda i: _sort_key(i.id, "inspector id"))
    for inspector in ordered:
        _require_text(inspector.department, f"department of inspector {inspector.id!r}")
        for name, values in (
            ("qualifications", inspector.qualifications),
            ("conflicts", inspector.conflicts),
        ):
            if not isinstance(values, frozenset | set) or not all(
                isinstance(v, str) and v for v in values
            ):
                raise ValueError(f"{name} of inspector {inspector.id!r} must be non-empty strings")
    _require_unique([i.id for i in ordered], "inspector")
    return ordered


def _sort_key(value: object, what: str) -> str:
    _require_text(value, what)
    return cast(str, value)


def _require_unique(ids: Sequence[str], what: str) -> None:
    for before, after in itertools.pairwise(ids):
        if before == after:
            raise ValueError(f"{what} id {before!r} appears twice")


def _registers_document(
    targets: Sequence[Target], inspectors: Sequence[Inspector]
) -> dict[str, Any]:
    return {
        "inspectors": [
            {
                "conflicts": sorted(i.conflicts),
                "department": i.department,
                "id": i.id,
                "qualifications": sorted(i.qualifications),
            }
            for i in inspectors
        ],
        "targets": [{"credit_class": t.credit_class, "id": t.id} for t in targets],
    }


def _digest(registers: Mapping[str, Any], rules: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json({"registers": registers, "rules": rules})).hexdigest()


def registers_digest(
    targets: Iterable[Target], inspectors: Iterable[Inspector], rules: DrawRules
) -> str:
    """Return the SHA-256 (hex) of the canonical registers and rules the draw is bound to."""
    registers = _registers_document(_checked_targets(targets), _checked_inspectors(inspectors))
    return _digest(registers, _rules_document(rules))


def announcement(
    commitment: str,
    targets: Iterable[Target],
    inspectors: Iterable[Inspector],
    rules: DrawRules,
) -> dict[str, Any]:
    """Return what to publish before the draw: the commitment, registers, rules and digest."""
    registers = _registers_document(_checked_targets(targets), _checked_inspectors(inspectors))
    rules_document = _rules_document(rules)
    return {
        "algorithm": ALGORITHM,
        "commitment": commitment,
        "registers": registers,
        "registers_digest": _digest(registers, rules_document),
        "rules": rules_document,
        "task_id": rules.task_id,
        "version": VERSION,
    }


# -- randomness -------------------------------------------------------------------------------


class RandomStream:
    """The hash-based stream of 64-bit words for one label, and unbiased integers from it."""

    def __init__(self, seed: bytes, digest: bytes, label: str) -> None:
        self._prefix = bytes(seed) + digest + label.encode("utf-8")
        self._block_index = 0
        self._words: list[int] = []

    def next_word(self) -> int:
        """Return the next 64-bit word of the stream."""
        if not self._words:
            block = hashlib.sha256(self._prefix + self._block_index.to_bytes(8, "big")).digest()
            self._block_index += 1
            # Reversed so that pop() hands the words out in stream order.
            self._words = [
                int.from_bytes(block[8 * w : 8 * w + 8], "big")
                for w in reversed(range(_WORDS_PER_BLOCK))
            ]
        return self._words.pop()

    def below(self, n: int) -> int:
        """Return a uniform integer in [0, n), rejecting words that would bias a modulo."""
        if n < 1:
            raise ValueError("below(n) needs n >= 1")
        limit = (_TWO_64 // n) * n
        while True:
            word = self.next_word()
            if word < limit:
                return word % n


# -- the draw ---------------------------------------------------------------------------------


class _Filled(Protocol):
    @property
    def target_id(self) -> str: ...
    @property
    def shortfall(self) -> int: ...


class _CompletedDraw:
    """What a completed draw of either kind publishes alike: commitment, shortfalls, transcript."""

    __slots__ = ()
    seed: bytes
    assignments: tuple[_Filled, ...]

    @property
    def commitment(self) -> str:
        return commit(self.seed)

    @property
    def shortfalls(self) -> dict[str, int]:
        """Map each target still short of inspectors after this draw to how many it lacks."""
        return {a.target_id: a.shortfall for a in self.assignments if a.shortfall}

    def announcement_document(self) -> dict[str, Any]:
        raise NotImplementedError

    def result_document(self) -> dict[str, Any]:
        raise NotImplementedError

    def transcript(self) -> dict[str, Any]:
        """Return the JSON-able transcript that lets anyone recompute and check this draw."""
        published = self.announcement_document()
        published["seed"] = self.seed.hex()
        published["result"] = self.result_document()
        return published


@dataclass(frozen=True, slots=True)
class Assignment:
    """One drawn target and its inspectors, in draw order; ``shortfall`` inspectors are missing."""

    target_id: str
    credit_class: CreditClass
    inspector_ids: tuple[str, ...]
    shortfall: int


@dataclass(frozen=True, slots=True)
class DrawResult(_CompletedDraw):
    """A completed draw with everything its transcript publishes."""

    seed: bytes
    rules: DrawRules
    targets: tuple[Target, ...]
    inspectors: tuple[Inspector, ...]
    registers_digest: str
    picked: Mapping[CreditClass, tuple[str, ...]]
    assignments: tuple[Assignment, ...]

    @property
    def complete(self) -> bool:
        """Whether every drawn target got its full number of inspectors."""
        return all(a.shortfall == 0 for a in self.assignments)

    def result_document(self) -> dict[str, Any]:
        return {
            "inspections": [
                {
                    "credit_class": a.credit_class,
                    "inspectors": list(a.inspector_ids),
                    "shortfall": a.shortfall,
                    "target": a.target_id,
                }
                for a in self.assignments
            ],
            "targets": {c: list(self.picked[c]) for c in CREDIT_CLASSES},
        }

    def announcement_document(self) -> dict[str, Any]:
        return announcement(self.commitment, self.targets, self.inspectors, self.rules)


def draw(
    seed: bytes,
    targets: Iterable[Target],
    inspectors: Iterable[Inspector],
    rules: DrawRules,
) -> DrawResult:
    """Draw the targets and their inspectors, as a deterministic function of seed and registers."""
    _check_seed(seed)
    seed = bytes(seed)
    ordered_targets = _checked_targets(targets)
    ordered_inspectors = _checked_inspectors(inspectors)
    digest_hex = _digest(
        _registers_document(ordered_targets, ordered_inspectors), _rules_document(rules)
    )
    digest = bytes.fromhex(digest_hex)

    picked: dict[CreditClass, tuple[str, ...]] = {}
    class_of: dict[str, CreditClass] = {}
    for credit_class in CREDIT_CLASSES:
        members = [t.id for t in ordered_targets if t.credit_class == credit_class]
        count = rules.count(credit_class, len(members))
        stream = RandomStream(seed, digest, "targets:" + credit_class)
        for i in range(count):
            j = i + stream.below(len(members) - i)
            members[i], members[j] = members[j], members[i]
        picked[credit_class] = tuple(sorted(members[:count]))
        class_of.update((target_id, credit_class) for target_id in picked[credit_class])

    qualified = _qualified(ordered_inspectors, rules.required_qualification)
    # Most targets have no recusals; only theirs need the register filtered.
    recusing = {target_id for i in qualified for target_id in i.conflicts}
    assignments = []
    for target_id in sorted(class_of):
        if target_id in recusing:
            eligible = [i for i in qualified if target_id not in i.conflicts]
        else:
            eligible = list(qualified)
        chosen = _draw_inspectors(
            RandomStream(seed, digest, "inspectors:" + target_id),
            eligible,
            rules.inspectors_per_target,
        )
        assignments.append(
            Assignment(
                target_id=target_id,
                credit_class=class_of[target_id],
                inspector_ids=tuple(i.id for i in chosen),
                shortfall=rules.inspectors_per_target - len(chosen),
            )
        )
    return DrawResult(
        seed=seed,
        rules=rules,
        targets=tuple(ordered_targets),
        inspectors=tuple(ordered_inspectors),
        registers_digest=digest_hex,
        picked=MappingProxyType(picked),
        assignments=tuple(assignments),
    )


def _qualified(inspectors: Iterable[Inspector], required: str | None) -> list[Inspector]:
    return [i for i in inspectors if required is None or required in i.qualifications]


def _draw_inspectors(
    stream: RandomStream,
    eligible: list[Inspector],
    wanted: int,
    sent: Iterable[str] = (),
) -> list[Inspector]:
    """Shuffle the first inspectors of ``eligible`` (a fresh list, reordered in place).

    ``sent`` are the departments of inspectors the target already has (a
    supplementary draw): the newcomers come from other departments when they can.
    """
    pool = eligible
    count = min(wanted, len(pool))
    departments: set[str] = set(sent)
    for i in range(count):
        if not departments:
            # Every remaining position is a candidate: the plain Fisher-Yates step.
            j = i + stream.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
            departments.add(pool[i].department)
            continue
        positions = [p for p in range(i, len(pool)) if pool[p].department not in departments]
        if not positions:
            positions = list(range(i, len(pool)))
        j = positions[stream.below(len(positions))]
        pool[i], pool[j] = pool[j], pool[i]
        departments.add(pool[i].department)
    return pool[:count]


# -- supplementary draws ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShortInspection:
    """A drawn target still short of inspectors: who it has (``assigned``) and how many it lacks.

    Only the ids and departments of ``assigned`` count: the newcomers must be
    other inspectors and, when they can, from other departments.
    """

    target_id: str
    assigned: tuple[Inspector, ...]
    shortfall: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplementaryRules:
    """What a supplementary draw of a task asks for: the original draw's inspector rules."""

    task_id: str
    inspectors_per_target: int
    required_qualification: str | None = None

    def __post_init__(self) -> None:
        _require_text(self.task_id, "task_id")
        if isinstance(self.inspectors_per_target, bool) or not isinstance(
            self.inspectors_per_target, int
        ):
            raise TypeError("inspectors_per_target must be an int")
        if self.inspectors_per_target < 2:
            raise ValueError("inspectors_per_target must be at least 2")
        if self.required_qualification is not None:
            _require_text(self.required_qualification, "required_qualification")

    @classmethod
    def of(cls, rules: DrawRules) -> SupplementaryRules:
        return cls(
            task_id=rules.task_id,
            inspectors_per_target=rules.inspectors_per_target,
            required_qualification=rules.required_qualification,
        )


def transcript_digest(transcript: Mapping[str, Any]) -> str:
    """Return the SHA-256 (hex) of a published transcript's canonical JSON, which refers to it."""
    return hashlib.sha256(canonical_json(transcript)).hexdigest()


def _supplementary_rules_document(rules: SupplementaryRules) -> dict[str, Any]:
    return {
        "inspectors_per_target": rules.inspectors_per_target,
        "required_qualification": rules.required_qualification,
        "task_id": rules.task_id,
    }


def _basis_document(
    original: str, previous: Sequence[str], finished: Iterable[str] = ()
) -> dict[str, Any]:
    for digest in (original, *previous):
        if not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("a transcript digest is 64 hexadecimal digits")
    basis: dict[str, Any] = {"original": original, "previous": list(previous)}
    closed = sorted(finished, key=lambda t: _sort_key(t, "finished target id"))
    _require_unique(closed, "finished target")
    # Left out when empty, so that the documents of draws without one keep their digests.
    if closed:
        basis["finished"] = closed
    return basis


def _checked_short(
    inspections: Iterable[ShortInspection], rules: SupplementaryRules
) -> list[ShortInspection]:
    ordered = sorted(inspections, key=lambda s: _sort_key(s.target_id, "target id"))
    _require_unique([s.target_id for s in ordered], "target")
    if not ordered:
        raise ValueError("a supplementary draw needs at least one inspection short of inspectors")
    for short in ordered:
        if isinstance(short.shortfall, bool) or not isinstance(short.shortfall, int):
            raise TypeError(f"shortfall of {short.target_id!r} must be an int")
        if short.shortfall < 1 or short.shortfall + len(short.assigned) != (
            rules.inspectors_per_target
        ):
            raise ValueError(
                f"inspection of {short.target_id!r}: {len(short.assigned)} assigned and "
                f"{short.shortfall} missing do not make {rules.inspectors_per_target}"
            )
        for inspector in short.assigned:
            _require_text(inspector.id, "assigned inspector id")
            _require_text(inspector.department, f"department of inspector {inspector.id!r}")
        _require_unique(sorted(i.id for i in short.assigned), "assigned inspector")
    return ordered


def _supplementary_registers_document(
    short: Sequence[ShortInspection], inspectors: Sequence[Inspector]
) -> dict[str, Any]:
    return {
        "inspections": [
            {
                "assigned": [
                    {"department": i.department, "id": i.id}
                    for i in sorted(s.assigned, key=lambda i: i.id)
                ],
                "shortfall": s.shortfall,
                "target": s.target_id,
            }
            for s in short
        ],
        "inspectors": _registers_document([], inspectors)["inspectors"],
    }


def _supplementary_digest(
    basis: Mapping[str, Any], registers: Mapping[str, Any], rules: Mapping[str, Any]
) -> str:
    return hashlib.sha256(
        canonical_json({"basis": basis, "registers": registers, "rules": rules})
    ).hexdigest()


def supplementary_announcement(
    commitment: str,
    original: str,
    previous: Sequence[str],
    short: Iterable[ShortInspection],
    inspectors: Iterable[Inspector],
    rules: SupplementaryRules,
    finished: Iterable[str] = (),
) -> dict[str, Any]:
    """Return what to publish before a supplementary draw: commitment, basis, registers, digest.

    ``finished`` are the targets left short whose result was recorded all the
    same (before results of short inspections were refused): they are not
    filled any more, and the basis says so.
    """
    basis = _basis_document(original, previous, finished)
    registers = _supplementary_registers_document(
        _checked_short(short, rules), _checked_inspectors(inspectors)
    )
    rules_document = _supplementary_rules_document(rules)
    return {
        "algorithm": SUPPLEMENTARY_ALGORITHM,
        "basis": basis,
        "commitment": commitment,
        "registers": registers,
        "registers_digest": _supplementary_digest(basis, registers, rules_document),
        "rules": rules_document,
        "task_id": rules.task_id,
        "version": VERSION,
    }


@dataclass(frozen=True, slots=True)
class SupplementaryAssignment:
    """The inspectors a supplementary draw added to a target, in draw order; what it still lacks."""

    target_id: str
    inspector_ids: tuple[str, ...]
    shortfall: int


@dataclass(frozen=True, slots=True)
class SupplementaryResult(_CompletedDraw):
    """A completed supplementary draw with everything its transcript publishes."""

    seed: bytes
    rules: SupplementaryRules
    original: str
    previous: tuple[str, ...]
    short: tuple[ShortInspection, ...]
    inspectors: tuple[Inspector, ...]
    registers_digest: str
    assignments: tuple[SupplementaryAssignment, ...]
    finished: tuple[str, ...] = ()

    def result_document(self) -> dict[str, Any]:
        return {
            "inspections": [
                {
                    "inspectors": list(a.inspector_ids),
                    "shortfall": a.shortfall,
                    "target": a.target_id,
                }
                for a in self.assignments
            ]
        }

    def announcement_document(self) -> dict[str, Any]:
        return supplementary_announcement(
            self.commitment,
            self.original,
            self.previous,
            self.short,
            self.inspectors,
            self.rules,
            self.finished,
        )


def draw_supplementary(
    seed: bytes,
    original: str,
    previous: Sequence[str],
    short: Iterable[ShortInspection],
    inspectors: Iterable[Inspector],
    rules: SupplementaryRules,
    finished: Iterable[str] = (),
) -> SupplementaryResult:
    """Draw the missing inspectors of the short inspections, as a function of seed and registers."""
    _check_seed(seed)
    seed = bytes(seed)
    ordered_short = _checked_short(short, rules)
    ordered_inspectors = _checked_inspectors(inspectors)
    basis = _basis_document(original, previous, finished)
    digest_hex = _supplementary_digest(
        basis,
        _supplementary_registers_document(ordered_short, ordered_inspectors),
        _supplementary_rules_document(rules),
    )
    digest = bytes.fromhex(digest_hex)
    qualified = _qualified(ordered_inspectors, rules.required_qualification)
    assignments = []
    for entry in ordered_short:
        assigned = {i.id for i in entry.assigned}
        eligible = [
            i for i in qualified if i.id not in assigned and entry.target_id not in i.conflicts
        ]
        chosen = _draw_inspectors(
            RandomStream(seed, digest, "inspectors:" + entry.target_id),
            eligible,
            entry.shortfall,
            sent=(i.department for i in entry.assigned),
        )
        assignments.append(
            SupplementaryAssignment(
                target_id=entry.target_id,
                inspector_ids=tuple(i.id for i in chosen),
                shortfall=entry.shortfall - len(chosen),
            )
        )
    return SupplementaryResult(
        seed=seed,
        rules=rules,
        original=original,
        previous=tuple(previous),
        short=tuple(ordered_short),
        inspectors=tuple(ordered_inspectors),
        registers_digest=digest_hex,
        assignments=tuple(assignments),
        finished=tuple(basis.get("finished", ())),
    )


def short_inspections(
    original: Mapping[str, Any],
    previous: Sequence[Mapping[str, Any]] = (),
    finished: Collection[str] = (),
) -> list[ShortInspection]:
    """Return the inspections still short after the original draw and the ``previous`` ones.

    Read from the published transcripts alone (each assumed verified), so that
    anyone holding them can check what a supplementary draw had to fill; the
    targets in ``finished`` (their result recorded) are not to be filled.
    """
    departments = {
        entry["id"]: entry["department"] for entry in original["registers"]["inspectors"]
    }
    state: dict[str, tuple[list[str], int]] = {
        entry["target"]: (list(entry["inspectors"]), entry["shortfall"])
        for entry in original["result"]["inspections"]
    }
    for supplement in previous:
        departments.update(
            (entry["id"], entry["department"]) for entry in supplement["registers"]["inspectors"]
        )
        for entry in supplement["result"]["inspections"]:
            assigned, _shortfall = state[entry["target"]]
            state[entry["target"]] = ([*assigned, *entry["inspectors"]], entry["shortfall"])
    return [
        ShortInspection(
            target_id=target_id,
            assigned=tuple(Inspector(id=i, name="", department=departments[i]) for i in assigned),
            shortfall=shortfall,
        )
        for target_id, (assigned, shortfall) in sorted(state.items())
        if shortfall and target_id not in finished
    ]


# -- verification -----------------------------------------------------------------------------


class _Malformed(ValueError):
    pass


def transcript_differences(
    transcript: object,
    announced: object = None,
    *,
    original: object = None,
    previous: Sequence[object] = (),
) -> list[str]:
    """Recompute a published draw from its transcript; return what differs (empty: it checks out).

    With ``announced`` (the announcement published before the draw), also check
    that the transcript keeps every field the announcement published. A
    supplementary draw's transcript is recognised by its ``algorithm``; with
    ``original`` (the original draw's transcript) and ``previous`` (the task's
    earlier supplementary transcripts, in order) it is also checked to refer
    to them by their digests and to fill exactly the inspections they left short.
    """
    if isinstance(transcript, dict) and transcript.get("algorithm") == SUPPLEMENTARY_ALGORITHM:
        return _supplementary_differences(transcript, announced, original, previous)
    try:
        recomputed = _recompute(transcript)
    except (_Malformed, ValueError, TypeError) as exc:
        return [f"malformed transcript: {exc}"]
    published = cast(dict[str, Any], transcript)
    differences = _common_differences(published, recomputed)
    if not _same(published.get("result"), recomputed["result"]):
        differences.extend(_result_differences(published.get("result"), recomputed["result"]))
    for key in sorted(set(published) - set(_TRANSCRIPT_KEYS)):
        differences.append(f"{key}: not a field of a version {VERSION} transcript")
    differences.extend(_announcement_differences(announced, published, _ANNOUNCEMENT_KEYS))
    if original is not None or previous:
        differences.append("original: only a supplementary draw refers to an original draw")
    return differences


def verify_transcript(
    transcript: object,
    announced: object = None,
    *,
    original: object = None,
    previous: Sequence[object] = (),
) -> bool:
    """Say whether the transcript recomputes exactly (and matches the announcement, if given)."""
    return not transcript_differences(transcript, announced, original=original, previous=previous)


def _common_differences(published: Mapping[str, Any], recomputed: Mapping[str, Any]) -> list[str]:
    differences = []
    if not _same(published.get("commitment"), recomputed["commitment"]):
        differences.append("commitment: the seed does not match the published commitment")
    if not _same(published.get("registers_digest"), recomputed["registers_digest"]):
        differences.append(
            "registers_digest: the published registers and rules hash to "
            f"{recomputed['registers_digest']}, the transcript says "
            f"{published.get('registers_digest')}"
        )
    for key in ("algorithm", "version", "task_id"):
        if not _same(published.get(key), recomputed[key]):
            differences.append(
                f"{key}: published {published.get(key)!r}, expected {recomputed[key]!r}"
            )
    return differences


def _announcement_differences(
    announced: object, published: Mapping[str, Any], keys: Sequence[str]
) -> list[str]:
    if announced is None:
        return []
    if not isinstance(announced, Mapping):
        return ["announcement: not a JSON object"]
    differences = []
    for key in sorted(set(announced) | set(keys)):
        if key not in keys:
            differences.append(f"announcement: {key} is not a field of an announcement")
        elif not _same(announced.get(key), published.get(key)):
            differences.append(f"announcement: {key} differs from the transcript's")
    return differences


def _seed_of(document: Mapping[str, Any]) -> bytes:
    seed_hex = _string(document.get("seed"), "seed")
    try:
        seed = bytes.fromhex(seed_hex)
    except ValueError:
        raise _Malformed("seed is not hexadecimal") from None
    if len(seed) < MIN_SEED_BYTES:
        raise _Malformed(f"seed is shorter than {MIN_SEED_BYTES} bytes")
    return seed


def _integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(f"{what} is not an integer")
    return value


def _qualification_of(rules_document: Mapping[str, Any]) -> str | None:
    qualification = rules_document.get("required_qualification")
    return None if qualification is None else _string(qualification, "required_qualification")


def _inspectors_of(entries: object) -> list[Inspector]:
    inspectors = []
    for entry in _list(entries, "registers.inspectors"):
        inspector = _object(entry, "an inspector")
        inspectors.append(
            Inspector(
                id=_string(inspector.get("id"), "inspector id"),
                name="",
                department=_string(inspector.get("department"), "department"),
                qualifications=frozenset(
                    _string(q, "qualification")
                    for q in _list(inspector.get("qualifications"), "qualifications")
                ),
                conflicts=frozenset(
                    _string(c, "conflict") for c in _list(inspector.get("conflicts"), "conflicts")
                ),
            )
        )
    return inspectors


def _recompute(transcript: object) -> dict[str, Any]:
    document = _object(transcript, "transcript")
    seed = _seed_of(document)
    rules_document = _object(document.get("rules"), "rules")
    ratios = _object(rules_document.get("ratios"), "rules.ratios")
    per_target = _integer(
        rules_document.get("inspectors_per_target"), "rules.inspectors_per_target"
    )
    rules = DrawRules(
        task_id=_string(rules_document.get("task_id"), "rules.task_id"),
        ratios={c: _string(r, f"rules.ratios.{c}") for c, r in ratios.items()},
        inspectors_per_target=per_target,
        required_qualification=_qualification_of(rules_document),
    )
    registers = _object(document.get("registers"), "registers")
    targets = []
    for entry in _list(registers.get("targets"), "registers.targets"):
        target = _object(entry, "a target")
        credit_class = _string(target.get("credit_class"), "credit_class")
        if credit_class not in CREDIT_CLASSES:
            raise _Malformed(f"unknown credit class {credit_class!r}")
        targets.append(
            Target(
                id=_string(target.get("id"), "target id"),
                name="",
                credit_class=credit_class,
            )
        )
    inspectors = _inspectors_of(registers.get("inspectors"))
    recomputed = draw(seed, targets, inspectors, rules).transcript()
    # The registers and rules are recomputed in canonical order; a transcript
    # that lists them otherwise, or with other fields, no longer has the digest.
    if not _same(document.get("registers"), recomputed["registers"]):
        raise _Malformed("registers are not in canonical form")
    if not _same(rules_document, recomputed["rules"]):
        raise _Malformed("rules are not in canonical form")
    return recomputed


def _recompute_supplementary(document: Mapping[str, Any]) -> dict[str, Any]:
    seed = _seed_of(document)
    rules_document = _object(document.get("rules"), "rules")
    rules = SupplementaryRules(
        task_id=_string(rules_document.get("task_id"), "rules.task_id"),
        inspectors_per_target=_integer(
            rules_document.get("inspectors_per_target"), "rules.inspectors_per_target"
        ),
        required_qualification=_qualification_of(rules_document),
    )
    basis = _object(document.get("basis"), "basis")
    original = _string(basis.get("original"), "basis.original")
    previous = [
        _string(d, "basis.previous") for d in _list(basis.get("previous"), "basis.previous")
    ]
    finished = [
        _string(t, "basis.finished") for t in _list(basis.get("finished", []), "basis.finished")
    ]
    registers = _object(document.get("registers"), "registers")
    short = []
    for entry in _list(registers.get("inspections"), "registers.inspections"):
        inspection = _object(entry, "an inspection")
        assigned = []
        for item in _list(inspection.get("assigned"), "assigned"):
            given = _object(item, "an assigned inspector")
            assigned.append(
                Inspector(
                    id=_string(given.get("id"), "assigned inspector id"),
                    name="",
                    department=_string(given.get("department"), "department"),
                )
            )
        short.append(
            ShortInspection(
                target_id=_string(inspection.get("target"), "target id"),
                assigned=tuple(assigned),
                shortfall=_integer(inspection.get("shortfall"), "shortfall"),
            )
        )
    inspectors = _inspectors_of(registers.get("inspectors"))
    recomputed = draw_supplementary(
        seed, original, previous, short, inspectors, rules, finished
    ).transcript()
    for key in ("registers", "rules", "basis"):
        if not _same(document.get(key), recomputed[key]):
            raise _Malformed(f"{key} are not in canonical form")
    return recomputed


def _supplementary_differences(
    transcript: Mapping[str, Any],
    announced: object,
    original: object,
    previous: Sequence[object],
) -> list[str]:
    try:
        recomputed = _recompute_supplementary(transcript)
    except (_Malformed, ValueError, TypeError) as exc:
        return [f"malformed transcript: {exc}"]
    differences = _common_differences(transcript, recomputed)
    if not _same(transcript.get("result"), recomputed["result"]):
        differences.extend(
            _supplementary_result_differences(transcript.get("result"), recomputed["result"])
        )
    for key in sorted(set(transcript) - set(_SUPPLEMENTARY_TRANSCRIPT_KEYS)):
        differences.append(f"{key}: not a field of a version {VERSION} supplementary transcript")
    differences.extend(
        _announcement_differences(announced, transcript, _SUPPLEMENTARY_ANNOUNCEMENT_KEYS)
    )
    if original is not None:
        differences.extend(_basis_differences(recomputed, original, previous))
    elif previous:
        differences.append("previous: earlier supplementary draws are checked with the original")
    return differences


def _basis_differences(
    supplementary: Mapping[str, Any], original: object, previous: Sequence[object]
) -> list[str]:
    """Check that a (recomputed) supplementary draw fills what the given transcripts left short."""
    if not isinstance(original, dict) or original.get("algorithm") != ALGORITHM:
        return ["original: not the transcript of an original draw"]
    differences = [f"original: {line}" for line in transcript_differences(original)]
    if differences:
        return differences
    basis = supplementary["basis"]
    if basis["original"] != transcript_digest(original):
        differences.append(
            f"basis.original: the supplementary draw refers to {basis['original']}, "
            f"the original transcript given is {transcript_digest(original)}"
        )
    if len(previous) != len(basis["previous"]):
        differences.append(
            f"basis.previous: the supplementary draw follows {len(basis['previous'])} earlier "
            f"supplementary draws, {len(previous)} were given"
        )
        return differences
    for n, (earlier, digest) in enumerate(zip(previous, basis["previous"], strict=True), 1):
        if not isinstance(earlier, dict) or earlier.get("algorithm") != SUPPLEMENTARY_ALGORITHM:
            differences.append(f"previous {n}: not the transcript of a supplementary draw")
            continue
        differences.extend(
            f"previous {n}: {line}"
            for line in transcript_differences(
                earlier, original=original, previous=previous[: n - 1]
            )
        )
        if transcript_digest(earlier) != digest:
            differences.append(
                f"basis.previous: supplementary draw {n} given is {transcript_digest(earlier)}, "
                f"the supplementary draw refers to {digest}"
            )
    if differences:
        return differences
    if not _same(
        supplementary["rules"],
        _supplementary_rules_document(SupplementaryRules.of(_rules_of(original["rules"]))),
    ):
        differences.append("rules: differ from the original draw's inspector rules")
    transcripts = cast(Sequence[Mapping[str, Any]], previous)
    finished = basis.get("finished", [])
    left_short = {s.target_id for s in short_inspections(original, transcripts)}
    for target_id in finished:
        if target_id not in left_short:
            differences.append(f"basis.finished: {target_id} was not left short")
    expected = _supplementary_registers_document(
        short_inspections(original, transcripts, finished), []
    )["inspections"]
    if not _same(supplementary["registers"]["inspections"], expected):
        differences.append(
            "registers.inspections: not the inspections the original draw (and earlier "
            f"supplementary draws) left short: {_shown(expected)}"
        )
    return differences


def _rules_of(document: Mapping[str, Any]) -> DrawRules:
    return DrawRules(
        task_id=document["task_id"],
        ratios=dict(document["ratios"]),
        inspectors_per_target=document["inspectors_per_target"],
        required_qualification=document["required_qualification"],
    )


def _supplementary_result_differences(published: object, recomputed: dict[str, Any]) -> list[str]:
    if not isinstance(published, dict):
        return ["result: missing or not a JSON object"]
    differences = _inspection_differences(published, recomputed, extra="not short")
    return differences or [_DIFFERS_IN_FORM]


def _same(published: object, expected: object) -> bool:
    # Compared as canonical JSON so that true never passes for 1, nor 2.0 for 2.
    try:
        return canonical_json(published) == canonical_json(expected)
    except (TypeError, ValueError):
        return False


def _shown(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Malformed(f"{what} is not a JSON object")
    return cast(dict[str, Any], value)


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Malformed(f"{what} is not a JSON list")
    return value


def _string(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise _Malformed(f"{what} is not a string")
    return value


def _result_differences(published: object, recomputed: dict[str, Any]) -> list[str]:
    if not isinstance(published, dict):
        return ["result: missing or not a JSON object"]
    differences = []
    published_targets = published.get("targets")
    for credit_class in CREDIT_CLASSES:
        expected = recomputed["targets"][credit_class]
        got = published_targets.get(credit_class) if isinstance(published_targets, dict) else None
        if not _same(got, expected):
            differences.append(
                f"result: class {credit_class} targets published {_shown(got)}, "
                f"recomputed {_shown(expected)}"
            )
    differences.extend(_inspection_differences(published, recomputed, extra="not drawn"))
    return differences or [_DIFFERS_IN_FORM]


_DIFFERS_IN_FORM: Final = "result: differs from the recomputed result in form or order"


def _inspection_differences(
    published: Mapping[str, Any], recomputed: Mapping[str, Any], *, extra: str
) -> list[str]:
    """Compare a result's inspections target by target; ``extra`` says why one is not expected."""
    differences = []
    published_inspections = published.get("inspections")
    by_target = {}
    if isinstance(published_inspections, list):
        by_target = {
            entry.get("target"): entry for entry in published_inspections if isinstance(entry, dict)
        }
    for expected in recomputed["inspections"]:
        got = by_target.pop(expected["target"], None)
        if not _same(got, expected):
            differences.append(
                f"result: inspection of {expected['target']} published {_shown(got)}, "
                f"recomputed {_shown(expected)}"
            )
    for target_id in by_target:
        differences.append(f"result: inspection of {target_id} published but {extra}")
    return differences


# -- command line -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``verify TRANSCRIPT.json [--announcement FILE] [--original FILE [--previous FILE ...]]``.

    Returns 0 when it checks out, 1 when not, 2 when a file cannot be read.
    """
    parser = argparse.ArgumentParser(
        prog="python -m zhengtong.regulation.inspection_draw",
        description="Verify a published random inspection draw (双随机、一公开).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="recompute a draw from its transcript")
    verify.add_argument("transcript", type=Path)
    verify.add_argument(
        "--announcement",
        type=Path,
        help="the announcement published before the draw, to compare with",
    )
    verify.add_argument(
        "--original",
        type=Path,
        help="for a supplementary draw: the original draw's transcript it refers to",
    )
    verify.add_argument(
        "--previous",
        type=Path,
        action="append",
        default=[],
        help="for a supplementary draw: each earlier supplementary transcript, in order",
    )
    arguments = parser.parse_args(argv)
    try:
        transcript = _read_json(arguments.transcript)
        announced = _read_json(arguments.announcement) if arguments.announcement else None
        original = _read_json(arguments.original) if arguments.original else None
        previous = [_read_json(path) for path in arguments.previous]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"cannot read: {exc}", file=sys.stderr)
        return 2
    differences = transcript_differences(
        transcript, announced, original=original, previous=previous
    )
    if differences:
        for line in differences:
            print(line)
        return 1
    inspections = len(transcript["result"]["inspections"])
    if transcript["algorithm"] != SUPPLEMENTARY_ALGORITHM:
        print(f"OK: task {transcript['task_id']}, {inspections} targets drawn")
        return 0
    short = sum(1 for entry in transcript["result"]["inspections"] if entry["shortfall"])
    print(
        f"OK: task {transcript['task_id']}, supplementary draw for {inspections} targets, "
        f"{short} still short of inspectors"
    )
    if original is None:
        print("not checked against the original draw: give it with --original")
    return 0


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    sys.exit(main())
