"""One vocabulary on every surface (issue 17, item 5): the same transposed answer is the same
word in the notebook's own check (HTML and text), in `grader check NOTEBOOK`'s table, on the
feedback page (question and part) and in the class report; a blank notebook is
"unanswered" in each. Every level's statuses are one `Literal`, rendered from one table."""

from __future__ import annotations

import dataclasses
import io
import shutil
import typing
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
from bs4 import BeautifulSoup
from fontTools.ttLib import TTFont
from rich.console import Console

from grader import engine, vocabulary
from grader.compare.result import PartResult, Result
from grader.student import api, notebook
from grader.vocabulary import TABLE, word
from optigrade import bank
from optigrade.export import classbook, feedback, report
from optigrade.grade import results
from optigrade.records.result import QuestionEntry, StudentResult
from tests.export.made_classes import Student
from tests.export.made_classes import result as made_result

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "forward-pass"
SOLUTION = ROOT / "solutions" / "forward-pass" / "forward-pass.ipynb"
QUESTION = bank.get("fp.1.1")
TRANSPOSED = "z_1_1 = (X @ w + b).T"


def _text(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _said(node) -> str:
    return " ".join(node.get_text(" ").split())


def test_every_level_is_one_literal_rendered_from_one_table():
    literals = {
        "part": vocabulary.PartStatus,
        "question": vocabulary.QuestionOutcome,
        "run": vocabulary.RunStatus,
    }
    for level, literal in literals.items():
        assert tuple(TABLE[level]) == typing.get_args(literal), level
        signs = [w.sign for w in TABLE[level].values()]
        assert len(set(signs)) == len(signs), f"two {level} words share a sign"
    # a word said at two levels looks the same at both
    for said in set(TABLE["question"]) & set(TABLE["run"]):
        q, r = word(said, "question"), word(said, "run")
        assert (q.sign, q.colour) == (r.sign, r.colour), said
    # the records' statuses are the vocabulary's Literals, not copies of them
    assert typing.get_type_hints(QuestionEntry)["status"] is vocabulary.QuestionOutcome
    assert typing.get_type_hints(StudentResult)["status"] is vocabulary.RunStatus
    assert typing.get_type_hints(PartResult)["status"] is vocabulary.PartStatus


def test_every_sign_is_in_a_common_font():
    # DejaVu Sans: the sans-serif of Linux desktops, bundled with matplotlib (the charts'
    # font too); a sign it lacks shows as a box
    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    cmap = TTFont(font).getBestCmap()
    signs = {(level, w): said.sign for level, ws in TABLE.items() for w, said in ws.items()}
    assert [key for key, sign in signs.items() if ord(sign) not in cmap] == []
    assert ord("⧗") not in cmap  # a sign it lacks (the old timeout's): the check does tell


@pytest.fixture(scope="module")
def transposed(tmp_path_factory) -> dict[str, set[str]]:
    """The words each surface shows for fp.1.1 answered transposed: surface -> words."""
    seen: dict[str, set[str]] = {}
    value = np.asarray(QUESTION.answer["z"]).T  # what the notebook's answer cell computes

    # the student's folder: the release (its data, its sealed key), the solution answered
    # with fp.1.1 transposed; `grader check` runs it top to bottom
    folder = tmp_path_factory.mktemp("student") / "work"
    shutil.copytree(RELEASE, folder)
    nb = nbformat.read(SOLUTION, as_version=4)
    answer = next(
        c for c in nb.cells if c.metadata.get("grader") == {"question": "fp.1.1", "role": "answer"}
    )
    answer.source = TRANSPOSED
    path = folder / "forward-pass.ipynb"
    nbformat.write(nb, path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPTIGRADE_SEALED", "1")  # what a student's machine does: no bank
        checked = notebook.check_notebook(path, timeout=120)
        shown = io.StringIO()
        notebook.report(checked, Console(file=shown, width=200))
        row = next(line for line in shown.getvalue().splitlines() if "fp.1.1" in line)
        seen["grader check"] = {w for w in TABLE["question"] if f"{word(w).sign} {w}" in row}

        # the notebook's own check cell: grader.check from the sealed key, as Jupyter shows it
        patch.chdir(folder)
        local = api.check("fp.1.1", value)
    assert local is not None
    html = _text(local._repr_html_())
    seen["notebook (HTML)"] = {_said(td).partition(" ")[2] for td in html("td") if td.span}
    seen["notebook (text)"] = {w for w in TABLE["part"] if f"[{w} " in local.text()}

    # the batch: the trusted grade of the recorded answer, stored as grade_run stores it
    trusted = engine.grade(QUESTION, engine.encode(QUESTION, value, hidden=True), hidden=True)
    entry = results.graded_entry(QUESTION, trusted)
    stored = dataclasses.replace(
        made_result("ann", Student({}), questions=()), max=QUESTION.points, questions=(entry,)
    )
    graded = classbook.GradedClass(
        "forward-pass", Path("graded"), (QUESTION,), ("ann",), {"ann": stored}, {}, ()
    )
    page = _text(feedback.render(graded, stored))
    summary = page.find("table", id="summary").tbody.tr
    seen["feedback: summary"] = {_said(summary("td")[1]).partition(" ")[2]}
    section = page.find("section", id="q-fp.1.1")
    seen["feedback: question"] = {_said(section.p.find(class_="status")).partition(" ")[2]}
    seen["feedback: part"] = {_said(td).partition(" ")[2] for td in section.tbody("td")[:1]}
    seen["feedback: legend"] = {
        _said(li.find(class_="status")).partition(" ")[2] for li in page.find("ul", "legend")("li")
    }
    shown_report = _text(report.render(graded))
    counts = shown_report.find("table", id="outcomes").tbody.tr("td")
    seen["report: outcomes"] = {td["data-outcome"] for td in counts if td.get_text() != "0"}
    cell = shown_report.find("table", id="scores").tbody.tr("td")[0]
    seen["report: students"] = {cell["title"].partition(": ")[2]}
    return seen


def test_a_transposed_answer_is_unusable_on_every_surface(transposed):
    assert set(transposed) == {
        "grader check",
        "notebook (HTML)",
        "notebook (text)",
        "feedback: summary",
        "feedback: question",
        "feedback: part",
        "feedback: legend",
        "report: outcomes",
        "report: students",
    }
    assert {surface: words for surface, words in transposed.items() if words != {"unusable"}} == {}


def test_a_blank_notebook_is_unanswered_in_the_batch_as_in_grader_check(graded_class):
    """ben handed in the release notebook: the batch says "unanswered" (not "error"), in
    the stored results, the feedback page, the report's outcome counts and chart."""
    ben = graded_class.result("ben")
    assert {q["status"] for q in ben["questions"]} == {"unanswered"}
    page = _text((graded_class.out / "feedback" / "ben.html").read_text(encoding="utf-8"))
    summary = page.find("table", id="summary").tbody("tr")
    assert {_said(r("td")[1]) for r in summary} == {f"{word('unanswered').sign} unanswered"}
    shown = _text((graded_class.out / "report.html").read_text(encoding="utf-8"))
    columns = [td["data-outcome"] for td in shown.find("table", id="outcomes").tbody.tr("td")]
    assert "unanswered" in columns and "error" not in columns


def test_a_question_of_one_part_says_what_its_part_says():
    for status in ("unusable", "unanswered", "incorrect", "internal-error"):
        part = PartResult("z", "", 1.0, 0.0, status, "why")  # type: ignore[arg-type]
        entry = results.graded_entry(QUESTION, Result("fp.1.1", QUESTION.title, (part,)))
        assert entry.status == status
