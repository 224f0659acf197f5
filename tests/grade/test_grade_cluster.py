"""`grader grade --cluster` on Dask: the same bytes as the local pool, for the demo class
and the hostile kinds. A worker killed mid-batch costs nothing, and a task whose worker
dies twice is recorded with that reason. A scheduler that does not answer gets one line
and exit code 2. A node that cannot isolate refuses to run anything. The docs' Slurm
recipe runs on a LocalCluster stand-in."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader_sandbox import node
from grader_sandbox.isolation import Limits
from grader_sandbox.messages import RunnerSettings
from optigrade.demo.classes import FIXED, NOT_HOSTILE, make_class
from optigrade.grade import cluster
from tests.grade.test_grade_hostile import LATIN1, _other_kernel, submit_contained

COURSE = Path(__file__).resolve().parents[2]
DEMO = ("forward-pass", "optimisation")
TABLES = ("grades.csv", "results.jsonl")
SLEEP = "import time\ntime.sleep({})"


def _tables(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in TABLES}


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "optigrade", "grade", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two worker processes, as ``local:2`` starts it."""
    from distributed import Client

    with cluster.local_cluster(2) as local, Client(local, set_as_default=False) as connected:
        yield connected


def test_local_2_grades_the_demo_class_byte_identically_to_the_local_pool(tmp_path):
    for assignment in DEMO:
        folder = tmp_path / assignment
        students = make_class(COURSE, assignment, folder, FIXED + 2, kinds=NOT_HOSTILE)
        common = ["--course", str(COURSE), "--submitted", str(folder / "submitted")]
        common += ["--cell-timeout", "60", "--timeout", "300"]
        local = _cli(assignment, *common, "--out", str(folder / "local"), "--jobs", "2", cwd=folder)
        assert local.returncode == 0, local.stderr
        on_dask = _cli(
            assignment, *common, "--out", str(folder / "dask"), "--cluster", "local:2", cwd=folder
        )
        assert on_dask.returncode == 0, on_dask.stderr
        assert _tables(folder / "dask") == _tables(folder / "local")
        graded = f"{len(students)} submissions: {len(students)} ran to their end."
        assert graded in on_dask.stdout and graded in local.stdout
        rows = (folder / "dask" / "grades.csv").read_text().splitlines()
        assert len(rows) == 1 + len(students)  # every student, once
        full = next(r for r in rows if "-correct," in r).split(",")
        assert full[-2] == full[-1]  # the correct student has full marks


def _hostile_class(c, kit) -> None:
    submit_contained(c, kit)
    c.submit("killer", before={kit.gid("fp.2.1"): "import os, signal\nos.kill(-1, signal.SIGKILL)"})
    c.submit("kernel", edit=_other_kernel)
    c.submit("latin1", raw=LATIN1)


def test_the_hostile_kinds_give_the_same_results_on_the_cluster(course, kit, client):
    _hostile_class(course, kit)
    limits = {"cell_timeout": 2.0, "timeout": 12.0, "memory_mb": 1024, "exports": False}
    local = course.grade(jobs=2, out=course.root / "local", **limits)
    on_dask = course.grade(cluster=client, out=course.root / "dask", **limits)
    assert _tables(course.root / "dask") == _tables(course.root / "local")
    assert on_dask.failed == local.failed
    assert set(on_dask.failed) >= {"swallow", "osexit", "segfault", "latin1"}
    for student in local.students:
        here, there = (
            json.loads((course.root / out / "results" / f"{student}.json").read_text())
            for out in ("local", "dask")
        )
        assert (there["status"], there.get("reason")) == (here["status"], here.get("reason"))
        assert there.get("isolation") == here.get("isolation")
    good = json.loads((course.root / "dask" / "results" / "good.json").read_text())
    assert good["isolation"] == ("root" if os.geteuid() == 0 else "userns")
    assert sum(q["score"] for q in good["questions"]) == sum(kit.full.values())


def test_the_cluster_reads_jobs_as_its_workers_need_them(client):
    settings = RunnerSettings("forward-pass", limits=Limits(cell_timeout=10, timeout=60))
    count = 40
    read: list[str] = []

    def jobs():
        for i in range(count):
            read.append(f"s{i}")
            yield {"student": f"s{i}", "cells": [[0, f"x = {i}", False]], "tests": {}}

    seen = []
    with cluster.ClusterPool(client, settings) as pool:
        window = cluster.AHEAD * sum(client.nthreads().values())
        for job, reply in pool.map(jobs()):
            seen.append((job["student"], len(read), reply.status))
            assert len(read) - len(seen) <= window  # in flight: never more than the window
    assert sorted(student for student, _, _ in seen) == sorted(read)
    assert len(read) == count
    assert {status for _, _, status in seen} == {"graded"}
    assert seen[0][1] <= window + 1 < count  # the first came back before the class was read


def _pid_of(client, address: str) -> int:
    return client.run(os.getpid, workers=[address])[address]


def _executing(client) -> dict[str, list[str]]:
    """The keys each worker is executing, as the workers themselves say. The scheduler's
    `processing` also lists tasks only queued on a worker, which work stealing may move
    elsewhere before they start: a kill then would not count against the task."""
    return client.run(lambda dask_worker: [str(ts.key) for ts in dask_worker.state.executing])


def _kill_workers_running(client, student: str, times: int, killed: list[int]) -> None:
    """Kill the Dask worker process executing `student`'s task, `times` times (each time
    once it has run for a second), within 5 minutes."""
    deadline = time.monotonic() + 300
    while len(killed) < times and time.monotonic() < deadline:
        busy = [
            address
            for address, keys in _executing(client).items()
            if any(key.endswith(f"-{student}") for key in keys)
        ]
        if not busy:
            time.sleep(0.2)
            continue
        time.sleep(1.0)
        pid = _pid_of(client, busy[0])
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
        while busy[0] in client.scheduler_info()["workers"] and time.monotonic() < deadline:
            time.sleep(0.2)


def _grade_while_killing(course, client, student: str, times: int) -> SimpleNamespace:
    killed: list[int] = []
    killer = threading.Thread(target=_kill_workers_running, args=(client, student, times, killed))
    killer.start()
    summary = course.grade(cluster=client, exports=False, timeout=120.0)
    killer.join()
    return SimpleNamespace(summary=summary, killed=killed)


def test_a_worker_killed_while_grading_costs_nothing(course, kit, client):
    students = [f"s{i}" for i in range(4)]
    for student in students:
        course.submit(student, after={kit.gid("fp.1.1"): SLEEP.format(3)})
    run = _grade_while_killing(course, client, "s1", times=1)
    assert len(run.killed) == 1
    assert sorted(run.summary.graded) == students  # each once
    assert run.summary.failed == {}
    for student in students:
        assert course.scores(student) == kit.full
    rows = (course.out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(students)


def test_a_task_whose_worker_dies_twice_is_recorded_with_that_reason(course, kit, client):
    course.submit("doomed", after={kit.gid("fp.1.1"): SLEEP.format(60)})
    run = _grade_while_killing(course, client, "doomed", times=2)
    assert len(run.killed) == 2
    result = course.result("doomed")
    assert result["status"] == "internal-error"
    assert result["reason"] == "the grading node died twice on it"
    assert course.scores("doomed") == dict.fromkeys(kit.questions, 0.0)
    assert run.summary.failed == {"doomed": "internal-error: the grading node died twice on it"}


def test_a_scheduler_that_does_not_answer_is_one_line_and_exit_code_2(course, kit):
    course.submit("early")
    course.grade(exports=False)
    kept = (course.out / "results" / "early.json").read_bytes()
    course.submit("late")
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never speaks Dask
    address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
    try:
        done = _cli(
            "forward-pass", "--course", str(course.root), "--cluster", address, cwd=course.root
        )
    finally:
        silent.close()
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"grader: error: no Dask scheduler answers at {address}")
    assert "Traceback" not in done.stderr
    assert (course.out / "results" / "early.json").read_bytes() == kept
    assert not (course.out / "results" / "late.json").exists()


def test_a_bad_cluster_address_is_refused_before_anything_runs(course):
    for bad in ("local:0", "local:two", "scheduler:8786"):
        done = _cli("forward-pass", "--course", str(course.root), "--cluster", bad, cwd=course.root)
        assert done.returncode == 2
        assert f"argument --cluster: {bad!r}" in done.stderr
        assert not course.out.exists()


@pytest.fixture
def in_process():
    """A Dask cluster in this process (its worker is a thread here), so that what the
    test patches in `grader_sandbox.node` holds on the node."""
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
        yield c


def test_a_node_that_cannot_isolate_runs_nothing(course, kit, in_process, monkeypatch):
    why = "no user namespaces on this node"
    monkeypatch.setattr(node, "_isolation", lambda: (None, why))
    course.submit("good")
    summary = course.grade(cluster=in_process, exports=False)
    result = course.result("good")
    assert result["status"] == "setup-failed"
    assert result["reason"].startswith(f"the grading node {socket.gethostname()} cannot isolate")
    assert why in result["reason"] and "nothing ran" in result["reason"]
    assert {q["status"] for q in result["questions"]} == {"not run"}
    assert "good" in summary.failed and summary.unisolated == ""

    trusted = course.grade(cluster=in_process, exports=False, trust_submissions=True)
    result = course.result("good")  # graded again: setup-failed is the grader's fault
    assert result["status"] == "graded" and result["isolation"] == "none"
    assert course.scores("good") == kit.full
    assert trusted.unisolated == why
    assert any(why in w for w in trusted.warnings)


def _recipe() -> str:
    """The Slurm recipe's code, as docs/CLUSTER.md shows it."""
    text = (COURSE / "docs" / "CLUSTER.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    (found,) = [b for b in blocks if "SLURMCluster(" in b]
    return found


def test_the_docs_slurm_recipe_grades_on_a_local_stand_in(course, kit, monkeypatch):
    import dask_jobqueue
    from distributed import LocalCluster

    class StandIn(LocalCluster):
        """SLURMCluster's arguments, LocalCluster's workers: `scale(jobs=n)` starts n
        worker processes here instead of n Slurm jobs."""

        def __init__(self, *, cores: int, processes: int, memory: str, **slurm: object) -> None:
            assert memory and set(slurm) <= {
                "walltime",
                "queue",
                "account",
                "job_extra_directives",
                "python",
            }
            super().__init__(
                n_workers=0, threads_per_worker=cores, processes=True, dashboard_address=None
            )

        def scale(self, n: int = 0, jobs: int = 0, **kw: object) -> None:
            super().scale(n or jobs)

    monkeypatch.setattr(dask_jobqueue, "SLURMCluster", StandIn)
    monkeypatch.chdir(course.root)
    course.submit("good")
    course.submit("wrong", {q: kit.wrong(q) for q in kit.questions})
    exec(compile(_recipe(), "docs/CLUSTER.md", "exec"), {"__name__": "__main__"})
    assert course.scores("good") == kit.full
    assert course.scores("wrong") == dict.fromkeys(kit.questions, 0.0)
    assert (course.out / "report.html").is_file()
