"""The instructor's class report, `report.html`: how the class did and where it went wrong.

Three charts (score distribution, mean per question, outcomes per question) with tables
holding the same numbers, the catalogued mistakes recognised most often per question
(from the parts' `mistake` keys, with the bank's hint), the submissions that failed to
run or could not be read, and a link to every student's feedback page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

import numpy as np

from grader.bank.model import Question
from grader.export import page, plots
from grader.export.classbook import GradedClass, entry, ordered, outcome, page_name

#: Mistakes listed per question, most frequent first.
TOP_MISTAKES = 5


@dataclass(frozen=True)
class Mistaken:
    """A catalogued mistake of one question and the students who made it."""

    key: str
    hint: str
    parts: tuple[str, ...]  # labels of the parts where it was recognised
    students: int


@dataclass(frozen=True)
class QuestionStats:
    question: Question
    mean: float  # points, over every student with a result (as grades.csv)
    outcomes: Counter[str]  # students per outcome
    parts: Counter[str]  # part verdicts over the graded answers
    mistakes: tuple[Mistaken, ...]  # most frequent first

    @property
    def fraction(self) -> float:
        return self.mean / self.question.points if self.question.points else 0.0


def _hints(question: Question) -> dict[str, str]:
    return {m.key: m.hint for part in question.parts for m in part.mistakes}


def question_stats(graded: GradedClass, question: Question) -> QuestionStats:
    """Mean, outcomes, part verdicts and mistakes of one question over the class."""
    scores, outcomes, parts = [], Counter[str](), Counter[str]()
    who: dict[str, set[str]] = {}
    where: dict[str, dict[str, None]] = {}
    for student, result in sorted(graded.results.items()):
        found = entry(result, question.id)
        scores.append(float(found["score"]) if found else 0.0)
        outcomes[outcome(found) if found else "not run"] += 1
        for part in (found or {}).get("result", {}).get("parts", ()):
            parts[str(part.get("status"))] += 1
            if part.get("mistake"):
                key = str(part["mistake"])
                who.setdefault(key, set()).add(student)
                where.setdefault(key, {})[str(part.get("label") or part.get("name"))] = None
    hints = _hints(question)
    mistakes = sorted(
        (Mistaken(k, hints.get(k, ""), tuple(where[k]), len(s)) for k, s in who.items()),
        key=lambda m: (-m.students, m.key),
    )
    mean = float(np.mean(scores)) if scores else 0.0
    return QuestionStats(question, mean, outcomes, parts, tuple(mistakes[:TOP_MISTAKES]))


def _verdicts(stats: QuestionStats) -> str:
    """Counts of the part verdicts, e.g. "correct 8, incorrect 4"."""
    return ", ".join(f"{w} {stats.parts[w]}" for w in sorted(stats.parts))


def _figure(src: str, alt: str, caption: str) -> str:
    return (
        f'<figure>\n<img src="{src}" alt="{escape(alt)}">\n'
        f"<figcaption>{escape(caption)}</figcaption>\n</figure>"
    )


def _link(student: str) -> str:
    return f'<a href="feedback/{quote(page_name(student))}">feedback</a>'


def _distribution(graded: GradedClass, totals: Sequence[float]) -> str:
    shares = 100 * np.asarray(totals, dtype=float) / (graded.points or 1.0)
    counts, edges = np.histogram(shares, bins=np.linspace(0, 100, 11))
    bands = ", ".join(
        f"{c} from {edges[i]:.0f}% to {edges[i + 1]:.0f}%" for i, c in enumerate(counts) if c
    )
    mean = float(np.mean(totals)) if len(totals) else 0.0
    median = float(np.median(totals)) if len(totals) else 0.0
    return "\n".join(
        [
            "<h2>Score distribution</h2>",
            _figure(
                plots.histogram(totals, graded.points),
                f"Histogram of total scores, students per band of 10%: {bands or 'none'}.",
                f"Total scores: mean {page.points(mean)}, median {page.points(median)} of "
                f"{page.points(graded.points)} points.",
            ),
        ]
    )


def _questions(stats: Sequence[QuestionStats]) -> str:
    ids = [s.question.id for s in stats]
    words = ordered({w for s in stats for w in s.outcomes})
    counts = {w: [s.outcomes[w] for s in stats] for w in words}
    means_alt = "; ".join(f"{s.question.id} {s.fraction:.2f}" for s in stats)
    rows = [
        f'<tr data-question="{escape(s.question.id)}"><th scope="row">{escape(s.question.id)}'
        f"</th><td>{escape(s.question.title)}</td>"
        f'<td class="num">{page.points(s.question.points)}</td>'
        f'<td class="num" data-mean="{s.mean:.6f}">{s.mean:.3f}</td>'
        f'<td class="num">{100 * s.fraction:.1f}%</td>'
        + "".join(f'<td class="num">{s.outcomes[w]}</td>' for w in words)
        + f"<td>{escape(_verdicts(s))}</td></tr>"
        for s in stats
    ]
    return "\n".join(
        [
            "<h2>Questions</h2>",
            _figure(
                plots.means(ids, [s.fraction for s in stats]),
                f"Bar chart of the mean score per question as a fraction of its points: "
                f"{means_alt}.",
                "Mean score per question, as a fraction of its points.",
            ),
            _figure(
                plots.outcomes(ids, counts),
                "Stacked bar chart of the students per outcome for each question; the "
                "table below gives the counts.",
                "Outcomes per question (students).",
            ),
            page.table(
                [
                    page.column("Question"),
                    page.column("Title"),
                    page.column("Points", numeric=True),
                    page.column("Mean", numeric=True),
                    page.column("Mean %", numeric=True),
                    *(page.column(page.status(w), numeric=True) for w in words),
                    page.column("Part verdicts"),
                ],
                rows,
                "questions",
                "Mean score, students per outcome, and the verdicts on the parts of the "
                "graded answers",
            ),
        ]
    )


def _mistakes(stats: Sequence[QuestionStats]) -> str:
    rows = []
    for s in stats:
        for m in s.mistakes:
            rows.append(
                f'<tr data-question="{escape(s.question.id)}" data-mistake="{escape(m.key)}">'
                f'<th scope="row">{escape(s.question.id)}</th><td>{escape(", ".join(m.parts))}'
                f"</td><td><code>{escape(m.key)}</code></td><td>{escape(m.hint)}</td>"
                f'<td class="num">{m.students}</td></tr>'
            )
    if not rows:
        return "<h2>Diagnosed mistakes</h2>\n<p>No catalogued mistake was recognised.</p>"
    return "\n".join(
        [
            "<h2>Diagnosed mistakes</h2>",
            f"<p>The catalogued mistakes recognised most often (up to {TOP_MISTAKES} per "
            "question) and the hint students saw with them.</p>",
            page.table(
                [
                    page.column("Question"),
                    page.column("Parts"),
                    page.column("Mistake"),
                    page.column("Hint"),
                    page.column("Students", numeric=True),
                ],
                rows,
                "mistakes",
            ),
        ]
    )


def _failed(graded: GradedClass) -> str:
    if not graded.failed:
        return "<h2>Failed submissions</h2>\n<p>Every notebook was read and ran to its end.</p>"
    rows = []
    for student, why in sorted(graded.failed.items()):
        status, _, reason = why.partition(": ")
        link = _link(student) if student in graded.results else "none"
        rows.append(
            f'<tr data-student="{escape(student)}"><th scope="row">{escape(student)}</th>'
            f"<td>{escape(status)}</td><td>{escape(reason)}</td><td>{link}</td></tr>"
        )
    return "\n".join(
        [
            "<h2>Failed submissions</h2>",
            "<p>Notebooks that could not be read or did not run to their end: their "
            "questions after the failure score 0.</p>",
            page.table(
                [
                    page.column("Student"),
                    page.column("Status"),
                    page.column("Reason"),
                    page.column("Feedback"),
                ],
                rows,
                "failed",
            ),
        ]
    )


def _students(graded: GradedClass) -> str:
    rows = [
        f'<tr data-student="{escape(s)}"><th scope="row">{escape(s)}</th>'
        f'<td class="num">{page.points(r.get("score", 0.0))}</td>'
        f"<td>{escape(str(r.get('status')))}</td><td>{_link(s)}</td></tr>"
        for s, r in sorted(graded.results.items())
    ]
    return "\n".join(
        [
            "<h2>Students</h2>",
            page.table(
                [
                    page.column("Student"),
                    page.column(f"Total (of {page.points(graded.points)})", numeric=True),
                    page.column("Run"),
                    page.column("Feedback"),
                ],
                rows,
                "students",
            ),
        ]
    )


def render(graded: GradedClass) -> str:
    """The report page."""
    stats = [question_stats(graded, q) for q in graded.questions]
    totals = [float(r.get("score", 0.0)) for _, r in sorted(graded.results.items())]
    body = [
        f"<h1>Class report: {escape(graded.assignment)}</h1>",
        f'<p class="note">{len(graded.students)} submissions, {len(graded.results)} with '
        f"results, {len(graded.failed)} failed to run or could not be read; "
        f"{len(graded.questions)} graded questions worth {page.points(graded.points)} "
        "points.</p>",
        _distribution(graded, totals),
        _questions(stats),
        _mistakes(stats),
        _failed(graded),
        _students(graded),
    ]
    if graded.warnings:
        items = "".join(f"<li>{escape(w)}</li>" for w in graded.warnings)
        body.append(f"<h2>Warnings</h2>\n<ul>{items}</ul>")
    return page.document(f"Class report: {graded.assignment}", "\n".join(body))
