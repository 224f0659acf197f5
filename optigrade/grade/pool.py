"""The local pool: a few sandbox runners (long-lived processes) fed one submission at a
time, and the judge, here.

Each runner (`grader_sandbox.runner`, inside bubblewrap where isolation can be had) is a
fresh interpreter, not a fork of the batch nor a `multiprocessing` spawn, which re-runs
the caller's main script: an instructor's unguarded ``grade.py`` would start a batch in
every runner. It holds no key; this process judges what it sends back
(`optigrade.grade.judge`), as a cluster's client does (`optigrade.grade.cluster`). Messages are
JSON on two pipes per runner. A runner that dies (or hangs past the submission limit
plus a margin) is replaced; the submission it held is tried once more on a fresh runner,
then reported as an internal error: never a lost batch.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol

from grader_sandbox.channel import spawn
from grader_sandbox.messages import LAST, Job, internal, receive, send
from optigrade.grade.judge import Judge

START_TIMEOUT = 300.0  # seconds for a runner's imports
MARGIN = 60.0  # seconds past the submission limit before a runner counts as hung
ATTEMPTS = 2
START_FAILURES = 3  # runners dying before they are ready, before the batch gives up


class PoolFailed(RuntimeError):
    """No runner could start (the reason is the runner's own report)."""


class Pool(Protocol):
    """Where a batch's submissions run: the local pool, or a Dask cluster."""

    #: Why a grading process ran student code without isolation ("": none did, or the
    #: batch already knew, as it does for the local pool).
    unisolated: str

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Job]]:
        """(job, judged reply) pairs, in completion order; every job gets one."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Pool: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class _Slot:
    index: int
    process: subprocess.Popen
    inbox: Connection  # replies from the runner
    outbox: Connection  # jobs to the runner
    exited: int  # a pidfd: readable once the runner has exited
    ready: bool = False
    job: Job | None = None
    since: float = field(default_factory=time.monotonic)


class WorkerPool:
    """`size` runners running jobs (dicts with a "student") per `settings` (see
    `grader_sandbox.runner.Runner`), judged here."""

    unisolated = ""  # the batch probed isolation before starting the pool

    def __init__(self, size: int, settings: dict[str, Any]) -> None:
        self.judge = Judge(settings["assignment"])
        self.settings = {**settings, "specs": self.judge.specs()}
        self.isolation = settings.get("jail") or "none"
        self.deadline = float(settings["limits"]["timeout"]) + MARGIN
        self.start_failures = 0
        self.slots = [self._start(i) for i in range(max(1, size))]
        self.judge.warm()  # while the runners import

    def _start(self, index: int) -> _Slot:
        process, inbox, outbox = spawn({**self.settings, "index": index})
        return _Slot(index, process, inbox, outbox, os.pidfd_open(process.pid))

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Job]]:
        """(job, reply) pairs as runners finish them, in completion order. `jobs` is read
        as runners need them (a few ahead), so preparing them overlaps the runs; a runner
        is given its next job before the one it finished is judged."""
        source = iter(jobs)
        queue: deque[tuple[Job, int]] = deque()
        attempts: dict[int, int] = {}
        more = True
        while more or queue or any(s.job is not None for s in self.slots):
            more = self._feed(queue, source, more, attempts)
            finished: list[tuple[Job, Job, float]] = []
            for slot in self._ready(timeout=1.0):
                reply = self._receive(slot)
                if reply is None:  # the runner died or hung
                    job = self._replace(slot)
                    if job is None:
                        continue
                    if attempts[id(job)] < ATTEMPTS:
                        queue.appendleft((job, attempts[id(job)] + 1))
                    else:
                        yield job, internal(job, "the grading worker died twice on it")
                elif "fatal" in reply:
                    raise PoolFailed(f"a grading worker could not start: {reply['fatal']}")
                elif "ready" in reply:
                    slot.ready = True
                elif slot.job is not None:
                    finished.append((slot.job, reply, time.monotonic() - slot.since))
                    slot.job = None
                    if reply.pop(LAST, False):  # it exits now: a fresh one takes its place
                        self._replace(slot)
            more = self._feed(queue, source, more, attempts)
            for job, run, seconds in finished:
                yield job, self.judge.graded(job, run, self.isolation, seconds)

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
            if slot.ready and slot.job is None and queue:
                job, attempt = queue.popleft()
                attempts[id(job)] = attempt
                slot.job, slot.since = job, time.monotonic()
                send(slot.outbox, {"cells": job["cells"]})
        return more

    def _ready(self, timeout: float) -> list[_Slot]:
        """Slots with a message, a dead runner, or a runner past its deadline."""
        by_handle: dict[Any, _Slot] = {}
        for slot in self.slots:
            by_handle[slot.inbox] = slot
            by_handle[slot.exited] = slot
        found = {id(by_handle[h]): by_handle[h] for h in wait(list(by_handle), timeout)}
        now = time.monotonic()
        for slot in self.slots:
            limit = self.deadline if slot.ready else START_TIMEOUT
            if (slot.job is not None or not slot.ready) and now - slot.since > limit:
                found[id(slot)] = slot
        return list(found.values())

    def _receive(self, slot: _Slot) -> Job | None:
        if not slot.inbox.poll():
            return None  # a dead or hung runner
        try:
            return receive(slot.inbox)
        except EOFError:
            return None

    def _replace(self, slot: _Slot) -> Job | None:
        """Start a fresh runner in the slot; the job the old one held, if any."""
        if not slot.ready:
            self.start_failures += 1
            if self.start_failures >= START_FAILURES:
                raise PoolFailed("grading workers keep dying while starting")
        _stop(slot)
        self.slots[self.slots.index(slot)] = self._start(slot.index)
        return slot.job

    def close(self) -> None:
        for slot in self.slots:
            with suppress(OSError):
                send(slot.outbox, {"stop": True})
        for slot in self.slots:
            with suppress(subprocess.TimeoutExpired):
                slot.process.wait(timeout=10)
            _stop(slot)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop(slot: _Slot) -> None:
    if slot.process.poll() is None:
        slot.process.kill()
    slot.process.wait()
    for handle in (slot.inbox, slot.outbox):
        handle.close()
    os.close(slot.exited)
