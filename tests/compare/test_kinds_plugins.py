"""The part-kind seam: a kind is one `PartKind`, found in one registry by every step.

A toy course package (a module and its `.dist-info` on the path, as pip would install it)
declares a new kind, `Word`, and an assignment using it, through entry points alone. The
kind is then specced, sealed, checked locally from the sealed key and batch-graded end
to end in the sandbox, with nothing of the grader changed. `import grader` stays light.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from grader import installed, kinds
from grader.kinds import Numeric
from grader.question import Part, Question
from grader.spec import from_spec, to_spec
from grader.student import known, sealedkey

TOY = '''
"""A toy course: one new part kind (a word, compared whatever its case) and one assignment."""
from dataclasses import dataclass
from typing import Any

from grader.compare import sealed
from grader.compare.nodes import kind, text, unusable
from grader.kinds import Numeric
from grader.kinds.base import PartKind, catalogued, mistaken
from grader.compare.result import Verdict
from grader.question import Assignment, Mistake, Part, Question


@dataclass(frozen=True)
class Word(Part):
    language: str = "en"


class WordKind(PartKind):
    part = Word

    def encode(self, answer, part, enc, hidden):
        if not isinstance(answer, str):
            return enc.value(answer)
        return {"t": "word", "v": answer.strip().lower()}

    def judge(self, node, ctx):
        if kind(node) != "word":
            return unusable(node, "a word").verdict
        word = text(node, "v")
        if word == ctx.expected:
            return Verdict("correct", 1.0, "Correct.")
        return mistaken(ctx, lambda v: v == word) or Verdict("incorrect", 0.0, "Another word.")

    def same(self, a, b, part):
        return a == b

    def spec(self, part, hidden):
        return {"language": part.language}

    def from_spec(self, spec, common):
        return Word(**common, language=str(spec["language"]))

    def seal(self, part, expected, mistakes, sealing):
        def exact(v, what=""):
            return sealed.seal_exact(v, sealing.salt, sealing.label(part, what)).to_json()
        return {"seal": exact(expected), "mistakes": [
            {**catalogued(m), "seal": exact(v, m.key)} for m, v in mistakes]}

    def check_sealed(self, node, part, here):
        if kind(node) != "word":
            return unusable(node, "a word").verdict
        word = text(node, "v")
        expected = sealed.Seal.from_json(here.found["seal"])
        if sealed.matches_exact(word, expected, here.salt, here.what):
            return Verdict("correct", 1.0, "Correct.")
        for m in here.found["mistakes"]:
            seal = sealed.Seal.from_json(m["seal"])
            if sealed.matches_exact(word, seal, here.salt, f"{here.what}#{m['key']}"):
                return Verdict("incorrect", 0.0, m["hint"], m["key"])
        return Verdict("incorrect", 0.0, "Another word.")


BRITISH = Mistake("american-spelling", "That is the American spelling.", lambda i, p: "color")
QUESTIONS = (
    Question("toy.word", "toy", "A word", "word",
             (Word("word", 1.0, lambda i, p: "colour", (BRITISH,), language="en-GB"),)),
    Question("toy.number", "toy", "A number", "x", (Numeric("x", 1.0, lambda i, p: 2.5),)),
)
TOY = Assignment("toy", 99, "toy_course", ("toy",))
'''
ENTRY_POINTS = """\
[grader.kinds]
word = toy_course:WordKind

[optigrade.assignments]
toy = toy_course:TOY
"""


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The toy course package installed in a folder on the path; that folder."""
    site = tmp_path / "site"
    info = site / "toy_course-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "toy_course.py").write_text(TOY)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-course\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    for cached in (installed.assignments, installed.questions, kinds._installed):
        cached.cache_clear()
    yield site
    sys.modules.pop("toy_course", None)
    for cached in (installed.assignments, installed.questions, kinds._installed):
        cached.cache_clear()


def test_import_grader_stays_light() -> None:
    code = (
        "import sys, grader, optigrade.bank, grader.compare.wire, grader.engine;"
        "heavy = {'sympy', 'jax', 'keras', 'torch', 'pandas', 'IPython', 'grader.compare.symbolic'}"
        ";"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_kind_from_an_entry_point_is_specced_with_its_own_fields(toy: Path) -> None:
    question = installed.get("toy.word")
    spec = json.loads(json.dumps(to_spec(question)))
    assert spec["parts"][0] | {"kind": "Word", "language": "en-GB"} == spec["parts"][0]
    rebuilt = from_spec(spec)
    assert type(rebuilt.parts[0]).__name__ == "Word"
    assert rebuilt.parts[0].language == "en-GB"
    assert kinds.of(rebuilt.parts[0]).name == "Word"


def test_a_kind_from_an_entry_point_is_sealed_and_checked_locally(
    toy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optigrade.assign import seal

    course = tmp_path / "course"
    (course / "release" / "toy").mkdir(parents=True)
    path = seal.write(course, course / "release", "toy")
    assert "colour" not in path.read_text() and "color" not in path.read_text()
    key = sealedkey.here(path.parent)[0]
    assert [p.status for p in sealedkey.check(key, "toy.word", " Colour").parts] == ["correct"]
    spelt = sealedkey.check(key, "toy.word", "COLOR").parts[0]
    assert (spelt.status, spelt.mistake) == ("incorrect", "american-spelling")
    assert sealedkey.check(key, "toy.word", 3).parts[0].status == "unusable"
    # and through grader.check, as a student runs it from the release folder
    monkeypatch.chdir(path.parent)
    monkeypatch.setenv(known.SEALED, "1")
    import grader

    assert grader.score("toy.word", "colour") == 1.0
    assert grader.score("toy.number", 2.5) == 1.0


def _source(course: Path) -> None:
    from optigrade.assign.sync import synced

    cells = [nbformat.v4.new_markdown_cell("# Toy"), nbformat.v4.new_code_cell("import grader")]
    for qid, code in (("toy.word", 'word = "colour"'), ("toy.number", "x = 2.5")):
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["grader"] = {"question": qid, "role": "answer"}
        cells.append(cell)
    notebook = synced(nbformat.v4.new_notebook(cells=cells), "toy")
    for folder in ("exercises/toy", "submitted/alice/toy", "submitted/bob/toy"):
        (course / folder).mkdir(parents=True)
    nbformat.write(notebook, course / "exercises" / "toy" / "toy.ipynb")
    nbformat.write(notebook, course / "submitted" / "alice" / "toy" / "toy.ipynb")
    for cell in notebook.cells:
        cell.source = cell.source.replace('"colour"', '"color"')
    nbformat.write(notebook, course / "submitted" / "bob" / "toy" / "toy.ipynb")


def test_a_kind_from_an_entry_point_is_batch_graded_in_the_sandbox(
    toy: Path, tmp_path: Path
) -> None:
    course = tmp_path / "course"
    (course / "release" / "toy").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text('c.CourseDirectory.course_id = "toy"\n')
    _source(course)
    env = {**os.environ, "PYTHONPATH": str(toy)}  # the toy package, as if pip-installed
    done = subprocess.run(
        [sys.executable, "-m", "optigrade", "grade", "toy", "--course", str(course)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    rows = (course / "graded" / "toy" / "grades.csv").read_text().splitlines()
    assert rows == [
        "student_id,toy.word,toy.number,total,max",
        "alice,1.000,1.000,2.000,2.000",
        "bob,0.000,1.000,1.000,2.000",
    ]
    bob = json.loads((course / "graded" / "toy" / "results" / "bob.json").read_text())
    word = bob["questions"][0]["result"]["parts"][0]
    assert word["mistake"] == "american-spelling" and bob["isolation"] != "none"


@dataclass(frozen=True)
class Unjudged(Part):
    pass


def test_a_part_without_a_registered_kind_is_invalid_with_a_reason(judge) -> None:
    q = Question("syn.unjudged", "synthetic", "t", "u", (Unjudged("u", 1, lambda i, p: 0),))
    verdict = judge(q, 0).parts[0]
    assert (verdict.status, verdict.score) == ("internal-error", 0)
    assert verdict.message == "no grader is registered for Unjudged parts"


def test_a_kind_is_registered_once() -> None:
    with pytest.raises(ValueError, match="registered for Numeric parts already"):
        kinds.register(kinds.of(Numeric("x", 1, lambda i, p: 0)))


def test_the_registry_holds_the_six_course_kinds() -> None:
    found = {kinds.named(n).part.__name__ for n in ("Numeric", "NumberSet", "Choice")}
    found |= {kinds.named(n).part.__name__ for n in ("Function", "Expression", "Model")}
    assert found == {"Numeric", "NumberSet", "Choice", "Function", "Expression", "Model"}
    with pytest.raises(kinds.KindUnavailable):
        kinds.named("Unheard")
