"""The judge: the key's half of grading, in the process that runs `grader grade`.

Sandbox runners (`grader_sandbox.runner`: the local pool's processes, or a cluster's
grading nodes) run each submission where no key is, and send back the run's outcome and
the recorded answers as JSON. The judge holds the answer key (the bank, `reference`) and
grades those records with the same `grade()` as `grader.check`. It never runs student
code; what it reads from a run is JSON and `.npy` files (no pickle).
"""

from __future__ import annotations

import base64
import tempfile
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from optigrade.grade import results
from optigrade.records import checks
from optigrade.records.result import (
    RUN_STATUSES,
    CellLog,
    Protections,
    QuestionEntry,
    Run,
    RunStatus,
)

if TYPE_CHECKING:
    from grader_sandbox.messages import RunReply
    from optigrade.grade.numbers import Numbers

#: The batch's job ("student", "cells", "tests": the test cell of each question id, and in
#: a class with variants "given": the student's numbers, `optigrade.grade.numbers`): what
#: the pools get from the batch (`optigrade.grade.batch`); they yield it back `Judged`.
Job = dict[str, Any]


@dataclass(frozen=True)
class Judged:
    """How a submission's run ended and, when it ran and was judged, its `run` and the
    entry of each question; without a run (the grader failed, or a grading node refused)
    the batch scores every question as not run."""

    status: RunStatus
    reason: str
    questions: tuple[QuestionEntry, ...] = ()
    run: Run | None = None

    def __post_init__(self) -> None:
        checks.word(self.status, RUN_STATUSES, "status")
        if self.run is None and self.questions:
            raise ValueError("questions judged without a run")


def internal(reason: str) -> Judged:
    """A job the grader could not grade (a pool's, a cluster's or the judge's failure)."""
    return Judged("internal-error", reason)


def failed(e: Exception) -> Judged:
    return internal(f"the grader failed: {type(e).__name__}: {e}")


class Judge:
    """The assignment's questions, and each run's recorded answers graded with them: with
    the class's `numbers` (an assignment released with a roster), each student's own."""

    def __init__(self, assignment: str, numbers: Numbers | None = None) -> None:
        from optigrade import bank

        self.assignment = assignment
        self.questions = {q.id: q for q in bank.questions(assignment)}
        self.numbers = numbers

    def warm(self) -> None:
        """Pay the engine's imports and first gradings now (while the runners start), not
        on a first submission: every reference answer recorded and graded once."""
        from grader import engine
        from grader.compare import layout, wire
        from grader.kinds import Model

        with tempfile.TemporaryDirectory() as scratch:
            for q in self.questions.values():
                if any(isinstance(p, Model) for p in q.parts):  # Keras: loaded when used
                    continue
                with suppress(Exception):  # only a warm-up: grading reports such failures
                    wire.dump(engine.encode(q, layout.assemble(q, q.answer), True), scratch, q.id)
                    engine.grade(q, wire.load(scratch, q.id), hidden=True)

    def specs(self) -> list[dict[str, Any]]:
        """What a runner may know of the questions (`grader.spec`: no answer)."""
        from grader.spec import to_spec

        return [to_spec(q, hidden=True) for q in self.questions.values()]

    def graded(self, job: Job, run: RunReply, isolation: str, seconds: float) -> Judged:
        """The judged run of `job` from its runner's reply `run`, which took `seconds`, in
        a sandbox isolated in mode `isolation`; a bug in judging costs this job only."""
        try:
            return self._reply(job, run, isolation, seconds)
        except Exception as e:
            return failed(e)

    def _reply(self, job: Job, run: RunReply, isolation: str, seconds: float) -> Judged:
        started = time.monotonic()
        if run.outcome is None:
            return internal(run.error)
        tests = {str(qid): int(i) for qid, i in job["tests"].items()}
        student, numbers = str(job["student"]), self.numbers
        own = numbers.questions(student) if numbers else self.questions
        questions = [own[qid] for qid in tests]
        records = _decoded(run.records)
        outcome = run.outcome
        trace = partial(numbers.traced, student) if numbers else None
        entries = results.grade_run(questions, tests, outcome, records, trace)
        seconds += time.monotonic() - started
        details = Run(
            cells=tuple(CellLog.from_json(c) for c in outcome.cells),
            protections=Protections.from_json(outcome.protections),
            output=outcome.output,
            leftover=outcome.leftover,
            run_seconds=outcome.seconds,
            isolation=isolation,
            seconds=round(seconds, 3),
        )
        status = "graded" if outcome.status == "completed" else outcome.status
        return Judged(cast(RunStatus, status), outcome.reason, entries, details)


def _decoded(packed: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, bytes]]:
    """The runner's recorded answers, {cell folder: {file name: base64}}, as bytes in
    memory for `wire.load` (which reads only the names it expects; nothing is written)."""
    return {
        str(cell): {
            str(name): base64.b64decode(data, validate=True) for name, data in files.items()
        }
        for cell, files in packed.items()
    }
