"""A grading worker (the judge): a long-lived process that grades submissions run by its
sandbox runner, so the expensive imports are paid once per worker rather than per student.

Started by `grader.grade.pool` as ``python -P -m grader.grade.worker IN OUT`` with two
pipe descriptors: it reads its settings, then one job at a time, and answers each in JSON
(never pickle): a job is a restored notebook's code cells, the reply the run's outcome
and every question's entry. It holds the answer key (the bank, `reference`) and so never
runs student code: its runner (`grader.grade.runner`, inside bubblewrap where isolation
can be had) forks each submission's child from a process that holds no key, and sends
back the recorded answers, which the judge grades with the same `grade()` as
`grader.check`.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from grader.grade import results
from grader.grade.messages import receive, send, serve

MARGIN = 60.0  # seconds past the submission limit before a runner counts as hung


def _failed(job: dict[str, Any], e: Exception) -> dict[str, Any]:
    reason = f"the grader failed: {type(e).__name__}: {e}"
    return {"student": job.get("student"), "status": "internal-error", "reason": reason}


def main(inbox: Connection, outbox: Connection) -> None:
    serve(inbox, outbox, Worker, _failed)


def preload(assignment: str) -> None:
    """Import the engine and warm the grader's caches for the assignment: every reference
    answer recorded and graded once."""
    from grader import bank
    from grader.bank.model import Model
    from grader.compare import layout, scoring, wire

    with tempfile.TemporaryDirectory() as scratch:
        for q in bank.questions(assignment):
            if any(isinstance(p, Model) for p in q.parts):  # Keras: loaded when used
                continue
            with suppress(Exception):  # only a warm-up: grading reports such failures
                wire.dump(wire.encode(q, layout.assemble(q, q.answer), True), scratch, q.id)
                scoring.grade(q, wire.load(scratch, q.id), hidden=True)


class RunnerFailed(RuntimeError):
    """The sandbox runner could not start, died or hung."""


class RunnerProcess:
    """The judge's end of its sandbox runner process (started again after it exits)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.process: subprocess.Popen | None = None

    def _start(self) -> None:
        from grader.grade.jail import Jail, masked, readable

        jobs_r, jobs_w = os.pipe()
        replies_r, replies_w = os.pipe()
        command = [sys.executable, "-P", "-m", "grader.grade.runner", str(jobs_r), str(replies_w)]
        path = [p for p in sys.path if p]  # what this process imports: same path, no cwd
        if self.settings.get("jail"):  # inside bubblewrap: the view, and nothing of our env
            jailed = Jail(self.settings["bwrap"], self.settings["jail"])
            seen = readable(map(Path, self.settings["private"]))
            path = [p for p in path if any(Path(p) == s or s in Path(p).parents for s in seen)]
            env = {"PATH": "/usr/bin:/bin", "LANG": os.environ.get("LANG", "C.UTF-8")}
            env |= {"HOME": "/tmp", "PYTHONPATH": os.pathsep.join(path)}
            command = jailed.command(command, env, seen, masked())
        else:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        self.process = subprocess.Popen(
            command, pass_fds=(jobs_r, replies_w), stdin=subprocess.DEVNULL, env=env
        )
        os.close(jobs_r)
        os.close(replies_w)
        self.inbox = Connection(replies_r, writable=False)
        self.outbox = Connection(jobs_w, readable=False)
        send(self.outbox, self.settings)
        ready = self._reply(float(self.settings.get("start_timeout", 300)))
        if "fatal" in ready:
            self.close()
            raise RunnerFailed(f"the sandbox runner could not start: {ready['fatal']}")

    def _reply(self, timeout: float) -> dict[str, Any]:
        if not self.inbox.poll(timeout):
            self.close()
            raise RunnerFailed(f"the sandbox runner did not answer within {timeout:g} s")
        try:
            return receive(self.inbox)
        except EOFError:
            self.close()
            raise RunnerFailed("the sandbox runner died") from None

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        if self.process is None or self.process.poll() is not None:
            self.close()
            self._start()
        send(self.outbox, job)
        return self._reply(float(self.settings["limits"]["timeout"]) + MARGIN)

    def close(self) -> None:
        if self.process is None:
            return
        with suppress(OSError):
            send(self.outbox, {"stop": True})
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for end in (self.inbox, self.outbox):
            end.close()
        self.process = None


class Worker:
    """The questions and the runner, built once per worker process."""

    def __init__(self, settings: dict[str, Any]) -> None:
        preload(settings["assignment"])
        from grader import bank
        from grader.bank.spec import to_spec

        self.questions = {q.id: q for q in bank.questions(settings["assignment"])}
        specs = [to_spec(q, hidden=True) for q in self.questions.values()]
        self.mode = settings.get("jail")
        self.runner = RunnerProcess({**settings, "specs": specs})

    def handle(self, job: dict[str, Any]) -> dict[str, Any]:
        """Have one restored notebook run, and grade its recorded answers."""
        from grader.grade.sandbox import RunOutcome

        started = time.monotonic()
        tests = {str(qid): int(i) for qid, i in job["tests"].items()}
        questions = [self.questions[qid] for qid in tests]
        try:
            run = self.runner.run({"cells": job["cells"]})
        except RunnerFailed as e:
            return {"student": job["student"], "status": "internal-error", "reason": str(e)}
        if "error" in run:
            return {"student": job["student"], "status": "internal-error", "reason": run["error"]}
        with tempfile.TemporaryDirectory() as folder:
            records = _unpacked(run.pop("records"), Path(folder))
            outcome = RunOutcome(**run, records=records)
            entries = results.grade_run(questions, tests, outcome)
        return {
            "student": job["student"],
            "status": "graded" if outcome.status == "completed" else outcome.status,
            "reason": outcome.reason,
            "questions": entries,
            "cells": outcome.cells,
            "protections": outcome.protections,
            "isolation": self.mode or "none",
            "output": outcome.output,
            "leftover": outcome.leftover,
            "run_seconds": outcome.seconds,
            "seconds": round(time.monotonic() - started, 3),
        }

    def spent(self) -> bool:
        return False  # its runner restarts itself when it must

    def close(self) -> None:
        self.runner.close()


def _unpacked(packed: dict[str, dict[str, str]], folder: Path) -> Path:
    """The runner's recorded answers as files again, for `wire.load` (names checked: a
    cell folder or file name with a path in it is dropped)."""
    for cell, files in packed.items():
        if Path(cell).name != cell or cell.startswith("."):
            continue
        (folder / cell).mkdir()
        for name, data in files.items():
            if Path(name).name == name and not name.startswith("."):
                (folder / cell / name).write_bytes(base64.b64decode(data))
    return folder


if __name__ == "__main__":
    main(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
