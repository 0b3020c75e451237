"""Benchmark complete online applications against bare SpiffWorkflow on the same BPMN.

    python bench/eservices.py [--database-url URL] [--applications 300]

Without ``--database-url`` the data lives in a new SQLite file in a temporary
directory; with a PostgreSQL URL a database is created on that server for the
run and dropped afterwards (``bench/common.py``).

In one run it measures:

* ``bare_per_s`` — bare SpiffWorkflow 3.2 running the food-licence BPMN/DMN
  through its four user tasks with JSON persistence after every step
  (``eservices.process.benchmark.bare_run``);
* ``applications_per_s`` — the same process through the action layer, end to
  end: submit (form check, credit check, process start), then every user task
  claimed and completed by staff holding the lane's role (受理, 审查, 决定, 送达),
  ending in an approval that issues and signs the electronic licence. Each
  action is its own durable transaction with its ledger entry. Drafts with
  their materials are prepared beforehand and not timed.

The workbench page p95 with 100,000 applications is not measured yet.
Human-readable lines go first; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as ``python bench/<name>.py``: make the repository's root importable for bench.common.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django, temporary_database

PROCESS_ID = "food_business_licence"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", default="", help="A PostgreSQL server (default: SQLite).")
    parser.add_argument("--applications", type=int, default=300, help="Applications to time.")
    return parser.parse_args(argv)


def prepare(count: int) -> tuple[Any, list[Any]]:
    """Make the cast (staff, applicant, the food item) and ``count`` drafts with materials."""
    from zhengtong.eservices import application_actions as act
    from zhengtong.eservices.tests.test_applications_cast import (
        MANUAL_FORM,
        make_cast,
        material,
        pdf,
        promise_day,
    )

    cast = make_cast()
    return cast, make_drafts(cast, count)


def make_drafts(cast: Any, count: int) -> list[Any]:
    from zhengtong.eservices import application_actions as act
    from zhengtong.eservices.tests.test_applications_cast import (
        MANUAL_FORM,
        material,
        pdf,
        promise_day,
    )

    layout = material(cast.food, "设备设施").pk
    rules = material(cast.food, "规章制度").pk
    drafts = []
    for _ in range(count):
        draft = act.do_save_draft(cast.food, MANUAL_FORM, acting_user=cast.applicant)
        act.do_upload_material(draft, layout, pdf(), acting_user=cast.applicant)
        act.do_promise_material(draft, rules, promise_day(), acting_user=cast.applicant)
        drafts.append(draft)
    return drafts


def complete(cast: Any, drafts: list[Any]) -> int:
    """Submit every draft and work it through to approval; return the user tasks done."""
    from zhengtong.eservices import application_actions as act
    from zhengtong.eservices.models import WorkTask

    staff = {"acceptor": cast.clerk, "reviewer": cast.reviewer, "decider": cast.leader}
    steps = 0
    for draft in drafts:
        application = act.do_submit_application(draft, acting_user=cast.applicant)
        while application.state not in ("approved", "rejected"):
            task = WorkTask.objects.filter(application=application, completed_at=None).first()
            if task is None:
                raise RuntimeError(f"{application.number} is {application.state} with no task")
            user = staff[act.base_role(task.role)] if task.role != "deliverer" else cast.clerk
            # Completing an unclaimed task claims it, as a clerk working from the queue does.
            application = act.do_complete_task(task, act.TaskResult(), acting_user=user)
            steps += 1
        if application.state != "approved" or application.licence_id is None:
            raise RuntimeError(f"{application.number} ended {application.state} without a licence")
    return steps


def run(count: int) -> dict[str, Any]:
    from zhengtong.eservices.process.benchmark import bare_run
    from zhengtong.eservices.tests.test_applications_cast import MANUAL_FORM

    began = time.perf_counter()
    cast, drafts = prepare(count)
    print(f"set-up: {count} drafts with materials in {time.perf_counter() - began:.1f} s")

    # One warm-up application, so both sides start with loaded process files.
    bare_run(PROCESS_ID, _bare_data(MANUAL_FORM), 5)

    began = time.perf_counter()
    steps = complete(cast, drafts)
    elapsed = time.perf_counter() - began
    ours = count / elapsed
    print(
        f"applications: {count} submitted and approved in {elapsed:.1f} s = {ours:.0f}/s "
        f"({steps / count:.1f} user tasks each, licence issued and signed)"
    )
    bare = bare_run(PROCESS_ID, _bare_data(MANUAL_FORM), count)
    print(f"bare SpiffWorkflow, same BPMN and DMN, JSON after every step: {bare:.0f}/s")
    return {
        "applications_per_s": round(ours, 1),
        "bare_per_s": round(bare, 1),
        "ratio": round(ours / bare, 3),
        "user_tasks_per_application": round(steps / count, 2),
        "applications": count,
    }


def _bare_data(form: dict[str, Any]) -> dict[str, Any]:
    # What the action layer hands the process: the form plus the credit flag.
    return {**form, "credit_flag": False}


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="zhengtong-bench-"))
    try:
        with temporary_database(args.database_url, workdir) as (database_url, vendor):
            setup_django(
                {
                    "DATABASE_URL": database_url,
                    "ZHENGTONG_DATA_DIR": str(workdir),
                    "ZHENGTONG_SECRET_KEY": secrets.token_urlsafe(50),
                }
            )
            figures = run(args.applications)
            figures.update(
                database=vendor,
                cores=os.cpu_count(),
                python=platform.python_version(),
                load_average=[round(x, 2) for x in os.getloadavg()],
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
