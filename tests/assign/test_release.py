"""The committed course: release/ and solutions/ are what nbgrader generates from
exercises/, the release leaks nothing, and every notebook opens in JupyterLab."""

import json
import re
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from nbconvert.filters import markdown2html_mistune

from optigrade import bank
from optigrade.assign import leaks, release, verify

COURSE = Path(__file__).resolve().parents[2]
ASSIGNMENTS = list(bank.assignments())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_and_solutions_equal_a_fresh_nbgrader_generation(assignment):
    assert release.drift(COURSE, assignment) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_leaks_nothing(assignment):
    assert leaks.scan(COURSE, assignment) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_question_of_the_bank_appears_once_with_its_points(assignment):
    assert verify.check_bank(COURSE, assignment) == []


def test_the_bank_check_refuses_function_probes_that_cannot_name_each_mistake(monkeypatch):
    """Each catalogued mistake of a function part fails a public probe, and the public
    probes tell the mistakes apart: with om.keras's first public probe alone (update 1,
    ε = 1e-7), ε inside the root and the step without the power t are not seen."""
    keras = bank.get("om.keras")
    step = keras.part("step")
    weak = replace(step, probes=tuple(p for p in step.probes if p.name != "large-epsilon-late"))
    weakened = replace(keras, parts=(weak, *keras.parts[1:]))
    with monkeypatch.context() as patch:
        patch.setattr(verify.bank, "questions", lambda assignment: (weakened,))
        found = verify.function_probes("optimisers")
    for key in ("keras-epsilon-inside-root", "keras-no-power-t"):
        assert f"om.keras/step: the mistake {key} passes every public probe: add one it fails" in (
            found
        )
    monkeypatch.setattr(verify, "function_probes", lambda assignment: ["planted"])
    assert verify.check_bank(COURSE, "forward-pass") == ["planted"]


NOTEBOOKS = [
    COURSE / folder / a / f"{a}.ipynb"
    for folder in ("exercises", "release", "solutions")
    for a in ASSIGNMENTS
]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(COURSE)))
def test_notebooks_are_valid_python3_nbformat_4(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert notebook.nbformat == 4
    nbformat.validate(notebook)  # raises on any schema violation
    assert notebook.metadata.kernelspec.name == "python3"
    assert notebook.metadata.kernelspec.language == "python"


def _math_balanced(text: str) -> bool:
    """$...$ and $$...$$ pair up once code spans and blocks are set aside."""
    prose = re.sub(r"```.*?```|`[^`]*`", "", text, flags=re.S)
    return prose.count("$$") % 2 == 0 and prose.replace("$$", "").count("$") % 2 == 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(COURSE)))
def test_every_markdown_cell_renders(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        html = markdown2html_mistune(cell.source)  # what JupyterLab's export renders
        assert html.strip(), f"cell {index} renders empty"
        assert _math_balanced(cell.source), f"cell {index}: unbalanced $ delimiters"
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", cell.source):
            assert (path.parent / image).is_file(), f"cell {index}: missing image {image}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_digest_of_a_sealed_key_stands_for_two_values(assignment):
    """In the committed sealed key, a part's answer and each of its mistakes sealed on its
    grids have digests of their own: a local check names what the grader names."""
    key = json.loads(
        (COURSE / "release" / assignment / f"{assignment}.sealed.json").read_text("utf-8")
    )
    shared = 0
    for qid, question in key["questions"].items():
        for name, part in question["parts"].items():
            if "seal" not in part:
                continue
            digests = [part["seal"]["digest"]]
            digests += [m["seal"]["digest"] for m in part.get("mistakes", ()) if m.get("shared")]
            assert len(set(digests)) == len(digests), (qid, name)
            shared += len(digests) - 1
    assert shared > 0
