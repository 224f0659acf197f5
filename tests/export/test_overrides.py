"""Manual overrides (`overrides.csv` beside the results): bad rows are warnings naming the
row; a valid override survives a `--force` regrade and shows in grades.csv, results.jsonl,
the student's feedback page (with its comment and the grader's score) and the exports."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from optigrade import bank
from optigrade.cli import main
from optigrade.export import classbook
from optigrade.export.run import write_all
from optigrade.grade.batch import grade_assignment
from optigrade.grade.options import GradeOptions, GradePaths
from optigrade.records import overrides
from optigrade.records.result import Applied

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "forward-pass"
QUESTIONS = [q for q in bank.questions(ASSIGNMENT) if not q.practice]
COMMENT = 'Right idea; the "bias" was in the next cell — accepted'


def write_overrides(out: Path, *rows: list[str]) -> None:
    with (out / overrides.FILE).open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([overrides.COLUMNS, *rows])


def test_bad_rows_are_warnings_naming_the_row(tmp_path):
    (tmp_path / overrides.FILE).write_text(
        "Student,Question,Points,Comment\n"
        "ann,fp.1.1,1,fine\n"  # row 2: valid
        "zed,fp.1.1,1,\n"  # 3: no such student
        "ann,fp.9,1,\n"  # 4: no such question
        "ann,fp.4,two,\n"  # 5: not a number
        "ann,fp.4,3,\n"  # 6: above the question's 2 points
        "ann,fp.4,-1,\n"  # 7: negative
        "ann,fp.4,nan,\n"  # 8: not a number either
        "\n"
        'ben,fp.4,"1,5",comma decimal\n'  # 10: valid, Excel in a decimal-comma locale
        "ann,fp.1.1,0.5,second thoughts\n",  # 11: replaces row 2
        encoding="utf-8",
    )
    found = overrides.load(tmp_path, QUESTIONS, ["ann", "ben"])
    assert {k: (o.points, o.row) for k, o in found.entries.items()} == {
        ("ann", "fp.1.1"): (0.5, 11),
        ("ben", "fp.4"): (1.5, 10),
    }
    said = "\n".join(found.warnings)
    assert len(found.warnings) == 7
    for row, why in [
        (3, "no student 'zed' in this class"),
        (4, "no graded question 'fp.9'"),
        (5, "points 'two' is not a number"),
        (6, "points 3 is not between 0 and 2"),
        (7, "points -1 is not between 0 and 2"),
        (8, "points nan is not between 0 and 2"),
    ]:
        assert f"overrides.csv row {row} " in said and why in said, (row, why)
    assert "row 11 overrides ann, fp.1.1 again: it replaces row 2" in said


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"student,question,comment\nann,fp.1.1,x\n", "has no column points"),
        (b'student,question,points\n"ann,fp.1.1,1\n', "is not a valid CSV file"),
        (b"student,question,points\n\xe9,fp.1.1,1\n", "not read"),
    ],
    ids=["missing-column", "malformed", "not-utf8"],
)
def test_an_unusable_file_is_one_warning_and_no_override(tmp_path, content, said):
    (tmp_path / overrides.FILE).write_bytes(content)
    found = overrides.load(tmp_path, QUESTIONS, ["ann"])
    assert found.entries == {}
    assert len(found.warnings) == 1 and said in found.warnings[0]


def test_apply_keeps_the_graders_verdict_and_recomputes_the_total(tmp_path, made_class):
    made_class(tmp_path, {"ann": {"fp.1.1": 0.25, "fp.4": 2.0}})
    write_overrides(tmp_path, ["ann", "fp.1.1", "1", COMMENT])
    graded = classbook.load(tmp_path)
    result = graded.results["ann"]
    assert result.score == 3.0
    entry = result.entry("fp.1.1")
    assert entry is not None and entry.score == 1.0
    assert entry.override == Applied(1.0, COMMENT, 0.25, "fp.1.1: as graded")
    assert entry.message.startswith("overridden by the instructor: 1 of 1 points (the grader")
    assert result.entry("fp.4").override is None
    stored = json.loads((tmp_path / "results" / "ann.json").read_text())
    assert stored["score"] == 2.25, "the result file stays as the grader wrote it"


@pytest.fixture(scope="module")
def regraded(tmp_path_factory) -> Path:
    """A class graded twice by the real batch, the second time with --force, with an
    override written between the runs. Its notebooks cannot be read, so no sandbox runs:
    every question scores 0 until the instructor's override."""
    root = tmp_path_factory.mktemp("overrides")
    for student in ("ann", "ben"):
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text("not a notebook", encoding="utf-8")
    out = root / "graded" / ASSIGNMENT

    def grade(force: bool):
        paths = GradePaths(root / "submitted", ROOT / "exercises", ROOT / "release", out)
        summary = grade_assignment(ASSIGNMENT, paths, GradeOptions(force=force, progress=False))
        summary.warnings += write_all(out)
        return summary

    grade(force=False)
    write_overrides(out, ["ann", "fp.4", "1.5", COMMENT], ["ghost", "fp.4", "1", ""])
    summary = grade(force=True)
    assert sorted(summary.graded) == ["ann", "ben"], "both regraded"
    assert any("row 3 (ghost, fp.4): no student 'ghost'" in w for w in summary.warnings)
    return out


def test_override_survives_a_forced_regrade_in_grades_csv_and_results_jsonl(regraded):
    grades = pd.read_csv(regraded / "grades.csv", index_col="student_id")
    assert grades.loc["ann", "fp.4"] == 1.5 and grades.loc["ann", "total"] == 1.5
    assert grades.loc["ben", "total"] == 0
    lines = [json.loads(line) for line in (regraded / "results.jsonl").read_text().splitlines()]
    ann = next(r for r in lines if r["student"] == "ann" and r["question"] == "fp.4")
    assert ann["score"] == 1.5
    assert ann["message"].startswith(
        f"overridden by the instructor: 1.5 of 2 points (the grader gave 0): {COMMENT}; "
    )
    summary = json.loads((regraded / "summary.json").read_text())
    assert any("ghost" in w for w in summary["warnings"])


def test_feedback_page_shows_the_override_its_comment_and_the_graders_score(regraded):
    html = (regraded / "feedback" / "ann.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    text = " ".join(soup.find("section", id="q-fp.4").get_text(" ").split())
    assert "1.5 of 2 points" in text
    assert "Points set by your instructor: 1.5 of 2" in text
    assert "the automatic grading gave 0" in text
    assert f"Your instructor's comment: {COMMENT}" in text
    assert "overridden by the instructor" not in text, "the grader's explanation, not the mark"
    assert "Total: 1.5 of 18 points" in " ".join(soup.get_text(" ").split())
    other = " ".join(soup.find("section", id="q-fp.1.1").get_text(" ").split())
    assert "Points set" not in other


def test_exports_carry_the_override(regraded, tmp_path):
    out = tmp_path / "moodle.csv"
    assert (
        main(["export", ASSIGNMENT, "--graded", str(regraded), "--moodle", "--output", str(out)])
        == 0
    )
    rows = {r[0]: r for r in csv.reader(io.StringIO(out.read_text(encoding="utf-8")))}
    assert rows["ann"][1] == "1.5"
    assert f"fp.4: 1.5 of 2 (set by the instructor: {COMMENT})" in rows["ann"][2]
    assert rows["ben"][1] == "0"
