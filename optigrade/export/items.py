"""Item analysis: how each question of an assignment behaved over the class.

Per question: the mean and the spread (standard deviation over the class, not an
estimate for a wider population: ddof 0) of its points, and its discrimination, the
Pearson correlation of the question's points with the rest of the total (the total minus
this question, so that a question is not correlated with itself). A discrimination near
0 or below means the question does not separate the students who do well from the
others. Over every student with a result, as grades.csv.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from grader.question import Question
from grader.vocabulary import GRADED
from optigrade.export.classbook import GradedClass
from optigrade.export.scoresheet import rows

#: The flags of a question whose scores say little about the students.
NOBODY = "nobody got full marks"
EVERYBODY = "everybody who answered got full marks"


@dataclass(frozen=True)
class Item:
    """One question's figures over the class."""

    question: Question
    mean: float  # points
    sd: float  # points
    discrimination: float | None  # None when the question's points or the rest do not vary
    outcomes: Counter[str]  # students per outcome (`grader.vocabulary.QuestionOutcome`)
    carried: int  # students with a part credited by follow-through

    @property
    def fraction(self) -> float:
        return self.mean / self.question.points if self.question.points else 0.0

    @property
    def flag(self) -> str:
        """`NOBODY`, `EVERYBODY` or "" (no flag; no graded answer either)."""
        answered = sum(self.outcomes[w] for w in GRADED if w != "unanswered")
        if not answered:
            return ""
        if not self.outcomes["correct"]:
            return NOBODY
        return EVERYBODY if self.outcomes["correct"] == answered else ""


def correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's r, None when either side is constant (or has fewer than 2 values)."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def analyse(graded: GradedClass) -> tuple[Item, ...]:
    """An `Item` per question of the class, in question order."""
    table = rows(graded)
    scores = np.array([r.scores for r in table], dtype=float).reshape(len(table), -1)
    totals = scores.sum(axis=1)
    found = []
    for j, question in enumerate(graded.questions):
        column = scores[:, j]
        outcomes, carried = Counter[str](), 0
        for row in table:
            answer = graded.results[row.student].entry(question.id)
            outcomes[answer.status if answer else "not run"] += 1
            parts = answer.result.parts if answer and answer.result else ()
            carried += any(p.status == "carried" for p in parts)
        found.append(
            Item(
                question,
                mean=float(column.mean()) if len(column) else 0.0,
                sd=float(column.std()) if len(column) else 0.0,
                discrimination=correlation(column, totals - column),
                outcomes=outcomes,
                carried=carried,
            )
        )
    return tuple(found)
