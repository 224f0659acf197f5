"""`grader export` on gradebooks nobody here wrote (fixtures/README.md names them):
Canvas's own importer fixture, the UBC Canvas export of Plom's tests (a "Student Number"
custom column, a short Test Student row) and Moodle's grade export from its import tests,
written again with each separator Moodle's export form offers, as PHP's fputcsv writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from optigrade.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
PLOM = FIXTURES / "plom_canvas_export.csv"
CANVAS_FIXTURE = FIXTURES / "canvas-lms_basic_course_with_sis_login_id.csv"
MOODLE = FIXTURES / "moodle_grade_export.csv"
#: John by SIS Login ID (5.5 points of 18), Jane by SIS User ID (2 of 18).
PLOM_SCORES = {
    "ABCDEFGHIJ01": {"fp.1.1": 1.0, "fp.4": 2.0, "act.3": 2.5},
    "12345679": {"act.1": 2.0},
}
#: Anne of Moodle's export (1 point of 18) and a student it does not have.
MOODLE_SCORES = {"student7@mail.com": {"fp.1.1": 1.0}, "nobody@mail.com": {"fp.1.1": 1.0}}
ITEM = "Assignment for grape group"


def export(*args: object) -> int:
    return main(["export", "forward-pass", *map(str, args)])


def test_a_custom_column_of_student_numbers_is_refused(made_class, tmp_path, capsys):
    graded = made_class(tmp_path / "graded", PLOM_SCORES)
    out = tmp_path / "import.csv"
    base = ("--graded", graded, "--canvas", PLOM, "--output", out)
    assert export(*base, "--column", "Student Number") == 2
    err = capsys.readouterr().err
    assert f"column 'Student Number' of {PLOM} is not an assignment: its Points Possible cell " in (
        err
    )
    assert "its assignment columns are 'Midterm1', 'Return Code (241017)'" in err
    assert export(*base, "--column", "Assignments") == 2
    assert "column 'Assignments' is read-only in Canvas" in capsys.readouterr().err
    assert not out.exists()


def test_plom_export_is_filled_byte_for_byte_but_the_column(made_class, tmp_path, capsys):
    graded = made_class(tmp_path / "graded", PLOM_SCORES)
    out = tmp_path / "import.csv"
    args = ("--graded", graded, "--canvas", PLOM, "--column", "Midterm1", "--output", out)
    assert export(*args) == 0
    printed = capsys.readouterr().out
    assert (
        "'Midterm1' is worth 40 points in Canvas, the grades are out of 18: pass --out-of 40"
        in (printed)
    )
    assert export(*args, "--out-of", "40") == 0
    text = PLOM.read_bytes()
    expected = text.replace(b"101,34,", b"101,12.222,").replace(b"S102v,36,", b"S102v,4.444,")
    assert expected != text and out.read_bytes() == expected
    printed = capsys.readouterr().out
    assert "fields separated by commas; 1 row(s) shorter than the header" in printed
    assert "2 cell(s) held another grade or N/A and are overwritten" in printed
    john = "ABCDEFGHIJ01 (line 4; SIS Login ID ABCDEFGHIJ01, SIS User ID 12345678, ID 42)"
    assert f"  {john}: 34 -> 12.222\n" in printed
    assert "  no submission: Test Student (line 6; SIS Login ID bbbc6740f0b946af, ID 99)" in printed


def test_canvas_fixture_short_rows_are_read_and_columns_without_points_refused(
    made_class, tmp_path, capsys
):
    graded = made_class(tmp_path / "graded", PLOM_SCORES)
    base = ("--graded", graded, "--canvas", CANVAS_FIXTURE, "--output", tmp_path / "import.csv")
    assert export(*base, "--column", "Assignment 1") == 2
    err = capsys.readouterr().err
    assert "'Assignment 1' of" in err and "its Points Possible cell is empty" in err
    assert "it has no assignment columns" in err and "malformed" not in err
    assert export(*base, "--column", "Final Score (read only)") == 2
    assert "is named as one of Canvas's totals" in capsys.readouterr().err


def fputcsv(rows: list[list[str]], delimiter: str) -> str:
    """Rows as Moodle's csv_export_writer writes them (PHP's fputcsv quotes a field holding
    the delimiter, a quote, a backslash, a space, a tab or a line end)."""

    def field(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\\", " ", "\t", "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(map(field, row)) + "\n" for row in rows)


def moodle_rows() -> list[list[str]]:
    text = MOODLE.read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text), skipinitialspace=True))


@pytest.mark.parametrize(
    ("delimiter", "name"), [(",", "Comma"), ("\t", "Tab"), (":", "Colon"), (";", "Semicolon")]
)
def test_moodle_export_is_read_with_each_of_its_separators(
    made_class, tmp_path, capsys, delimiter, name
):
    graded = made_class(tmp_path / "graded", MOODLE_SCORES)
    roster = tmp_path / "moodle-export.csv"
    if delimiter == ",":
        roster.write_bytes(MOODLE.read_bytes())  # as Moodle's test has it
    else:
        roster.write_text(fputcsv(moodle_rows(), delimiter), encoding="utf-8")
    out = tmp_path / "moodle-import.csv"
    args = ("--graded", graded, "--moodle", roster, "--identifier", "email", "--output", out)
    assert export(*args, "--column", ITEM, "--out-of", "100") == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["Email address", ITEM, f"{ITEM} (Feedback)"]
    assert [r[:2] for r in rows[1:]] == [["student7@mail.com", "5.556"]]
    printed = capsys.readouterr().out
    assert f"{roster}: read as Moodle's {name}-separated grade export\n" in printed
    assert (
        "  student7@mail.com (line 2; Email address student7@mail.com): 56.00 -> 5.556" in printed
    )
    assert "  no submission: Anne Able" not in printed
    assert "  no submission: Bobby Bunce (line 3; Email address student5@mail.com)" in printed
    assert "  no gradebook row: nobody@mail.com" in printed


def test_moodle_export_rows_shorter_than_the_header_are_read_longer_ones_refused(
    made_class, tmp_path, capsys
):
    graded = made_class(tmp_path / "graded", MOODLE_SCORES)
    roster = tmp_path / "moodle-export.csv"
    args = ("--graded", graded, "--moodle", roster, "--identifier", "email")
    rows = moodle_rows()
    roster.write_text(fputcsv([*rows[:2], rows[2][:6]], "\t"), encoding="utf-8")
    assert export(*args, "--column", ITEM, "--output", tmp_path / "import.csv") == 0
    assert "Tab-separated grade export; 1 row(s) shorter than the header" in capsys.readouterr().out
    # Moodle's $badtext (same test file): rows with one field more than the header
    header = [*rows[0][:7], rows[0][8]]
    roster.write_text(fputcsv([header, [*rows[1][:7], "56.00", "78.00"]], ":"), encoding="utf-8")
    assert export(*args, "--output", tmp_path / "import.csv") == 2
    err = capsys.readouterr().err
    assert "line 2 has 9 fields, the header has 8 (read with the Colon separator)" in err
    roster.write_text("First name|Email address\nAnne|student7@mail.com\n", encoding="utf-8")
    assert export(*args, "--output", tmp_path / "import.csv") == 2
    assert "cannot tell its separator" in capsys.readouterr().err
