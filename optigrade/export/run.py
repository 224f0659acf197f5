"""All exports of a graded class, from its files: the step `grader grade` ends with, after
the batch (`optigrade.cli`, `optigrade.demo.demo`).

The grading results are on disk before any export starts, so an export that fails costs
only itself: it becomes a warning (returned, and added to `summary.json`), never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from optigrade.export import classbook, feedback, report, returned, scoresheet
from optigrade.records import files

REPORT = "report.html"
FEEDBACK = "feedback"


def _problem(what: str, error: Exception) -> str:
    known = isinstance(error, classbook.ExportError)  # its message says what to do
    return f"{what} not written: {error if known else f'{type(error).__name__}: {error}'}"


def write_all(out: Path, course: Path | None = None, gradebook: bool = False) -> list[str]:
    """Write `out/feedback/<student>.html`, the class's zip of them for an LMS
    (`returned`), `out/scores.csv` and `out/report.html` from `out`'s summary and result
    files; given the nbgrader `course`, the pages also in its feedback layout for
    `nbgrader release_feedback`, and with `gradebook` the scores into its gradebook.
    Return the warnings (also appended to `out/summary.json`). Never raises."""
    try:
        graded = classbook.load(out)
    except Exception as e:
        warnings = [_problem("exports", e)]
    else:
        warnings: list[str] = []
        pages = out / FEEDBACK
        steps: list[tuple[str, Callable[[], list[str]]]] = [
            ("feedback pages", lambda: feedback.write(graded, pages)),
            (returned.zip_path(graded).name, lambda: returned.write_zip(graded, pages)),
            (scoresheet.SCORES, lambda: _write_scores(graded)),
        ]
        if course is not None:
            steps.append(
                ("nbgrader's feedback", lambda: returned.write_nbgrader(graded, pages, course))
            )
            if gradebook:
                steps.append(("gradebook", lambda: _write_gradebook(graded, course)))
        # last, so that it lists the other exports' warnings too
        steps.append((REPORT, lambda: _write_report(graded, warnings)))
        for what, step in steps:
            try:
                warnings += step()
            except Exception as e:  # the results are safe on disk: report, carry on
                warnings.append(_problem(what, e))
    _note(out, warnings)
    return warnings


def _write_report(graded: classbook.GradedClass, warnings: list[str]) -> list[str]:
    shown = replace(graded, warnings=(*graded.warnings, *warnings))
    files.write_atomic(graded.out / REPORT, report.render(shown))
    return []


def _write_scores(graded: classbook.GradedClass) -> list[str]:
    files.write_atomic(graded.out / scoresheet.SCORES, scoresheet.csv_text(graded))
    return []


def _write_gradebook(graded: classbook.GradedClass, course: Path) -> list[str]:
    from optigrade.export import gradebook  # nbgrader takes a second to import: only when asked

    return gradebook.write(graded, course)


def _note(out: Path, warnings: list[str]) -> None:
    """Add the exports' warnings to summary.json (the batch rewrites it on every run)."""
    if not warnings:
        return
    try:
        summary = files.read_summary(out)
        files.save_summary(out, replace(summary, warnings=(*summary.warnings, *warnings)))
    except (OSError, ValueError):
        pass  # no readable summary to add to: the warnings are still returned
