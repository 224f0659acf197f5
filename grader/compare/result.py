"""The outcome of checking one question: a score per part with a message a student can act on.

A `Result` is plain data: it round-trips through JSON (batch grading stores it), renders
as text for terminals and as HTML in Jupyter. Statuses are words, never colours alone.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from grader.vocabulary import PART_STATUSES, PartStatus, word

if TYPE_CHECKING:
    from grader.question import Part

Status = PartStatus
STATUSES: tuple[str, ...] = PART_STATUSES


def _pts(x: float) -> str:
    return f"{x:.4g}"


_JOIN = ","  # between the part names of one shown line
#: Where a message's sentences or clauses start: a shared tail from one of these on is
#: a whole hint ("Given your theta1: <hint>" and "<hint>" share "<hint>").
_CLAUSE = re.compile(r"(?<=[.:;]) ")
_NUMBERED = re.compile(r"(.*?)(\d+)")


def joined(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def compact(titles: Sequence[str]) -> str:
    """Part titles joined, numbered ones as ranges: 'update 1', 'update 2', 'update 3'
    and 'update 5' -> 'update 1 to 3 and 5' (for 'theta1'...: 'theta1 to theta3')."""
    numbered = [_NUMBERED.fullmatch(t) for t in titles]
    prefixes = {m.group(1) for m in numbered if m}
    if len(titles) < 3 or None in numbered or len(prefixes) != 1:
        return joined(titles)
    prefix = prefixes.pop()
    repeat = "" if prefix.endswith(" ") else prefix  # "update 1 to 3", "theta1 to theta3"
    runs: list[list[int]] = []
    for n in (int(m.group(2)) for m in numbered if m):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    spans = [  # a run of three or more is a range; shorter ones are listed
        span
        for run in runs
        for span in ([f"{run[0]} to {repeat}{run[-1]}"] if len(run) > 2 else map(str, run))
    ]
    return prefix + joined([spans[0], *(repeat + s for s in spans[1:])])


def _merged(parts: list[PartResult], label: str, message: str) -> PartResult:
    """One line for several parts."""
    return PartResult(
        name=_JOIN.join(p.name for p in parts),
        label=label,
        points=sum(p.points for p in parts),
        score=sum(p.score for p in parts),
        status=parts[0].status,
        message=message,
        mistake=parts[0].mistake,
    )


def _reason(part: PartResult, run: int) -> tuple[str, ...]:
    """What a part's line says, for saying it once: its catalogued mistake (the hint may
    follow a different lead in each part); that it was carried forward, for a run of such
    parts (starting at part `run`: each names the one it follows; a run after another wrong
    part is another line); else its verdict and message."""
    if part.mistake:
        return ("mistake", part.status, part.mistake)
    if part.status == "carried":
        return ("carried", str(run))
    return ("said", part.status, part.message)


def _said_once(messages: Sequence[str]) -> str:
    """What several parts' messages say in common: the message when they are the same,
    else their longest shared tail that starts a sentence or clause ("" if none)."""
    first = messages[0]
    for start in [0, *(m.end() for m in _CLAUSE.finditer(first))]:
        tail = first[start:]
        if all(_ends_with_clause(m, tail) for m in messages):
            return tail
    return ""


def _ends_with_clause(message: str, tail: str) -> bool:
    head = message[: len(message) - len(tail)]
    return message.endswith(tail) and (not head or _CLAUSE.search(head[-2:]) is not None)


@dataclass(frozen=True)
class PartResult:
    """The verdict on one part: `score` of `points`, a status and why."""

    name: str
    label: str
    points: float
    score: float
    status: Status
    message: str
    mistake: str | None = None  # key of the catalogued mistake recognised, if any

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Verdict:
    """What a judge concludes about one part (the scorer adds name, label and points)."""

    status: Status
    fraction: float  # of the part's points
    message: str
    mistake: str | None = None
    #: The student's value in the reference's form (shape, Python scalar or array), when
    #: usable by later parts' follow-through; None otherwise.
    value: Any = None


def scored(part: Part, verdict: Verdict) -> PartResult:
    """A part's result from its verdict: the fraction of its points, clamped to [0, 1]."""
    fraction = min(max(float(verdict.fraction), 0.0), 1.0)
    return PartResult(
        name=part.name,
        label=part.label,
        points=float(part.points),
        score=float(part.points) * fraction,
        status=verdict.status,
        message=verdict.message,
        mistake=verdict.mistake,
    )


class Unusable(Exception):
    """The answer cannot be compared at all (wrong type, shape, NaN...): a verdict."""

    def __init__(self, message: str, status: Status = "unusable") -> None:
        super().__init__(message)
        self.status: Status = status

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.status, 0.0, str(self))


@dataclass(frozen=True)
class Result:
    """The check of one question: its parts' verdicts and notes about the whole answer."""

    qid: str
    title: str
    parts: tuple[PartResult, ...]
    notes: tuple[str, ...] = ()
    practice: bool = False
    hidden: bool = False  # hidden probes were run (autograder tests)

    @property
    def points(self) -> float:
        return float(sum(p.points for p in self.parts))

    @property
    def score(self) -> float:
        return float(sum(p.score for p in self.parts))

    def part(self, name: str) -> PartResult:
        """The verdict on the part called `name`."""
        for p in self.parts:
            if p.name == name:
                return p
        raise KeyError(f"{self.qid} has no part {name!r}")

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}  # parts converted once:
        data["parts"] = [asdict(p) for p in self.parts]
        data["notes"] = list(self.notes)
        data["points"] = self.points
        data["score"] = self.score
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        parts = tuple(
            PartResult(
                name=str(p["name"]),
                label=str(p["label"]),
                points=float(p["points"]),
                score=float(p["score"]),
                status=p["status"],
                message=str(p["message"]),
                mistake=None if p.get("mistake") is None else str(p["mistake"]),
            )
            for p in data["parts"]
        )
        return cls(
            qid=str(data["qid"]),
            title=str(data["title"]),
            parts=parts,
            notes=tuple(str(n) for n in data.get("notes", ())),
            practice=bool(data.get("practice", False)),
            hidden=bool(data.get("hidden", False)),
        )

    # --- rendering -------------------------------------------------------------------

    def shown(self) -> tuple[PartResult, ...]:
        """The parts as a student reads them, each reason said once: parts with the same
        verdict and message, or the same catalogued mistake, are one line (in the place
        of the first of them). A question with every part correct is one line; in one
        with some parts wrong, the right ones come last ("the other 9 parts")."""
        groups: dict[tuple[str, ...], list[tuple[int, PartResult]]] = {}
        run = 0  # where the latest run of carried parts started
        for i, p in enumerate(self.parts):
            if p.status == "carried" and (i == 0 or self.parts[i - 1].status != "carried"):
                run = i
            groups.setdefault(_reason(p, run), []).append((i, p))
        right = [key for key, members in groups.items() if members[0][1].status == "correct"]
        lines: list[tuple[int, PartResult]] = []
        for key, members in groups.items():
            said = _said_once([p.message for _, p in members])
            if len(members) == 1 or not said:  # a mistake's hint worded differently per part
                lines += members
                continue
            parts = [p for _, p in members]
            if len(parts) == len(self.parts):
                label = f"all {len(parts)} parts"
            elif right == [key] and len(parts) > 3:  # the one line of right parts
                label = f"the other {len(parts)} parts"
            else:
                label = compact([p.title for p in parts])
            place = len(self.parts) if key in right else members[0][0]
            lines.append((place, _merged(parts, label, said)))
        return tuple(line for _, line in sorted(lines, key=lambda line: line[0]))

    def heading(self) -> str:
        kind = (
            "practice, not graded" if self.practice else f"{_pts(self.score)}/{_pts(self.points)}"
        )
        return f"{self.qid} ({self.title}): {kind}"

    def text(self) -> str:
        """A plain-text rendering for terminals and logs."""
        lines = [self.heading()]
        lines += [f"  note: {n}" for n in self.notes]
        for p in self.shown():
            score = "" if self.practice else f" {_pts(p.score)}/{_pts(p.points)}"
            lines.append(f"  {word(p.status).sign} {p.title} [{p.status}{score}] {p.message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Result {self.qid}: {_pts(self.score)}/{_pts(self.points)}>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython's text/plain
        p.text(self.text())

    def _repr_html_(self) -> str:
        # every cell aligned explicitly: Jupyter's own table style right-aligns them
        e = html.escape
        left, right = "style='text-align:left'", "style='text-align:right;white-space:nowrap'"
        rows = []
        for p in self.shown():
            score = "" if self.practice else f"<td {right}>{_pts(p.score)}/{_pts(p.points)}</td>"
            rows.append(
                f"<tr><th scope='row' {left}>{e(p.title)}</th>"
                f"<td style='text-align:left;color:{word(p.status).colour};white-space:nowrap'>"
                f"<span aria-hidden='true'>{word(p.status).sign}</span> {p.status}</td>"
                f"{score}<td {left}>{e(p.message)}</td></tr>"
            )
        notes = "".join(f"<li>{e(n)}</li>" for n in self.notes)
        heads = ["Part", "Status", *([] if self.practice else ["Points"]), "Feedback"]
        head = "".join(
            f"<th scope='col' {right if h == 'Points' else left}>{h}</th>" for h in heads
        )
        return (
            f"<div class='optigrade-result' role='region' aria-label='Check of {e(self.qid)}'>"
            f"<p><strong>{e(self.heading())}</strong></p>"
            + (f"<ul>{notes}</ul>" if notes else "")
            + f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
