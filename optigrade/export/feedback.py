"""Per-student feedback pages: `feedback/<student>.html` (a name readable for any id:
`classbook.page_names`), one self-contained page each.

A page leads with the scores: the total and how the notebook ran, then each question's
outcome and points in one table; then the legend of the words the page uses (from
`grader.vocabulary`, as the notebook's own check says them); then what happened to the
notebook (cells restored, and every cell that failed, timed out or printed too much,
located by question and by its number in the student's own notebook); then each question
with the grader's explanation (each part's verdict, points and message, the hint of a
recognised mistake included), the numbers it gave the student when each student has their
own, and the cells of that question that failed.
It shows nothing hidden: the engine's messages never quote a graded question's expected
value or a hidden test's inputs, and text the student's own code produced (outputs,
exception messages) is never copied in, since a hidden test may have made it quote its
inputs: a cell's failure is named by its exception type only.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from grader.compare.result import Result, joined
from grader.question import Question
from grader.vocabulary import UNREAD
from optigrade.assign.cells import has_hidden_probes
from optigrade.export import lateness, page
from optigrade.export.classbook import GradedClass
from optigrade.records.files import write_atomic
from optigrade.records.result import RETRY, CellLog, QuestionEntry, StudentResult

#: Where a failed cell before every question is said to be (the imports, say).
BEFORE = "before the questions"
#: What a cell's status says of it, in the page's first lines (one cell, several).
_ENDED = {
    "timeout": ("cell was stopped at its time limit", "cells were stopped at their time limit"),
    "memory": ("cell ran out of memory", "cells ran out of memory"),
    "error": ("cell raised an error", "cells raised an error"),
    "exit": ("cell called exit()", "cells called exit()"),
}


def _run(result: StudentResult) -> str:
    """What became of the notebook as a whole, for the page's first lines: how the run
    ended, and, when it ran to its end, whether cells failed or were stopped on the way."""
    status, reason = result.status, result.reason
    if status in UNREAD:
        return f"Your submission could not be graded ({status}): {reason}"
    if status in RETRY:
        return (
            "The grader could not run your notebook (a problem on the grader's side, not in "
            f"your work): {reason}. Your instructor will grade it again."
        )
    if status != "graded":
        return (
            f"Your notebook did not run to its end ({status}): {reason}. Questions after that "
            "point could not be graded."
        )
    counts = {s: sum(c.status == s for c in result.cells) for s in _ENDED}
    said = [f"{n} {_ENDED[s][n > 1]}" for s, n in counts.items() if n]
    if any(e.restored for e in result.questions):
        said.append("it replaced part of the grader")
    if not said:
        return "Your notebook ran to its end."
    return f"Your notebook ran to its end, but {joined(said)}: see About your notebook."


def _cell_problem(cell: CellLog) -> str | None:
    """What went wrong in one cell, in words the grader chose (None if nothing did)."""
    status, message = cell.status, cell.message or ""
    if status == "ok":
        return None
    if status is None:
        return "the notebook stopped while it was running"
    if status == "error":
        return f"raised {cell.error or 'an error'}"
    if status == "exit":
        return "called exit(): ignored, as in Jupyter, and later cells still ran"
    if status == "timeout":
        return f"{message} (the time limit of one cell)"
    if status == "memory":
        return message
    return status


def _problems(cell: CellLog) -> list[str]:
    """What one cell did wrong: failed, and printed more than the output limit."""
    said = [p] if (p := _cell_problem(cell)) is not None else []
    if cell.dropped:
        said.append(
            f"printed {cell.dropped / 1e6:.1f} MB more than the output limit: that output "
            "was dropped, and the cell went on (its answers count)"
        )
    return said


def _cells(numbers: list[int | None]) -> str:
    """ "cell 9", "cells 10 and 11"; a cell the grader put back has no number of yours."""
    shown = [str(n) for n in numbers if n is not None]
    back = ["a cell the grader put back"] if None in numbers else []
    if not shown:
        return back[0]
    return ("cell " if len(shown) == 1 else "cells ") + joined([*shown, *back])


def failures(result: StudentResult) -> dict[str, str]:
    """Each question's failed cells, in the notebook's order (a cell between questions is
    "after" the one before it, or `BEFORE` them all): what went wrong and where, the
    cells with the same problem said once ("raised NameError (cells 10 and 11)")."""
    by_question: dict[str, dict[str, list[int | None]]] = {}
    last = ""  # the question of the latest cell with one
    for cell in result.cells:
        last = cell.question or last
        for problem in _problems(cell):
            place = cell.question or (f"after {last}" if last else BEFORE)
            where = by_question.setdefault(place, {})
            where.setdefault(problem, []).append(cell.number)
    return {
        question: "; ".join(f"{problem} ({_cells(numbers)})" for problem, numbers in said.items())
        for question, said in by_question.items()
    }


def _notebook(graded: GradedClass, result: StudentResult) -> str:
    """How the notebook was read and restored, which cells failed (by question), what was
    left running."""
    notes = [*result.submission.notes, *map(str, result.repairs or ())]
    notes = [_sentence(n) for n in notes]
    patched = [e for e in result.questions if e.restored]
    if patched:  # the report's "grader patched" flag, said to the student too
        notes.append(
            f"Your notebook replaced {patched[0].restored} before the test cell of "
            f"{joined([e.id for e in patched])}: the grader put its own back, so each "
            "answer was graded as you wrote it, and your instructor sees this flag."
        )
    if result.run is not None and result.run.leftover:
        notes.append(
            f"{result.run.leftover} process(es) your code started were still running at the "
            "end; they were stopped."
        )
    failed = failures(result)
    if not notes and not failed:
        ran = "every cell ran without an error" if result.cells else "no cell ran"
        return f"<p>Nothing to report: {ran}.</p>"
    listed = f"<ul>{''.join(f'<li>{escape(n)}</li>' for n in notes)}</ul>" if notes else ""
    if not failed:
        return listed
    graded_ids = {q.id for q in graded.questions}
    rows = [
        f'<tr><th scope="row">{_question_link(q, graded_ids)}</th><td>{escape(said)}</td></tr>'
        for q, said in failed.items()
    ]
    return (
        listed
        + "<p>Where something went wrong, by question. Cells are counted from 1 at the top of "
        "your own notebook, text cells included (cell 3 is the third cell).</p>\n"
        + page.table([page.column("Question"), page.column("What happened")], rows, "cells")
    )


def _question_link(qid: str, graded: set[str]) -> str:
    """A question's id, linked to its section when the page has one."""
    return f'<a href="#q-{escape(qid)}">{escape(qid)}</a>' if qid in graded else escape(qid)


def _sentence(text: str) -> str:
    text = str(text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _explanation(question: Question, found: QuestionEntry) -> str:
    """The reason a question was not graded; for a question with hidden tests the error
    text is cut to the exception's name (the student's function wrote it, maybe quoting a
    hidden test's inputs)."""
    manual = found.override  # explain the grader's verdict, not the override mark
    message = manual.graded_message if manual else found.message
    if found.status == "error" and has_hidden_probes(question):
        lead, _, error = message.partition(": ")
        message = f"{lead}: {error.partition(':')[0]}" if error else lead
    return message


def _parts(result: Result) -> str:
    """The engine's verdict on each part, with its notes."""
    notes = "".join(f"<li>{escape(n)}</li>" for n in result.notes)
    rows = "".join(
        f'<tr><th scope="row">{escape(p.title)}</th><td>{page.status(p.status, "part")}</td>'
        f'<td class="num">{page.points(p.score)} of {page.points(p.points)}</td>'
        f"<td>{escape(p.message)}</td></tr>"
        for p in result.shown()
    )
    return (f"<ul>{notes}</ul>" if notes else "") + page.table(
        [
            page.column("Part"),
            page.column("Verdict"),
            page.column("Points", numeric=True),
            page.column("Explanation"),
        ],
        rows,
    )


def _override(question: Question, found: QuestionEntry) -> str:
    """The points an instructor set by hand, with their comment and the grader's score."""
    manual = found.override
    if manual is None:
        return ""
    comment = f" Your instructor's comment: {escape(manual.comment)}" if manual.comment else ""
    return (
        f'<p class="note"><strong>Points set by your instructor: {page.points(manual.points)} '
        f"of {page.points(question.points)}</strong> (the automatic grading gave "
        f"{page.points(manual.graded_score)}, explained below).{comment}</p>\n"
    )


def _points(score: float, question: Question) -> str:
    return (
        f"{page.points(score)} of {page.points(question.points)} "
        f"point{'s' if question.points != 1 else ''}"
    )


def _assigned(name: str, value: Any) -> str:
    """`name = value`, an array's rows lined up under its first."""
    if isinstance(value, np.ndarray):
        prefix = f"{name} = "
        return prefix + np.array2string(value, separator=", ", prefix=prefix)
    return f"{name} = {value!r}"


def _inputs(result: StudentResult, question: Question) -> str:
    """The numbers the question gave this student (none: the lab's, as in the notebook),
    in the order its given cell defines them."""
    values = result.variant.values(question.id) if result.variant else {}
    if not values:
        return ""
    order = [n for n in question.given if n in values] + sorted(set(values) - set(question.given))
    lines = "\n".join(_assigned(name, values[name]) for name in order)
    return f"<p>Your numbers for this question:</p>\n<pre>{escape(lines)}</pre>\n"


def _question(
    question: Question, result: StudentResult, found: QuestionEntry | None, failed: str | None
) -> str:
    qid = escape(question.id)
    head = f'<section id="q-{qid}">\n<h2>{qid}: {escape(question.title)}</h2>\n'
    head += _inputs(result, question)
    if found is None:
        return head + "<p>No result was stored for this question.</p>\n</section>"
    verdict = f"<p>{page.status(found.status)}: {_points(found.score, question)}</p>\n"
    verdict += _override(question, found)
    if found.result is not None:
        detail = _parts(found.result)
    else:
        detail = f"<p>{escape(_explanation(question, found))}</p>"
    if failed:
        detail += f"\n<p>In your notebook: {escape(failed)}.</p>"
    return head + verdict + detail + "\n</section>"


def _scores(graded: GradedClass, result: StudentResult) -> str:
    """Each question's outcome and points, first thing on the page."""
    rows = []
    for question in graded.questions:
        found = result.entry(question.id)
        said = page.status(found.status) if found else "no result"
        score = _points(found.score if found else 0.0, question)
        rows.append(
            f'<tr><th scope="row"><a href="#q-{escape(question.id)}">{escape(question.id)}</a>'
            f"</th><td>{escape(question.title)}</td><td>{said}</td>"
            f'<td class="num">{score}</td></tr>'
        )
    columns = [
        page.column("Question"),
        page.column("Title"),
        page.column("Outcome"),
        page.column("Points", numeric=True),
    ]
    return page.table(columns, rows, "summary", "Your scores")


def _words(result: StudentResult) -> set[str]:
    """The outcome words the page shows: each question's and each part's."""
    shown = {q.status for q in result.questions}
    shown |= {p.status for q in result.questions if q.result for p in q.result.shown()}
    return shown


#: Said on the page of a notebook graded with --trust-submissions where isolation failed.
_UNISOLATED = (
    '<p class="note"><strong>Graded without isolation:</strong> this notebook ran without '
    "the grader's sandbox (the instructor chose to trust the submissions on a machine where "
    "it could not be had).</p>"
)


def render(graded: GradedClass, result: StudentResult) -> str:
    """One student's feedback page (see the module doc for its order)."""
    student, total = result.student, result.score
    share = f" ({100 * total / graded.points:.0f}%)" if graded.points else ""
    failed = failures(result)
    body = [
        f"<h1>Feedback on {escape(graded.assignment)} for {escape(student)}</h1>",
        f'<p class="note"><strong>Total: {page.points(total)} of '
        f"{page.points(graded.points)} points{share}.</strong> {escape(_run(result))}</p>",
        lateness.paragraph(result),
        *([_UNISOLATED] if result.unisolated else []),
        _scores(graded, result),
        "<h2>How to read this page</h2>",
        "<p>Each question, and each part of an answer, is given one of these words (the "
        "check in your notebook uses the same ones):</p>",
        page.legend(_words(result)),
        "<h2>About your notebook</h2>",
        _notebook(graded, result),
        *(_question(q, result, result.entry(q.id), failed.get(q.id)) for q in graded.questions),
    ]
    return page.document(f"Feedback: {graded.assignment}, {student}", "\n".join(body))


def write(graded: GradedClass, folder: Path) -> list[str]:
    """Write the page of every student with a result; return a warning per page that
    could not be written."""
    warnings = []
    for student in graded.students:
        if student not in graded.results:
            continue
        try:
            page_text = render(graded, graded.results[student])
            write_atomic(folder / graded.pages[student], page_text)
        except Exception as e:  # one odd result must not cost the others their page
            warnings.append(f"feedback page of {student} not written: {type(e).__name__}: {e}")
    return warnings
