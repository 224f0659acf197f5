"""A small pool of grading workers (long-lived processes), fed one submission at a time.

Workers are fresh interpreters (``python -P -m grader.grade.worker``), not forks of the
batch and not `multiprocessing` spawns, which re-run the caller's main script: an
instructor's unguarded ``grade.py`` would start a batch in every worker. Messages are
JSON on two pipes per worker. A worker that dies (or hangs past the submission limit plus
a margin) is replaced; the submission it held is tried once more on a fresh worker, then
reported as an internal error: never a lost batch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from grader.grade.messages import receive, send

START_TIMEOUT = 300.0  # seconds for a worker's imports
MARGIN = 60.0  # seconds past the submission limit before a worker counts as hung
ATTEMPTS = 2
START_FAILURES = 3  # workers dying before they are ready, before the batch gives up
Job = dict[str, Any]  # a job or a reply: JSON-able


class PoolFailed(RuntimeError):
    """No worker could start (the reason is the worker's own report)."""


@dataclass
class _Slot:
    index: int
    process: subprocess.Popen
    inbox: Connection  # replies from the worker
    outbox: Connection  # jobs to the worker
    exited: int  # a pidfd: readable once the worker has exited
    ready: bool = False
    job: Job | None = None
    since: float = field(default_factory=time.monotonic)


class WorkerPool:
    """`size` workers grading jobs (dicts with a "student") per `settings` (see
    `grader.grade.worker.Worker`)."""

    def __init__(self, size: int, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.deadline = float(settings["limits"]["timeout"]) + MARGIN
        self.start_failures = 0
        self.slots = [self._start(i) for i in range(max(1, size))]

    def _start(self, index: int) -> _Slot:
        jobs_r, jobs_w = os.pipe()
        replies_r, replies_w = os.pipe()
        command = [sys.executable, "-P", "-m", "grader.grade.worker", str(jobs_r), str(replies_w)]
        # the worker imports exactly what this process would: same path, no cwd added
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        process = subprocess.Popen(
            command, pass_fds=(jobs_r, replies_w), stdin=subprocess.DEVNULL, env=env
        )
        os.close(jobs_r)
        os.close(replies_w)
        slot = _Slot(
            index,
            process,
            Connection(replies_r, writable=False),
            Connection(jobs_w, readable=False),
            os.pidfd_open(process.pid),
        )
        send(slot.outbox, {**self.settings, "index": index})
        return slot

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Job]]:
        """(job, reply) pairs as workers finish them, in completion order."""
        queue = deque((job, 1) for job in jobs)
        attempts: dict[int, int] = {}
        while queue or any(s.job is not None for s in self.slots):
            for slot in self.slots:
                if slot.ready and slot.job is None and queue:
                    job, attempt = queue.popleft()
                    attempts[id(job)] = attempt
                    slot.job, slot.since = job, time.monotonic()
                    send(slot.outbox, job)
            for slot in self._ready(timeout=1.0):
                reply = self._receive(slot)
                if reply is None:  # the worker died or hung
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
                    job, slot.job = slot.job, None
                    yield job, reply

    def _ready(self, timeout: float) -> list[_Slot]:
        """Slots with a message, a dead worker, or a worker past its deadline."""
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
            return None  # a dead or hung worker
        try:
            return receive(slot.inbox)
        except EOFError:
            return None

    def _replace(self, slot: _Slot) -> Job | None:
        """Start a fresh worker in the slot; the job the old one held, if any."""
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


def internal(job: Job, reason: str) -> Job:
    """The reply of a job the grader could not grade, saying why."""
    return {"student": job.get("student"), "status": "internal-error", "reason": reason}
