"""Where each cell of a run is for the student (`optigrade.grade.places`): its question, and
its number in the student's own notebook, which restoring the protected cells may shift."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from optigrade.grade.places import Place, places
from optigrade.grade.restore import grade_id_of, restore

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "exercises" / "forward-pass" / "forward-pass.ipynb"
RELEASE = ROOT / "release" / "forward-pass" / "forward-pass.ipynb"


def _at(nb: nbformat.NotebookNode, gid: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if grade_id_of(c) == gid)


def test_cells_are_placed_by_question_and_by_the_students_own_numbers():
    source = nbformat.read(SOURCE, as_version=4)
    mine = nbformat.read(RELEASE, as_version=4)
    mine.cells.insert(_at(mine, "fp-1-1-answer") + 1, nbformat.v4.new_code_cell("print(z_1_1)"))
    del mine.cells[_at(mine, "fp-1-2")]  # fp.1.2's test cell: put back by the grader
    edited = mine.cells[_at(mine, "fp-2-1")]
    edited.source = "pass"  # fp.2.1's test cell: restored from the source
    submitted = copy.deepcopy(mine)
    ran = restore(source, submitted).notebook
    found = places(submitted, ran)
    assert len(ran.cells) == len(mine.cells) + 1  # the deleted test cell, back

    own = {id(c): n for n, c in enumerate(submitted.cells, start=1)}
    imports = next(i for i, c in enumerate(ran.cells) if c.source.startswith("import numpy"))
    assert found[imports] == Place(None, own[id(ran.cells[imports])])  # before every question
    extra = next(i for i, c in enumerate(ran.cells) if c.source == "print(z_1_1)")
    assert found[extra].question == "fp.1.1"  # a cell of the student's inside fp.1.1
    assert found[_at(ran, "fp-1-2")] == Place("fp.1.2", None)  # no number: not theirs
    after = _at(ran, "fp-2-1-answer")  # the restored cell shifts nothing after it
    assert found[after] == Place("fp.2.1", _at(submitted, "fp-2-1-answer") + 1)
    test = _at(ran, "fp-2-1")  # the restored copy has the number of the student's cell
    assert ran.cells[test].source != "pass"
    assert found[test] == Place("fp.2.1", _at(submitted, "fp-2-1") + 1)
    numbers = [p.number for p in found.values() if p.number is not None]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
