"""The outcome of checking one question: a score per part with a message a student can act on.

A `Result` is plain data: it round-trips through JSON (batch grading stores it), renders
as text for terminals and as HTML in Jupyter. Statuses are words, never colours alone.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

Status = Literal["correct", "carried", "partial", "incorrect", "missing", "invalid"]
STATUSES: tuple[str, ...] = get_args(Status)

#: A sign beside each status word, for a quick scan (the word stays: screen readers and
#: colour-blind readers rely on it).
SIGNS = {
    "correct": "✓",
    "carried": "✓",
    "partial": "~",
    "incorrect": "✗",
    "missing": "?",
    "invalid": "!",
}
_COLOURS = {  # dark enough for 4.5:1 contrast on white
    "correct": "#1a7f37",
    "carried": "#1a7f37",
    "partial": "#9a6700",
    "incorrect": "#b42318",
    "missing": "#57606a",
    "invalid": "#b42318",
}


def _pts(x: float) -> str:
    return f"{x:.4g}"


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
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
        """The parts as a student reads them: when every part got the same verdict for the
        same reason (no answer, the wrong structure), one line says it for all of them."""
        first = self.parts[0] if self.parts else None
        if (
            first is None
            or len(self.parts) < 2
            or first.status not in ("missing", "invalid")
            or any((p.status, p.message) != (first.status, first.message) for p in self.parts)
        ):
            return self.parts
        return (
            PartResult(
                name="*",
                label=f"all {len(self.parts)} parts",
                points=self.points,
                score=self.score,
                status=first.status,
                message=first.message,
            ),
        )

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
            lines.append(f"  {SIGNS[p.status]} {p.title} [{p.status}{score}] {p.message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Result {self.qid}: {_pts(self.score)}/{_pts(self.points)}>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython's text/plain
        p.text(self.text())

    def _repr_html_(self) -> str:
        e = html.escape
        rows = []
        for p in self.shown():
            score = "" if self.practice else f"<td>{_pts(p.score)}/{_pts(p.points)}</td>"
            rows.append(
                f"<tr><th scope='row' style='text-align:left'>{e(p.title)}</th>"
                f"<td style='color:{_COLOURS[p.status]};white-space:nowrap'>"
                f"<span aria-hidden='true'>{SIGNS[p.status]}</span> {p.status}</td>"
                f"{score}<td style='text-align:left'>{e(p.message)}</td></tr>"
            )
        notes = "".join(f"<li>{e(n)}</li>" for n in self.notes)
        points_head = "" if self.practice else "<th scope='col'>Points</th>"
        return (
            f"<div class='optigrade-result' role='region' aria-label='Check of {e(self.qid)}'>"
            f"<p><strong>{e(self.heading())}</strong></p>"
            + (f"<ul>{notes}</ul>" if notes else "")
            + "<table><thead><tr><th scope='col'>Part</th><th scope='col'>Status</th>"
            f"{points_head}<th scope='col'>Feedback</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
