"""`grader grade --gradebook` in a real nbgrader course: `nbgrader export` then reports
our scores, reruns duplicate nothing and keep an instructor's manual score; a course
without the gradebook or the assignment gets a warning saying what to run, and the
grading results and other exports are still there."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from nbgrader.api import Comment, Grade, Gradebook, Student, SubmittedAssignment

from optigrade.export.run import write_all

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "forward-pass"
COURSE_ID = "dl-optimisation"  # as in nbgrader_config.py
STUDENTS = ("ann", "ben", "cat", "dan", "eve")


def counts(url: str) -> dict[str, int]:
    with Gradebook(url, COURSE_ID) as gb:
        tables = {"students": Student, "submissions": SubmittedAssignment}
        tables |= {"grades": Grade, "comments": Comment}
        return {name: gb.db.query(table).count() for name, table in tables.items()}


def our_scores(graded_class) -> dict[str, dict[str, float]]:
    return {s: {q["id"]: q["score"] for q in graded_class.result(s)["questions"]} for s in STUDENTS}


def test_grading_with_gradebook_reports_no_warning(graded_class):
    assert "warning" not in graded_class.printed, graded_class.printed
    assert graded_class.summary["warnings"] == []
    assert sorted(graded_class.summary["failed"]) == ["dan", "eve"]


def test_each_grade_cell_holds_our_score(graded_class):
    with Gradebook(graded_class.gradebook, COURSE_ID) as gb:
        for student, by_question in our_scores(graded_class).items():
            for qid, score in by_question.items():
                grade = gb.find_grade(qid.replace(".", "-"), ASSIGNMENT, ASSIGNMENT, student)
                assert grade.auto_score == score, (student, qid)
                assert grade.manual_score is None and not grade.needs_manual_grade
            assert gb.find_submission(ASSIGNMENT, student).score == sum(by_question.values())
        assert str(gb.find_submission(ASSIGNMENT, "ann").timestamp) == "2025-01-10 10:00:00"


def test_nbgrader_export_writes_our_scores(graded_class):
    graded_class.nbgrader(graded_class.root, "export", "--to", "nbgrader_grades.csv")
    exported = pd.read_csv(graded_class.root / "nbgrader_grades.csv", index_col="student_id")
    ours = pd.read_csv(graded_class.out / "grades.csv", index_col="student_id")
    assert sorted(exported.index) == sorted(STUDENTS)
    for student in STUDENTS:
        assert exported.loc[student, "score"] == pytest.approx(ours.loc[student, "total"])
        assert exported.loc[student, "max_score"] == pytest.approx(ours.loc[student, "max"])
    assert ours.loc["ann", "total"] == 18 and 0 < ours.loc["cat", "total"] < 18
    assert ours.loc["ben", "total"] == 0 and ours.loc["eve", "total"] == 0


def test_a_rerun_duplicates_nothing_and_keeps_manual_scores(graded_class):
    url = graded_class.gradebook
    before = counts(url)
    assert before["students"] == 5 and before["submissions"] == 5
    with Gradebook(url, COURSE_ID) as gb:
        gb.find_grade("fp-1-1", ASSIGNMENT, ASSIGNMENT, "ann").manual_score = 0.5
        gb.db.commit()

    again = graded_class.grade(graded_class.root)
    assert "5 unchanged" in again and "warning" not in again
    assert counts(url) == before
    with Gradebook(url, COURSE_ID) as gb:
        kept = gb.find_grade("fp-1-1", ASSIGNMENT, ASSIGNMENT, "ann")
        assert (kept.manual_score, kept.auto_score, kept.needs_manual_grade) == (0.5, 1.0, True)
        assert gb.find_submission(ASSIGNMENT, "ann").score == 17.5
        other = gb.find_grade("fp-1-2", ASSIGNMENT, ASSIGNMENT, "cat")
        assert other.auto_score == our_scores(graded_class)["cat"]["fp.1.2"] == 0.0


# --- courses whose gradebook cannot take the scores ---------------------------------------


def _graded_copy(graded_class, tmp_path: Path) -> Path:
    out = tmp_path / "graded"
    shutil.copytree(graded_class.out, out, ignore=shutil.ignore_patterns("report.html", "feedback"))
    shutil.copy2(ROOT / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    return out


def test_a_course_without_gradebook_gets_a_warning_and_every_other_export(graded_class, tmp_path):
    out = _graded_copy(graded_class, tmp_path)
    warnings = write_all(out, tmp_path, gradebook=True)
    assert len(warnings) == 1
    assert "no gradebook at" in warnings[0]
    assert f"nbgrader generate_assignment {ASSIGNMENT}" in warnings[0]
    assert not (tmp_path / "gradebook.db").exists(), "no empty gradebook may be created"
    assert (out / "report.html").is_file() and len(list((out / "feedback").glob("*.html"))) == 5
    assert json.loads((out / "summary.json").read_text())["warnings"] == warnings
    assert "no gradebook at" in (out / "report.html").read_text(encoding="utf-8")
    for student in STUDENTS:
        name = f"results/{student}.json"
        assert (out / name).read_bytes() == (graded_class.out / name).read_bytes()


def test_a_gradebook_without_the_assignment_says_how_to_add_it(graded_class, tmp_path):
    out = _graded_copy(graded_class, tmp_path)
    shutil.copy2(graded_class.root / "gradebook.db", tmp_path / "gradebook.db")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url, COURSE_ID) as gb:
        gb.remove_assignment(ASSIGNMENT)
    before = counts(url)
    warnings = write_all(out, tmp_path, gradebook=True)
    assert len(warnings) == 1
    assert f"has no assignment {ASSIGNMENT}" in warnings[0]
    assert f"nbgrader generate_assignment {ASSIGNMENT}" in warnings[0]
    assert counts(url) == before
