"""Restoring the instructor's protected cells into a submission before it runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from optigrade import bank
from optigrade.assign.cells import HIDDEN_BEGIN
from optigrade.grade.restore import Restored, grade_id_of, restore, with_hidden_tests


@pytest.fixture
def source(kit):
    return kit.source_notebook()


@pytest.fixture
def released(course):
    return course.released()


def gids(nb: nbformat.NotebookNode) -> list[str | None]:
    return [grade_id_of(c) for c in nb.cells]


def cell(nb: nbformat.NotebookNode, gid: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if grade_id_of(c) == gid)


def said(restored: Restored) -> list[str]:
    """The repairs as the feedback page says them."""
    return [str(r) for r in restored.repairs]


def test_an_untouched_submission_runs_the_source_tests_with_hidden_tests(source, released):
    restored = restore(source, released)
    assert gids(restored.notebook) == gids(source)
    assert said(restored) == []
    test = cell(restored.notebook, "out-1").source
    assert 'grader.score("out.1", nodes, hidden=True)' in test  # hidden test kept
    assert HIDDEN_BEGIN not in test and HIDDEN_BEGIN not in cell(released, "out-1").source
    assert restored.tests == {
        gid: gids(restored.notebook).index(gid) for gid in ("fp-1-1", "fp-2-1", "act-1", "out-1")
    }


def test_edited_test_and_read_only_cells_are_replaced(source, released):
    cell(released, "fp-1-1").source = "print('full marks')"
    cell(released, "setup").source = "import numpy as np\ngrader = None"
    cell(released, "act-1").cell_type = "markdown"
    restored = restore(source, released)
    for gid in ("fp-1-1", "setup", "act-1"):
        assert cell(restored.notebook, gid).source == with_hidden_tests(cell(source, gid).source)
    assert cell(restored.notebook, "act-1").cell_type == "code"
    assert said(restored) == [
        "the given cell setup was edited: the original was restored",
        "the test cell of fp.1.1 was edited: the original was restored",
        "the test cell of act.1 had become a markdown cell: restored",
    ]


def test_a_deleted_test_cell_goes_back_after_the_cell_preceding_it_in_the_source(source, released):
    released.cells = [c for c in released.cells if grade_id_of(c) != "fp-2-1"]
    extra = nbformat.v4.new_code_cell("my_own_work = 1")
    answer = gids(released).index("fp-2-1-answer")
    released.cells.insert(answer + 1, extra)  # the student's cell right after the answer
    restored = restore(source, released)
    order = gids(restored.notebook)
    assert order.index("fp-2-1") == order.index("fp-2-1-answer") + 1
    assert restored.notebook.cells[order.index("fp-2-1") + 1].source == "my_own_work = 1"
    assert said(restored) == ["the test cell of fp.2.1 was missing: it was put back"]


def test_without_any_anchor_protected_cells_go_at_the_end_in_source_order(source):
    bare = nbformat.v4.new_notebook()
    bare.cells = [nbformat.v4.new_code_cell("z_1_1 = 0")]
    restored = restore(source, bare)
    assert restored.notebook.cells[0].source == "z_1_1 = 0"
    assert gids(restored.notebook)[1:] == ["setup", "fp-1-1", "fp-2-1", "act-1", "out-1"]


def test_a_second_copy_of_a_test_cell_is_removed_and_extra_cells_stay(source, released):
    copy = nbformat.from_dict(cell(released, "fp-1-1"))
    released.cells.append(copy)
    released.cells.append(nbformat.v4.new_markdown_cell("my notes"))
    restored = restore(source, released)
    assert gids(restored.notebook).count("fp-1-1") == 1
    assert restored.notebook.cells[-1].source == "my notes"
    assert said(restored) == ["a second copy of the test cell of fp.1.1 was removed"]


def test_solution_cells_stay_the_students(source, released):
    cell(released, "fp-1-1-answer").source = "z_1_1 = 42"
    restored = restore(source, released)
    assert cell(restored.notebook, "fp-1-1-answer").source == "z_1_1 = 42"


@pytest.mark.parametrize("assignment", list(bank.assignments()))
def test_an_untouched_nbgrader_release_needs_no_restoring(assignment):
    """nbgrader's release drops hidden-test regions (and the newline before them): an
    untouched release notebook must not be reported as edited."""
    course = Path(__file__).resolve().parents[2]
    source = nbformat.read(course / "exercises" / assignment / f"{assignment}.ipynb", 4)
    release = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", 4)
    assert restore(source, release).repairs == []


def test_every_question_id_is_read_back_from_its_grade_id():
    from optigrade import bank
    from optigrade.assign.cells import grade_id, question_id

    for q in bank.all_questions():
        assert question_id(grade_id(q.id)) == q.id


def test_an_answer_cell_turned_into_markdown_runs_as_code_again(source, released):
    answer = cell(released, "fp-1-1-answer")
    answer.source = "z_1_1 = 42"
    released.cells[released.cells.index(answer)] = nbformat.v4.new_markdown_cell(
        answer.source, metadata=answer.metadata
    )
    restored = restore(source, released)
    again = cell(restored.notebook, "fp-1-1-answer")
    assert (again.cell_type, again.source, again.outputs) == ("code", "z_1_1 = 42", [])
    assert said(restored) == [
        "the answer cell of fp.1.1 had become a markdown cell: it was made a code cell again"
    ]
    assert restored.repairs[0].question == "fp.1.1"


def test_a_test_cell_pasted_above_its_answer_is_removed_and_the_one_after_kept(source, released):
    pasted = nbformat.from_dict(cell(released, "fp-2-1"))
    released.cells.insert(gids(released).index("fp-2-1-answer"), pasted)
    restored = restore(source, released)
    order = gids(restored.notebook)
    assert order.count("fp-2-1") == 1
    assert order.index("fp-2-1") > order.index("fp-2-1-answer")
    assert said(restored) == [
        "a second copy of the test cell of fp.2.1 (above its answer cell) was removed"
    ]


def test_a_test_cell_moved_above_its_answer_goes_back_after_it(source, released):
    test = cell(released, "act-1")
    released.cells.remove(test)
    released.cells.insert(gids(released).index("act-1-answer"), test)
    restored = restore(source, released)
    order = gids(restored.notebook)
    assert order.index("act-1") == order.index("act-1-answer") + 1
    assert restored.tests["act-1"] == order.index("act-1")
    assert said(restored) == [
        "the test cell of act.1 sat above its answer cell: it was moved back after it"
    ]


def test_points_changed_in_a_test_cell_s_metadata_are_reported_and_restored(source, released):
    cell(released, "out-1").metadata["nbgrader"]["points"] = 100
    restored = restore(source, released)
    assert (
        cell(restored.notebook, "out-1").metadata["nbgrader"]["points"] == bank.get("out.1").points
    )
    (repair,) = restored.repairs
    assert (repair.cell, repair.question, repair.kind) == ("test", "out.1", "metadata")
    assert str(repair) == (
        f"the test cell of out.1 had its nbgrader metadata changed (points 100 instead of "
        f"{bank.get('out.1').points!r}): the original was restored, and the question's own "
        "points count"
    )


def test_a_test_cell_turned_raw_is_restored_as_code(source, released):
    test = cell(released, "fp-1-1")
    released.cells[released.cells.index(test)] = nbformat.v4.new_raw_cell(
        test.source, metadata=test.metadata
    )
    restored = restore(source, released)
    assert cell(restored.notebook, "fp-1-1").cell_type == "code"
    assert said(restored) == ["the test cell of fp.1.1 had become a raw cell: restored"]
