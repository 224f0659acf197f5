"""A batch's progress on stderr, as a person can follow it.

Not a terminal (a log file, a pipe, CI): a line when grading starts, then one line per
student as each is done: the count, the score, how the run ended in the words of
`grader.vocabulary`, and why when it did not end well. Nothing is drawn, so nothing is
lost in a log. On a terminal (rich): a bar with the count, the time so far and an
estimate of the time left that moves (`Log.left`: from the pace of this run, and it grows
while a notebook runs past the time one takes), the students being graded now with how
long each has run, and the students whose runs did not end well printed above the bar.
The class summary at the end is the command's (`optigrade.cli`), from the stored results.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TimeElapsedColumn,
)
from rich.text import Text

from optigrade.records.result import StudentResult

#: Students named on the terminal's "now" line before "and n more".
SHOWN_NOW = 4
#: What the pool says it is grading now: (student, when its run started: time.monotonic()).
Running = Callable[[], Sequence[tuple[str, float]]]


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def line(count: int, total: int, result: StudentResult, skipped: bool = False) -> str:
    """One student's line: "[3/24] ann: 18/18, graded in 4.2 s"."""
    said = f"[{count}/{total}] {result.student}: {result.score:g}/{result.max:g}, "
    if skipped:
        return said + "unchanged since the last run (not graded again)"
    said += result.status
    if result.run is not None:
        said += f" in {result.run.seconds:.1f} s"
    if result.status != "graded" and result.reason:
        said += f": {result.reason}"
    return said


def now(running: Iterable[tuple[str, float]], at: float) -> str:
    """The students being graded now, longest first: "now: dan 1:40, eve 0:03"."""
    found = sorted(running, key=lambda r: r[1])
    if not found:
        return ""
    shown = [f"{student} {_clock(at - since)}" for student, since in found[:SHOWN_NOW]]
    more = f" and {len(found) - SHOWN_NOW} more" if len(found) > SHOWN_NOW else ""
    return "now: " + ", ".join(shown) + more


class _Left(ProgressColumn):
    """The time left (`Log.left`)."""

    def __init__(self, log: Log) -> None:
        super().__init__()
        self.log = log

    def render(self, task: Task) -> Text:
        left = self.log.left(time.monotonic())
        return Text("estimating" if left is None else f"about {_clock(left)} left", "cyan")


class _Board(Progress):
    """rich's progress bar with a line of the students being graded now below it."""

    def __init__(self, log: Log, *columns: str | ProgressColumn, **given: Any) -> None:
        self.tracked = log  # first: rich renders once while it sets up
        super().__init__(*columns, **given)

    def get_renderables(self) -> Iterable[RenderableType]:
        yield from super().get_renderables()
        said = now(self.tracked.watched(), time.monotonic())
        if said:
            yield Text(said, "dim", overflow="ellipsis", no_wrap=True)


class Log:
    """The progress of grading `total` submissions of `assignment` (see the module doc);
    silent unless `enabled`."""

    def __init__(
        self,
        assignment: str,
        total: int,
        enabled: bool,
        stream: IO[str] | None = None,
        limit: float | None = None,
    ) -> None:
        self.assignment, self.total, self.enabled = assignment, total, enabled
        self.limit = limit  # the seconds a submission may run
        self.stream = stream or sys.stderr
        self.tty = enabled and self.stream.isatty()
        self.count = 0  # students done, the unchanged ones included
        self.ran = 0  # notebooks run in this run (the pace: the unread ones take no time)
        self.started: float | None = None  # when this run's grading started
        self.workers = 1
        self.board: _Board | None = None
        self.task: Any = None
        self.watched: Running = lambda: ()

    def _print(self, text: str) -> None:
        if self.board is not None:
            self.board.console.print(text, markup=False, highlight=False, soft_wrap=True)
        elif self.enabled:
            print(text, file=self.stream, flush=True)

    def start(self, unchanged: Sequence[StudentResult], workers: int) -> None:
        """Say what this run will grade, and how many at a time; then the students
        `unchanged` since the last run, who are not graded again."""
        to_grade, self.workers = self.total - len(unchanged), max(workers, 1)
        said = f"{self.assignment}: {self.total} submissions, {to_grade} to grade"
        if unchanged:
            said += f", {len(unchanged)} unchanged since the last run"
        if to_grade:
            said += f", {workers} at a time"
        self._print(said)
        for earlier in unchanged:
            self.done(earlier, skipped=True)

    def watch(self, running: Running) -> None:
        """Where to ask which students are being graded now (the pool)."""
        self.watched = running

    def left(self, at: float) -> float | None:
        """The seconds left (None before the first notebook of this run is back): at
        this run's pace (seconds per notebook, the workers together) for the students
        not done, or longer while one runs past the time a notebook takes here: as long
        again as it has run (up to the limit), so the estimate grows while it runs."""
        if self.started is None or not self.ran:
            return None
        pace = (at - self.started) / self.ran
        each = pace * self.workers  # one notebook's own time
        waits = []
        for _, since in self.watched():
            ran = at - since
            wait = each - ran if ran < each else ran
            waits.append(min(wait, self.limit - ran) if self.limit else wait)
        return max([pace * (self.total - self.count), *waits, 0.0])

    @contextmanager
    def running(self) -> Iterator[None]:
        """While grading: the bar on a terminal."""
        self.started = time.monotonic()
        if not self.tty:
            yield
            return
        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), _Left(self))
        console = Console(file=self.stream)
        with _Board(self, "grading", *columns, console=console, transient=True) as board:
            self.board = board
            self.task = board.add_task("grading", total=self.total, completed=self.count)
            try:
                yield
            finally:
                self.board = None

    def done(self, result: StudentResult, skipped: bool = False) -> None:
        """One student is done: graded now, or `skipped` (unchanged since the last run)."""
        self.count += 1
        self.ran += not skipped and result.run is not None
        said = line(self.count, self.total, result, skipped)
        if self.board is None:
            self._print(said)
            return
        self.board.update(self.task, completed=self.count)
        if result.status != "graded" and not skipped:  # on a terminal, only what needs a look
            self._print(said)
