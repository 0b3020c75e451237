"""A process file may not make an application wait for something that never comes."""

from pathlib import Path

import pytest

from zhengtong.eservices.process import ProcessError, parse_process
from zhengtong.eservices.tests.test_process_files import files

START = "<bpmn:outgoing>Flow_to_risk_check</bpmn:outgoing>\n    </bpmn:startEvent>"


__all__ = ["files"]


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
