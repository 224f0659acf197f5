"""Per-student feedback pages: `feedback/<student>.html`, one self-contained page each.

A page says, per question, the points, the outcome and the grader's explanation (each
part's verdict, points and message, the hint of a recognised mistake included), what
happened to the notebook (cells restored, cells that failed, timed out or printed too
much) and the total.
It shows nothing hidden: the engine's messages never quote a graded question's expected
value or a hidden test's inputs, and text the student's own code produced (outputs,
exception messages) is never copied in, since a hidden test may have made it quote its
inputs: a cell's failure is named by its exception type only.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from grader.compare.result import Result
from grader.question import Question
from optigrade.assign.cells import has_hidden_probes
from optigrade.export import lateness, page
from optigrade.export.classbook import GradedClass, outcome, page_name
from optigrade.records.files import write_atomic
from optigrade.records.result import RETRY, CellLog, QuestionEntry, StudentResult

_LEGEND = (
    ("correct", "full points for this question."),
    ("partial", "some of the points: see which parts were right."),
    ("incorrect", "no points: the explanation says what looks wrong."),
    (
        "error",
        "the autograder test cell raised an error (often: the answer variable is "
        "not defined, or a cell before it failed).",
    ),
    ("timeout", "the test cell, or the whole notebook, ran out of time."),
    ("no answer", "the test cell ran but recorded no answer."),
    ("not run", "the notebook stopped before reaching this question."),
    ("invalid", "the notebook could not be read."),
)

_PARTS_LEGEND = (
    "Inside a question each part has its own verdict: correct, carried (right given your "
    "own earlier, wrong, value: credit carried forward), partial, incorrect, missing (no "
    "value for this part) or invalid (a value of the wrong kind)."
)


def _run(result: StudentResult) -> str:
    """What became of the notebook as a whole, for a page's summary."""
    status, reason = result.status, result.reason
    if status == "graded":
        return "Your notebook ran to its end."
    if status in ("missing", "invalid"):
        return f"Your notebook could not be read: {reason}"
    if status in RETRY:
        return (
            "The grader could not run your notebook (a problem on the grader's side, not in "
            f"your work): {reason}. Your instructor will grade it again."
        )
    return (
        f"Your notebook did not run to its end ({status}): {reason}. Questions after that "
        "point could not be graded."
    )


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


def _sentence(text: str) -> str:
    text = str(text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _cell_notes(result: StudentResult) -> list[str]:
    """Which cells failed and how, grouped; counted from 1, as a student counts them (the
    cell log holds the notebook's index, from 0)."""
    grouped: dict[str, list[int]] = {}
    for cell in result.cells:
        problem = _cell_problem(cell)
        if problem is not None:
            grouped.setdefault(problem, []).append(cell.cell + 1)
    dropped = [
        f"Cell {c.cell + 1} printed {c.dropped / 1e6:.1f} MB more than the output "
        "limit: that output was dropped, and the cell went on (its answers count)."
        for c in result.cells
        if c.dropped
    ]
    return dropped + [
        f"{'Cell' if len(numbers) == 1 else 'Cells'} {', '.join(map(str, numbers))}: {problem}."
        for problem, numbers in grouped.items()
    ]


def _notebook(result: StudentResult) -> str:
    """How the notebook was read and restored, which cells failed, what was left running."""
    notes = [*result.submission.notes, *map(str, result.repairs or ())]
    notes = [_sentence(n) for n in notes]
    if result.run is not None and result.run.leftover:
        notes.append(
            f"{result.run.leftover} process(es) your code started were still running at the "
            "end; they were stopped."
        )
    cells = _cell_notes(result)
    if not notes and not cells:
        ran = "every cell ran without an error" if result.cells else "no cell ran"
        return f"<p>Nothing to report: {ran}.</p>"
    numbering = (
        "<p>Cells are counted from 1 at the top of the notebook, text cells included "
        "(cell 3 is the third cell).</p>\n"
        if cells
        else ""
    )
    items = "".join(f"<li>{escape(n)}</li>" for n in [*notes, *cells])
    return f"{numbering}<ul>{items}</ul>"


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
        f'<tr><th scope="row">{escape(p.title)}</th><td>{page.status(p.status)}</td>'
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


def _question(question: Question, found: QuestionEntry | None) -> str:
    qid = escape(question.id)
    head = f'<section id="q-{qid}">\n<h2>{qid}: {escape(question.title)}</h2>\n'
    if found is None:
        return head + "<p>No result was stored for this question.</p>\n</section>"
    verdict = (
        f"<p>{page.status(outcome(found))}: {page.points(found.score)} of "
        f"{page.points(question.points)} point{'s' if question.points != 1 else ''}</p>\n"
    )
    verdict += _override(question, found)
    if found.status == "graded" and found.result is not None:
        detail = _parts(found.result)
    else:
        detail = f"<p>{escape(_explanation(question, found))}</p>"
    return head + verdict + detail + "\n</section>"


#: Said on the page of a notebook graded with --trust-submissions where isolation failed.
_UNISOLATED = (
    '<p class="note"><strong>Graded without isolation:</strong> this notebook ran without '
    "the grader's sandbox (the instructor chose to trust the submissions on a machine where "
    "it could not be had).</p>"
)


def render(graded: GradedClass, result: StudentResult) -> str:
    """One student's feedback page."""
    student, total = result.student, result.score
    share = f" ({100 * total / graded.points:.0f}%)" if graded.points else ""
    body = [
        f"<h1>Feedback on {escape(graded.assignment)} for {escape(student)}</h1>",
        f'<p class="note"><strong>Total: {page.points(total)} of '
        f"{page.points(graded.points)} points{share}.</strong> {escape(_run(result))}</p>",
        lateness.paragraph(result),
        *([_UNISOLATED] if result.unisolated else []),
        "<h2>About your notebook</h2>",
        _notebook(result),
        "<h2>How to read this page</h2>",
        "<dl>"
        + "".join(f"<dt>{page.status(w)}</dt><dd>{escape(t)}</dd>" for w, t in _LEGEND)
        + f"</dl>\n<p>{escape(_PARTS_LEGEND)}</p>",
        *(_question(q, result.entry(q.id)) for q in graded.questions),
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
            write_atomic(folder / page_name(student), page_text)
        except Exception as e:  # one odd result must not cost the others their page
            warnings.append(f"feedback page of {student} not written: {type(e).__name__}: {e}")
    return warnings
