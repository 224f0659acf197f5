"""scores.csv, the report's student x question table as CSV: written by every batch beside
report.html, one row per student, the same points as grades.csv plus each student's
warnings, any student id quoted so that it reads back unchanged."""

from __future__ import annotations

import copy
import csv
import io

import nbformat

from optigrade import bank
from optigrade.export import scoresheet
from optigrade.grade.restore import grade_id_of, restore
from optigrade.records.repairs import Repair
from tests.export.conftest import ASSIGNMENT, ROOT
from tests.export.made_classes import (
    ODD_IDS,
    WARNED,
    Answer,
    Student,
    graded_class,
    result,
    wrong,
)


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_batch_writes_scores_csv_with_one_row_per_student(graded_class):
    text = (graded_class.out / scoresheet.SCORES).read_text(encoding="utf-8")
    grades = {r["student_id"]: r for r in read((graded_class.out / "grades.csv").read_text())}
    table = read(text)
    assert [r["student_id"] for r in table] == sorted(graded_class.summary["students"])
    by_student = {r["student_id"]: r.pop("warnings") for r in table}
    for row in table:
        assert row == grades[row["student_id"]]  # same columns, same points
    assert {s for s, w in by_student.items() if not w} == {"ann", "cat"}
    assert by_student["dan"] == "notebook failed: exited"
    assert by_student["ben"].startswith("unanswered: fp.1.1, fp.1.2")


def test_any_student_id_round_trips_through_csv():
    made = graded_class({s: Student({"fp.1.2": wrong("fp.1.2", "no-bias")}) for s in ODD_IDS})
    text = scoresheet.csv_text(made)
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == ["student_id", "fp.1.1", "fp.1.2", "act.1", "total", "max", "warnings"]
    assert [r[0] for r in table[1:]] == sorted(ODD_IDS)
    assert all(r[1:6] == ["1.000", "0.000", "2.000", "3.000", "4.000"] for r in table[1:])


def test_the_warnings_column_names_each_kind_and_where():
    made = graded_class({kind: student for kind, (student, _) in WARNED.items()})
    table = {r["student_id"]: r["warnings"] for r in read(scoresheet.csv_text(made))}
    assert table == {kind: f"{kind}: {', '.join(where)}" for kind, (_, where) in WARNED.items()}


def test_several_warnings_share_the_cell_in_kind_order():
    many = Student(
        {"fp.1.2": Answer(status="not recorded", message="recorded no answer")},
        status="timeout",
        repairs=[Repair("test", "fp-1-1", "fp.1.1", "edited")],
    )
    row = read(scoresheet.csv_text(graded_class({"x": many})))[0]
    assert row["warnings"] == (
        "test cell edited: fp.1.1; grader patched: fp.1.2; limit reached: notebook timeout"
    )


def test_the_repairs_the_batch_writes_are_read_as_edited_and_deleted_test_cells():
    source = nbformat.read(ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    submission = copy.deepcopy(source)
    edited = next(c for c in submission.cells if grade_id_of(c) == "fp-1-2")
    edited.source = "pass  # no test here"
    submission.cells = [c for c in submission.cells if grade_id_of(c) != "act-1"]
    repairs = restore(source, submission).repairs
    qids = ("fp.1.2", "act.1")
    restored = result("x", Student({}, repairs=repairs), qids)
    assert scoresheet.warnings([bank.get(q) for q in qids], restored) == (
        scoresheet.StudentWarning("test cell edited", ("fp.1.2",)),
        scoresheet.StudentWarning("test cell deleted", ("act.1",)),
    )
