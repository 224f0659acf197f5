"""A graded class in counts: how every submission's run ended, the students flagged for a
person's look, the scores' mean and median, and who needs attention.

The report's header and its "Needs attention" section, and `grader grade`'s closing
summary, say these counts in the same sentences (`Tally.lines`), so the console and the
page never disagree. Every submission is counted once: its run ended in one of the
vocabulary's run words (`grader.vocabulary.RunStatus`), or it has no stored result.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from grader.vocabulary import RUN_STATUSES, UNREAD
from optigrade.export.classbook import GradedClass
from optigrade.export.page import points
from optigrade.export.scoresheet import Row, rows
from optigrade.records.result import RETRY

#: A total below this share of the points needs attention.
BELOW = 0.5
#: Warnings (`scoresheet.KINDS`) that put a result's integrity in doubt, or say a limit
#: stopped part of the notebook, or the whole notebook failed: each needs attention.
INTEGRITY = (
    "test cell edited",
    "test cell deleted",
    "given cell edited",
    "grader patched",
    "other numbers",
)
LIMITS = ("limit reached", "memory cap")
FLAGS = (*INTEGRITY, *LIMITS, "notebook failed")
#: How a run without a stored result is counted (the batch lists it as failed).
NO_RESULT = "internal-error"


@dataclass(frozen=True)
class Attention:
    """A student who needs a person's look, and why (the flags as the report lists them)."""

    student: str
    total: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Tally:
    """The counts of a graded class (see the module doc)."""

    assignment: str
    runs: Mapping[str, int]  # run status -> students, in the vocabulary's order
    flags: Mapping[str, tuple[str, ...]]  # flag (FLAGS) -> its students
    totals: tuple[float, ...]  # of every student with a result
    points: float
    attention: tuple[Attention, ...]

    @property
    def submissions(self) -> int:
        return sum(self.runs.values())

    @property
    def mean(self) -> float:
        return statistics.fmean(self.totals) if self.totals else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.totals) if self.totals else 0.0

    def _runs(self, words: Sequence[str]) -> tuple[int, str]:
        """How many runs ended in `words`, and their count by word ("1 exited, 2 crashed")."""
        found = [(w, n) for w, n in self.runs.items() if w in words and n]
        return sum(n for _, n in found), ", ".join(f"{n} {w}" for w, n in found)

    def lines(self) -> list[str]:
        """The counts in sentences: the runs (adding up to the submissions), the flags,
        the scores and who needs attention."""
        graded = self.runs.get("graded", 0)
        said = f"{self.submissions} submissions: {graded} ran to their end"
        stopped = [w for w in RUN_STATUSES if w not in ("graded", *UNREAD, *RETRY)]
        for words, what in (
            (stopped, "stopped before their end"),
            (RETRY, "not graded through the grader's fault (graded again on the next run)"),
            (UNREAD, "not read"),
        ):
            count, by_word = self._runs(words)
            if count:
                said += f", {count} {what} ({by_word})"
        lines = [said + "."]
        flagged = {s for students in self.flags.values() for s in students}
        if flagged:
            kinds = ", ".join(f"{k}: {len(s)}" for k, s in self.flags.items() if s)
            lines.append(f"Flagged: {len(flagged)} students ({kinds}).")
        else:
            lines.append("Flagged: none.")
        mean, median, top = (points(x) for x in (self.mean, self.median, self.points))
        lines.append(f"Scores: mean {mean}, median {median} of {top} points.")
        lines.append(
            f"Needs attention: {len(self.attention)} students (below {BELOW:.0%} of the "
            "points, flagged, or not graded)."
        )
        return lines


def _reasons(row: Row | None, total: float, points: float) -> tuple[str, ...]:
    """Why a student needs attention (none: they do not)."""
    if row is None:
        return ("no result was stored",)
    said = [str(w) for w in row.warnings if w.kind in FLAGS]
    if points and total < BELOW * points:
        said.insert(0, f"below {BELOW:.0%} of the points")
    return tuple(said)


def tally(graded: GradedClass) -> Tally:
    """The counts of `graded` (see the module doc)."""
    table = {row.student: row for row in rows(graded)}
    ended: Counter[str] = Counter()
    for student in graded.students:
        result = graded.results.get(student)
        ended[result.status if result is not None else NO_RESULT] += 1
    flags = {
        kind: tuple(s for s, row in table.items() if any(w.kind == kind for w in row.warnings))
        for kind in FLAGS
    }
    attention = []
    for student in graded.students:
        row = table.get(student)
        total = row.total if row is not None else 0.0
        reasons = _reasons(row, total, graded.points)
        if reasons:
            attention.append(Attention(student, total, reasons))
    return Tally(
        assignment=graded.assignment,
        runs={w: ended[w] for w in RUN_STATUSES if ended[w]},
        flags=flags,
        totals=tuple(row.total for row in table.values()),
        points=graded.points,
        attention=tuple(sorted(attention, key=lambda a: (a.total, a.student))),
    )
