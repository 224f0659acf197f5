"""The instructor's class report, `report.html`: how the class did and where it went wrong.

In the order a teaching team acts on it: the score distribution; the misconceptions
ranked across the assignment by the students showing each (`misconceptions`); item
analysis per question (mean, spread, discrimination, flags: `items`) with the students
per outcome; the student x question table with each student's warnings (`scoresheet`,
sortable, the same rows as scores.csv, names linking to the feedback pages); the
submissions that failed to run; the grading's own warnings. Counts are of students.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote

import numpy as np

from optigrade.export import lateness, page, plots
from optigrade.export.classbook import GradedClass, ordered, outcome, page_name
from optigrade.export.items import Item, analyse
from optigrade.export.misconceptions import Misconception, rank
from optigrade.export.scoresheet import SCORES, Row, StudentWarning, rows
from optigrade.records.overrides import mark

#: Places of a warning shown in the table before "and n more" (scores.csv has them all).
SHOWN_WHERE = 3


def _figure(src: str, alt: str, caption: str) -> str:
    return (
        f'<figure>\n<img src="{src}" alt="{escape(alt)}">\n'
        f"<figcaption>{escape(caption)}</figcaption>\n</figure>"
    )


#: Question ids longer than this may break after a dot (opt.<wbr>lecture.<wbr>sgd).
_UNBROKEN = 8


def _breakable(qid: str) -> str:
    """An escaped question id, long ones with a line-break opportunity after each dot."""
    return escape(qid).replace(".", ".<wbr>") if len(qid) > _UNBROKEN else escape(qid)


def _share(count: int, of: int) -> str:
    return f"{count} of {of} ({100 * count / of:.0f}%)" if of else str(count)


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


def _misconceptions(found: Sequence[Misconception], students: int) -> str:
    heading = "<h2>Misconceptions</h2>"
    if not found:
        return f"{heading}\n<p>No catalogued mistake was recognised.</p>"
    rows = [
        f'<tr data-mistake="{escape(m.key)}"><td class="num">{n}</td>'
        f"<td>{escape(m.description)}<br><code>{escape(m.key)}</code></td>"
        f'<td class="num" data-sort="{len(m.students)}">'
        f"{_share(len(m.students), students)}</td>"
        f"<td>{', '.join(f'{escape(q)} ({c})' for q, c in m.questions)}</td></tr>"
        for n, m in enumerate(found, start=1)
    ]
    return "\n".join(
        [
            heading,
            "<p>The catalogued mistakes the grader recognised, by the number of students "
            "who made each at least once (a student who makes one in several parts or "
            "questions counts once), with the questions where it appeared and the students "
            "there.</p>",
            page.table(
                [
                    page.column("Rank", numeric=True),
                    page.column("Misconception"),
                    page.column("Students", numeric=True),
                    page.column("Questions (students)"),
                ],
                rows,
                "misconceptions",
            ),
        ]
    )


def _discrimination(item: Item) -> str:
    r = item.discrimination
    if r is None:  # sorts below every correlation
        return '<td class="num" data-sort="-2">n/a</td>'
    return f'<td class="num" data-sort="{r:.6f}">{r:.2f}</td>'


def _items(items: Sequence[Item]) -> str:
    means_alt = "; ".join(f"{i.question.id} {i.fraction:.2f}" for i in items)
    rows = [
        f'<tr data-question="{escape(i.question.id)}"><th scope="row">'
        f"{_breakable(i.question.id)}</th><td>{escape(i.question.title)}</td>"
        f'<td class="num">{page.points(i.question.points)}</td>'
        f'<td class="num" data-mean="{i.mean:.6f}" data-sort="{i.mean:.6f}">{i.mean:.3f}</td>'
        f'<td class="num" data-sort="{i.fraction:.6f}">{100 * i.fraction:.1f}%</td>'
        f'<td class="num" data-sd="{i.sd:.6f}" data-sort="{i.sd:.6f}">{i.sd:.3f}</td>'
        f"{_discrimination(i)}<td>{escape(i.flag)}</td></tr>"
        for i in items
    ]
    return "\n".join(
        [
            "<h2>Questions</h2>",
            _figure(
                plots.means([i.question.id for i in items], [i.fraction for i in items]),
                f"Bar chart of the mean score per question as a fraction of its points: "
                f"{means_alt}.",
                "Mean score per question, as a fraction of its points.",
            ),
            "<p>Over every student with a result. SD: the standard deviation of the "
            "question's points over the class. Discrimination: the correlation of the "
            "question's points with the rest of the total (near 0 or below: the question "
            "does not tell the students who do well from the others; n/a: no variation). "
            "Flagged: questions nobody got full marks on, or everybody who answered did.</p>",
            page.table(
                [
                    page.column("Question"),
                    page.column("Title"),
                    page.column("Points", numeric=True),
                    page.column("Mean", numeric=True),
                    page.column("Mean&nbsp;%", numeric=True),
                    page.column("SD", numeric=True),
                    page.column("Discrimination", numeric=True),
                    page.column("Flag"),
                ],
                rows,
                "questions",
                "Item analysis",
                sortable=True,
            ),
        ]
    )


def _outcomes(items: Sequence[Item]) -> str:
    words = ordered({w for i in items for w, n in i.outcomes.items() if n})
    carried = any(i.carried for i in items)
    rows = [
        f'<tr data-question="{escape(i.question.id)}"><th scope="row">'
        f"{_breakable(i.question.id)}</th>"
        + "".join(f'<td class="num" data-outcome="{w}">{i.outcomes[w]}</td>' for w in words)
        + (f'<td class="num" data-outcome="carried">{i.carried}</td>' if carried else "")
        + "</tr>"
        for i in items
    ]
    columns = [page.column("Question"), *(page.column(page.status(w), True) for w in words)]
    if carried:
        columns.append(page.column("credited by follow-through", numeric=True))
    counts = {w: [i.outcomes[w] for i in items] for w in words}
    return "\n".join(
        [
            _figure(
                plots.outcomes([i.question.id for i in items], counts),
                "Stacked bar chart of the students per outcome for each question; the "
                "table below gives the counts.",
                "Outcomes per question (students).",
            ),
            page.table(
                columns,
                rows,
                "outcomes",
                "Students per outcome"
                + (", and students with a part credited by follow-through" if carried else ""),
            ),
        ]
    )


def _warning(warning: StudentWarning) -> str:
    where = list(warning.where)
    shown = ", ".join(where[:SHOWN_WHERE])
    if len(where) > SHOWN_WHERE:
        shown += f" and {len(where) - SHOWN_WHERE} more"
    return (
        f'<li data-warning="{escape(warning.kind)}" title="{escape(str(warning))}">'
        f"{escape(warning.kind)}: {escape(shown)}</li>"
    )


#: Beside a score an instructor set (overrides.csv) instead of the grader.
OVERRIDDEN = "\u270e"


def _score(graded: GradedClass, row: Row, j: int) -> str:
    question = graded.questions[j]
    found = graded.results[row.student].entry(question.id)
    said = outcome(found) if found else "not run"
    css, shown = said.replace(" ", "-"), page.points(row.scores[j])
    manual = found.override if found else None
    if manual is not None:
        said = mark(manual, question.points)
        shown += f' <span aria-hidden="true">{OVERRIDDEN}</span>'
    return (
        f'<td class="num {escape(css)}" data-sort="{row.scores[j]:.6f}" '
        f'title="{escape(question.id)}: {escape(said)}">{shown}</td>'
    )


def _students(graded: GradedClass, table: Sequence[Row]) -> str:
    lines = []
    for row in table:
        href = f"feedback/{quote(page_name(row.student))}"
        listed = "".join(map(_warning, row.warnings))
        lines.append(
            f'<tr data-student="{escape(row.student)}"><th scope="row" class="id">'
            f'<a href="{escape(href)}">{escape(row.student)}</a></th>'
            + "".join(_score(graded, row, j) for j in range(len(graded.questions)))
            + f'<td class="num" data-sort="{row.total:.6f}">{page.points(row.total)}</td>'
            f'<td data-sort="{len(row.warnings)}">'
            + (f'<ul class="plain">{listed}</ul>' if listed else "")
            + "</td></tr>"
        )
    return "\n".join(
        [
            "<h2>Students</h2>",
            f"<p>Points per question and in total (of {page.points(graded.points)}); "
            f"{OVERRIDDEN} marks points an instructor set in overrides.csv. Click a column "
            "header to sort. Each name links to the student's feedback page. "
            f"Warnings: results to look at before trusting the score. The same table is in "
            f"{SCORES}.</p>",
            '<div class="scroll">',
            page.table(
                [
                    page.column("Student"),
                    *(page.column(_breakable(q.id), numeric=True) for q in graded.questions),
                    page.column("Total", numeric=True),
                    page.column("Warnings"),
                ],
                lines,
                "scores",
                sortable=True,
                dense=True,
            ),
            "</div>",
        ]
    )


def _failed(graded: GradedClass) -> str:
    if not graded.failed:
        return "<h2>Failed submissions</h2>\n<p>Every notebook was read and ran to its end.</p>"
    rows = []
    for student, why in sorted(graded.failed.items()):
        status, _, reason = why.partition(": ")
        name = escape(student)
        if student in graded.results:
            name = f'<a href="feedback/{escape(quote(page_name(student)))}">{name}</a>'
        rows.append(
            f'<tr data-student="{escape(student)}"><th scope="row" class="id">{name}</th>'
            f"<td>{escape(status)}</td><td>{escape(reason)}</td></tr>"
        )
    return "\n".join(
        [
            "<h2>Failed submissions</h2>",
            "<p>Notebooks that could not be read or did not run to their end: their "
            "questions after the failure score 0.</p>",
            page.table(
                [page.column("Student"), page.column("Status"), page.column("Reason")],
                rows,
                "failed",
            ),
        ]
    )


def _unisolated(graded: GradedClass) -> str:
    """A banner first thing when any notebook ran without the sandbox (--trust-submissions
    where isolation could not be had): the report must not let it pass unseen."""
    names = sorted(s for s, r in graded.results.items() if r.unisolated)
    if not names:
        return ""
    return (
        f'<p class="note"><strong>{len(names)} of {len(graded.results)} notebooks were '
        "graded WITHOUT isolation</strong> (--trust-submissions): their code ran with the "
        "grader's own rights, outside its sandbox. See the grading warnings below.</p>"
    )


def render(graded: GradedClass) -> str:
    """The report page."""
    table = rows(graded)
    items = analyse(graded)
    students = len(graded.results)
    body = [
        f"<h1>Class report: {escape(graded.assignment)}</h1>",
        f'<p class="note">{len(graded.students)} students submitted, {students} with '
        f"results, {len(graded.failed)} whose notebooks failed to run or could not be read; "
        f"{len(graded.questions)} graded questions worth {page.points(graded.points)} "
        "points.</p>",
        _unisolated(graded),
        lateness.section(graded),
        _distribution(graded, [r.total for r in table]),
        _misconceptions(rank(graded), students),
        _items(items),
        _outcomes(items),
        _students(graded, table),
        _failed(graded),
    ]
    if graded.warnings:
        items_html = "".join(f"<li>{escape(w)}</li>" for w in graded.warnings)
        body.append(f"<h2>Grading warnings</h2>\n<ul>{items_html}</ul>")
    return page.document(f"Class report: {graded.assignment}", "\n".join(body), wide=True)
