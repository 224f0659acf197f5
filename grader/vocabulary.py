"""The words of every outcome, one table for every surface.

The notebook's check, `grader check NOTEBOOK`, the feedback pages, the class report and
its tables all say an outcome with the same word and sign, and explain it with the same
sentence (the legend). Each word means one thing at its level:

- a *part* (one graded piece of an answer): its verdict (`PartStatus`);
- a *question* (its test cell in a run): how it went (`QuestionOutcome`): a graded
  answer's word (`outcome`), or why no answer was graded (`UNGRADED`);
- a *run* of a student's notebook (`RunStatus`): how it ended, or why nothing ran.

A question whose answer has one part says what that part says (a transposed answer is
"unusable" on every surface); a blank notebook's questions are "unanswered" everywhere.
"other numbers" is the batch grader's word for an answer that fits another set of inputs
than the student's own (another student's, or the lab's: `optigrade.grade.numbers`); a
student's page never says whose.
A word used at two levels ("timeout", "unreadable", "internal-error") keeps its sign and
colour; its sentence says what it means at each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

PartStatus = Literal[
    "correct",
    "carried",
    "partial",
    "incorrect",
    "other numbers",
    "unusable",
    "unanswered",
    "unconfirmed",
    "internal-error",
]
QuestionOutcome = Literal[
    "correct",
    "carried",
    "partial",
    "incorrect",
    "other numbers",
    "unusable",
    "unanswered",
    "unconfirmed",
    "internal-error",
    "error",
    "timeout",
    "not recorded",
    "not run",
    "unreadable",
]
RunStatus = Literal[
    "graded",
    "timeout",
    "cpu-limit",
    "file-limit",
    "killed",
    "crashed",
    "exited",
    "setup-failed",
    "internal-error",
    "no notebook",
    "unreadable",
    "refused",
]
Level = Literal["part", "question", "run"]

PART_STATUSES: tuple[str, ...] = get_args(PartStatus)
QUESTION_OUTCOMES: tuple[str, ...] = get_args(QuestionOutcome)
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
#: The outcomes of a question whose answer was graded (every part's word is one).
GRADED: tuple[str, ...] = PART_STATUSES
#: The outcomes of a question whose test cell recorded no answer to grade.
UNGRADED: tuple[str, ...] = (
    "unanswered",
    "error",
    "timeout",
    "not recorded",
    "not run",
    "unreadable",
)
#: Words only the student's local check says; the instructor's grader decides them.
LOCAL: tuple[str, ...] = ("unconfirmed",)
#: The word of an answer that fits other numbers than the student's own (only the
#: instructor's grader, which knows the class's numbers, says it).
OTHER_NUMBERS = "other numbers"
#: Run statuses of a submission that never ran: no notebook could be read.
UNREAD: tuple[str, ...] = ("no notebook", "unreadable", "refused")


@dataclass(frozen=True)
class Word:
    """How an outcome is shown: its sign (in common fonts: DejaVu Sans has each), a colour
    with 4.5:1 contrast on white, and what it means at its level, for the legend."""

    sign: str
    colour: str
    meaning: str


_GREEN, _AMBER, _RED, _GREY = "#1a7f37", "#9a6700", "#b42318", "#57606a"

#: A part's verdict, and a graded question's (from its parts).
_ANSWER: dict[str, Word] = {
    "correct": Word("✓", _GREEN, "right: full points"),
    "carried": Word("↪", _GREEN, "right given your own earlier (wrong) answers: full points"),
    "partial": Word("~", _AMBER, "some of the points: a mistake that earns credit, or some parts"),
    "incorrect": Word("✗", _RED, "wrong: no points"),
    "other numbers": Word(
        "≠", _RED, "computed from other numbers than the ones you were given: no points"
    ),
    "unusable": Word("!", _RED, "cannot be compared: the wrong type or shape, NaN, unreadable"),
    "unanswered": Word("○", _GREY, "no answer yet: the variable is not assigned, or is None"),
    "unconfirmed": Word(
        "≈", _AMBER, "the local check cannot confirm it: the instructor's grader decides"
    ),
    "internal-error": Word("‼", _RED, "the grader failed, not you: please report it"),
}
#: Why a question's answer was not graded (besides "unanswered").
_NOT_GRADED: dict[str, Word] = {
    "error": Word("⚠", _RED, "its test cell raised an error before recording the answer"),
    "timeout": Word("◷", _GREY, "stopped at a time limit before the answer was recorded"),
    "not recorded": Word("∅", _RED, "its test cell ran but recorded no answer"),
    "not run": Word("–", _GREY, "the notebook ended before its test cell"),
    "unreadable": Word("⊘", _RED, "the notebook could not be read"),
}
_QUESTION = _ANSWER | _NOT_GRADED


def _again(said: str, meaning: str) -> Word:
    """A question's word said of a run: its sign and colour, the run's meaning."""
    return replace(_QUESTION[said], meaning=meaning)


_RUN: dict[str, Word] = {
    "graded": Word("●", _GREEN, "the notebook ran to its end and was graded"),
    "timeout": _again("timeout", "the notebook was stopped at the time limit of a submission"),
    "cpu-limit": Word("◴", _GREY, "the notebook reached its CPU time limit"),
    "file-limit": Word("⊠", _RED, "the notebook wrote a file larger than the limit"),
    "killed": Word("✕", _RED, "the notebook's process was killed (most often: out of memory)"),
    "crashed": Word("↯", _RED, "the notebook's process crashed"),
    "exited": Word("⇥", _RED, "the notebook's process exited before its end (os._exit)"),
    "setup-failed": Word("⚙", _RED, "the sandbox could not be set up: the grader's fault"),
    "internal-error": _again("internal-error", "the grader failed: it grades this one again"),
    "no notebook": Word("☐", _RED, "no notebook was found in the submission"),
    "unreadable": _again("unreadable", "the submission is not a notebook that can be read"),
    "refused": Word("⊗", _RED, "the submission was not graded: a link, or no student id"),
}

#: Every level's words, in the order legends list them.
TABLE: Mapping[Level, Mapping[str, Word]] = {
    "part": _ANSWER,
    "question": _QUESTION,
    "run": _RUN,
}


def word(status: str, level: Level = "question") -> Word:
    """How `status` is shown at `level` (a part's words are a question's too); an unknown
    word, as an older file may hold, gets a dot."""
    return TABLE[level].get(status, Word("•", _GREY, status))


def outcome(statuses: Iterable[str], score: float, points: float) -> str:
    """A graded question's word: "correct" with every point, else the word its parts
    share, else "partial" with some points or "incorrect" with none."""
    said = set(statuses)
    if points > 0 and score >= points - 1e-9:
        return "correct"
    if len(said) == 1:
        return said.pop()
    return "partial" if score > 0 else "incorrect"


def legend(words: Iterable[str], level: Level = "question") -> list[tuple[str, Word]]:
    """The legend of the words shown, in the table's order."""
    shown = set(words)
    return [(w, found) for w, found in TABLE[level].items() if w in shown]
