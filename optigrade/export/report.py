"""The instructor's class report, `report.html`: how the class did, where it went wrong
and who needs help.

In the order a teaching team acts on it: the counts (every submission's run, the flags:
`tally`, the same sentences `grader grade` ends with); the students who need attention
(below a share of the points, a result in doubt: tampering, a patched grader, answers
computed from other numbers (`copies`, listed next with whose numbers fit), stopped by
limits, a notebook that failed); the score distribution; the misconceptions ranked
across the assignment by the students showing each, with those students (`misconceptions`);
item analysis per question (mean, spread, discrimination, flags: `items`) with the
students per outcome; the student x question table with each student's warnings
(`scoresheet`, sortable, the same rows as scores.csv); the submissions that failed to
run; the grading's own warnings. Counts are of students; outcomes are said in the words
of `grader.vocabulary`, with their legend; every student's name links to their page.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote

import numpy as np

from grader.vocabulary import TABLE, word
from optigrade.export import copies, lateness, page, plots
from optigrade.export.classbook import GradedClass
from optigrade.export.items import Item, analyse
from optigrade.export.misconceptions import Misconception, rank
from optigrade.export.scoresheet import SCORES, Row, StudentWarning, rows
from optigrade.export.tally import BELOW, Tally, tally
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


def _student(graded: GradedClass, student: str) -> str:
    """A student's id, linked to their feedback page when they have one."""
    name = escape(student)
    if student not in graded.results:
        return name
    return f'<a href="feedback/{escape(quote(graded.pages[student]))}">{name}</a>'


def _header(graded: GradedClass, counted: Tally) -> str:
    """The class in counts: every submission's run, the flags, the scores, who needs
    attention (the sentences `grader grade` ends with)."""
    lines = "".join(f"<li>{escape(line)}</li>" for line in counted.lines())
    drawn = copies.variants(graded)
    own = (
        f" {drawn} variants graded: {_share(drawn, len(graded.results))} students against "
        "their own numbers."
        if drawn
        else ""
    )
    return (
        f'<div class="note"><ul class="plain">{lines}</ul>'
        f"<p>{len(graded.questions)} graded questions worth {page.points(graded.points)} "
        f"points.{own}</p></div>"
    )


def _attention(graded: GradedClass, counted: Tally) -> str:
    heading = "<h2>Needs attention</h2>"
    if not counted.attention:
        return (
            f"{heading}\n<p>Nobody: every total is at least {BELOW:.0%} of the points, and "
            "no result is flagged.</p>"
        )
    rows_html = [
        f'<tr data-student="{escape(a.student)}"><th scope="row" class="id">'
        f"{_student(graded, a.student)}</th>"
        f'<td class="num" data-sort="{a.total:.6f}">{page.points(a.total)} '
        f"({100 * a.total / (graded.points or 1):.0f}%)</td>"
        f'<td><ul class="plain">{"".join(f"<li>{escape(r)}</li>" for r in a.reasons)}</ul>'
        "</td></tr>"
        for a in counted.attention
    ]
    return "\n".join(
        [
            heading,
            f"<p>Students below {BELOW:.0%} of the points, and students whose result a "
            "person should look at before trusting it: a test cell edited or deleted, "
            "grader.score or grader.check replaced (no answer recorded), answers computed "
            "from other numbers than the student's own, a cell or the "
            "notebook stopped by a limit, a notebook that did not run to its end or could "
            "not be read. Lowest total first.</p>",
            page.table(
                [page.column("Student"), page.column("Total", numeric=True), page.column("Why")],
                rows_html,
                "attention",
                sortable=True,
            ),
        ]
    )


def _copies(graded: GradedClass) -> str:
    """Who answered with other numbers than their own, and whose (only in a class with
    variants)."""
    if not copies.variants(graded):
        return ""
    heading = "<h2>Answers computed from other numbers</h2>"
    found = copies.copies(graded)
    if not found:
        return f"{heading}\n<p>None: no wrong answer fits another student's numbers.</p>"
    rows_html = [
        f'<tr data-student="{escape(c.student)}"><th scope="row" class="id">'
        f"{_student(graded, c.student)}</th>"
        f'<td class="id">{_student(graded, c.source) if c.source else copies.LAB}</td>'
        f'<td class="num">{len(c.parts)}</td>'
        f"<td>{', '.join(_breakable(p) for p in c.parts)}</td></tr>"
        for c in found
    ]
    return "\n".join(
        [
            heading,
            "<p>Parts whose answer is wrong for the student's own numbers but right for a "
            "classmate's, or for the lab's (0 points: the student's page says the answer "
            "was computed from other numbers, naming nobody), by the number of parts that "
            "agree.</p>",
            page.table(
                [
                    page.column("Student"),
                    page.column("Whose numbers fit"),
                    page.column("Parts", numeric=True),
                    page.column("Which"),
                ],
                rows_html,
                "copies",
            ),
        ]
    )


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


def _misconceptions(graded: GradedClass, found: Sequence[Misconception]) -> str:
    heading = "<h2>Misconceptions</h2>"
    if not found:
        return f"{heading}\n<p>No catalogued mistake was recognised.</p>"
    students = len(graded.results)
    rows = [
        f'<tr data-mistake="{escape(m.key)}"><td class="num">{n}</td>'
        f"<td>{escape(m.description)}<br><code>{escape(m.key)}</code></td>"
        f'<td class="num" data-sort="{len(m.students)}">'
        f"{_share(len(m.students), students)}</td>"
        f"<td>{', '.join(f'{escape(q)} ({c})' for q, c in m.questions)}</td>"
        f'<td class="id">{", ".join(_student(graded, s) for s in sorted(m.students))}</td></tr>'
        for n, m in enumerate(found, start=1)
    ]
    return "\n".join(
        [
            heading,
            "<p>The catalogued mistakes the grader recognised, by the number of students "
            "who made each at least once (a student who makes one in several parts or "
            "questions counts once), with the questions where it appeared (and how many "
            "students there) and the students who made it, each linked to their page.</p>",
            page.table(
                [
                    page.column("Rank", numeric=True),
                    page.column("Misconception"),
                    page.column("Students", numeric=True),
                    page.column("Questions (students)"),
                    page.column("Who"),
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
    found = {w for i in items for w, n in i.outcomes.items() if n}
    words = [w for w in TABLE["question"] if w in found]
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
            "<p>The outcomes, as the students' feedback pages and checks say them (the "
            "grader's verdicts: a score an instructor overrode keeps its verdict):</p>",
            page.legend(words),
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
    said = found.status if found else "not run"
    colour, shown = word(said).colour, page.points(row.scores[j])
    manual = found.override if found else None
    if manual is not None:
        said = mark(manual, question.points)
        shown += f' <span aria-hidden="true">{OVERRIDDEN}</span>'
    return (
        f'<td class="num" style="color:{colour}" data-sort="{row.scores[j]:.6f}" '
        f'title="{escape(question.id)}: {escape(said)}">{shown}</td>'
    )


def _students(graded: GradedClass, table: Sequence[Row]) -> str:
    lines = []
    for row in table:
        listed = "".join(map(_warning, row.warnings))
        lines.append(
            f'<tr data-student="{escape(row.student)}"><th scope="row" class="id">'
            f"{_student(graded, row.student)}</th>"
            + "".join(_score(graded, row, j) for j in range(len(graded.questions)))
            + f'<td class="num" data-sort="{row.total:.6f}">{page.points(row.total)}</td>'
            f'<td data-sort="{len(row.warnings)}">'
            + (f'<ul class="plain">{listed}</ul>' if listed else "")
            + "</td></tr>"
        )
    return "\n".join(
        [
            "<h2>Students</h2>",
            f"<p>Points per question and in total (of {page.points(graded.points)}), in the "
            "colour of each outcome (its word shows on hovering); "
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
    rows, words = [], set()
    for student, why in sorted(graded.failed.items()):
        status, _, reason = why.partition(": ")
        words.add(status)
        rows.append(
            f'<tr data-student="{escape(student)}"><th scope="row" class="id">'
            f"{_student(graded, student)}</th>"
            f"<td>{page.status(status, 'run')}</td><td>{escape(reason)}</td></tr>"
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
            page.legend(words, "run"),
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
    counted = tally(graded)
    body = [
        f"<h1>Class report: {escape(graded.assignment)}</h1>",
        _header(graded, counted),
        _unisolated(graded),
        _attention(graded, counted),
        _copies(graded),
        lateness.section(graded),
        _distribution(graded, [r.total for r in table]),
        _misconceptions(graded, rank(graded)),
        _items(items),
        _outcomes(items),
        _students(graded, table),
        _failed(graded),
    ]
    if graded.warnings:
        items_html = "".join(f"<li>{escape(w)}</li>" for w in graded.warnings)
        body.append(f"<h2>Grading warnings</h2>\n<ul>{items_html}</ul>")
    return page.document(f"Class report: {graded.assignment}", "\n".join(body), wide=True)
