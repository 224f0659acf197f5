"""A release with a roster (issue 19): one file per student beside the release notebook,
each student's own numbers shown (`grader.given`) and checked locally from their own
seals, a classmate's answers not "correct", odd ids, no identity and late enrolment said
in one line, and nothing in the clear.

The questions that vary are declared here (`VARYING`), whatever the bank declares."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from nbgrader.api import Gradebook

from grader.compare import sealed as sealing
from grader.compare.layout import assemble
from grader.spec import to_spec
from grader.student import api, identity, known, sealedkey
from grader.variation import Same, Uniform
from optigrade import bank, cli, variants
from optigrade.assign import leaks, release, roster, seal, secrets

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "forward-pass"
ODD = ["jane_doe", "o'brien", "zoë", "a b"]
SECRET = bytes(range(32))
WIDE = Uniform(-2.0, 2.0, nonzero=True)
VARYING = {
    "fp.1.1": {"X": WIDE, "w": WIDE, "b": WIDE},
    "fp.2.1": {"X": WIDE, "w": WIDE},
    "fp.2.2": {"X": Same("fp.2.1"), "w": Same("fp.2.1"), "b": WIDE},
    "act.1": {"z": WIDE},
}


_lab = bank.questions


def _varying(assignment: str) -> tuple:
    return tuple(replace(q, varies=VARYING.get(q.id, {})) for q in _lab(assignment))


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    """A course whose forward-pass varies (`VARYING`), released to `ODD` with a cheap
    scrypt (the parallel sealing forks this process: the patches reach the workers)."""
    monkeypatch.setattr(bank, "questions", _varying)
    monkeypatch.setattr(sealing, "COST", sealing.Cost(n=2, r=1))
    shutil.copytree(ROOT / "release" / ASSIGNMENT, tmp_path / "release" / ASSIGNMENT)
    (tmp_path / "exercises").mkdir()
    shutil.copytree(ROOT / "exercises" / ASSIGNMENT, tmp_path / "exercises" / ASSIGNMENT)
    secrets.save(tmp_path, secrets.Secrets(SECRET))  # fixed: the students' numbers are known
    seal.write(tmp_path, tmp_path / "release", ASSIGNMENT)
    assert seal.write_variants(tmp_path, tmp_path / "release", ASSIGNMENT, ODD, jobs=2) == 4
    monkeypatch.setenv(known.SEALED, "1")
    monkeypatch.delenv(identity.ENV, raising=False)
    monkeypatch.chdir(tmp_path / "release" / ASSIGNMENT)
    monkeypatch.setattr(identity, "_said", set())
    return tmp_path


def _mine(course: Path, student: str) -> dict:
    return variants.questions(ASSIGNMENT, secrets.load(course).course, student)


def _right(question) -> object:
    return assemble(question, question.answer)


def test_the_spec_names_the_inputs_that_vary_and_gives_the_lab_s_values():
    question = replace(bank.get("fp.1.1"), varies=VARYING["fp.1.1"])
    spec = json.loads(json.dumps(to_spec(question)))
    assert spec["varies"] == ["X", "b", "w"]
    assert dict(spec["given"]).keys() == {"X", "w", "b"}
    assert to_spec(bank.get("fp.example"))["varies"] == []


def test_each_student_of_the_roster_has_a_file_with_their_own_numbers(course):
    assert secrets.load(course).rosters == {ASSIGNMENT: ODD}
    files = sorted((course / "release" / ASSIGNMENT / identity.VARIANTS).iterdir())
    assert [f.name for f in files] == sorted(f"{identity.token(ASSIGNMENT, s)}.json" for s in ODD)
    jane, obrien = _mine(course, "jane_doe"), _mine(course, "o'brien")
    for qid, names in VARYING.items():
        assert all(not np.array_equal(jane[qid].inputs[n], obrien[qid].inputs[n]) for n in names)
        a, b = jane[qid].answer, obrien[qid].answer
        assert all(not np.allclose(a[p], b[p]) for p in a)
    assert leaks.scan_variants(course, ASSIGNMENT) == []


def test_a_student_sees_and_is_checked_on_their_own_numbers_and_not_a_classmate_s(
    course, monkeypatch
):
    for student in ODD:  # odd ids: underscore, quote, accent, space
        monkeypatch.setenv(identity.ENV, student)
        mine = _mine(course, student)
        for qid in VARYING:
            names = mine[qid].given
            shown = api.given(qid, *names)
            assert all(
                np.array_equal(s, mine[qid].inputs[n]) for s, n in zip(shown, names, strict=True)
            )
            assert api.check(qid, _right(mine[qid])).score == mine[qid].points
    monkeypatch.setenv(identity.ENV, "jane_doe")
    classmate = _mine(course, "o'brien")
    for qid in VARYING:
        result = api.check(qid, _right(classmate[qid]))
        assert result.score == 0 and all(p.status != "correct" for p in result.parts)
    lab = bank.get("fp.1.2")  # a question that does not vary: the lab's for everyone
    assert np.array_equal(api.given("fp.1.2", "X")[0], lab.inputs["X"])


def test_a_notebook_with_no_identity_uses_the_lab_s_numbers_and_says_so_once(course, capsys):
    lab = bank.get("fp.1.1")
    assert np.array_equal(api.given("fp.1.1", "X")[0], lab.inputs["X"])
    assert api.check("fp.1.1", _right(lab)).score == lab.points
    assert capsys.readouterr().out.count("grader.login") == 1
    api.login("zoë")
    assert (course / "release" / ASSIGNMENT / identity.LOGIN).read_text() == "zoë\n"
    mine = _mine(course, "zoë")["fp.1.1"]
    assert np.array_equal(api.given("fp.1.1", "X")[0], mine.inputs["X"])
    assert api.check("fp.1.1", _right(mine)).score == mine.points


def test_a_student_missing_from_the_roster_is_told_and_never_confirmed(course, monkeypatch, capsys):
    monkeypatch.setenv(identity.ENV, "late_student")
    lab = bank.get("fp.1.1")
    result = api.check("fp.1.1", _right(lab))
    assert [p.status for p in result.parts] == ["unconfirmed"]
    assert "ask your instructor for a new release" in capsys.readouterr().out
    assert float(api.score("fp.1.1", _right(lab))) == 0.0
    fixed = bank.get("fp.1.2")  # a question that does not vary: checked as ever
    assert api.check("fp.1.2", _right(fixed)).score == fixed.points


def test_a_roster_is_a_csv_with_a_student_id_column(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("name,student_id\nJane,jane_doe\nO,o'brien\nZ,zoë\nA,a b\nJ,jane_doe\n")
    assert roster.read(tmp_path, str(path)) == ODD
    path.write_text("id\nx\n")
    with pytest.raises(roster.RosterError, match="student_id"):
        roster.read(tmp_path, str(path))


def test_a_release_without_a_roster_has_no_variants(course):
    assert seal.write_variants(course, course / "release", ASSIGNMENT, None) == 0
    assert not (course / "release" / ASSIGNMENT / identity.VARIANTS).exists()
    assert ASSIGNMENT not in secrets.load(course).rosters


def test_the_sealed_key_and_files_keep_the_course_secret(course):
    found = secrets.load(course).course.hex()
    for path in (course / "release" / ASSIGNMENT).rglob("*.json"):
        assert found not in path.read_text(encoding="utf-8")
    assert sealedkey.here()[0].varies["fp.1.1"] == ("X", "b", "w")


def test_a_roster_may_be_the_students_of_nbgrader_s_gradebook(tmp_path):
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        for student in ODD:
            gradebook.add_student(student)
    assert sorted(roster.read(tmp_path, roster.GRADEBOOK)) == sorted(ODD)


def test_grader_assign_release_with_a_roster(tmp_path, monkeypatch, capsys):
    """The command: sync (the given cells of varying questions call grader.given),
    nbgrader's generation, the students' files, the leak scan; the drift check ignores
    the students' files; released again without a roster, no variants."""
    monkeypatch.setattr(bank, "questions", _varying)
    monkeypatch.setattr(sealing, "COST", sealing.Cost(n=2, r=1))
    course = release.copy_course(ROOT, tmp_path)
    (course / "roster.csv").write_text("student_id\n" + "\n".join(ODD) + "\n", encoding="utf-8")
    argv = ["assign", "release", ASSIGNMENT, "--course", str(course)]
    assert cli.main([*argv, "--roster", str(course / "roster.csv")]) == 0
    assert f"{ASSIGNMENT}: release/ and solutions/ generated, 4 students' own numbers" in (
        capsys.readouterr().out
    )
    folder = course / "release" / ASSIGNMENT
    assert len(list((folder / identity.VARIANTS).iterdir())) == 4
    notebook = (folder / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8")
    assert 'X, w, b = grader.given(\\"fp.1.1\\", \\"X\\", \\"w\\", \\"b\\")' in notebook
    plain = shutil.copytree(folder, tmp_path / "plain", ignore=shutil.ignore_patterns("variants"))
    assert release._differences(plain, folder, ASSIGNMENT) == []  # drift: the files are not
    assert cli.main(argv) == 0
    assert not (folder / identity.VARIANTS).exists()
