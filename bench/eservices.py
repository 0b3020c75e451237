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
  completed by staff holding the lane's role (受理, 审查, 决定),
  ending in an approval that issues and signs the electronic licence. Each
  action is its own durable transaction with its ledger entry. Drafts with
  their materials are prepared beforehand and not timed;
* ``workbench_p50_ms``, ``workbench_p95_ms`` — the staff workbench page as a
  受理 clerk, with ``--workbench-applications`` (100,000) in the database.

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
from collections.abc import Callable
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
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="Processes completing applications side by side (default: one per core); "
        "bare SpiffWorkflow runs in as many.",
    )
    parser.add_argument(
        "--workbench-applications",
        type=int,
        default=100_000,
        help="Applications in the database when the workbench page is timed (0: skip).",
    )
    parser.add_argument(
        "--workbench-requests", type=int, default=200, help="Workbench page requests to time."
    )
    return parser.parse_args(argv)


def prepare(count: int) -> tuple[Any, list[Any]]:
    """Make the cast (staff, applicant, the food item) and ``count`` drafts with materials."""
    from zhengtong.eservices.tests.test_applications_cast import (
        make_cast,
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

    staff = {"acceptor": cast.clerk, "reviewer": cast.reviewer, "decider": cast.leader}
    steps = 0
    for draft in drafts:
        application = act.do_submit_application(draft, acting_user=cast.applicant)
        while application.state not in ("approved", "rejected"):
            task = _open_task(application.pk)
            if task is None:
                raise RuntimeError(f"{application.number} is {application.state} with no task")
            user = staff[task.lane_role] if task.lane_role != "deliverer" else cast.clerk
            # Completing an unclaimed task claims it, as a clerk working from the queue does.
            application = act.do_complete_task(task, act.TaskResult(), acting_user=user)
            steps += 1
        if application.state != "approved" or application.licence_id is None:
            raise RuntimeError(f"{application.number} ended {application.state} without a licence")
    return steps


def _open_task(application_id: int) -> Any:
    """The application's open task, as the workbench list hands it to staff.

    In plain SQL: finding the task is the harness's work, not the platform's,
    and an ORM query here would cost a tenth of what is measured.
    """
    from django.db import connection

    from zhengtong.eservices.models import WorkTask

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, lane_role FROM eservices_worktask"
            " WHERE application_id = %s AND completed_at IS NULL ORDER BY id LIMIT 1",
            [application_id],
        )
        row = cursor.fetchone()
    return None if row is None else WorkTask(pk=row[0], lane_role=row[1])


def run(
    count: int, processes: int, workbench_total: int, workbench_requests: int
) -> dict[str, Any]:
    from zhengtong.eservices.tests.test_applications_cast import MANUAL_FORM

    began = time.perf_counter()
    cast, drafts = prepare(count)
    print(f"set-up: {count} drafts with materials in {time.perf_counter() - began:.1f} s")

    # Warm-ups, so that both sides start with loaded process files and caches.
    from zhengtong.eservices.process.benchmark import bare_run

    bare_run(PROCESS_ID, _bare_data(MANUAL_FORM), 5)
    complete(cast, make_drafts(cast, 2))

    elapsed, steps = _in_processes(processes, drafts, lambda part: complete(cast, part))
    ours = count / elapsed
    print(
        f"applications: {count} submitted and approved in {elapsed:.1f} s = {ours:.0f}/s "
        f"in {processes} process(es) ({steps / count:.1f} user tasks each, licence issued "
        "and signed)"
    )
    bare_elapsed, _ = _in_processes(
        processes,
        list(range(count)),
        lambda part: (bare_run(PROCESS_ID, _bare_data(MANUAL_FORM), len(part)), 0)[1],
    )
    bare = count / bare_elapsed
    print(
        f"bare SpiffWorkflow, same BPMN and DMN, JSON after every step: {bare:.0f}/s "
        f"in {processes} process(es)"
    )
    figures: dict[str, Any] = {
        "applications_per_s": round(ours, 1),
        "bare_per_s": round(bare, 1),
        "ratio": round(ours / bare, 3),
        "processes": processes,
        "user_tasks_per_application": round(steps / count, 2),
        "applications": count,
    }
    if workbench_total:
        began = time.perf_counter()
        open_tasks = fill(cast, workbench_total)
        print(
            f"workbench set-up: {workbench_total} applications ({open_tasks} open tasks) "
            f"in {time.perf_counter() - began:.0f} s"
        )
        page = workbench_p95(cast, workbench_requests)
        print(
            f"workbench page /services/work/ as a 受理 clerk: p50 {page['workbench_p50_ms']} ms, "
            f"p95 {page['workbench_p95_ms']} ms over {workbench_requests} requests"
        )
        figures.update(page, workbench_applications=workbench_total)
    return figures


def _in_processes(
    processes: int, work: list[Any], job: Callable[[list[Any]], int]
) -> tuple[float, int]:
    """Run ``job`` over ``processes`` forked slices of ``work``; return (seconds, sum of results).

    The clock runs from when every process is ready to when the last one ends.
    """
    if processes <= 1:
        began = time.perf_counter()
        result = job(work)
        return time.perf_counter() - began, result
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each process opens its own connection
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(processes + 1)
    results = context.Queue()

    def child(part: list[Any]) -> None:
        ready.wait()
        results.put(job(part))
        connections.close_all()

    children = [context.Process(target=child, args=(work[n::processes],)) for n in range(processes)]
    for process in children:
        process.start()
    ready.wait()
    began = time.perf_counter()
    total = sum(results.get() for _ in children)
    elapsed = time.perf_counter() - began
    for process in children:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a benchmark process ended with {process.exitcode}")
    return elapsed, total


def fill(cast: Any, total: int, *, seed: int = 7) -> int:
    """Add applications until ``total`` exist, in the mix of states a city's database holds.

    Rows are copied from applications the action layer made (so forms and
    process states have their real sizes) and bulk-inserted: about 88 % done
    (each with its three completed steps), the rest waiting at 受理, 审查 or
    决定 in four departments' queues, in 补正, rejected or withdrawn. Returns
    the number of open work tasks.
    """
    import datetime as dt
    import random

    from django.db import transaction
    from django.utils import timezone

    from zhengtong.core.models import Department
    from zhengtong.eservices.models import Application, WorkTask

    done = Application.objects.filter(state="approved").first()
    if done is None:
        raise RuntimeError("fill() copies an approved application: complete one first")
    steps = list(WorkTask.objects.filter(application=done).order_by("pk"))
    departments = list(Department.objects.order_by("pk")[:4])
    rng = random.Random(seed)
    now = timezone.now()
    states = (
        ["approved"] * 88
        + ["rejected"] * 4
        + ["withdrawn"] * 1
        + ["correcting"] * 1
        + ["submitted"] * 3
        + ["accepted"] * 3
    )
    start = Application.objects.count()
    open_tasks = 0
    batch = 2_000
    for first in range(start, total, batch):
        applications = []
        for n in range(first, min(first + batch, total)):
            state = rng.choice(states)
            submitted = now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 120))
            accepted = None if state == "submitted" else submitted + dt.timedelta(hours=2)
            deadline = (
                None if accepted is None else accepted + dt.timedelta(days=rng.randrange(3, 30))
            )
            applications.append(
                Application(
                    number=f"BQ{n:012d}",
                    item_id=done.item_id,
                    applicant_id=done.applicant_id,
                    applicant_kind=done.applicant_kind,
                    applicant_id_number=done.applicant_id_number,
                    applicant_name=done.applicant_name,
                    form_data=done.form_data,
                    prefilled=done.prefilled,
                    state=state,
                    process_state=done.process_state,
                    credit_check=done.credit_check,
                    submitted_at=submitted,
                    accepted_at=accepted,
                    deadline_at=deadline,
                    finished_at=submitted + dt.timedelta(days=5)
                    if state in ("approved", "rejected", "withdrawn")
                    else None,
                    warning_level=rng.choice(["normal"] * 8 + ["yellow", "red"])
                    if state in ("accepted", "correcting")
                    else "normal",
                )
            )
        with transaction.atomic():
            Application.objects.bulk_create(applications, batch_size=500)
            created = Application.objects.filter(
                number__in=[a.number for a in applications]
            ).values_list("pk", "state")
            tasks = []
            for pk, state in created:
                department = rng.choice(departments)
                if state in ("approved", "rejected"):
                    for step in steps:
                        tasks.append(_task_copy(step, pk, department, now, done=True))
                elif state in ("submitted", "accepted", "correcting"):
                    step = steps[0] if state == "submitted" else rng.choice(steps[1:])
                    task = _task_copy(step, pk, department, now, done=False)
                    if rng.random() < 0.2:
                        task.claimed_by_id = cast.clerk.pk if step.role == "acceptor" else None
                    tasks.append(task)
                    open_tasks += 1
            WorkTask.objects.bulk_create(tasks, batch_size=1_000)
    return open_tasks


def _task_copy(step: Any, application_id: int, department: Any, now: Any, *, done: bool) -> Any:
    from zhengtong.eservices.models import WorkTask

    return WorkTask(
        application_id=application_id,
        task_id=step.task_id,
        bpmn_id=step.bpmn_id,
        name=step.name,
        step=step.step,
        role=step.role,
        lane_role=step.lane_role,
        department=department,
        created_at=now,
        completed_at=now if done else None,
        result=step.result if done else {},
    )


def workbench_p95(cast: Any, requests: int) -> dict[str, float]:
    """Time the staff workbench page (``/services/work/``) as the clerk sees it."""
    from django.test import Client

    # A host the settings allow: the bench runs with DEBUG off, as production does.
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(cast.clerk)
    timings = []
    for n in range(requests + 10):
        began = time.perf_counter()
        response = client.get("/services/work/")
        elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"workbench answered {response.status_code}")
        if n >= 10:  # the first requests warm caches and templates
            timings.append(elapsed * 1000)
    timings.sort()
    return {
        "workbench_p50_ms": round(timings[len(timings) // 2], 1),
        "workbench_p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
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
                    # Each submission checks the applicant's credit through the
                    # exchange, an ungranted read of 无条件共享 items held to a
                    # per-minute rate (600 by default); the bench submits about
                    # 100 a second from the platform's one system, as an
                    # installation of that size would be set up to allow.
                    "ZHENGTONG_EXCHANGE_OPEN_RATE_PER_MINUTE": "1000000",
                }
            )
            figures = run(
                args.applications,
                args.processes,
                args.workbench_applications,
                args.workbench_requests,
            )
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
