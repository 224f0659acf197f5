"""Feedback pages of a class graded by the real batch: each question's outcome and the
grader's explanations are there; no graded answer's value, no solution or hidden-test
code, and no hidden test's inputs or expected values ever are."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from bs4 import BeautifulSoup

from grader import engine
from grader.vocabulary import word
from optigrade import bank
from optigrade.assign.leaks import scan_notebook
from optigrade.export import classbook, feedback
from optigrade.grade import results
from optigrade.records import files
from optigrade.records.result import CellLog, QuestionEntry, Run, StudentResult
from tests.export.made_classes import Student
from tests.export.made_classes import result as made_result
from tests.export.made_classes import run as made_run

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "exercises" / "forward-pass" / "forward-pass.ipynb"


def page(graded_class, student: str) -> BeautifulSoup:
    html = (graded_class.out / "feedback" / f"{student}.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser")


def section(soup: BeautifulSoup, qid: str) -> str:
    found = soup.find("section", id=f"q-{qid}")
    assert found is not None, qid
    return " ".join(found.get_text(" ").split())


def leaks(text: str) -> list[str]:
    """The release leak scan run on a text: graded answers' values, nbgrader markers, and
    solution or hidden-test lines of the source notebook."""
    as_notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)])
    source = nbformat.read(SOURCE, as_version=4)
    return scan_notebook(as_notebook, source, bank.questions("forward-pass"))


def hint(qid: str, key: str) -> str:
    """The hint the bank gives for the mistake `key` of question `qid`."""
    (said,) = {m.hint for p in bank.get(qid).parts for m in p.mistakes if m.key == key}
    return " ".join(said.split())


def test_every_student_with_a_result_gets_a_page(graded_class):
    written = sorted(p.name for p in (graded_class.out / "feedback").glob("*.html"))
    assert written == [f"{s}.html" for s in ("ann", "ben", "cat", "dan", "eve")]
    assert graded_class.summary["warnings"] == []


def test_each_question_shows_its_outcome_score_and_explanations(graded_class):
    for student in ("ann", "ben", "cat", "dan", "eve"):
        result = files.read(graded_class.out / files.RESULTS, student)
        soup = page(graded_class, student)
        for entry in result.questions:
            text = section(soup, entry.id)
            assert entry.status in text
            assert f"{entry.score:g} of {entry.max:g} point" in text
            if entry.result is not None:
                for part in entry.result.shown():
                    assert " ".join(part.message.split()) in text, (student, entry.id)
            else:
                assert " ".join(entry.message.split()) in text, (student, entry.id)


def test_every_result_the_batch_wrote_reads_back_to_the_same_bytes(graded_class, tmp_path):
    for student in ("ann", "ben", "cat", "dan", "eve"):
        written = (graded_class.out / "results" / f"{student}.json").read_bytes()
        read = files.read(graded_class.out / files.RESULTS, student)
        assert files.save(tmp_path, read).read_bytes() == written, student


def test_the_explanations_are_the_ones_a_student_can_act_on(graded_class):
    cat = page(graded_class, "cat")
    assert "incorrect" in section(cat, "fp.1.2")
    assert hint("fp.1.2", "no-bias") in section(cat, "fp.1.2")
    assert hint("act.1", "sigmoid-sign") in section(cat, "act.1")
    assert "partial" in section(cat, "act.1")
    assert "Total: 13.5 of 18 points" in cat.get_text(" ")

    ben = page(graded_class, "ben")
    assert "unanswered" in section(ben, "fp.1.1")
    assert "z_1_1 is not defined: assign your answer to z_1_1" in section(ben, "fp.1.1")
    assert "raised NotImplementedError" in ben.get_text(" ")

    dan = " ".join(page(graded_class, "dan").get_text(" ").split())
    assert "did not run to its end (exited)" in dan
    assert "not run" in section(page(graded_class, "dan"), "out.1")
    assert "not valid JSON" in page(graded_class, "eve").get_text(" ")


def test_a_hint_every_part_shares_is_said_once(graded_class):
    cat = page(graded_class, "cat").find("section", id="q-fp.4")
    rows = cat.tbody("tr")
    assert len(rows) == 1 and rows[0].th.get_text() == "all 4 parts"
    assert " ".join(cat.get_text(" ").split()).count(hint("fp.4", "rows-columns-swapped")) == 1
    stored = graded_class.result("cat")["questions"]
    (fp4,) = [e for e in stored if e["id"] == "fp.4"]
    assert [p["mistake"] for p in fp4["result"]["parts"]] == ["rows-columns-swapped"] * 4


def test_an_all_correct_question_is_one_line(graded_class):
    ann = page(graded_class, "ann")
    for q in bank.questions("forward-pass"):
        if q.practice:
            continue
        rows = ann.find("section", id=f"q-{q.id}").tbody("tr")
        label = q.parts[0].label or q.parts[0].name
        said = [" ".join(c.get_text(" ").split()) for c in rows[0](["th", "td"])]
        assert len(rows) == 1 and said[0] == (
            f"all {len(q.parts)} parts" if len(q.parts) > 1 else label
        )
        assert said[1] == "✓ correct"


def test_failed_cells_are_located_by_question_and_counted_from_1(graded_class):
    ben = page(graded_class, "ben")
    said = " ".join(ben.get_text(" ").split())
    assert "Cells are counted from 1 at the top of your own notebook, text cells included" in said
    release = nbformat.read(ROOT / "release" / "forward-pass" / "forward-pass.ipynb", 4)
    stubs = {  # the worked example is answered already
        c.metadata["grader"]["question"]: i + 1
        for i, c in enumerate(release.cells)
        if c.cell_type == "code" and "raise NotImplementedError()" in c.source
    }
    where = {
        r.th.get_text(" ", strip=True): r.td.get_text(" ", strip=True)
        for r in ben.find("table", id="cells").tbody("tr")
    }
    graded = [q.id for q in bank.questions("forward-pass") if not q.practice]
    assert list(where) == list(stubs) == graded  # every failure, by question
    for qid, cell in stubs.items():  # the stub's own cell, the ninth is cell 9
        assert where[qid].startswith(f"raised NotImplementedError (cell {cell});"), qid
        said = f"In your notebook: raised NotImplementedError (cell {cell})"
        assert said in section(ben, qid)  # and again in the question's own section


def test_the_page_leads_with_the_scores_then_the_legend_of_its_words(graded_class):
    cat = page(graded_class, "cat")
    headings = [h.get_text() for h in cat(["h2", "caption"])]
    assert headings[:3] == ["Your scores", "How to read this page", "About your notebook"]
    summary = {
        r.th.get_text(" ", strip=True): [td.get_text(" ", strip=True) for td in r("td")]
        for r in cat.find("table", id="summary").tbody("tr")
    }
    stored = {q["id"]: q for q in graded_class.result("cat")["questions"]}
    assert list(summary) == list(stored)
    for qid, (_, outcome, points) in summary.items():
        assert outcome == f"{word(stored[qid]['status']).sign} {stored[qid]['status']}"
        assert points.startswith(f"{stored[qid]['score']:g} of {stored[qid]['max']:g} point")
    # the legend lists the words on the page, and only those
    legend = [
        li.find(class_="status").get_text(" ", strip=True) for li in cat.find("ul", "legend")("li")
    ]
    shown = {q["status"] for q in stored.values()}
    shown |= {
        p["status"] for q in stored.values() for p in (q.get("result") or {}).get("parts", [])
    }
    assert {w.partition(" ")[2] for w in legend} == shown
    assert "incorrect" in shown and "partial" in shown


def test_a_notebook_that_ran_to_its_end_still_says_which_cells_failed(graded_class):
    ann = " ".join(page(graded_class, "ann").get_text(" ").split())
    assert "Your notebook ran to its end." in ann and "Nothing to report" in ann
    ben = " ".join(page(graded_class, "ben").get_text(" ").split())
    assert "Your notebook ran to its end, but" in ben and "cells raised an error" in ben


def test_a_replaced_grader_is_said_on_the_page_as_the_report_flags_it(graded_class):
    """The report's "grader patched" warning, told to the student in the page's first
    lines and under About your notebook (graded as written: no penalty)."""
    graded = classbook.load(graded_class.out)
    made = made_result("eve", Student({}))
    first, *rest = made.questions
    patched = dataclasses.replace(
        made, questions=(dataclasses.replace(first, restored="grader.score"), *rest)
    )
    text = " ".join(
        BeautifulSoup(feedback.render(graded, patched), "html.parser").get_text(" ").split()
    )
    assert "Your notebook ran to its end, but it replaced part of the grader" in text
    assert f"replaced grader.score before the test cell of {first.id}: the grader put" in text
    plain = " ".join(
        BeautifulSoup(feedback.render(graded, made), "html.parser").get_text(" ").split()
    )
    assert "replaced" not in plain


def test_no_page_leaks_an_expected_value_or_solution_code(graded_class):
    for path in sorted((graded_class.out / "feedback").glob("*.html")):
        assert leaks(path.read_text(encoding="utf-8")) == [], path.name


def test_the_leak_scan_used_above_does_find_a_leaked_value(graded_class):
    text = (graded_class.out / "feedback" / "cat.html").read_text(encoding="utf-8")
    sigmoid = float(bank.get("act.1").answer["sigmoid"].ravel()[0])
    found = leaks(text.replace("Correct.", f"Correct: {sigmoid:.6f}.", 1))
    assert any("act.1" in problem for problem in found)


def test_pages_are_byte_identical_when_rebuilt(graded_class, tmp_path):
    graded = classbook.load(graded_class.out)
    assert feedback.write(graded, tmp_path) == []
    for path in sorted(tmp_path.glob("*.html")):
        assert path.read_bytes() == (graded_class.out / "feedback" / path.name).read_bytes()


# --- a question with hidden tests --------------------------------------------------------

STABLE = bank.get("cls.softmax.stable")
HIDDEN = [p for p in STABLE.parts[0].probes if p.hidden]


def naive_softmax(z):  # overflows on large scores: a catalogued mistake, named
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def quoting_softmax(z):  # raises with its input in the message
    if np.max(np.abs(z)) > 100:
        raise ValueError(f"cannot handle z={np.asarray(z).tolist()}")
    return naive_softmax(z)


def _spelled(probes) -> set[str]:
    """Spellings of these probes' inputs and expected values."""
    spelled = set()
    for probe in probes:
        for value in (np.asarray(probe.kwargs["z"]), np.asarray(probe.expected(probe.kwargs))):
            for v in value.ravel():
                v = float(v)
                if v == round(v):
                    if abs(v) >= 100:  # small whole numbers occur anyway (points, counts)
                        spelled |= {str(int(v)), f"{v:.1f}"}
                else:
                    spelled |= {repr(v), f"{v:.4f}", f"{v:.6f}"}
    return spelled


def hidden_values() -> set[str]:
    """Spellings of the hidden probes' inputs and expected values that no public probe
    shows (the public (1000, 1001) is in the question's prompt)."""
    public = [p for p in STABLE.parts[0].probes if not p.hidden]
    return _spelled(HIDDEN) - _spelled(public)


def found_hidden(text: str) -> set[str]:
    return {s for s in hidden_values() if re.search(rf"(?<![\d.]){re.escape(s)}(?![\d])", text)}


def _graded_entry(fn) -> QuestionEntry:
    result = engine.grade(STABLE, engine.encode(STABLE, fn, hidden=True), hidden=True)
    return results.graded_entry(STABLE, result)


def _stored(student: str, entry: QuestionEntry, run: Run) -> StudentResult:
    """A result on cls.softmax.stable alone, with this entry and run."""
    made = made_result(student, Student({}), questions=())
    return dataclasses.replace(made, max=STABLE.points, questions=(entry,), run=run)


@pytest.fixture(scope="module")
def hidden_class() -> classbook.GradedClass:
    """Three students on cls.softmax.stable: two graded by the engine (hidden tests on),
    one whose function escaped grading with a BaseException quoting its hidden input, as
    the batch would record it (test cell failed, cell log, printed output)."""
    quoted = f"z={HIDDEN[0].kwargs['z'].tolist()}"
    escaped = results.question_entry(
        STABLE, 0.0, "error", f"the test cell failed: KeyboardInterrupt: {quoted}"
    )
    cells = [
        CellLog(3, "ok", output=f"called with {quoted}\n", number=4),
        CellLog(4, "error", error="KeyboardInterrupt", message=quoted, number=5),
        CellLog(5, "exit", message=f"exit({quoted!r}) called: ignored", number=6),
    ]
    made = {
        "naive": _stored("naive", _graded_entry(naive_softmax), made_run()),
        "quoting": _stored("quoting", _graded_entry(quoting_softmax), made_run()),
        "escaped": _stored("escaped", escaped, dataclasses.replace(made_run(cells), output=quoted)),
    }
    return classbook.GradedClass(
        assignment="classification",
        out=Path("unused"),
        questions=(STABLE,),
        students=tuple(made),
        results=made,
        failed={},
        warnings=(),
    )


def test_the_hand_made_inputs_do_carry_hidden_values(hidden_class):
    stored = json.dumps(hidden_class.results["escaped"].to_json())
    assert found_hidden(stored), "the test would pass without redacting anything"
    quoting = hidden_class.results["quoting"].questions[0]
    assert quoting.score < STABLE.points and "hidden test" in json.dumps(quoting.to_json())


def test_no_page_shows_hidden_test_inputs_or_expected_values(hidden_class):
    for student, result in hidden_class.results.items():
        html = feedback.render(hidden_class, result)
        assert found_hidden(html) == set(), student
        text = " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())
        assert found_hidden(text) == set(), student


def test_hidden_test_failures_are_still_explained(hidden_class):
    pages = {s: feedback.render(hidden_class, r) for s, r in hidden_class.results.items()}
    quoting = " ".join(BeautifulSoup(pages["quoting"], "html.parser").get_text(" ").split())
    for probe in HIDDEN:  # the naive softmax is named instead: softmax-unshifted
        assert f"hidden test ({probe.describe}): raised ValueError." in quoting
    escaped = " ".join(BeautifulSoup(pages["escaped"], "html.parser").get_text(" ").split())
    assert "the test cell failed: KeyboardInterrupt" in escaped
    assert "raised KeyboardInterrupt (cell 5)" in escaped  # the log's index 4: cell 5
    assert "called exit(): ignored, as in Jupyter, and later cells still ran (cell 6)" in escaped


def test_a_result_the_page_cannot_render_costs_only_that_page(hidden_class, tmp_path, monkeypatch):
    render = feedback.render

    def breaks_on_naive(graded, result):
        if result.student == "naive":
            raise KeyError("a page this code cannot render")
        return render(graded, result)

    monkeypatch.setattr(feedback, "render", breaks_on_naive)
    warnings = feedback.write(hidden_class, tmp_path)
    assert len(warnings) == 1 and "naive" in warnings[0]
    assert sorted(p.stem for p in tmp_path.glob("*.html")) == ["escaped", "quoting"]
