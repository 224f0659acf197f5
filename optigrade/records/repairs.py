"""What restoring a submission changed (`optigrade.grade.restore`), one `Repair` per cell.

Jupyter lets a student break a notebook in ways nbgrader repairs before grading: a cell
turned into markdown (one keypress), a test cell edited, deleted, pasted twice or above
its answer, a test cell's points changed in its metadata. The grader repairs them as
nbgrader does and records each repair by the cell it concerns, so the feedback page
says it by question and the report can tell a repair from tampering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from optigrade.records import checks

#: The cells the instructor owns or that a question hangs on: a question's answer
#: (solution) cell, its autograder test cell, and a given (read-only) cell.
RepairedCell = Literal["answer", "test", "given"]
REPAIRED_CELLS: tuple[str, ...] = get_args(RepairedCell)

#: What was repaired:
#: - ``type``: the cell had become a markdown or raw cell (`detail`: which); it runs as
#:   code again (a test or given cell: the original);
#: - ``edited``: the cell's code was changed; the original was restored;
#: - ``metadata``: a test cell's nbgrader metadata was changed (`detail`: what, e.g. its
#:   points); the original was restored: the bank's points count;
#: - ``missing``: the cell was deleted; it was put back;
#: - ``duplicate``: a second copy was removed (`detail`: where it was, if above its answer);
#: - ``moved``: the test cell sat above its answer cell; it was moved back after it.
RepairKind = Literal["type", "edited", "metadata", "missing", "duplicate", "moved"]
REPAIR_KINDS: tuple[str, ...] = get_args(RepairKind)


@dataclass(frozen=True)
class Repair:
    """One repair of one cell: the cell's role, its nbgrader grade_id, the question it
    belongs to (None for a given cell of no question, e.g. the imports) and what was done."""

    cell: RepairedCell
    grade_id: str
    question: str | None
    kind: RepairKind
    detail: str = ""

    def __post_init__(self) -> None:
        checks.word(self.cell, REPAIRED_CELLS, f"repair of {self.grade_id}: cell")
        checks.word(self.kind, REPAIR_KINDS, f"repair of {self.grade_id}: kind")

    @property
    def where(self) -> str:
        """The question, or the cell's grade_id when it belongs to none."""
        return self.question or self.grade_id

    @property
    def label(self) -> str:
        """The cell as a student knows it: "the test cell of fp.1.1", "the given cell setup"."""
        if self.question is None:
            return f"the {self.cell} cell {self.grade_id}"
        return f"the {self.cell} cell of {self.question}"

    def __str__(self) -> str:
        """The repair as one sentence for the feedback page and the tables."""
        label, detail = self.label, self.detail
        if self.kind == "type":
            done = "it was made a code cell again" if self.cell == "answer" else "restored"
            return f"{label} had become a {detail} cell: {done}"
        if self.kind == "edited":
            return f"{label} was edited: the original was restored"
        if self.kind == "metadata":
            return (
                f"{label} had its nbgrader metadata changed ({detail}): the original was "
                "restored, and the question's own points count"
            )
        if self.kind == "missing":
            return f"{label} was missing: it was put back"
        if self.kind == "duplicate":
            return f"a second copy of {label}{f' ({detail})' if detail else ''} was removed"
        return f"{label} sat above its answer cell: it was moved back after it"

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "grade_id": self.grade_id,
            "question": self.question,
            "kind": self.kind,
            "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: object) -> Repair:
        d = checks.keys(data, "repair", ("cell", "grade_id", "question", "kind", "detail"))
        gid = checks.text(d["grade_id"], "repair grade_id")
        question = d["question"]
        return cls(
            cell=cast(RepairedCell, checks.word(d["cell"], REPAIRED_CELLS, f"repair of {gid}")),
            grade_id=gid,
            question=None if question is None else checks.text(question, f"repair of {gid}"),
            kind=cast(RepairKind, checks.word(d["kind"], REPAIR_KINDS, f"repair of {gid}")),
            detail=checks.text(d["detail"], f"repair of {gid} detail"),
        )
