"""The supplementary inspector draw (补充抽取) of inspection_draw: fills, exclusions, transcripts.

An original draw of four food businesses leaves 91110000D0000 short: two of
the three inspectors with the 食品 qualification must recuse themselves from
it. The register then changes (inspectors added, a recusal lifted) and a
supplementary draw fills what it can.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from zhengtong.regulation.inspection_draw import (
    SUPPLEMENTARY_ALGORITHM,
    DrawRules,
    Inspector,
    SupplementaryRules,
    Target,
    commit,
    draw,
    draw_supplementary,
    main,
    short_inspections,
    supplementary_announcement,
    transcript_differences,
    transcript_digest,
    verify_transcript,
)
from zhengtong.regulation.tests.test_inspection_draw import (
    reference_below,
    reference_digest,
    reference_words,
)

SHORT = "91110000D0000"
TARGETS = [
    Target("91110000A0000", "甲", "A"),
    Target("91110000B0000", "乙", "B"),
    Target("91110000C0000", "丙", "C"),
    Target(SHORT, "丁", "D"),
]
RULES = DrawRules(
    task_id="2026-食品-02", ratios={"A": 1, "B": 1, "C": 1, "D": 1}, required_qualification="食品"
)
ORIGINAL_INSPECTORS = [
    Inspector("E001", "张三", "市场监管局", frozenset({"食品"}), frozenset({SHORT})),
    Inspector("E002", "李四", "市场监管局", frozenset({"食品"})),
    Inspector("E003", "王五", "卫生健康委", frozenset({"食品"}), frozenset({SHORT})),
    Inspector("E004", "赵六", "卫生健康委", frozenset({"环评"})),
]


def seed_of(n: int) -> bytes:
    return hashlib.sha256(f"supplementary seed {n}".encode()).digest()


def _round_trip(document: dict[str, Any]) -> dict[str, Any]:
    # As published: through JSON and back.
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


def original_transcript() -> dict[str, Any]:
    return _round_trip(draw(seed_of(0), TARGETS, ORIGINAL_INSPECTORS, RULES).transcript())


def supplementary_transcript(
    original: dict[str, Any],
    inspectors: list[Inspector],
    previous: list[dict[str, Any]] | None = None,
    seed: int = 1,
) -> dict[str, Any]:
    previous = previous or []
    result = draw_supplementary(
        seed_of(seed),
        transcript_digest(original),
        [transcript_digest(p) for p in previous],
        short_inspections(original, previous),
        inspectors,
        SupplementaryRules.of(RULES),
    )
    return _round_trip(result.transcript())


def test_the_original_draw_leaves_one_target_short() -> None:
    original = original_transcript()
    (short,) = short_inspections(original)
    assert (short.target_id, short.shortfall) == (SHORT, 1)
    assert [i.id for i in short.assigned] == ["E002"]
    assert short.assigned[0].department == "市场监管局"


def test_it_draws_only_for_the_short_target_and_only_new_eligible_inspectors() -> None:
    original = original_transcript()
    inspectors = [
        *ORIGINAL_INSPECTORS,
        # Recused, unqualified: never drawn.
        Inspector("E005", "孙七", "应急管理局", frozenset({"食品"}), frozenset({SHORT})),
        Inspector("E006", "周八", "应急管理局", frozenset({"环评"})),
        Inspector("E007", "吴九", "卫生健康委", frozenset({"食品"})),
    ]
    for n in range(20):
        transcript = supplementary_transcript(original, inspectors, seed=n)
        (entry,) = transcript["result"]["inspections"]
        # E002, already there, is not drawn again; E007 is the only eligible newcomer.
        assert entry == {"inspectors": ["E007"], "shortfall": 0, "target": SHORT}
        assert transcript["algorithm"] == SUPPLEMENTARY_ALGORITHM
        assert verify_transcript(transcript, original=original)


def test_a_newcomer_comes_from_another_department_than_the_inspector_already_sent() -> None:
    original = original_transcript()
    inspectors = [
        *ORIGINAL_INSPECTORS,
        Inspector("E008", "郑十", "市场监管局", frozenset({"食品"})),
        Inspector("E009", "冯一", "应急管理局", frozenset({"食品"})),
    ]
    drawn = {
        supplementary_transcript(original, inspectors, seed=n)["result"]["inspections"][0][
            "inspectors"
        ][0]
        for n in range(30)
    }
    # E002 of 市场监管局 is already there: 应急管理局's E009 always goes.
    assert drawn == {"E009"}


def test_a_supplementary_draw_that_cannot_fill_stays_short_and_a_second_one_follows() -> None:
    # E001 and E003 recused, E002 assigned: two missing of the first 食品 register.
    rules = DrawRules(
        task_id="2026-食品-03",
        ratios={"D": 1},
        inspectors_per_target=3,
        required_qualification="食品",
    )
    original = json.loads(
        json.dumps(draw(seed_of(0), TARGETS, ORIGINAL_INSPECTORS, rules).transcript())
    )
    assert original["result"]["inspections"][0]["shortfall"] == 2
    one_more = [*ORIGINAL_INSPECTORS, Inspector("E010", "陈二", "应急管理局", frozenset({"食品"}))]
    first = json.loads(
        json.dumps(
            draw_supplementary(
                seed_of(1),
                transcript_digest(original),
                [],
                short_inspections(original),
                one_more,
                SupplementaryRules.of(rules),
            ).transcript()
        )
    )
    assert first["result"]["inspections"] == [
        {"inspectors": ["E010"], "shortfall": 1, "target": SHORT}
    ]
    assert verify_transcript(first, original=original)

    (still,) = short_inspections(original, [first])
    assert ([i.id for i in still.assigned], still.shortfall) == (["E002", "E010"], 1)
    lifted = [
        Inspector("E001", "张三", "市场监管局", frozenset({"食品"})),
        *one_more[1:],
    ]
    second = json.loads(
        json.dumps(
            draw_supplementary(
                seed_of(2),
                transcript_digest(original),
                [transcript_digest(first)],
                [still],
                lifted,
                SupplementaryRules.of(rules),
            ).transcript()
        )
    )
    assert second["result"]["inspections"] == [
        {"inspectors": ["E001"], "shortfall": 0, "target": SHORT}
    ]
    assert verify_transcript(second, original=original, previous=[first])
    # Without the first supplementary draw, the second does not add up.
    assert not verify_transcript(second, original=original)
    assert not verify_transcript(second, original=original, previous=[second])


def reference_supplementary(transcript: dict[str, Any]) -> dict[str, Any]:
    """The supplementary algorithm as the module's docstring states it, written apart."""
    seed = bytes.fromhex(transcript["seed"])
    digest = reference_digest(
        {
            "basis": transcript["basis"],
            "registers": transcript["registers"],
            "rules": transcript["rules"],
        }
    )

    def words(label: str) -> Iterator[int]:
        return reference_words(seed, digest, label)

    qualification = transcript["rules"]["required_qualification"]
    inspections = []
    for entry in transcript["registers"]["inspections"]:
        assigned = {x["id"] for x in entry["assigned"]}
        sent = {x["department"] for x in entry["assigned"]}
        a = [
            x
            for x in transcript["registers"]["inspectors"]
            if (qualification is None or qualification in x["qualifications"])
            and entry["target"] not in x["conflicts"]
            and x["id"] not in assigned
        ]
        k = min(entry["shortfall"], len(a))
        stream = words("inspectors:" + entry["target"])
        for i in range(k):
            used = sent | {x["department"] for x in a[:i]}
            p = [q for q in range(i, len(a)) if a[q]["department"] not in used] or list(
                range(i, len(a))
            )
            j = p[reference_below(stream, len(p))]
            a[i], a[j] = a[j], a[i]
        inspections.append(
            {
                "inspectors": [x["id"] for x in a[:k]],
                "shortfall": entry["shortfall"] - k,
                "target": entry["target"],
            }
        )
    return {"inspections": inspections}


@pytest.mark.parametrize("case", range(15))
def test_it_draws_exactly_what_the_documented_algorithm_draws(case: int) -> None:
    rng = random.Random(case)
    original = original_transcript()
    inspectors = [
        *ORIGINAL_INSPECTORS,
        *(
            Inspector(
                f"N{i:03d}",
                "",
                rng.choice(["市场监管局", "卫生健康委", "应急管理局"]),
                frozenset(rng.sample(["食品", "环评"], rng.randint(0, 2))),
                frozenset({SHORT}) if rng.random() < 0.3 else frozenset(),
            )
            for i in range(rng.randint(1, 6))
        ),
    ]
    transcript = supplementary_transcript(original, inspectors, seed=case)
    assert transcript["result"] == reference_supplementary(transcript)


def test_the_announcement_is_the_transcript_without_seed_and_result() -> None:
    original = original_transcript()
    inspectors = [
        *ORIGINAL_INSPECTORS,
        Inspector("E007", "吴九", "卫生健康委", frozenset({"食品"})),
    ]
    transcript = supplementary_transcript(original, inspectors)
    announced = supplementary_announcement(
        commit(seed_of(1)),
        transcript_digest(original),
        [],
        short_inspections(original),
        inspectors,
        SupplementaryRules.of(RULES),
    )
    assert announced == {k: v for k, v in transcript.items() if k not in ("seed", "result")}
    assert verify_transcript(transcript, announced, original=original)
    announced["registers"]["inspectors"].pop()
    assert not verify_transcript(transcript, announced, original=original)


def _set_result(t: dict[str, Any]) -> None:
    t["result"]["inspections"][0]["inspectors"] = ["E004"]


def _set_shortfall(t: dict[str, Any]) -> None:
    t["result"]["inspections"][0]["shortfall"] = 1


def _set_seed(t: dict[str, Any]) -> None:
    t["seed"] = seed_of(9).hex()


def _set_conflicts(t: dict[str, Any]) -> None:
    t["registers"]["inspectors"][-1]["conflicts"] = [SHORT]


def _set_assigned(t: dict[str, Any]) -> None:
    t["registers"]["inspections"][0]["assigned"] = []
    t["registers"]["inspections"][0]["shortfall"] = 2


def _set_basis(t: dict[str, Any]) -> None:
    t["basis"]["original"] = "0" * 64


@pytest.mark.parametrize(
    "tamper",
    [_set_result, _set_shortfall, _set_seed, _set_conflicts, _set_assigned, _set_basis],
)
def test_a_tampered_supplementary_transcript_fails(
    tamper: Callable[[dict[str, Any]], None],
) -> None:
    original = original_transcript()
    inspectors = [
        *ORIGINAL_INSPECTORS,
        Inspector("E007", "吴九", "卫生健康委", frozenset({"食品"})),
    ]
    transcript = supplementary_transcript(original, inspectors)
    assert transcript_differences(transcript, original=original) == []
    forged = copy.deepcopy(transcript)
    tamper(forged)
    assert transcript_differences(forged, original=original)


def test_a_tampered_original_or_another_task_s_original_fails() -> None:
    original = original_transcript()
    inspectors = [
        *ORIGINAL_INSPECTORS,
        Inspector("E007", "吴九", "卫生健康委", frozenset({"食品"})),
    ]
    transcript = supplementary_transcript(original, inspectors)
    forged = copy.deepcopy(original)
    forged["result"]["inspections"][-1]["inspectors"] = ["E002", "E004"]
    assert any(
        line.startswith("original:") for line in transcript_differences(transcript, original=forged)
    )
    other = json.loads(
        json.dumps(draw(seed_of(5), TARGETS, ORIGINAL_INSPECTORS, RULES).transcript())
    )
    assert any(
        line.startswith("basis.original")
        for line in transcript_differences(transcript, original=other)
    )
    # An original transcript is not a supplementary one, nor the other way round.
    assert transcript_differences(original, original=original)
    assert transcript_differences(transcript, original=transcript)


def test_the_command_line_verifies_a_supplementary_transcript_with_its_original(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    original = original_transcript()
    inspectors = [
        *ORIGINAL_INSPECTORS,
        Inspector("E007", "吴九", "卫生健康委", frozenset({"食品"})),
    ]
    transcript = supplementary_transcript(original, inspectors)
    original_path = tmp_path / "transcript.json"
    original_path.write_text(json.dumps(original, ensure_ascii=False), encoding="utf-8")
    path = tmp_path / "supplementary-1-transcript.json"
    path.write_text(json.dumps(transcript, ensure_ascii=False), encoding="utf-8")

    assert main(["verify", str(path), "--original", str(original_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: task 2026-食品-02, supplementary draw for 1 targets, 0 still short")
    assert main(["verify", str(path)]) == 0
    assert "--original" in capsys.readouterr().out

    transcript["result"]["inspections"][0]["inspectors"] = ["E001"]
    path.write_text(json.dumps(transcript, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(path), "--original", str(original_path)]) == 1
    assert f"result: inspection of {SHORT}" in capsys.readouterr().out


def test_a_finished_target_is_not_short_and_only_a_target_left_short_can_be_finished() -> None:
    original = original_transcript()
    assert [s.target_id for s in short_inspections(original)] == [SHORT]
    assert short_inspections(original, finished={SHORT}) == []

    # A draw that says a target it was never short of is finished does not verify.
    newcomer = Inspector("E007", "吴九", "卫生健康委", frozenset({"食品"}))
    result = draw_supplementary(
        seed_of(1),
        transcript_digest(original),
        [],
        short_inspections(original),
        [*ORIGINAL_INSPECTORS, newcomer],
        SupplementaryRules.of(RULES),
        ["91110000A0000"],
    )
    transcript = _round_trip(result.transcript())
    assert transcript["basis"]["finished"] == ["91110000A0000"]
    assert transcript_differences(transcript) == []
    assert transcript_differences(transcript, original=original) == [
        "basis.finished: 91110000A0000 was not left short"
    ]
