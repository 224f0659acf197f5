"""`grader grade`: grade a whole class, sandboxed, in parallel, resumable.

Each student's result is written atomically (``<out>/results/<student>.json``) as soon as
it is known; a rerun skips students whose submission and source are unchanged (their
hashes match), so a killed run resumes where it stopped, and brings their lateness up to
date (`optigrade.grade.deadline`: a new extension or policy runs no notebook again).
``results.jsonl``, ``grades.csv`` and ``summary.json`` are then rebuilt from the
per-student files alone: the same inputs give byte-identical tables.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import nbformat

from grader.question import Question
from grader_sandbox import jail
from grader_sandbox.isolation import Limits
from grader_sandbox.messages import RunnerSettings
from grader_sandbox.runner import heavy_imports
from optigrade import bank
from optigrade.assign.cells import grade_id
from optigrade.grade import deadline, results, submissions
from optigrade.grade.judge import Judged
from optigrade.grade.numbers import Numbers
from optigrade.grade.options import GradeOptions, GradePaths
from optigrade.grade.places import Place, places
from optigrade.grade.pool import Pool, WorkerPool
from optigrade.grade.progress import Log
from optigrade.grade.restore import grade_id_of, is_test, restore
from optigrade.records import files, stored
from optigrade.records.lateness import Lateness
from optigrade.records.repairs import Repair
from optigrade.records.result import (
    RETRY,
    CellLog,
    QuestionEntry,
    Run,
    RunStatus,
    StudentResult,
    SubmissionInfo,
    Variant,
)
from optigrade.records.summary import ClassSummary, GradedQuestion
from optigrade.variants import VariantError

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
    variants: bool = False  # each student graded against their own numbers
    unisolated: str = ""  # why student code ran without isolation ("": it was isolated)


@dataclass(frozen=True)
class _Source:
    assignment: str
    notebook: nbformat.NotebookNode
    sha256: str
    questions: tuple[Question, ...]  # graded questions with a test cell, in bank order
    warnings: tuple[str, ...]

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)


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


def _reference(release: Path, src: _Source) -> submissions.Reference:
    """What a student's copy of the assignment looks like: the released notebook, else
    the source (its grade ids are the same)."""
    path = release / f"{src.assignment}.ipynb"
    try:
        return submissions.Reference.of(nbformat.read(path, as_version=4))
    except (OSError, ValueError):  # no release, or not a notebook: the source will do
        return submissions.Reference.of(src.notebook)


def grade_assignment(assignment: str, paths: GradePaths, options: GradeOptions) -> BatchSummary:
    """Grade every submission of `assignment` found in `paths` as `options` say (see the
    module doc), and write the tables. Student code runs isolated (`grader_sandbox.jail`);
    where that cannot be had, grading raises `IsolationUnavailable` unless
    `options.trust_submissions`, which grades without isolation and says so in every
    output. The exports are a next step (`optigrade.export.run.write_all`), as the
    command and the demo take it."""
    started = time.monotonic()
    out = paths.out if paths.out is not None else Path("graded") / assignment
    folder = out / files.RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    src = _source(assignment, paths.source)
    release = paths.release
    reference = _reference(release / assignment, src)
    found = submissions.discover(paths.submitted, assignment, reference=reference)
    students = [s.student for s in found.submissions]
    numbers = Numbers.of(assignment, paths.course, students)
    due = deadline.resolve(
        assignment, options.due, options.late_policy, paths.course, out, students
    )
    summary = BatchSummary(
        assignment,
        out,
        [q.id for q in src.questions],
        students,
        warnings=[*src.warnings, *found.warnings, *due.warnings],
        variants=numbers is not None,
    )
    if not (release / assignment).is_dir():
        summary.warnings.append(f"no release folder {release / assignment}: no data files")
    log = Log(assignment, len(found.submissions), options.progress, limit=options.timeout)
    to_run, unchanged = _to_run(
        found.submissions, src, folder, options.force, summary, due, numbers
    )
    size = min(options.jobs or os.cpu_count() or 1, len(to_run))
    if not to_run:
        log.start(unchanged, size)
    else:
        limits = Limits(
            timeout=options.timeout, cell_timeout=options.cell_timeout, memory_mb=options.memory_mb
        )
        private = [paths.submitted, paths.source, out, *options.hide, *map(Path, COURSE_PRIVATE)]
        # the names the runners' settings below are made from
        cluster, keras_backend = options.cluster, options.keras_backend
        trust_submissions = options.trust_submissions
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
        with (
            log.running(),
            _scratch(out) as scratch,
            _pool(cluster, size, replace(settings, scratch=str(scratch)), numbers) as pool,
        ):
            log.start(unchanged, size)  # once the workers are up: a refusal says only why
            log.watch(pool.running)
            metas: dict[str, _Meta] = {}

            def jobs() -> Iterator[dict[str, Any]]:  # restored as the pool asks for them
                for job, meta in _pending(to_run, src, folder, summary, log, due, numbers):
                    metas[job["student"]] = meta
                    yield job

            for job, reply in pool.map(jobs()):
                result = _merge(metas.pop(job["student"]), reply, src)
                _finish(folder, result, summary, log)
        if pool.unisolated:  # said by a grading node
            _unisolated(summary, pool.unisolated)
    _tables(out, src, found.submissions, summary)
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _pool(
    cluster: str | Client | None, size: int, settings: RunnerSettings, numbers: Numbers | None
) -> Pool:
    """The local pool of `size` workers, or the Dask cluster named by `cluster`, judging
    with the class's `numbers`."""
    if cluster is None:
        return WorkerPool(size, settings, numbers)
    from optigrade.grade.cluster import ClusterPool  # Dask loads only for a cluster

    return ClusterPool(cluster, settings, numbers)


def _unisolated(summary: BatchSummary, why: str) -> None:
    summary.unisolated = summary.unisolated or why
    summary.warnings.append(f"{UNISOLATED}: {why}")


def _to_run(
    found: Sequence[submissions.Submission],
    src: _Source,
    folder: Path,
    force: bool,
    summary: BatchSummary,
    due: deadline.Deadline,
    numbers: Numbers | None,
) -> tuple[list[submissions.Submission], list[StudentResult]]:
    """The submissions to grade, and the results of those unchanged since an earlier run
    (skipped here, their lateness brought up to date: a new extension or policy needs no
    new run)."""
    to_run, unchanged = [], []
    for sub in found:
        earlier = None if force else files.read(folder, sub.student)
        if earlier is not None and _unchanged(earlier, sub, src, numbers):
            summary.skipped.append(sub.student)
            unchanged.append(_relate(folder, earlier, due.lateness(sub)))
        else:
            to_run.append(sub)
    return to_run, unchanged


def _relate(folder: Path, earlier: StudentResult, lateness: Lateness | None) -> StudentResult:
    """A stored result with this run's lateness (saved again if it changed)."""
    if earlier.lateness == lateness:
        return earlier
    result = replace(earlier, lateness=lateness)
    files.save(folder, result)
    return result


def _pending(
    to_run: Sequence[submissions.Submission],
    src: _Source,
    folder: Path,
    summary: BatchSummary,
    log: Log,
    due: deadline.Deadline,
    numbers: Numbers | None,
) -> Iterator[tuple[dict[str, Any], _Meta]]:
    """(job, what the result records besides the run) for each notebook to run, in turn;
    those that cannot be read or restored are recorded here instead."""
    for sub in to_run:
        try:
            prepared = _prepare(sub, src, numbers)
        except VariantError as e:  # the bank's fault, not the notebook's: graded again
            reason = f"the student's numbers could not be drawn: {e}"
            prepared = _without_run(sub, src, "internal-error", reason, [])
        except Exception as e:  # a notebook that breaks restoring must not stop the batch
            reason = f"the notebook could not be prepared: {type(e).__name__}: {e}"
            prepared = _without_run(sub, src, "unreadable", reason, [])
        late = due.lateness(sub)
        if isinstance(prepared, StudentResult):  # nothing to run: missing or unreadable
            _finish(folder, replace(prepared, lateness=late), summary, log)
        else:
            job, meta = prepared
            yield job, replace(meta, lateness=late)


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


def _unchanged(
    earlier: StudentResult, sub: submissions.Submission, src: _Source, numbers: Numbers | None
) -> bool:
    try:
        variant = numbers.variant(sub.student) if numbers else None
    except VariantError:  # graded again, where the reason is recorded
        return False
    return (
        earlier.submission.sha256 == sub.sha256
        and earlier.source_sha256 == src.sha256
        and earlier.status not in RETRY
        and (earlier.variant and earlier.variant.sha256) == (variant and variant.sha256)
    )


@dataclass(frozen=True)
class _Meta:
    """What every result records besides the run: the student and their submission, the
    repairs restoring made (None: it was never restored), where each cell of the notebook
    that runs is (`optigrade.grade.places`), its lateness, and the student's own numbers
    (None: the lab's)."""

    student: str
    submission: SubmissionInfo
    repairs: tuple[Repair, ...] | None = None
    places: dict[int, Place] = field(default_factory=dict)
    lateness: Lateness | None = None
    variant: Variant | None = None


def _meta(sub: submissions.Submission, notes: Sequence[str]) -> _Meta:
    return _Meta(sub.student, SubmissionInfo(sub.origin, sub.sha256, tuple(notes)))


def _result(
    meta: _Meta,
    src: _Source,
    status: RunStatus,
    reason: str,
    questions: Sequence[QuestionEntry],
    run: Run | None = None,
) -> StudentResult:
    """A student's result: the one place where one is put together."""
    return StudentResult(
        student=meta.student,
        assignment=src.assignment,
        submission=meta.submission,
        source_sha256=src.sha256,
        status=status,
        reason=reason,
        max=src.points,
        questions=tuple(questions),
        repairs=meta.repairs,
        run=run,
        lateness=meta.lateness,
        variant=meta.variant,
    )


def _without_run(
    sub: submissions.Submission,
    src: _Source,
    status: RunStatus,
    reason: str,
    notes: Sequence[str],
) -> StudentResult:
    """The finished result of a notebook that cannot run: 0 for every question."""
    per_question = "unreadable" if status == "unreadable" else "not run"
    entries = results.without_run(src.questions, per_question, reason)
    return _result(_meta(sub, notes), src, status, reason, entries)


def _prepare(
    sub: submissions.Submission, src: _Source, numbers: Numbers | None
) -> tuple[dict[str, Any], _Meta] | StudentResult:
    """(the job for the workers, what the result records besides the run); without a
    readable notebook there is no job, only the finished result."""
    loaded = submissions.load(sub)
    variant = numbers.variant(sub.student) if numbers else None
    if loaded.notebook is None:
        status = cast(RunStatus, loaded.status)  # "no notebook", "unreadable" or "refused"
        found = _without_run(sub, src, status, loaded.message, loaded.notes)
        return replace(found, variant=variant)
    restored = restore(src.notebook, loaded.notebook)
    tests = set(restored.tests.values())
    code = [(i, c) for i, c in enumerate(restored.notebook.cells) if c.cell_type == "code"]
    job = {
        "student": sub.student,
        "cells": [[i, c.source, i in tests] for i, c in code],
        "tests": {q.id: restored.tests[grade_id(q.id)] for q in src.questions},
    }
    if variant is not None:
        job["given"] = variant.inputs
    meta = replace(
        _meta(sub, loaded.notes),
        repairs=tuple(restored.repairs),
        places=places(loaded.notebook, restored.notebook),
        variant=variant,
    )
    return job, meta


def _placed(cell: CellLog, meta: _Meta) -> CellLog:
    """A cell of the run's log with where it is in the student's notebook."""
    place = meta.places.get(cell.cell)
    return cell if place is None else replace(cell, question=place.question, number=place.number)


def _merge(meta: _Meta, reply: Judged, src: _Source) -> StudentResult:
    """A judged run as a result; a run that was not judged still scores every question."""
    run = reply.run
    if run is None:
        why = f"the submission could not be graded: {reply.reason}"
        entries = results.without_run(src.questions, "not run", why)
    else:
        entries = reply.questions
        run = replace(run, cells=tuple(_placed(c, meta) for c in run.cells))
    return _result(meta, src, reply.status, reply.reason, entries, run)


def _finish(folder: Path, result: StudentResult, summary: BatchSummary, log: Log) -> None:
    files.save(folder, result)
    summary.graded.append(result.student)
    log.done(result)


def _failure(result: StudentResult) -> str | None:
    if result.status == "graded":
        return None
    return f"{result.status}: {result.reason or 'no reason given'}"


def _tables(
    out: Path, src: _Source, found: Sequence[submissions.Submission], summary: BatchSummary
) -> None:
    """results.jsonl, grades.csv and summary.json from the per-student files, with the
    instructor's overrides (on every run)."""
    graded = stored.load(out, src.questions, [sub.student for sub in found])
    summary.warnings += graded.warnings
    for sub in found:
        result = graded.results.get(sub.student)
        if result is None:  # a result that vanished mid-run: say so rather than guess
            summary.failed[sub.student] = "internal-error: no result was stored"
        elif (why := _failure(result)) is not None:
            summary.failed[sub.student] = why
    shown = graded.results.values()
    files.write_atomic(out / "results.jsonl", results.jsonl(shown))
    files.write_atomic(out / "grades.csv", results.grades_csv(src.questions, shown))
    files.save_summary(
        out,
        ClassSummary(
            assignment=summary.assignment,
            questions=tuple(GradedQuestion(q.id, q.points) for q in src.questions),
            students=tuple(summary.students),
            failed=summary.failed,
            warnings=tuple(summary.warnings),
        ),
    )
