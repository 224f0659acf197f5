"""`grader grade --cluster`: the class graded on a Dask cluster, judged here.

`ClusterPool` is a `Pool` as the local `WorkerPool` is, so the batch
(`optigrade.grade.batch`) writes each result as it arrives, shows progress and builds its
tables exactly as it does locally. Each job becomes one Dask task
(`grader_sandbox.node.run`). The task gets the notebook's cells and the batch's settings,
whose questions are specs (no answer), as JSON text. It returns the node's sandbox run
as JSON text (`grader_sandbox.node.NodeResult`, checked field by field here).
This process holds the key and judges that run as the local pool does
(`optigrade.grade.judge.Judge`). So the grading nodes never see an expected value, and
this side unpickles nothing that student code could have touched.

A Dask worker that dies costs only the tasks it held: Dask runs them elsewhere. A task
on which workers keep dying ends as `KilledWorker` and is recorded as an internal error.
For ``local:N`` that is the second death, as in the local pool. An external scheduler
decides by its own ``distributed.scheduler.allowed-failures``.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from grader_sandbox import node
from grader_sandbox.messages import RunJob, RunnerSettings
from grader_sandbox.typedjson import MessageError
from optigrade.grade.judge import Job, Judge, Judged, internal

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

    from optigrade.grade.numbers import Numbers

CONNECT_SECONDS = 10.0
#: Tasks in flight per worker thread: 2 left the workers waiting on the client, and all
#: at once holds a whole class in the scheduler (BENCHMARKS.md, runs 5 and 6)
AHEAD = 8
WINDOW_SECONDS = 5.0  # how often a full window asks the scheduler how many threads it has
LOCAL = "local:"


class ClusterUnavailable(RuntimeError):
    """The Dask scheduler does not answer, or went away mid-batch."""


@dataclass(frozen=True)
class ClusterAddress:
    """What --cluster names: a running scheduler, or a LocalCluster of `workers` processes
    started for the batch."""

    text: str
    workers: int = 0  # 0: `text` is a running scheduler's address


def parse(text: str) -> ClusterAddress:
    """--cluster's value checked: ``local:N`` (N >= 1) or a scheduler address such as
    ``tcp://host:8786``; ValueError saying what was expected otherwise."""
    if text.startswith(LOCAL):
        count = text.removeprefix(LOCAL)
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"{text!r}: local:N needs a number of worker processes N >= 1")
        return ClusterAddress(text, int(count))
    if "://" not in text or not text.split("://", 1)[1]:
        raise ValueError(
            f"{text!r} is neither a Dask scheduler address (e.g. tcp://host:8786) nor local:N"
        )
    return ClusterAddress(text)


def local_cluster(workers: int) -> LocalCluster:
    """``local:N``: N worker processes of one thread here, a task given up on the second
    death of its worker (as the local pool does)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )


def _answers(address: str) -> None:
    """ClusterUnavailable unless a Dask scheduler answers at `address` within
    CONNECT_SECONDS (Client's own timeout does not cover a server that accepts and never
    speaks). In a thread of its own: the caller may be running an event loop (Jupyter)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect

    async def identity() -> None:
        comm = await connect(address, timeout=CONNECT_SECONDS)
        try:
            await comm.write({"op": "identity", "reply": True})
            await comm.read()
        finally:
            comm.abort()

    with ThreadPoolExecutor(1) as thread:
        try:
            thread.submit(asyncio.run, asyncio.wait_for(identity(), CONNECT_SECONDS)).result()
        except (OSError, ValueError) as e:  # refused, silent, unknown host or protocol
            detail = f" ({e})" if str(e) else ""
            raise ClusterUnavailable(
                f"no Dask scheduler answers at {address} within {CONNECT_SECONDS:g} s{detail}"
            ) from None


def _died(times: int) -> str:
    return f"the grading node died {'twice' if times == 2 else f'{times} times'} on it"


class ClusterPool:
    """Jobs (dicts with a "student", "cells" and "tests") graded on the cluster `target`
    per `settings` (the pool's settings; see the module doc). `target` is --cluster's text
    or a connected `distributed.Client` (a Dask Gateway's, say), which is left open."""

    def __init__(
        self, target: str | Client, settings: RunnerSettings, numbers: Numbers | None = None
    ) -> None:
        self.cluster: LocalCluster | None = None
        self.client, self.owned = self._connect(target)  # first: an unanswered one fails fast
        self.judge = Judge(settings.assignment, numbers)
        self.unisolated = ""  # why a node ran student code without isolation (trusted)
        self.address = str(self.client.scheduler.address)
        # the questions as specs; each node decides its own jail, scratch folder and index
        specs = tuple(self.judge.specs())
        text = replace(settings, specs=specs, jail=None, bwrap=None, scratch=None).to_json()
        self.digest = hashlib.sha256(text.encode()).hexdigest()
        # a task rather than scattered data: recomputed should every worker holding it die
        self.settings = self.client.submit(str, text, key=f"optigrade-settings-{self.digest}")
        self.futures: dict[Future, Job] = {}
        self.sent: dict[Future, float] = {}  # when each task was sent
        # each worker's runner starts now, beside the judge's warm-up, as in the local pool
        self.warming = [
            self.client.submit(node.warm, self.digest, self.settings, workers=[w], pure=False)
            for w in self.client.scheduler_info()["workers"]
        ]
        self.judge.warm()

    def _connect(self, target: str | Client) -> tuple[Client, bool]:
        from distributed import Client

        if not isinstance(target, str):
            return target, False
        address = parse(target)
        if address.workers:
            self.cluster = local_cluster(address.workers)
            return Client(self.cluster, set_as_default=False), True
        _answers(address.text)
        return Client(address.text, timeout=CONNECT_SECONDS, set_as_default=False), True

    def map(self, jobs: Iterable[Job]) -> Iterator[tuple[Job, Judged]]:
        """(job, reply) pairs as the cluster finishes them, in completion order. `jobs` is
        read as the cluster needs them, AHEAD tasks per worker thread in flight: a class
        of thousands is neither restored nor held by the scheduler all at once, and each
        result is judged as soon as it is back."""
        from distributed import as_completed

        # results fetched in the background, not one round trip each
        done = as_completed(loop=self.client.loop, with_results=True, raise_errors=False)
        window, counted = self._window(), time.monotonic()
        for job in jobs:
            key = f"grade-{uuid.uuid4().hex}-{job['student']}"  # whose, on the dashboard
            run = RunJob.of(job["cells"], job.get("given")).to_json()
            task = self.client.submit(node.run, self.digest, self.settings, run, key=key)
            self.futures[task] = job
            self.sent[task] = time.monotonic()
            done.add(task)
            if done.count() >= window and time.monotonic() - counted > WINDOW_SECONDS:
                window, counted = self._window(), time.monotonic()  # workers joined or left
            while done.has_ready() or done.count() >= window:
                yield self._collected(*next(done))
        for task, result in done:
            yield self._collected(task, result)

    def _window(self) -> int:
        """How many tasks may be in flight: AHEAD per worker thread of the cluster now."""
        return AHEAD * max(1, sum(self.client.nthreads().values()))

    def running(self) -> list[tuple[str, float]]:
        """The students sent to the cluster and not back yet (some may wait there for a
        worker thread), with when each was sent."""
        sent, held = dict(self.sent), dict(self.futures)  # copied: asked from another thread
        return [(job["student"], sent[task]) for task, job in held.items() if task in sent]

    def _collected(self, task: Future, result: object) -> tuple[Job, Judged]:
        job = self.futures.pop(task)
        self.sent.pop(task, None)
        return job, self._reply(job, task, result)

    def _reply(self, job: Job, task: Future, result: object) -> Judged:
        """The reply to `job` from its finished task's `result` (a `NodeResult`'s JSON)."""
        from distributed import KilledWorker

        try:
            if task.status != "finished":
                task.result()  # raises what the task met (KilledWorker, cancelled...)
            found = node.NodeResult.from_json(str(result))
        except KilledWorker as e:
            return internal(_died(e.allowed_failures + 1))
        except (OSError, TimeoutError, MessageError) as e:
            return internal(f"the grading node's answer was lost: {e}")
        except Exception as e:
            if task.cancelled() or self.client.status != "running":
                raise ClusterUnavailable(f"the Dask scheduler at {self.address} went away") from e
            return internal(f"the grading node failed: {type(e).__name__}: {e}")
        if found.reply is None:
            why = f"{found.refused}; nothing ran (--trust-submissions grades anyway)"
            return Judged("setup-failed", why)
        self.unisolated = self.unisolated or found.unisolated
        return self.judge.graded(job, found.reply, found.isolation, found.seconds)

    def close(self) -> None:
        if self.futures or self.warming:
            self.client.cancel([*self.futures, *self.warming])
        self.settings.release()
        if self.owned:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> ClusterPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
