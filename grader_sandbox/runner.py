"""The sandbox runner: the process that forks each submission's child, holding no key.

The local pool (`optigrade.grade.pool`) or a cluster's grading node starts it as
``python -P -m grader_sandbox.runner IN OUT``, inside bubblewrap where isolation can be had
(`grader_sandbox.jail`: `reference` and the bank's computations are not even in its view).
It imports what notebooks use and the student side of the grader, gets the assignment's
questions as specs (`grader.spec`: no expected value, no mistake, no probe output),
then for each submission runs its code cells in a sandbox (its given cells reading the
student's own numbers, sent with the job) and replies with the run's outcome and the
recorded answers as bytes. The judge grades them: children are forked
from a process that never held the answer key, so student code finds none in memory.

Messages are typed JSON on two pipes (`grader_sandbox.messages`), never pickle.
"""

from __future__ import annotations

import ast
import base64
import importlib
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from grader_sandbox.jail import SANDBOX
from grader_sandbox.messages import RunJob, RunnerSettings, RunReply, serve

#: Set before NumPy loads: forked children must not inherit BLAS thread pools.
THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
UNFORKABLE = ("jax", "keras", "torch", "tensorflow")
#: Heavy modules a runner imports before it forks, when the assignment's notebook imports
#: the module named first (`grader.coursedata` hands out DataFrames); a submission that
#: imports one of them otherwise pays for it in its own child. (IPython, NumPy and SymPy,
#: which the grader's student side uses, are always imported.)
HEAVY = {
    "matplotlib.pyplot": "matplotlib.pyplot",
    "pandas": "pandas",
    "grader.coursedata": "pandas",
}


def heavy_imports(sources: Iterable[str]) -> list[str]:
    """The `HEAVY` modules a runner should import for notebook cells `sources` (the
    instructor's source notebook: trusted code, parsed, never run)."""
    named: set[str] = set()
    for source in sources:
        lines = source.splitlines()  # IPython's magics and shell escapes blanked
        code = "\n".join("" if x.lstrip().startswith(("%", "!")) else x for x in lines)
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                named |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                named |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return sorted({HEAVY[name] for name in named if name in HEAVY})


def preload(specs: Iterable[Mapping[str, Any]], heavy: Iterable[str] = ()) -> dict[str, Any]:
    """Import what every notebook uses (and the `heavy` modules this assignment's do) and
    warm the encoder on the questions (built from their `specs`), so that a child does not
    set it up for the first time; the questions by id."""
    for var in THREADS:
        os.environ[var] = "1"
    os.environ["MPLBACKEND"] = "Agg"  # also for a child that imports matplotlib itself
    import IPython  # noqa: F401
    import numpy
    import sympy  # noqa: F401

    for name in heavy:
        if name in HEAVY.values():
            importlib.import_module(name)
    import grader.student.api  # noqa: F401
    from grader import engine
    from grader.compare import wire
    from grader.spec import from_spec

    questions = {q.id: q for q in map(from_spec, specs)}  # every part's kind loaded
    with tempfile.TemporaryDirectory() as scratch:
        for q in questions.values():
            # an answer recorded once: what a child would otherwise set up for the first
            # time (and copy page by page from this process) is ready before forks
            wire.dump(engine.encode(q, numpy.zeros((2, 1))), scratch, q.id)
    loaded = [m for m in UNFORKABLE if m in sys.modules]
    if loaded:
        raise RuntimeError(f"preloading imported {', '.join(loaded)}: forking would be unsafe")
    return questions


class Runner:
    """The sandbox, built once per runner process from its `settings`."""

    def __init__(self, settings: RunnerSettings) -> None:
        base = _base(settings)  # before the imports: a runner that cannot work says so now
        questions = preload(settings.specs, settings.heavy)
        from grader.student import api
        from grader_sandbox import child, isolation, sandbox

        api.provide(questions)  # what `grader.score` encodes for, in every child
        mode = settings.jail
        self.sandbox = sandbox.Sandbox(
            child.make_shell(),
            limits=settings.limits,
            uid=isolation.sandbox_uid(settings.index) if mode == "root" else None,
            release={name: base64.b64decode(data) for name, data in settings.release.items()},
            keras_backend=settings.keras_backend,
            jail=mode,
            base=base,
        )

    def handle(self, job: RunJob) -> RunReply:
        from grader.compare import tagged

        given = {
            qid: {name: tagged.load(value) for name, value in values.items()}
            for qid, values in job.given.items()
        }
        with self.sandbox.run(job.cells, given) as outcome:
            records = _packed(outcome.records) if outcome.records else {}
            return RunReply(replace(outcome, records=None), records)

    def spent(self) -> bool:
        """After a notebook imported JAX (or the like) here, later forks would carry it:
        a clean runner takes this one's place."""
        return any(m in sys.modules for m in UNFORKABLE)

    def close(self) -> None:
        self.sandbox.close()


def _base(settings: RunnerSettings) -> Path:
    """Where the sandboxes work: the jail's empty folder, or else the scratch folder."""
    if settings.jail is not None:
        return SANDBOX
    if settings.scratch is None:
        raise ValueError("an unisolated runner needs a scratch folder")
    return Path(settings.scratch)


def _packed(folder: Path) -> dict[str, dict[str, str]]:
    """The recorded answers (regular files the sandbox copied back, size-capped there):
    {cell folder: {file name: base64}}."""
    return {
        cell.name: {
            f.name: base64.b64encode(f.read_bytes()).decode("ascii") for f in cell.iterdir()
        }
        for cell in sorted(folder.iterdir())
    }


def main(inbox: Connection, outbox: Connection) -> None:
    serve(inbox, outbox, Runner)


if __name__ == "__main__":
    main(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
