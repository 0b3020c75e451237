"""An application runs to its end on the process version it started on.

An install that updates a process file (a step dropped, a decision table
changed) deploys a new version: new applications take it, while those in
flight finish on the version stored when they started. A state whose version
was never stored (saved before versions were) runs on today's files if every
element it stands on is still there, and is refused otherwise.
"""

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhengtong.eservices import process
from zhengtong.eservices.models import Application, ProcessVersion
from zhengtong.eservices.process import ProcessError, ProcessFiles, definitions
from zhengtong.eservices.tests.process_cases import MANUAL
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    MANUAL_FORM,
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import URL, do_step, open_task, submitted
from zhengtong.ledger.models import LedgerEntry

__all__ = ["cast"]

PROCESS = "food_business_licence"
BPMN = f"{PROCESS}.bpmn"
AUTO_APPROVAL = f"{PROCESS}.auto_approval.dmn"


def _copy_of_shipped_files(directory: Path) -> Path:
    directory.mkdir()
    for path in definitions.PROCESS_DIRECTORY.glob(f"{PROCESS}*"):
        shutil.copy(path, directory / path.name)
    return directory


def _edit(path: Path, old: str, new: str, *, flags: int = 0) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(old, new, text, count=1, flags=flags)
    assert count == 1, old
    path.write_text(changed, encoding="utf-8")


def _without_review(directory: Path) -> Path:
    """Version 2 of the process: the 审查 step is dropped, 受理 leads straight to 决定."""
    bpmn = directory / BPMN
    _edit(bpmn, r'\s*<bpmn:userTask id="review".*?</bpmn:userTask>', "", flags=re.S)
    _edit(bpmn, r"\s*<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", "")
    _edit(bpmn, r'\s*<bpmn:sequenceFlow id="Flow_to_decide"[^>]*/>', "")
    _edit(bpmn, r'(id="Flow_accepted"[^>]*)targetRef="review"', r'\1targetRef="decide"')
    _edit(
        bpmn,
        r"<bpmn:incoming>Flow_to_decide</bpmn:incoming>",
        "<bpmn:incoming>Flow_accepted</bpmn:incoming>",
    )
    return directory


def _no_more_instant_approval(directory: Path) -> Path:
    """Version 2 of the 秒批 table: small food shops go to staff too."""
    _edit(
        directory / AUTO_APPROVAL,
        r'(<outputEntry id="OutputEntry_1_1">\s*<text>)True(</text>)',
        r"\1False\2",
    )
    return directory


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Today's process files in a directory of their own, as shipped."""
    directory = _copy_of_shipped_files(tmp_path / "v1")
    monkeypatch.setattr(definitions, "PROCESS_DIRECTORY", directory)
    # A fresh server: no stored version parsed yet.
    monkeypatch.setattr(definitions, "_VERSIONS", {})
    return directory


def _deploy(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    # An install puts new files in place and restarts the servers; a fresh
    # directory stands for both (parsed files are cached per directory).
    monkeypatch.setattr(definitions, "PROCESS_DIRECTORY", directory)


def _digest(number: str) -> str:
    return str(Application.objects.get(number=number).process_state["digest"])


def _accepted(cast: ApplicationsCast, form: dict[str, object]) -> str:
    number = str(submitted(logged_in(cast.applicant), cast, form)["number"])
    body = do_step(logged_in(cast.clerk), number, passed=True)
    assert body["state"] == "accepted"
    return number


def test_an_application_in_flight_keeps_a_step_the_new_version_dropped(
    cast: ApplicationsCast, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _accepted(cast, MANUAL_FORM)
    assert open_task(logged_in(cast.reviewer), started)["step"] == "review"
    first = _digest(started)

    _deploy(monkeypatch, _without_review(_copy_of_shipped_files(tmp_path / "v2")))
    newer = _accepted(cast, MANUAL_FORM)
    second = _digest(newer)
    assert second != first
    # The new application goes from 受理 straight to 决定.
    assert open_task(logged_in(cast.leader), newer)["step"] == "decide"

    # The one in flight still has its 审查, and ends on its own version.
    body = do_step(logged_in(cast.reviewer), started, passed=True, opinion="符合许可条件")
    assert [t["step"] for t in body["tasks"] if not t["completed_at"]] == ["decide"]
    body = do_step(logged_in(cast.leader), started, passed=True, opinion="准予许可")
    assert body["state"] == "approved" and body["licence_number"]
    assert _digest(started) == first

    body = do_step(logged_in(cast.leader), newer, passed=True, opinion="准予许可")
    assert body["state"] == "approved"
    assert [t["step"] for t in body["tasks"]] == ["accept", "decide"]

    versions = ProcessVersion.objects.filter(process_id=PROCESS)
    assert sorted(versions.values_list("digest", flat=True)) == sorted([first, second])
    stored = versions.get(digest=first)
    assert stored.bpmn == (files / BPMN).read_text(encoding="utf-8")
    assert set(stored.dmn) == {path.name for path in files.glob(f"{PROCESS}.*.dmn")}
    entries = LedgerEntry.objects.filter(action="eservices.record_process_version")
    assert {(entry.subject_type, entry.subject_id) for entry in entries} == {
        ("eservices.ProcessVersion", str(pk)) for pk in versions.values_list("pk", flat=True)
    }


def test_a_changed_decision_table_applies_to_new_applications_only(
    cast: ApplicationsCast, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant = submitted(logged_in(cast.applicant), cast, AUTOMATIC_FORM)
    assert instant["state"] == "approved"
    started = _accepted(cast, MANUAL_FORM)
    first = _digest(started)

    _deploy(monkeypatch, _no_more_instant_approval(_copy_of_shipped_files(tmp_path / "v2")))
    # A small shop now waits for the window instead of the 秒批.
    waiting = submitted(logged_in(cast.applicant), cast, AUTOMATIC_FORM)
    assert waiting["state"] == "submitted"
    assert [t["step"] for t in waiting["tasks"]] == ["accept"]

    do_step(logged_in(cast.reviewer), started, passed=True)
    body = do_step(logged_in(cast.leader), started, passed=True)
    assert body["state"] == "approved"
    assert _digest(started) == first == _digest(instant["number"])
    assert _digest(waiting["number"]) != first


def test_a_version_is_recorded_once_however_often_it_is_used(
    cast: ApplicationsCast, files: Path
) -> None:
    for _ in range(2):
        _accepted(cast, MANUAL_FORM)
    assert ProcessVersion.objects.filter(process_id=PROCESS).count() == 1
    assert LedgerEntry.objects.filter(action="eservices.record_process_version").count() == 1


def test_a_state_without_its_version_whose_step_is_gone_is_refused(
    cast: ApplicationsCast, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _accepted(cast, MANUAL_FORM)
    # As if saved before versions were stored: only the digest names the version.
    ProcessVersion.objects.all().delete()
    _deploy(monkeypatch, _without_review(_copy_of_shipped_files(tmp_path / "v2")))

    reviewer = logged_in(cast.reviewer)
    task = open_task(reviewer, started)
    assert reviewer.post(f"{URL}/tasks/{task['id']}/claim").status_code == 200
    refused = reviewer.post(
        f"{URL}/tasks/{task['id']}/complete", {"passed": True}, content_type="application/json"
    )
    assert refused.status_code == 400, refused.content.decode()
    assert refused.json()["code"] == "state_incompatible"
    assert "review" in refused.json()["detail"]["elements"]
    assert Application.objects.get(number=started).state == "accepted"


def test_a_state_without_its_version_runs_on_todays_files_when_they_fit(
    cast: ApplicationsCast, files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _accepted(cast, MANUAL_FORM)
    ProcessVersion.objects.all().delete()
    _deploy(monkeypatch, _no_more_instant_approval(_copy_of_shipped_files(tmp_path / "v2")))
    today = process.load_process(PROCESS).digest

    do_step(logged_in(cast.reviewer), started, passed=True)
    # From here on it is pinned to today's files, stored at the step.
    assert _digest(started) == today
    assert ProcessVersion.objects.filter(process_id=PROCESS, digest=today).exists()
    body = do_step(logged_in(cast.leader), started, passed=True)
    assert body["state"] == "approved"


def test_the_workbench_shows_the_version_an_application_runs_on(
    cast: ApplicationsCast, files: Path
) -> None:
    number = str(submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"])
    clerk = logged_in(cast.clerk)
    task = open_task(clerk, number)
    page = clerk.get(f"/services/work/{task['id']}/").content.decode()
    version = ProcessVersion.objects.get(process_id=PROCESS)
    assert re.search(
        rf'id="process-version"><code title="{version.digest}">{version.digest[:12]}</code>', page
    )


# -- the engine: stored versions go through the same checks ---------------------------


def _state_on(files: ProcessFiles) -> dict[str, object]:
    state = process.start(PROCESS, MANUAL[PROCESS]).serialize()
    return {**state, "digest": files.digest()}


def test_a_stored_version_is_checked_like_todays_files(files: Path) -> None:
    shipped = process.read_process_files(PROCESS)
    unsafe = ProcessFiles(
        process_id=PROCESS,
        bpmn=shipped.bpmn.replace(b"accepted == True", b"__import__('os') == True", 1),
        dmn=shipped.dmn,
    )
    assert unsafe.bpmn != shipped.bpmn
    with pytest.raises(ProcessError) as caught:
        process.restore(PROCESS, _state_on(unsafe), versions=lambda _p, _d: unsafe)
    assert caught.value.code == "unsafe_expression"


def test_a_stored_version_whose_files_do_not_match_its_digest_is_refused(files: Path) -> None:
    shipped = process.read_process_files(PROCESS)
    changed = ProcessFiles(process_id=PROCESS, bpmn=shipped.bpmn + b"\n", dmn=shipped.dmn)
    state = {**_state_on(changed), "digest": "0" * 64}
    with pytest.raises(ProcessError) as caught:
        process.restore(PROCESS, state, versions=lambda _p, _d: changed)
    assert caught.value.code == "version_mismatch"


def test_a_stored_version_is_parsed_once(files: Path) -> None:
    shipped = process.read_process_files(PROCESS)
    other = ProcessFiles(process_id=PROCESS, bpmn=shipped.bpmn + b"\n", dmn=shipped.dmn)
    state = _state_on(other)
    asked: list[str] = []

    def versions(process_id: str, digest: str) -> ProcessFiles:
        asked.append(digest)
        return other

    first = process.restore(PROCESS, state, versions=versions)
    second = process.restore(PROCESS, json.loads(json.dumps(state)), versions=versions)
    assert first.definition is second.definition
    assert first.definition.digest == other.digest() != process.load_process(PROCESS).digest
    assert len(asked) <= 1


# -- a version known stored is not asked for again ------------------------------------


def _process_version_queries(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "eservices_processversion" in q["sql"]]


def test_a_step_does_not_ask_again_whether_a_version_known_stored_is_stored(
    cast: ApplicationsCast, django_capture_on_commit_callbacks: Any
) -> None:
    # The submission stores the version; its commit makes this process remember it.
    with django_capture_on_commit_callbacks(execute=True):
        number = str(submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"])
    assert ProcessVersion.objects.filter(process_id=PROCESS).count() == 1

    with CaptureQueriesContext(connection) as queries:
        body = do_step(logged_in(cast.clerk), number, passed=True)
    assert body["state"] == "accepted"
    assert _process_version_queries(queries) == []


def test_a_version_read_in_a_transaction_rolled_back_is_asked_for_again(
    cast: ApplicationsCast, files: Path
) -> None:
    # Without running the on-commit callbacks the test's transaction never
    # commits: nothing stored in it may be remembered as stored.
    number = str(submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"])
    with CaptureQueriesContext(connection) as queries:
        do_step(logged_in(cast.clerk), number, passed=True)
    assert _process_version_queries(queries)


def test_a_version_remembered_but_found_missing_is_stored_again(
    cast: ApplicationsCast,
    files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        started = _accepted(cast, MANUAL_FORM)
    first = _digest(started)
    # The rows are gone (a database restored from an older backup, say), while
    # this process still remembers the version as stored.
    ProcessVersion.objects.all().delete()
    _deploy(monkeypatch, _no_more_instant_approval(_copy_of_shipped_files(tmp_path / "v2")))
    # The step looks the version up, misses it and runs on today's files.
    do_step(logged_in(cast.reviewer), started, passed=True)
    assert _digest(started) != first

    # The first version deployed again: its next use stores it again.
    _deploy(monkeypatch, files)
    newer = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    assert _digest(str(newer)) == first
    assert ProcessVersion.objects.filter(process_id=PROCESS, digest=first).exists()
