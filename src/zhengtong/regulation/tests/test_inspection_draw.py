"""The random inspection draw: determinism, recusal, ratios, fairness, a checkable transcript."""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from fractions import Fraction
from itertools import combinations
from typing import Any

import pytest

from zhengtong.regulation.inspection_draw import (
    DrawRules,
    Inspector,
    RandomStream,
    Target,
    announcement,
    commit,
    draw,
    main,
    new_seed,
    registers_digest,
    transcript_differences,
    verify_commitment,
    verify_transcript,
)

# Critical values of the chi-square distribution at p = 0.001.
CHI2_CRITICAL_0_001 = {3: 16.27, 4: 18.47, 5: 20.52}


def seed_of(n: int) -> bytes:
    return hashlib.sha256(f"test seed {n}".encode()).digest()


def targets_of(counts: dict[str, int]) -> list[Target]:
    return [
        Target(f"91110000{credit_class}{i:04d}", f"企业{credit_class}{i}", credit_class)  # type: ignore[arg-type]
        for credit_class, count in counts.items()
        for i in range(count)
    ]


# The market bureau's and the environment bureau's inspectors; 王五 is related
# to the owner of the first class-A enterprise and must recuse himself from it.
INSPECTORS = [
    Inspector("E001", "张三", "市场监管局", frozenset({"食品", "特种设备"})),
    Inspector("E002", "李四", "市场监管局", frozenset({"食品"})),
    Inspector("E003", "王五", "生态环境局", frozenset({"食品"}), frozenset({"91110000A0000"})),
    Inspector("E004", "赵六", "生态环境局", frozenset({"环评"})),
    Inspector("E005", "孙七", "应急管理局", frozenset({"食品", "环评"})),
]
RULES = DrawRules(
    task_id="2025-食品-01",
    ratios={"A": Fraction(1, 20), "B": Fraction(1, 10), "C": Fraction(3, 10), "D": 1},
)
TARGETS = targets_of({"A": 21, "B": 10, "C": 7, "D": 3})


def random_registers(rng: random.Random) -> tuple[list[Target], list[Inspector]]:
    targets = targets_of({c: rng.randint(0, 12) for c in "ABCD"})
    ids = [t.id for t in targets]
    inspectors = [
        Inspector(
            f"E{i:03d}",
            f"检查员{i}",
            rng.choice(["市场监管局", "生态环境局", "应急管理局"]),
            frozenset(rng.sample(["食品", "环评", "特种设备"], rng.randint(0, 3))),
            frozenset(rng.sample(ids, min(len(ids), rng.randint(0, 6)))),
        )
        for i in range(rng.randint(2, 9))
    ]
    rng.shuffle(targets)
    return targets, inspectors


# -- an independent implementation of the documented algorithm ------------------------------


def reference_digest(document: dict[str, Any]) -> bytes:
    """The documented SHA-256 of a document's canonical JSON, written apart from the module."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).digest()


def reference_words(seed: bytes, digest: bytes, label: str) -> Iterator[int]:
    """The documented stream of 64-bit words for one label, written apart from the module."""
    block = 0
    while True:
        raw = hashlib.sha256(seed + digest + label.encode() + block.to_bytes(8, "big")).digest()
        for offset in range(0, 32, 8):
            yield int.from_bytes(raw[offset : offset + 8], "big")
        block += 1


def reference_below(stream: Iterator[int], n: int) -> int:
    """The documented unbiased integer in [0, n) from the stream."""
    for word in stream:
        if word < (2**64 // n) * n:
            return int(word % n)
    raise AssertionError


def reference_draw(seed: bytes, registers: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """The algorithm as docs/regulation-draw.md states it, written apart from the module."""
    digest = reference_digest({"registers": registers, "rules": rules})

    def words(label: str) -> Iterator[int]:
        return reference_words(seed, digest, label)

    drawn = {}
    for credit_class in "ABCD":
        a = sorted(t["id"] for t in registers["targets"] if t["credit_class"] == credit_class)
        k = math.ceil(Fraction(rules["ratios"][credit_class]) * len(a))
        stream = words("targets:" + credit_class)
        for i in range(k):
            j = i + reference_below(stream, len(a) - i)
            a[i], a[j] = a[j], a[i]
        for target in a[:k]:
            drawn[target] = credit_class
    inspections = []
    for target in sorted(drawn):
        a = [
            x
            for x in registers["inspectors"]
            if (
                rules["required_qualification"] is None
                or rules["required_qualification"] in x["qualifications"]
            )
            and target not in x["conflicts"]
        ]
        wanted = rules["inspectors_per_target"]
        k = min(wanted, len(a))
        stream = words("inspectors:" + target)
        for i in range(k):
            used = {x["department"] for x in a[:i]}
            p = [q for q in range(i, len(a)) if a[q]["department"] not in used] or list(
                range(i, len(a))
            )
            j = p[reference_below(stream, len(p))]
            a[i], a[j] = a[j], a[i]
        inspections.append(
            {
                "credit_class": drawn[target],
                "inspectors": [x["id"] for x in a[:k]],
                "shortfall": wanted - k,
                "target": target,
            }
        )
    return {
        "inspections": inspections,
        "targets": {c: sorted(t for t in drawn if drawn[t] == c) for c in "ABCD"},
    }


@pytest.mark.parametrize("case", range(25))
def test_it_draws_exactly_what_the_documented_algorithm_draws(case: int) -> None:
    rng = random.Random(case)
    targets, inspectors = random_registers(rng)
    rules = DrawRules(
        task_id=f"task-{case}",
        ratios={c: Fraction(rng.randint(0, 10), 10) for c in "ABCD"},
        inspectors_per_target=rng.randint(2, 4),
        required_qualification=rng.choice([None, "食品"]),
    )
    transcript = draw(seed_of(case), targets, inspectors, rules).transcript()

    assert transcript["result"] == reference_draw(
        seed_of(case), transcript["registers"], transcript["rules"]
    )


def test_its_stream_rejects_the_words_that_would_bias_a_modulo() -> None:
    seed, digest, n = seed_of(1), hashlib.sha256(b"registers").digest(), 2**63 + 1
    # With n just above 2**63 only words below n are kept: about half are rejected.
    raw = b"".join(
        hashlib.sha256(seed + digest + b"label" + i.to_bytes(8, "big")).digest() for i in range(64)
    )
    words = [int.from_bytes(raw[k : k + 8], "big") for k in range(0, len(raw), 8)]
    expected = [w for w in words if w < n][:40]
    stream = RandomStream(seed, digest, "label")

    assert [stream.below(n) for _ in expected] == expected
    assert len(expected) < words.index(expected[-1]) + 1  # some words were rejected


# -- determinism, ratios, recusal ---------------------------------------------------------------


def test_the_same_seed_and_registers_give_the_same_draw_in_any_input_order() -> None:
    first = draw(seed_of(1), TARGETS, INSPECTORS, RULES)
    shuffled_targets, shuffled_inspectors = list(TARGETS), list(INSPECTORS)
    random.Random(7).shuffle(shuffled_targets)
    random.Random(8).shuffle(shuffled_inspectors)
    again = draw(seed_of(1), shuffled_targets, shuffled_inspectors, RULES)

    assert again.transcript() == first.transcript()


def test_another_seed_gives_another_draw() -> None:
    # 4 of 40 targets: two seeds agree by chance once in 91,390 draws.
    targets = targets_of({"A": 40})
    rules = DrawRules(task_id="t", ratios={"A": "1/10"})
    picks = {draw(seed_of(n), targets, INSPECTORS, rules).picked["A"] for n in range(5)}

    assert len(picks) == 5


def test_it_draws_each_class_by_its_ratio_rounded_up() -> None:
    result = draw(seed_of(2), TARGETS, INSPECTORS, RULES)

    # 5 % of 21 is 1.05, 10 % of 10 is 1, 30 % of 7 is 2.1, 100 % of 3 is 3.
    assert {c: len(ids) for c, ids in result.picked.items()} == {"A": 2, "B": 1, "C": 3, "D": 3}
    by_class = {t.id: t.credit_class for t in TARGETS}
    assert all(by_class[i] == c for c, ids in result.picked.items() for i in ids)
    assert len({a.target_id for a in result.assignments}) == 9


def test_it_takes_a_float_ratio_at_its_decimal_value() -> None:
    # 0.1 in binary is a little above 1/10, so a naive ceil(0.1 * 30) gives 4.
    targets = targets_of({"B": 30, "C": 0})
    result = draw(seed_of(3), targets, INSPECTORS, DrawRules(task_id="t", ratios={"B": 0.1}))

    assert len(result.picked["B"]) == 3
    assert result.picked["A"] == result.picked["C"] == ()
    assert result.transcript()["rules"]["ratios"] == {"A": "0", "B": "1/10", "C": "0", "D": "0"}


def test_it_never_sends_an_inspector_who_must_recuse_or_lacks_the_qualification() -> None:
    for case in range(200):
        rng = random.Random(1000 + case)
        targets, inspectors = random_registers(rng)
        rules = DrawRules(task_id="t", ratios={c: 1 for c in "ABCD"}, required_qualification="食品")
        result = draw(seed_of(case), targets, inspectors, rules)
        by_id = {i.id: i for i in inspectors}
        for assignment in result.assignments:
            chosen = [by_id[i] for i in assignment.inspector_ids]
            assert all(assignment.target_id not in i.conflicts for i in chosen)
            assert all("食品" in i.qualifications for i in chosen)
            assert len(set(assignment.inspector_ids)) == len(chosen)
            eligible = [
                i
                for i in inspectors
                if "食品" in i.qualifications and assignment.target_id not in i.conflicts
            ]
            assert len(chosen) == min(2, len(eligible))
            assert assignment.shortfall == 2 - len(chosen)
            if len({i.department for i in eligible}) > 1:
                assert len({i.department for i in chosen}) == 2


def test_it_reports_a_shortfall_instead_of_drawing_fewer_inspectors_silently() -> None:
    # For 91110000A0000 only 张三, 李四 and 孙七 hold 食品 and have no conflict.
    target = targets_of({"A": 1})
    rules = DrawRules(
        task_id="t", ratios={"A": 1}, inspectors_per_target=4, required_qualification="食品"
    )
    result = draw(seed_of(4), target, INSPECTORS, rules)

    (assignment,) = result.assignments
    assert sorted(assignment.inspector_ids) == ["E001", "E002", "E005"]
    assert assignment.shortfall == 1
    assert not result.complete
    assert result.shortfalls == {"91110000A0000": 1}
    assert result.transcript()["result"]["inspections"][0]["shortfall"] == 1


def test_a_target_nobody_may_inspect_is_drawn_with_its_full_shortfall() -> None:
    target = targets_of({"D": 1})
    rules = DrawRules(task_id="t", ratios={"D": 1}, required_qualification="无人具备")
    result = draw(seed_of(5), target, INSPECTORS, rules)

    assert result.picked["D"] == ("91110000D0000",)
    assert result.shortfalls == {"91110000D0000": 2}


# -- fairness -----------------------------------------------------------------------------------


def chi_square(counts: Counter[Any], categories: list[Any], draws: int) -> float:
    expected = draws / len(categories)
    return sum((counts[c] - expected) ** 2 / expected for c in categories)


def test_each_of_five_targets_is_drawn_equally_often() -> None:
    targets = targets_of({"C": 5})
    rules = DrawRules(task_id="t", ratios={"C": Fraction(1, 5)})
    draws = 3000
    counts = Counter(
        draw(seed_of(n), targets, INSPECTORS, rules).picked["C"][0] for n in range(draws)
    )

    assert chi_square(counts, [t.id for t in targets], draws) < CHI2_CRITICAL_0_001[4]


def test_each_pair_of_inspectors_from_different_departments_is_equally_likely() -> None:
    target = targets_of({"A": 1})
    inspectors = [Inspector(f"E{i}", "", f"局{i}") for i in range(4)]
    rules = DrawRules(task_id="t", ratios={"A": 1})
    draws = 3000
    counts = Counter(
        frozenset(draw(seed_of(n), target, inspectors, rules).assignments[0].inspector_ids)
        for n in range(draws)
    )
    pairs = [frozenset(p) for p in combinations(["E0", "E1", "E2", "E3"], 2)]

    assert set(counts) == set(pairs)
    assert chi_square(counts, pairs, draws) < CHI2_CRITICAL_0_001[5]


def test_two_inspectors_of_one_department_are_never_paired_when_another_department_can_go() -> None:
    target = targets_of({"A": 1})
    inspectors = [
        Inspector("E0", "", "市场监管局"),
        Inspector("E1", "", "市场监管局"),
        Inspector("E2", "", "生态环境局"),
        Inspector("E3", "", "生态环境局"),
    ]
    rules = DrawRules(task_id="t", ratios={"A": 1})
    draws = 2000
    counts = Counter(
        frozenset(draw(seed_of(n), target, inspectors, rules).assignments[0].inspector_ids)
        for n in range(draws)
    )
    mixed = [frozenset({a, b}) for a in ("E0", "E1") for b in ("E2", "E3")]

    assert set(counts) == set(mixed)
    assert chi_square(counts, mixed, draws) < CHI2_CRITICAL_0_001[3]


# -- commitment and transcript ------------------------------------------------------------------


def test_a_commitment_opens_only_with_its_seed() -> None:
    seed = new_seed()

    assert len(seed) == 32
    assert new_seed() != seed
    assert commit(seed) == hashlib.sha256(b"zhengtong-draw-commit-v1\x00" + seed).hexdigest()
    assert verify_commitment(commit(seed), seed)
    assert not verify_commitment(commit(seed), seed[:-1] + bytes([seed[-1] ^ 1]))
    assert not verify_commitment("not a commitment", seed)
    with pytest.raises(ValueError, match="32 bytes"):
        commit(b"short")


def test_a_transcript_verifies_after_a_round_trip_through_json() -> None:
    result = draw(seed_of(6), TARGETS, INSPECTORS, RULES)
    published = json.loads(json.dumps(result.transcript(), ensure_ascii=False))

    assert verify_transcript(published)
    assert published["seed"] == seed_of(6).hex()
    assert published["commitment"] == commit(seed_of(6))
    assert published["registers_digest"] == registers_digest(TARGETS, INSPECTORS, RULES)
    assert {"E003"} == {
        i["id"] for i in published["registers"]["inspectors"] if "91110000A0000" in i["conflicts"]
    }


def test_the_announcement_is_the_transcript_without_seed_and_result() -> None:
    seed = seed_of(7)
    announced = announcement(commit(seed), TARGETS, INSPECTORS, RULES)
    transcript = draw(seed, TARGETS, INSPECTORS, RULES).transcript()

    assert {k: v for k, v in transcript.items() if k not in ("seed", "result")} == announced
    assert verify_transcript(transcript, announced)
    other = announcement(commit(seed_of(8)), TARGETS, INSPECTORS, RULES)
    assert transcript_differences(transcript, other) == [
        "announcement: commitment differs from the transcript's"
    ]


def test_names_are_not_part_of_the_draw() -> None:
    renamed = [Target(t.id, "改名", t.credit_class) for t in TARGETS]

    assert registers_digest(renamed, INSPECTORS, RULES) == registers_digest(
        TARGETS, INSPECTORS, RULES
    )


def published_draw() -> dict[str, Any]:
    published = draw(seed_of(9), TARGETS, INSPECTORS, RULES).transcript()
    transcript: dict[str, Any] = json.loads(json.dumps(published))
    return transcript


def with_digest_recomputed(transcript: dict[str, Any]) -> dict[str, Any]:
    document = {"registers": transcript["registers"], "rules": transcript["rules"]}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    transcript["registers_digest"] = hashlib.sha256(canonical.encode()).hexdigest()
    return transcript


def test_changing_a_targets_class_fails_verification() -> None:
    transcript = published_draw()
    target = next(t for t in transcript["registers"]["targets"] if t["credit_class"] == "A")
    target["credit_class"] = "B"

    assert any(d.startswith("registers_digest") for d in transcript_differences(transcript))
    # A forger who also fixes the digest changes every stream, and the result no longer follows.
    assert any(
        d.startswith("result") for d in transcript_differences(with_digest_recomputed(transcript))
    )


def test_changing_an_inspectors_conflicts_fails_verification() -> None:
    transcript = published_draw()
    transcript["registers"]["inspectors"][2]["conflicts"] = []

    assert not verify_transcript(transcript)
    assert not verify_transcript(with_digest_recomputed(transcript))


def test_changing_the_seed_fails_verification() -> None:
    transcript = published_draw()
    transcript["seed"] = seed_of(10).hex()

    differences = transcript_differences(transcript)
    assert "commitment: the seed does not match the published commitment" in differences


def test_changing_the_result_fails_verification() -> None:
    transcript = published_draw()
    inspection = transcript["result"]["inspections"][0]
    inspection["inspectors"] = list(reversed(inspection["inspectors"]))

    (difference,) = transcript_differences(transcript)
    assert difference.startswith(f"result: inspection of {inspection['target']} published")
    published, recomputed = difference.split(" published ")[1].split(", recomputed ")
    assert json.loads(published) == inspection
    assert json.loads(recomputed)["inspectors"] == list(reversed(inspection["inspectors"]))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t["result"]["targets"]["D"].pop(),
        lambda t: t["result"]["inspections"].pop(),
        lambda t: t["result"]["inspections"][0].update(shortfall=False),
        lambda t: t["rules"].update(inspectors_per_target=3),
        lambda t: t["rules"]["ratios"].update(A="0.05"),
        lambda t: t["registers"]["targets"].reverse(),
        lambda t: t.update(version=True),
        lambda t: t.update(note="补充说明"),
        lambda t: t.pop("result"),
        lambda t: t.update(seed="zz"),
        lambda t: t.update(seed=t["seed"][:32]),
        lambda t: t["registers"]["inspectors"].append(t["registers"]["inspectors"][0]),
        lambda t: t["registers"].update(targets=None),
    ],
)
def test_any_other_change_fails_verification_without_raising(tamper: Any) -> None:
    transcript = published_draw()
    tamper(transcript)

    assert not verify_transcript(transcript)


def test_hostile_transcripts_are_refused_without_raising() -> None:
    hostile: list[object] = [None, [], "transcript", {"seed": 1}, {"seed": "00" * 32, "rules": []}]
    for transcript in hostile:
        assert transcript_differences(transcript)[0].startswith("malformed transcript")


# -- validation and the command line ------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DrawRules(task_id="t", ratios={"A": 1.5}), "between 0 and 1"),
        (lambda: DrawRules(task_id="t", ratios={"E": 1}), "unknown credit classes"),
        (lambda: DrawRules(task_id="t", ratios={"A": 1}, inspectors_per_target=1), "at least 2"),
        (lambda: DrawRules(task_id="", ratios={}), "task_id"),
        (lambda: draw(b"short", TARGETS, INSPECTORS, RULES), "32 bytes"),
        (lambda: draw(seed_of(1), [*TARGETS, TARGETS[0]], INSPECTORS, RULES), "appears twice"),
        (
            lambda: draw(seed_of(1), [Target("X", "", "E")], INSPECTORS, RULES),  # type: ignore[arg-type]
            "unknown credit class",
        ),
    ],
)
def test_it_refuses_registers_and_rules_that_name_no_draw(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_the_command_line_verifier_says_ok_or_what_differs(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    transcript = published_draw()
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(transcript, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(path)]) == 0
    assert capsys.readouterr().out.startswith("OK")

    transcript["seed"] = seed_of(11).hex()
    path.write_text(json.dumps(transcript), encoding="utf-8")
    assert main(["verify", str(path)]) == 1
    assert "commitment" in capsys.readouterr().out

    path.write_text("{", encoding="utf-8")
    assert main(["verify", str(path)]) == 2


def test_the_command_line_verifier_runs_without_django(tmp_path: Any) -> None:
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(published_draw()), encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import runpy, sys; sys.argv = ['verify', 'verify', sys.argv[1]]\n"
        "try:\n    runpy.run_module('zhengtong.regulation.inspection_draw', run_name='__main__')\n"
        "except SystemExit as done:\n    print('django' in sys.modules, done.code)\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )

    assert finished.stdout.splitlines()[-2:] == [
        "OK: task 2025-食品-01, 9 targets drawn",
        "False 0",
    ]
