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
import sys
import tempfile
import time
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from grader.grade import results
from grader.grade.channel import RunnerProcess
from grader.grade.messages import serve
from grader.grade.pool import internal


def failed(job: dict[str, Any], e: Exception) -> dict[str, Any]:
    return internal(job, f"the grader failed: {type(e).__name__}: {e}")


def main(inbox: Connection, outbox: Connection) -> None:
    serve(inbox, outbox, Worker, failed)


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


class Judge:
    """The key's half of grading: the assignment's questions, and each run's recorded
    answers graded with them. A pool worker judges what its runner sends back; the client
    of a cluster (`grader.grade.cluster`) judges what its grading nodes send back."""

    def __init__(self, assignment: str, warm: bool = True) -> None:
        from grader import bank

        self.assignment = assignment
        self.questions = {q.id: q for q in bank.questions(assignment)}
        if warm:
            self.warm()

    def warm(self) -> None:
        """Pay the engine's imports and first gradings now, not on a first submission."""
        preload(self.assignment)

    def specs(self) -> list[dict[str, Any]]:
        """What a runner may know of the questions (`grader.bank.spec`: no answer)."""
        from grader.bank.spec import to_spec

        return [to_spec(q, hidden=True) for q in self.questions.values()]

    def reply(self, job: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
        """The reply to `job` from its runner's reply `run` (its outcome and records)."""
        from grader.grade.sandbox import RunOutcome

        if "error" in run:
            return internal(job, run["error"])
        tests = {str(qid): int(i) for qid, i in job["tests"].items()}
        questions = [self.questions[qid] for qid in tests]
        run = dict(run)
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
            "output": outcome.output,
            "leftover": outcome.leftover,
            "run_seconds": outcome.seconds,
        }


class Worker:
    """The judge and its runner, built once per worker process."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.judge = Judge(settings["assignment"], warm=False)
        self.mode = settings.get("jail")
        self.runner = RunnerProcess({**settings, "specs": self.judge.specs()})
        # started now, while the pool waits for its workers, not on a first submission; its
        # imports run beside the judge's warm-up
        self.runner.launch()
        self.judge.warm()
        self.runner.ready()

    def handle(self, job: dict[str, Any]) -> dict[str, Any]:
        """Have one restored notebook run, and grade its recorded answers."""
        started = time.monotonic()
        reply = self.judge.reply(job, self.runner.run({"cells": job["cells"]}))
        if "questions" not in reply:
            return reply
        return reply | {
            "isolation": self.mode or "none",
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
