"""Progress a person can follow (issue 18, item 7): piped to a log, a line when grading
starts and one per student; on a terminal, the students being graded now and an estimate
of the time left that moves; counts that add up (a submission without a notebook is not
"graded")."""

from __future__ import annotations

import dataclasses
import io
import time

from rich.console import Console

from optigrade.export import classbook
from optigrade.export.tally import tally
from optigrade.grade import progress
from optigrade.grade.progress import Log
from optigrade.records.result import RunStatus, StudentResult, SubmissionInfo
from tests.export.made_classes import run as made_run


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_piped_to_a_log_it_says_what_it_grades_and_one_line_per_student(course, kit, capsys):
    course.submit("ann")
    course.submit("ben", before={kit.gid("fp.2.1"): "import os\nos._exit(3)"})
    (course.submitted / "cid" / kit.assignment).mkdir(parents=True)  # no notebook
    course.grade(exports=False, progress=True, jobs=1)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == f"{kit.assignment}: 3 submissions, 3 to grade, 1 at a time"
    assert len(lines) == 4, lines  # one per student, as each is done
    done = {line.split("] ")[1].split(":")[0]: line for line in lines[1:]}
    assert sorted(done) == ["ann", "ben", "cid"]
    assert sorted(line.split("]")[0] for line in lines[1:]) == ["[1/3", "[2/3", "[3/3"]
    assert done["ann"].startswith("[") and ": 6/6, graded in " in done["ann"]
    assert ": 0/6, no notebook: no notebook in " in done["cid"]
    assert ", exited in " in done["ben"] and "exited with code 3" in done["ben"]

    # the class in counts: every submission once, by how its run ended
    counted = tally(classbook.load(course.out))
    assert counted.lines()[0] == (
        "3 submissions: 1 ran to their end, 1 stopped before their end (1 exited), "
        "1 not read (1 no notebook)."
    )

    # a rerun grades nothing again, and says so
    course.grade(exports=False, progress=True, jobs=1)
    again = capsys.readouterr().err.strip().splitlines()
    assert (
        again[0] == f"{kit.assignment}: 3 submissions, 0 to grade, 3 unchanged since the last run"
    )
    assert all("unchanged since the last run (not graded again)" in line for line in again[1:])


def test_on_a_terminal_it_shows_who_is_being_graded_now_and_a_time_left_that_moves(
    monkeypatch,
):
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    screen = Terminal()
    log = Log("forward-pass", 4, True, screen)
    log.watch(lambda: [("eve", 997.0), ("dan", 900.0)])
    with log.running():
        assert log.board is not None
        shown = Console(file=io.StringIO(), width=120, record=True)
        shown.print(*log.board.get_renderables())
        said = shown.export_text()
        assert "now: dan 1:40, eve 0:03" in said  # the longest first, with its time
        assert "estimating" in said  # nothing done yet: no pace to go by
        clock[0] += 60
        log.done(_result("ann", "graded"))
        first = log.left(clock[0])
        clock[0] += 100  # nobody finishes: the estimate grows
        later = log.left(clock[0])
        log.done(_result("ben", "crashed", "the notebook's process crashed"))
    # the pace: 60 s a notebook, 3 to go; then 160 s
    assert first == 60 * 3 and later == 160 * 3
    # two done in 160 s, two to go (160 s); but dan has run 260 s, far past the 80 s a
    # notebook takes here: he may run as long again
    assert log.left(clock[0]) == 260
    log.limit = 300  # a notebook is stopped at 300 s: dan within 40 s, eve within 137 s
    assert log.left(clock[0]) == 160  # the pace's estimate again
    printed = screen.getvalue()
    assert "[2/4] ben: 0/18, crashed in 1.0 s: the notebook's process crashed" in printed
    assert "ann:" not in printed  # one that went well only moves the bar


def test_the_now_line_names_a_few_and_counts_the_rest():
    running = [(f"s{n}", 100.0 - n) for n in range(7)]
    assert progress.now(running, 100.0) == "now: s6 0:06, s5 0:05, s4 0:04, s3 0:03 and 3 more"
    assert progress.now([], 100.0) == ""


def _result(student: str, status: RunStatus, reason: str = "") -> StudentResult:
    """A result of a notebook that ran, with no question (what a progress line says)."""
    submission = SubmissionInfo(f"{student}.ipynb", "0" * 64)
    found = StudentResult(student, "forward-pass", submission, "1" * 64, status, reason, 18.0, ())
    return dataclasses.replace(found, run=made_run())
