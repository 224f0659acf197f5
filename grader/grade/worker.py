"""A grading worker: a long-lived process that runs submissions in sandboxes and grades
them, so the expensive imports are paid once per worker rather than once per student.

Started by `grader.grade.pool` as ``python -P -m grader.grade.worker IN OUT`` with two
pipe descriptors: it reads its settings, then one job at a time, and answers each in JSON
(never pickle): a job is a restored notebook's code cells, the reply the run's outcome
and every question's entry. It must never import JAX or Keras (a forked JAX is unsafe);
a notebook that needs them imports them in its own child.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sys
import tempfile
import time
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from grader.grade import results

#: Set before NumPy loads: forked children must not inherit BLAS thread pools.
THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
UNFORKABLE = ("jax", "keras", "torch", "tensorflow")
MAX_MESSAGE_BYTES = 256 * 2**20


def send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message).encode())  # ASCII: even lone surrogates pass


def receive(conn: Connection) -> dict[str, Any]:
    """The next message; EOFError when the other side has gone."""
    try:
        found = json.loads(conn.recv_bytes(MAX_MESSAGE_BYTES))
    except (OSError, ValueError) as e:
        raise EOFError(str(e)) from e
    return found if isinstance(found, dict) else {}


def main(inbox: Connection, outbox: Connection) -> None:
    from grader.grade import isolation

    isolation.die_with_parent(signal.SIGKILL)  # nothing outlives a killed batch
    try:
        settings = receive(inbox)
        worker = Worker(int(settings["index"]), settings)
    except Exception as e:  # reported, so the batch can say why it cannot start
        send(outbox, {"fatal": f"{type(e).__name__}: {e}"})
        return
    send(outbox, {"ready": True})
    try:
        _serve(worker, inbox, outbox)
    finally:
        worker.close()


def _serve(worker: Worker, inbox: Connection, outbox: Connection) -> None:
    while True:
        try:
            job = receive(inbox)
        except EOFError:
            return  # the batch has gone
        if job.get("stop"):
            return
        try:
            reply = worker.grade(job)
        except Exception as e:  # a grader bug costs this submission, not the batch
            reason = f"the grader failed: {type(e).__name__}: {e}"
            reply = {"student": job.get("student"), "status": "internal-error", "reason": reason}
        send(outbox, reply)
        if any(m in sys.modules for m in UNFORKABLE):
            return  # the pool starts a clean worker: later forks must not carry JAX


def preload(assignment: str) -> None:
    """Import what every notebook uses, and warm the grader's caches for the assignment."""
    for var in THREADS:
        os.environ[var] = "1"
    os.environ["MPLBACKEND"] = "Agg"
    import matplotlib

    matplotlib.use("Agg")
    import IPython  # noqa: F401
    import matplotlib.pyplot
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import sympy  # noqa: F401

    import grader.student.api  # noqa: F401
    from grader import bank
    from grader.bank.model import Model
    from grader.compare import layout, scoring, wire

    # Record and grade every reference answer once: what a child would otherwise set up
    # for the first time (and copy page by page from this process) is ready before forks.
    with tempfile.TemporaryDirectory() as scratch:
        for q in bank.questions(assignment):
            if any(isinstance(p, Model) for p in q.parts):  # Keras: loaded when used
                continue
            with suppress(Exception):  # only a warm-up: grading reports such failures
                wire.dump(wire.encode(q, layout.assemble(q, q.answer), True), scratch, q.id)
                scoring.grade(q, wire.load(scratch, q.id), hidden=True)
    loaded = [m for m in UNFORKABLE if m in sys.modules]
    if loaded:
        raise RuntimeError(f"preloading imported {', '.join(loaded)}: forking would be unsafe")


class Worker:
    """The sandbox and the questions, built once per worker process."""

    def __init__(self, index: int, settings: dict[str, Any]) -> None:
        preload(settings["assignment"])
        from grader import bank
        from grader.grade import child, isolation, jail, sandbox

        limits = isolation.Limits(**settings["limits"])
        mode = settings.get("jail")  # the bubblewrap mode this worker was started in
        self.questions = {q.id: q for q in bank.questions(settings["assignment"])}
        self.sandbox = sandbox.Sandbox(
            child.make_shell(),
            limits=limits,
            uid=isolation.sandbox_uid(index) if mode == "root" else None,
            release={name: base64.b64decode(data) for name, data in settings["release"].items()},
            keras_backend=settings.get("keras_backend", "jax"),
            jail=mode,
            base=jail.SANDBOX if mode else Path(settings["scratch"]),
        )

    def grade(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one restored notebook and grade its recorded answers."""
        started = time.monotonic()
        cells = [(int(i), str(source), bool(test)) for i, source, test in job["cells"]]
        tests = {str(qid): int(i) for qid, i in job["tests"].items()}
        questions = [self.questions[qid] for qid in tests]
        with self.sandbox.run(cells) as outcome:
            entries = results.grade_run(questions, tests, outcome)
        return {
            "student": job["student"],
            "status": "graded" if outcome.status == "completed" else outcome.status,
            "reason": outcome.reason,
            "questions": entries,
            "cells": outcome.cells,
            "protections": outcome.protections,
            "isolation": self.sandbox.jail or "none",
            "output": outcome.output,
            "leftover": outcome.leftover,
            "run_seconds": outcome.seconds,
            "seconds": round(time.monotonic() - started, 3),
        }

    def close(self) -> None:
        self.sandbox.close()


if __name__ == "__main__":
    main(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
