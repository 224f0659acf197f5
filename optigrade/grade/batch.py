"""`grader grade`: grade a whole class, sandboxed, in parallel, resumable.

Each student's result is written atomically (``<out>/results/<student>.json``) as soon as
it is known; a rerun skips students whose submission and source are unchanged (their
hashes match), so a killed run resumes where it stopped. ``results.jsonl``,
``grades.csv`` and ``summary.json`` are then rebuilt from the per-student files alone:
the same inputs give byte-identical tables.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from grader.question import Question
from grader_sandbox import jail
from grader_sandbox.isolation import Limits
from grader_sandbox.messages import RunnerSettings
from grader_sandbox.runner import heavy_imports
from optigrade import bank
from optigrade.assign.cells import grade_id
from optigrade.grade import results, submissions
from optigrade.grade.pool import Pool, WorkerPool
from optigrade.grade.restore import grade_id_of, is_test, restore

if TYPE_CHECKING:
    from distributed import Client

#: Course folders besides the submissions, the source and the output that student code
#: must not see (relative to the working directory: nbgrader's gradebook, other students'
#: graded copies and feedback, the solutions).
COURSE_PRIVATE = ("gradebook.db", "autograded", "feedback", "solutions")
#: How every output names a batch graded with --trust-submissions where isolation failed.
UNISOLATED = "graded WITHOUT isolation (--trust-submissions)"


@dataclass
class BatchSummary:
    """What a run did; `failed` names every student whose notebook could not be read or
    did not run to its end, with why (the class report lists them)."""

    assignment: str
    out: Path
    questions: list[str]
    students: list[str]
    graded: list[str] = field(default_factory=list)  # in this run
    skipped: list[str] = field(default_factory=list)  # unchanged since an earlier run
    failed: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    unisolated: str = ""  # why student code ran without isolation ("": it was isolated)


@dataclass(frozen=True)
class _Source:
    assignment: str
    notebook: nbformat.NotebookNode
    sha256: str
    questions: tuple[Question, ...]  # graded questions with a test cell, in bank order
    warnings: tuple[str, ...]


def _source(assignment: str, folder: Path) -> _Source:
    path = folder / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        found = sorted((folder / assignment).glob("*.ipynb"))
        if len(found) != 1:
            raise FileNotFoundError(f"no source notebook {path}")
        path = found[0]
    data = path.read_bytes()
    notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
    tests = {grade_id_of(c) for c in notebook.cells if is_test(c)}
    known = {grade_id(q.id): q for q in bank.questions(assignment) if not q.practice}
    warnings = [
        f"source test cell {gid} is not a question of the bank" for gid in tests - set(known)
    ]
    warnings += [
        f"question {q.id} has no test cell in {path}" for g, q in known.items() if g not in tests
    ]
    graded = tuple(q for g, q in known.items() if g in tests)
    digest = hashlib.sha256(data).hexdigest()
    return _Source(assignment, notebook, digest, graded, tuple(sorted(warnings)))


def grade_assignment(
    assignment: str,
    submitted: Path = Path("submitted"),
    source: Path = Path("exercises"),
    release: Path = Path("release"),
    out: Path | None = None,
    jobs: int | None = None,
    timeout: float = Limits.timeout,
    cell_timeout: float = Limits.cell_timeout,
    force: bool = False,
    progress: bool = True,
    *,
    memory_mb: int = Limits.memory_mb,
    trust_submissions: bool = False,
    keras_backend: str | None = None,
    hide: Sequence[Path] = (),
    gradebook: Path | None = None,
    exports: bool = True,
    cluster: str | Client | None = None,
) -> BatchSummary:
    """Grade every submission of `assignment` (see the module doc). `jobs` workers (default:
    the number of cores); `timeout` and `cell_timeout` in seconds of wall-clock time per
    submission and per cell; `memory_mb` per submission; `hide` adds folders student code
    must not see (it sees none but the installation and the release anyway). Student code
    runs isolated (`grader_sandbox.jail`); where that cannot be had, grading raises
    `IsolationUnavailable` unless `trust_submissions`, which grades without isolation and
    says so in every output. `cluster` grades on Dask instead of local workers: a
    scheduler's address, ``local:N`` or a connected client (`optigrade.grade.cluster`).
    Ends with the exports unless `exports` is False (feedback pages, report.html and,
    given the nbgrader course `gradebook`, its gradebook's scores): an export that fails
    is a warning, never an error."""
    started = time.monotonic()
    out = out if out is not None else Path("graded") / assignment
    folder = out / "results"
    folder.mkdir(parents=True, exist_ok=True)
    src = _source(assignment, source)
    found = submissions.discover(submitted, assignment)
    summary = BatchSummary(
        assignment,
        out,
        [q.id for q in src.questions],
        [s.student for s in found.submissions],
        warnings=[*src.warnings, *found.warnings],
    )
    if not (release / assignment).is_dir():
        summary.warnings.append(f"no release folder {release / assignment}: no data files")
    log = _Log(len(found.submissions), progress)
    to_run = _to_run(found.submissions, src, folder, force, summary, log)
    if to_run:
        limits = Limits(timeout=timeout, cell_timeout=cell_timeout, memory_mb=memory_mb)
        private = [submitted, source, out, *hide, *map(Path, COURSE_PRIVATE)]
        found_jail: jail.Jail | None = None
        if cluster is None:  # a cluster's grading nodes probe their own (grader_sandbox.node)
            try:
                found_jail = jail.find()
            except jail.IsolationUnavailable as e:
                if not trust_submissions:
                    raise
                _unisolated(summary, str(e))
        code = (c.source for c in src.notebook.cells if c.cell_type == "code")
        settings = RunnerSettings(
            assignment=assignment,
            limits=limits,
            private=tuple(sorted({str(p.resolve()) for p in private if p.exists()})),
            release=jail.pack_release(release / assignment),
            heavy=tuple(heavy_imports(code)),
            keras_backend=keras_backend or os.environ.get("KERAS_BACKEND", "jax"),
            jail=found_jail and found_jail.mode,
            bwrap=found_jail and found_jail.bwrap,
            trust=trust_submissions,
        )
        size = min(jobs or os.cpu_count() or 1, len(to_run))
        with (
            log.running(),
            _scratch(out) as scratch,
            _pool(cluster, size, replace(settings, scratch=str(scratch))) as pool,
        ):
            metas: dict[str, dict[str, Any]] = {}

            def jobs() -> Iterator[dict[str, Any]]:  # restored as the pool asks for them
                for job, meta in _pending(to_run, src, folder, summary, log):
                    metas[job["student"]] = meta
                    yield job

            for job, reply in pool.map(jobs()):
                _finish(folder, _merge(metas.pop(job["student"]), reply, src), summary, log)
        if pool.unisolated:  # said by a grading node
            _unisolated(summary, pool.unisolated)
    _tables(out, folder, src, found.submissions, summary)
    if exports:
        from optigrade.export.run import write_all  # matplotlib loads only now

        summary.warnings += write_all(out, gradebook)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _pool(cluster: str | Client | None, size: int, settings: RunnerSettings) -> Pool:
    """The local pool of `size` workers, or the Dask cluster named by `cluster`."""
    if cluster is None:
        return WorkerPool(size, settings)
    from optigrade.grade.cluster import ClusterPool  # Dask loads only for a cluster

    return ClusterPool(cluster, settings)


def _unisolated(summary: BatchSummary, why: str) -> None:
    summary.unisolated = summary.unisolated or why
    summary.warnings.append(f"{UNISOLATED}: {why}")


def _to_run(
    found: Sequence[submissions.Submission],
    src: _Source,
    folder: Path,
    force: bool,
    summary: BatchSummary,
    log: _Log,
) -> list[submissions.Submission]:
    """The submissions to grade; those unchanged since an earlier run are skipped here."""
    to_run = []
    for sub in found:
        earlier = None if force else results.read(folder, sub.student)
        if earlier is not None and _unchanged(earlier, sub, src):
            summary.skipped.append(sub.student)
            log.done(earlier, skipped=True)
        else:
            to_run.append(sub)
    return to_run


def _pending(
    to_run: Sequence[submissions.Submission],
    src: _Source,
    folder: Path,
    summary: BatchSummary,
    log: _Log,
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(job, what the result records besides the run) for each notebook to run, in turn;
    those that cannot be read or restored are recorded here instead."""
    for sub in to_run:
        try:
            job, meta = _prepare(sub, src)
        except Exception as e:  # a notebook that breaks restoring must not stop the batch
            reason = f"the notebook could not be prepared: {type(e).__name__}: {e}"
            job, meta = None, _without_run(sub, src, "invalid", reason, [])
        if job is None:  # nothing to run: the notebook is missing or unreadable
            _finish(folder, meta, summary, log)
        else:
            yield job, meta


@contextmanager
def _scratch(out: Path) -> Iterator[Path]:
    """The sandboxes' working folders: inside the output folder, which student code cannot
    see (each sandbox gets its own folder back), emptied of what a killed run left."""
    scratch = (out / ".sandbox").resolve()
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(mode=0o711)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _unchanged(earlier: dict[str, Any], sub: submissions.Submission, src: _Source) -> bool:
    return (
        earlier.get("submission", {}).get("sha256") == sub.sha256
        and earlier.get("source_sha256") == src.sha256
        and earlier.get("status") not in results.RETRY
    )


def _meta(sub: submissions.Submission, src: _Source, notes: list[str]) -> dict[str, Any]:
    """What every result records besides the run."""
    return {
        "format": results.FORMAT,
        "student": sub.student,
        "assignment": src.assignment,
        "submission": {"origin": sub.origin, "sha256": sub.sha256, "notes": notes},
        "source_sha256": src.sha256,
        "max": sum(q.points for q in src.questions),
    }


def _without_run(
    sub: submissions.Submission, src: _Source, status: str, reason: str, notes: list[str]
) -> dict[str, Any]:
    """The finished result of a notebook that cannot run: 0 for every question."""
    per_question = "invalid" if status == "invalid" else "not run"
    entries = results.without_run(src.questions, per_question, reason)
    meta = _meta(sub, src, notes) | {"status": status, "reason": reason}
    return {**meta, "questions": entries, "score": 0.0}


def _prepare(
    sub: submissions.Submission, src: _Source
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the job for the workers, what the result records besides the run); without a
    readable notebook there is no job and the second item is the finished result."""
    loaded = submissions.load(sub)
    if loaded.notebook is None:
        return None, _without_run(sub, src, loaded.status, loaded.message, loaded.notes)
    restored = restore(src.notebook, loaded.notebook)
    tests = set(restored.tests.values())
    code = [(i, c) for i, c in enumerate(restored.notebook.cells) if c.cell_type == "code"]
    job = {
        "student": sub.student,
        "cells": [[i, c.source, i in tests] for i, c in code],
        "tests": {q.id: restored.tests[grade_id(q.id)] for q in src.questions},
    }
    return job, _meta(sub, src, loaded.notes) | {"restore_notes": restored.notes}


def _merge(meta: dict[str, Any], reply: dict[str, Any], src: _Source) -> dict[str, Any]:
    """A worker's reply as a result; an internal error still scores every question."""
    result = {**meta, **{k: v for k, v in reply.items() if k != "student"}}
    if "questions" not in reply:
        why = f"the submission could not be graded: {reply.get('reason')}"
        result["questions"] = results.without_run(src.questions, "not run", why)
    result["score"] = sum(q["score"] for q in result["questions"])
    return result


def _finish(folder: Path, result: dict[str, Any], summary: BatchSummary, log: _Log) -> None:
    results.save(folder, result)
    summary.graded.append(result["student"])
    log.done(result)


def _failure(result: dict[str, Any]) -> str | None:
    if result.get("status") == "graded":
        return None
    return f"{result.get('status')}: {result.get('reason') or 'no reason given'}"


def _tables(
    out: Path,
    folder: Path,
    src: _Source,
    found: Sequence[submissions.Submission],
    summary: BatchSummary,
) -> None:
    """results.jsonl, grades.csv and summary.json from the per-student files."""
    from optigrade.export import overrides  # the instructor's manual points, on every run

    manual = overrides.load(out, src.questions, [sub.student for sub in found])
    summary.warnings += manual.warnings
    stored = []
    for sub in found:
        result = results.read(folder, sub.student)
        if result is None:  # a result that vanished mid-run: say so rather than guess
            summary.failed[sub.student] = "internal-error: no result was stored"
            continue
        stored.append(result := manual.apply(result))
        if (why := _failure(result)) is not None:
            summary.failed[sub.student] = why
    results.write_atomic(out / "results.jsonl", results.jsonl(stored))
    results.write_atomic(out / "grades.csv", results.grades_csv(src.questions, stored))
    report = {
        "assignment": summary.assignment,
        "questions": [{"id": q.id, "points": q.points} for q in src.questions],
        "students": summary.students,
        "failed": summary.failed,
        "warnings": summary.warnings,
    }
    results.write_atomic(out / "summary.json", json.dumps(report, indent=1, sort_keys=True) + "\n")


class _Log:
    """Progress on stderr: a bar with ETA on a terminal, one line per student otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.count = total, enabled, 0
        self.bar: Any = None
        self.task: Any = None
        self.tty = enabled and sys.stderr.isatty()

    @contextmanager
    def running(self) -> Iterator[None]:
        if not self.tty:
            yield
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress("grading", *columns, transient=True) as bar:
            self.bar = bar
            self.task = bar.add_task("grading", total=self.total, completed=self.count)
            try:
                yield
            finally:
                self.bar = None

    def done(self, result: dict[str, Any], skipped: bool = False) -> None:
        self.count += 1
        if not self.enabled:
            return
        status = result.get("status")
        line = f"[{self.count}/{self.total}] {result['student']}: "
        line += f"{result.get('score', 0):g}/{result.get('max', 0):g} "
        line += "(unchanged, skipped)" if skipped else f"({status})"
        if not skipped and status != "graded" and result.get("reason"):
            line += f": {result['reason']}"
        if self.bar is None:
            print(line, file=sys.stderr, flush=True)
            return
        self.bar.update(self.task, completed=self.count)
        if status != "graded" and not skipped:  # on a terminal, only what needs a look
            self.bar.console.print(line, markup=False, highlight=False)
