"""Managed cells come from the bank; the leak scan finds what must not reach students."""

from pathlib import Path

import nbformat
import pytest

from optigrade import bank
from optigrade.assign import cells, leaks, verify
from optigrade.assign.sync import AuthoringError, synced

COURSE = Path(__file__).resolve().parents[2]


def _answer(qid: str, source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(
        source, metadata={"grader": {"question": qid, "role": "answer"}}
    )


def _draft(assignment: str, skip: str = "") -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# draft")] + [
        _answer(q.id, f"{q.variable} = None") for q in bank.questions(assignment) if q.id != skip
    ]
    return notebook


def test_sync_writes_given_check_and_test_cells_with_the_banks_points():
    result = synced(_draft("forward-pass"), "forward-pass")
    by_key = {cells.managed_key(c): c for c in result.cells if cells.managed_key(c)}
    for q in bank.questions("forward-pass"):
        assert (q.id, "check") in by_key
        assert ((q.id, "given") in by_key) == bool(q.given)
        test = by_key.get((q.id, "test"))
        if q.practice:
            assert test is None  # worked examples are checked, not graded
        else:
            assert test.metadata.nbgrader["points"] == q.points
            assert test.metadata.nbgrader["grade_id"] == q.id.replace(".", "-")
            assert f'grader.score("{q.id}", {q.variable})' in test.source
    assert synced(result, "forward-pass") == result  # idempotent


def test_given_cells_hold_the_lab_s_inputs_or_read_the_student_s_own():
    """A question that keeps the lab's numbers writes them as literals; a varying one reads
    the student's own with grader.given (the lab's, here: no roster, no identity)."""
    result = synced(_draft("forward-pass"), "forward-pass")
    for qid, literal in (("fp.example", True), ("fp.1.2", False)):
        given = next(c for c in result.cells if cells.managed_key(c) == (qid, "given"))
        assert ("grader.given(" not in given.source) is literal
        namespace: dict = {}
        # trusted: generated from the bank
        exec("import numpy as np\nimport grader\n" + given.source, namespace)
        q = bank.get(qid)
        for name in q.given:
            assert (namespace[name] == q.inputs[name]).all()


def test_a_missing_answer_cell_is_named():
    with pytest.raises(AuthoringError, match=r"no answer cell for out\.2"):
        synced(_draft("forward-pass", skip="out.2"), "forward-pass")


def test_the_committed_forward_pass_notebook_matches_the_bank():
    assert verify.check_bank(COURSE, "forward-pass") == []


def test_leak_scan_finds_markers_solutions_outputs_and_answer_values():
    source = synced(_draft("forward-pass"), "forward-pass")
    answer = next(
        c
        for c in source.cells
        if c.metadata.get("grader", {}).get("role") == "answer"
        and c.metadata["grader"]["question"] == "out.1"
    )
    answer.source = "### BEGIN SOLUTION\nh = np.maximum(0, x @ W1 + b1)\n### END SOLUTION"
    release = nbformat.from_dict(source)
    release.cells.append(nbformat.v4.new_code_cell("h = np.maximum(0, x @ W1 + b1)  # copied"))
    release.cells.append(nbformat.v4.new_markdown_cell("C is about 0.8455 here"))
    release.cells.append(nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS"))
    printed = nbformat.v4.new_code_cell("1 + 1")
    printed.outputs = [nbformat.v4.new_output("stream", text="2")]
    release.cells.append(printed)
    problems = leaks.scan_notebook(release, source, bank.questions("forward-pass"))
    text = "\n".join(problems)
    assert "solution or hidden-test code 'h = np.maximum(0, x @ W1 + b1)'" in text
    assert "the value of a graded answer of out.1" in text
    assert "nbgrader marker 'BEGIN HIDDEN TESTS'" in text
    assert "has outputs" in text


def test_leak_scan_passes_a_clean_release():
    source = synced(_draft("forward-pass"), "forward-pass")
    assert leaks.scan_notebook(source, source, bank.questions("forward-pass")) == []
