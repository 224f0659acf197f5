"""The local pool: a few sandbox runners (long-lived processes) fed one submission at a
time, and the judge, here.

Each runner (`grader_sandbox.runner`, inside bubblewrap where isolation can be had) is a
fresh interpreter, not a fork of the batch nor a `multiprocessing` spawn, which re-runs
the caller's main script: an instructor's unguarded ``grade.py`` would start a batch in
every runner. It holds no key; this process judges what it sends back
(`optigrade.grade.judge`), as a cluster's client does (`optigrade.grade.cluster`). Each
runner's lifecycle is a `grader_sandbox.channel.RunnerProcess`, as on a grading node;
this pool watches them all at once, their messages typed JSON on two pipes each. A
runner that dies (or hangs past the submission limit plus a margin) is replaced; the
submission it held is tried once more on a fresh runner, then reported as an internal
error: never a lost batch.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any, Protocol

from grader_sandbox.channel import RunnerFailed, RunnerFatal, RunnerProcess
from grader_sandbox.messages import RunJob, RunnerSettings, RunReply
from optigrade.grade.judge import Job, Judge, Judged, internal

if TYPE_CHECKING:
    from optigrade.grade.numbers import Numbers

ATTEMPTS = 2
START_FAILURES = 3  # runners dying before they are ready, before the batch gives up


class PoolFailed(RuntimeError):
    """No runner could start (the reason is the runner's own report)."""


class Pool(Protocol):
    """Where a batch's submissions run: the local pool, or a Dask cluster."""

    #: Why a grading process ran student code without isolation ("": none did, or the
    #: batch already knew, as it does for the local pool).
    unisolated: str

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Judged]]:
        """(job, judged reply) pairs, in completion order; every job gets one."""
        ...

    def running(self) -> list[tuple[str, float]]:
        """The students being graded now, with when each started (`time.monotonic`)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Pool: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class _Slot:
    runner: RunnerProcess
    job: Job | None = None  # the batch's job the runner holds


class WorkerPool:
    """`size` runners running jobs (dicts with a "student", "cells" and "tests") per
    `settings` (the pool adds the questions' specs and each runner's index), judged here."""

    unisolated = ""  # the batch probed isolation before starting the pool

    def __init__(self, size: int, settings: RunnerSettings, numbers: Numbers | None = None) -> None:
        self.judge = Judge(settings.assignment, numbers)
        settings = replace(settings, specs=tuple(self.judge.specs()))
        self.isolation = settings.jail or "none"
        self.start_failures = 0
        self.slots = [_Slot(RunnerProcess(replace(settings, index=i))) for i in range(max(1, size))]
        for slot in self.slots:
            slot.runner.launch()
        self.judge.warm()  # while the runners import

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Judged]]:
        """(job, reply) pairs as runners finish them, in completion order. `jobs` is read
        as runners need them (a few ahead), so preparing them overlaps the runs; a runner
        is given its next job before the one it finished is judged."""
        source = iter(jobs)
        queue: deque[tuple[Job, int]] = deque()
        attempts: dict[int, int] = {}
        more = True
        while more or queue or any(s.job is not None for s in self.slots):
            more = self._feed(queue, source, more, attempts)
            finished: list[tuple[Job, RunReply, float]] = []
            for slot in self._ready(timeout=1.0):
                runner = slot.runner
                try:
                    if not runner.ready:
                        runner.started()
                        continue
                    reply = runner.reply()
                except RunnerFatal as e:
                    raise PoolFailed(f"a grading worker could not start: {e.reason}") from None
                except RunnerFailed:  # it died or hung
                    job = self._replace(slot)
                    if job is None:
                        continue
                    if attempts[id(job)] < ATTEMPTS:
                        queue.appendleft((job, attempts[id(job)] + 1))
                    else:
                        yield job, internal("the grading worker died twice on it")
                    continue
                job, slot.job = slot.job, None
                assert job is not None  # the runner was busy with it (`reply` checks)
                finished.append((job, reply, time.monotonic() - runner.since))
                if reply.last:  # it exits now: a fresh one takes its place
                    runner.replace()
            more = self._feed(queue, source, more, attempts)
            for job, run, seconds in finished:
                yield job, self.judge.graded(job, run, self.isolation, seconds)

    def running(self) -> list[tuple[str, float]]:
        # asked from the progress display's thread: each slot's job read once
        held = [(s.job, s.runner.since) for s in self.slots]
        return [(job["student"], since) for job, since in held if job is not None]

    def _feed(
        self,
        queue: deque[tuple[Job, int]],
        source: Iterator[Job],
        more: bool,
        attempts: dict[int, int],
    ) -> bool:
        """Read jobs from `source` (while it may have `more`) until one waits per runner,
        and send the next ones to the runners that are ready and idle; whether `source`
        may have more."""
        while more and len(queue) < len(self.slots):
            job = next(source, None)
            if job is None:
                more = False
            else:
                queue.append((job, 1))
        for slot in self.slots:
            if slot.runner.ready and slot.job is None and queue:
                job, attempt = queue.popleft()
                attempts[id(job)] = attempt
                slot.job = job
                slot.runner.send(RunJob.of(job["cells"], job.get("given")))
        return more

    def _ready(self, timeout: float) -> list[_Slot]:
        """Slots whose runner said something, exited, or is past its deadline."""
        by_handle: dict[Any, _Slot] = {h: s for s in self.slots for h in s.runner.handles()}
        found = {id(by_handle[h]): by_handle[h] for h in wait(list(by_handle), timeout)}
        found |= {id(s): s for s in self.slots if s.runner.overdue()}
        return list(found.values())

    def _replace(self, slot: _Slot) -> Job | None:
        """Start a fresh runner in the slot; the job the old one held, if any."""
        if not slot.runner.ready:
            self.start_failures += 1
            if self.start_failures >= START_FAILURES:
                raise PoolFailed("grading workers keep dying while starting")
        slot.runner.replace(grace=0)
        job, slot.job = slot.job, None
        return job

    def close(self) -> None:
        for slot in self.slots:
            slot.runner.request_stop()  # all told first: they close their sandboxes together
        for slot in self.slots:
            slot.runner.stop()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
