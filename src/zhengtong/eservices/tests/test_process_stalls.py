"""A step that would leave an application with nothing for anyone to do is refused."""

import shutil
from pathlib import Path

import pytest

from zhengtong.eservices import process
from zhengtong.eservices.process import ProcessError, definitions
from zhengtong.eservices.tests.process_cases import MANUAL

# The fire review goes straight to an end event, so the join still counts it
# among its incoming flows (through the refused acceptance) and waits forever.
EDITS = (
    (
        'id="Flow_fire_done" sourceRef="review_fire" targetRef="join"',
        'id="Flow_fire_done" sourceRef="review_fire" targetRef="end_rejected"',
    ),
    (
        'sourceRef="gateway_accepted" targetRef="end_rejected"',
        'sourceRef="gateway_accepted" targetRef="join"',
    ),
)


@pytest.fixture
def stranding_join(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in definitions.PROCESS_DIRECTORY.glob("restaurant_opening*"):
        shutil.copy(path, tmp_path / path.name)
    bpmn = tmp_path / "restaurant_opening.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    for old, new in EDITS:
        assert old in text
        text = text.replace(old, new, 1)
    bpmn.write_text(text, encoding="utf-8")
    monkeypatch.setattr(definitions, "PROCESS_DIRECTORY", tmp_path)


@pytest.mark.usefixtures("stranding_join")
def test_a_step_that_leaves_nothing_to_do_is_refused() -> None:
    instance = process.start("restaurant_opening", MANUAL["restaurant_opening"])
    accept = instance.ready_user_tasks()[0]
    reviews = instance.complete(accept.id, dict.fromkeys(accept.requires, True))
    fire = next(task for task in reviews if task.bpmn_id == "review_fire")
    for task in reviews:
        if task is not fire:
            instance.complete(task.id, dict.fromkeys(task.requires, True))

    with pytest.raises(ProcessError) as caught:
        instance.complete(fire.id, dict.fromkeys(fire.requires, True))
    assert caught.value.code == "stalled"
    assert caught.value.detail == {"process": "restaurant_opening", "waiting": ["join"]}
