"""A process file may not make an application wait for something that never comes."""

import shutil
from pathlib import Path

import pytest

from zhengtong.eservices.process import PROCESS_DIRECTORY, ProcessError, parse_process

START = "<bpmn:outgoing>Flow_to_risk_check</bpmn:outgoing>\n    </bpmn:startEvent>"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for path in PROCESS_DIRECTORY.glob("food_business_licence*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.mark.parametrize(
    ("definition", "kind"),
    [
        (
            '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
            "</bpmn:timerEventDefinition>",
            "timerEventDefinition",
        ),
        (
            '<bpmn:timerEventDefinition><bpmn:timeDate>"2099-01-01T00:00:00"</bpmn:timeDate>'
            "</bpmn:timerEventDefinition>",
            "timerEventDefinition",
        ),
        ("<bpmn:signalEventDefinition />", "signalEventDefinition"),
    ],
)
def test_it_refuses_a_start_event_that_waits(files: Path, definition: str, kind: str) -> None:
    path = files / "food_business_licence.bpmn"
    text = path.read_text(encoding="utf-8")
    assert START in text
    end = "\n    </bpmn:startEvent>"
    waiting = START.replace(end, f"\n      {definition}{end}")
    path.write_text(text.replace(START, waiting, 1), encoding="utf-8")
    with pytest.raises(ProcessError) as caught:
        parse_process("food_business_licence", files)
    assert caught.value.code == "unsupported_element"
    assert caught.value.detail == {
        "file": "food_business_licence.bpmn",
        "element": "start",
        "kind": kind,
    }
