"""`grader export --canvas/--moodle`: a Canvas gradebook export round-trips byte for byte
but for the filled column (rows shorter than the header included), students on either
side without a partner are reported (on the terminal and in the side file), cells that
held another grade or N/A are listed, identifiers with quotes, accents and spaces match,
the advice on points is an --out-of the command accepts in a decimal-comma locale, and
Moodle's import CSV has the columns its "Import > CSV file" maps. Bad input (a custom
column, --out-of 0) is one line on stderr and exit code 2."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import pytest

from optigrade.cli import main
from optigrade.export import canvas
from optigrade.export.lmsbook import LmsError

LAB = "Lab 1 (12345)"
TARGET = "Forward pass (67890)"
HEADER = [
    "Student",
    "ID",
    "SIS User ID",
    "SIS Login ID",
    "Section",
    "Notes",  # a custom gradebook column: between Section and the assignments
    LAB,
    TARGET,
    "Current Points",
    "Final Points",
    "Current Score",
    "Unposted Current Score",
    "Final Score",
    "Unposted Final Score",
]
RO = "(read only)"
ZOE_SIS = 'Zoë "Zed" O\'Brien'  # accented, with quotes and spaces
#: Canvas's layout (lib/gradebook_exporter.rb): header, the "Manual Posting" row, the
#: "Points Possible" row, students by sortable name, the Test Student last.
ROWS = [
    HEADER,
    ["", "", "", "", "", "", "", "Manual Posting", "", "", "", "", "", ""],
    ["    Points Possible", "", "", "", "", "", "10.00", "18.00", RO, RO, RO, RO, RO, RO],
    [
        "Lovelace, Ada",
        "1001",
        "s1001",
        "ada",
        "Section A",
        "",
        "9.50",
        "",
        "9.5",
        "9.5",
        *["95"] * 4,
    ],
    [
        "O'Brien, Zoë",
        "1002",
        ZOE_SIS,
        "",
        "Section B",
        "line one\nline two",
        "7.00",
        "3",
        *["7"] * 6,
    ],
    ["Smith, Bob", "1003", "", "", "Section A", "", "", "", *["0"] * 6],
    ["Doe, Jane", "1004", "s1004", "jdoe", "Section A, Section B", "", "8", "", *["8"] * 6],
    ["Turing, Alan", "1005", "s1005", "alan", "Section B", "", "10.00", "EX", *["10"] * 6],
    ["Student, Test", "1006", "", "", "Section A", "", "N/A", "N/A", *["0"] * 6],
]
FORCE_QUOTED = {(3, 7), (4, 1)}  # cells quoted although they need not be (row, column)
#: student -> points: matched by SIS Login ID, SIS User ID (in another case and Unicode
#: form), ID; alan is excused in Canvas; ghost has no gradebook row; nores has no result.
SCORES = {
    "ada": {"fp.1.1": 1.0, "fp.4": 2.0, "act.3": 2.5},
    unicodedata.normalize("NFD", ZOE_SIS.upper()): {"act.1": 2.0},
    "1003": {"fp.2.1": 0.125},
    "alan": {"fp.1.1": 1.0},
    "ghost": {"fp.1.1": 1.0},
}
FILLED = {3: "5.5", 4: "2", 5: "0.125"}  # gradebook row -> the cell expected in TARGET


def render(rows: list[list[str]], delimiter: str, newline: str, bom: bool) -> bytes:
    """A CSV file as Canvas writes it (quoting only where needed, but FORCE_QUOTED)."""

    def cell(r: int, c: int, value: str) -> str:
        if (r, c) in FORCE_QUOTED or any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(cell(r, c, v) for c, v in enumerate(row)) for r, row in enumerate(rows)]
    return ("\ufeff" if bom else "").encode() + newline.join(lines).encode() + newline.encode()


def decimal(rows: list[list[str]], comma: bool) -> list[list[str]]:
    """The numbers of a locale with a decimal comma."""
    return [[v.replace(".", ",") if comma and v[:1].isdigit() else v for v in r] for r in rows]


def filled(rows: list[list[str]], comma: bool) -> list[list[str]]:
    at = HEADER.index(TARGET)
    out = [list(r) for r in rows]
    for r, value in FILLED.items():
        out[r][at] = value.replace(".", ",") if comma else value
    return out


@pytest.fixture
def graded(tmp_path, made_class) -> Path:
    return made_class(tmp_path / "graded", SCORES, missing=("nores",))


def export(*args: str) -> int:
    return main(["export", "forward-pass", *map(str, args)])


LAYOUTS = [  # (delimiter, line end, byte order mark): Canvas's options and Excel's resave
    pytest.param(",", "\n", False, id="comma-lf"),
    pytest.param(",", "\r\n", True, id="comma-crlf-bom"),
    pytest.param(";", "\r\n", False, id="semicolon-decimal-comma"),
]


@pytest.mark.parametrize(("delimiter", "newline", "bom"), LAYOUTS)
def test_canvas_round_trip_changes_only_the_filled_cells(
    graded, tmp_path, capsys, delimiter, newline, bom
):
    comma = delimiter == ";"
    source = decimal(ROWS, comma)
    gradebook = tmp_path / "canvas.csv"
    gradebook.write_bytes(render(source, delimiter, newline, bom))
    out = tmp_path / "import.csv"
    assert (
        export("--graded", graded, "--canvas", gradebook, "--column", TARGET, "--output", out) == 0
    )
    assert out.read_bytes() == render(filled(source, comma), delimiter, newline, bom)
    assert out.read_bytes() != gradebook.read_bytes()
    printed = capsys.readouterr().out
    assert f"3 grade(s) written to {out}" in printed
    assert "alan is excused (EX) in Canvas" in printed


def test_unmatched_students_are_printed_and_written_beside_the_output(graded, tmp_path, capsys):
    gradebook = tmp_path / "canvas.csv"
    gradebook.write_bytes(render(ROWS, ",", "\n", False))
    out = tmp_path / "import.csv"
    export("--graded", graded, "--canvas", gradebook, "--column", TARGET, "--output", out)
    side = tmp_path / "import.unmatched.csv"
    rows = list(csv.DictReader(io.StringIO(side.read_text(encoding="utf-8"))))
    found = {(r["problem"], r["student"]) for r in rows}
    assert found == {
        ("no gradebook row", "ghost"),
        ("no submission", "Doe, Jane"),
        ("no submission", "Student, Test"),
        ("no result", "nores"),
    }
    jane = next(r for r in rows if r["student"] == "Doe, Jane")
    assert jane["gradebook_row"] == "line 8; SIS Login ID jdoe, SIS User ID s1004, ID 1004"
    printed = capsys.readouterr().out
    assert f"4 student(s) not matched, also listed in {side}" in printed
    for problem, student in found:
        assert f"  {problem}: {student}" in printed


def test_the_column_may_be_named_without_canvas_id_and_points_are_rescaled(
    graded, tmp_path, capsys
):
    rows = [list(r) for r in ROWS]
    rows[2][HEADER.index(TARGET)] = "100"
    gradebook = tmp_path / "canvas.csv"
    gradebook.write_bytes(render(rows, ",", "\n", False))
    out = tmp_path / "import.csv"
    args = ("--graded", graded, "--canvas", gradebook, "--column", "Forward pass", "--output", out)
    export(*args)
    assert "is worth 100 points in Canvas, the grades are out of 18" in capsys.readouterr().out
    export(*args, "--out-of", "100")
    assert "is worth" not in capsys.readouterr().out
    lovelace = next(r for r in csv.reader(io.StringIO(out.read_text())) if r[0] == "Lovelace, Ada")
    assert lovelace[HEADER.index(TARGET)] == f"{round(5.5 / 18 * 100, 3):g}"


def test_moodle_import_has_identifier_grade_and_feedback_columns(graded, tmp_path):
    out = tmp_path / "moodle.csv"
    assert export("--graded", graded, "--moodle", "--output", out) == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["Username", "forward-pass", "forward-pass (Feedback)"]
    body = {r[0]: r[1:] for r in rows[1:]}
    assert set(body) == set(SCORES)
    grade, feedback = body["ada"]
    assert grade == "5.5"
    assert feedback.startswith("5.5 of 18 points; fp.1.1: 1 of 1; ")
    assert "act.3: 2.5 of 3" in feedback
    side = list(csv.DictReader(io.StringIO((tmp_path / "moodle.unmatched.csv").read_text())))
    assert [(r["problem"], r["student"]) for r in side] == [("no result", "nores")]


def test_moodle_export_as_roster_writes_only_its_students_with_their_identifier(
    graded, tmp_path, capsys
):
    roster = tmp_path / "moodle-export.csv"
    header = ["First name", "Last name", "ID number", "Institution", "Department"]
    header += [
        "Email address",
        "Assignment: Forward pass (Real)",
        "Last downloaded from this course",
    ]
    people = [
        ["Ada", "Lovelace", "1001", "", "", "ada.lovelace@uni.example", "-", "1736500000"],
        ["Bob", "Smith", "1003", "", "", "bob@uni.example", "-", "1736500000"],
        ["Jane", "Doe", "1004", "", "", "jane@uni.example", "-", "1736500000"],
    ]
    with roster.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *people])
    out = tmp_path / "moodle.csv"
    args = ["--graded", graded, "--moodle", roster, "--identifier", "email", "--output", out]
    assert export(*args, "--column", "Forward pass", "--out-of", "100") == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["Email address", "Forward pass", "Forward pass (Feedback)"]
    assert [r[:2] for r in rows[1:]] == [["bob@uni.example", f"{round(0.125 / 18 * 100, 3):g}"]]
    printed = capsys.readouterr().out
    assert "no submission: Jane Doe (line 4; ID number 1004, Email address jane@uni.example)" in (
        printed
    )
    assert "no gradebook row: ada" in printed  # ada's id is neither her ID number nor address


def test_moodle_by_email_warns_about_ids_that_are_not_addresses(graded, tmp_path, capsys):
    export("--graded", graded, "--moodle", "--identifier", "email", "--output", tmp_path / "m.csv")
    assert "are not email addresses" in capsys.readouterr().out


def _fails(capsys, *args: object) -> str:
    assert export(*map(str, args)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    return captured.err


def test_bad_input_is_one_line_and_exit_code_2(graded, tmp_path, capsys):
    gradebook = tmp_path / "canvas.csv"
    gradebook.write_bytes(render(ROWS, ",", "\n", False))
    out = tmp_path / "import.csv"
    base = ("--graded", graded, "--canvas", gradebook, "--output", out)
    err = _fails(capsys, *base, "--column", "Lab 9")
    assert (
        f"no column 'Lab 9' in {gradebook}; its assignment columns are '{LAB}', '{TARGET}'" in err
    )
    assert "read-only in Canvas" in _fails(capsys, *base, "--column", "Current Score")
    assert "describes students" in _fails(capsys, *base, "--column", "SIS Login ID")
    err = _fails(capsys, *base, "--column", "Notes")  # a custom column, before the assignments
    assert (
        f"column 'Notes' of {gradebook} is not an assignment: its Points Possible cell is " in err
    )
    assert "empty, like Canvas's custom columns (notes, student numbers)" in err
    pointless = tmp_path / "pointless.csv"
    pointless.write_bytes(render(ROWS[:2] + ROWS[3:], ",", "\n", False))
    err = _fails(capsys, *base[:3], pointless, *base[4:], "--column", LAB)
    assert f"{pointless} has no Points Possible row" in err
    broken = tmp_path / "broken.csv"
    broken.write_bytes(
        render(ROWS, ",", "\n", False).replace(b'"Lovelace, Ada"', b'"Lovelace, Ada')
    )
    assert "malformed CSV: line 4" in _fails(capsys, *base[:3], broken, *base[4:], "--column", LAB)
    other = tmp_path / "other.csv"
    other.write_text("name,score\nann,3\n")
    assert "not a gradebook exported from Canvas" in _fails(
        capsys, *base[:3], other, *base[4:], "--column", "score"
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(render(ROWS, ",", "\n", False).decode().encode("latin-1"))
    assert "is not UTF-8" in _fails(capsys, *base[:3], latin, *base[4:], "--column", LAB)
    err = _fails(capsys, "--graded", tmp_path / "nowhere", "--moodle", "--output", out)
    assert "no graded folder" in err
    assert not out.exists()


@pytest.mark.parametrize(
    "text",
    ['a,"b"c\n', '"open\n', 'a,b"\n'],
    ids=["text-after-quote", "unclosed", "stray-quote"],
)
def test_malformed_csv_names_the_line(text):
    with pytest.raises(LmsError, match="malformed CSV: line 2"):
        canvas.fill("Student,ID,Lab 1\n" + text, "Lab 1", {}, 1.0)


def _gradebook(tmp_path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    path = tmp_path / "canvas.csv"
    path.write_bytes(render(rows, delimiter, "\n", False))
    return path


def test_cells_that_held_another_grade_or_na_are_listed(graded, tmp_path, capsys):
    rows = [list(r) for r in ROWS]
    at = HEADER.index(TARGET)
    rows[3][at] = "5.50"  # ada: the grade written now (not listed)
    rows[5][at] = "N/A"  # bob (1003): the assignment is not assigned to him
    out = tmp_path / "import.csv"
    gradebook = _gradebook(tmp_path, rows)
    assert (
        export("--graded", graded, "--canvas", gradebook, "--column", TARGET, "--output", out) == 0
    )
    printed = capsys.readouterr().out
    side = tmp_path / "import.overwritten.csv"
    assert f"2 cell(s) held another grade or N/A and are overwritten, also listed in {side}" in (
        printed
    )
    zoe = unicodedata.normalize("NFD", ZOE_SIS.upper())
    assert f"  {zoe} (line 5; SIS User ID {ZOE_SIS}, ID 1002): 3 -> 2\n" in printed
    assert "  1003 (line 7; ID 1003): N/A -> 0.125 (N/A: Canvas ignores this grade" in printed
    listed = list(csv.DictReader(io.StringIO(side.read_text(encoding="utf-8"))))
    assert [(r["student"], r["before"], r["after"]) for r in listed] == [
        ("1003", "N/A", "0.125"),
        (zoe, "3", "2"),
    ]


def test_rows_shorter_than_the_header_are_read_as_canvas_reads_them(graded, tmp_path, capsys):
    at = HEADER.index(TARGET)
    rows = [list(r) for r in ROWS]
    rows[5] = rows[5][:5]  # bob (1003), matched: the fields up to the column are appended
    rows[8] = rows[8][:4]  # the Test Student, unmatched: kept as it is
    gradebook = _gradebook(tmp_path, rows)
    out = tmp_path / "import.csv"
    assert (
        export("--graded", graded, "--canvas", gradebook, "--column", TARGET, "--output", out) == 0
    )
    expected = [list(r) for r in rows]
    expected[3][at], expected[4][at] = FILLED[3], FILLED[4]
    expected[5] += ["", "", FILLED[5]]
    assert out.read_bytes() == render(expected, ",", "\n", False)
    assert "fields separated by commas; 2 row(s) shorter than the header" in capsys.readouterr().out


def test_advice_on_points_is_accepted_by_the_command_in_a_decimal_comma_locale(
    graded, tmp_path, capsys
):
    rows = decimal(ROWS, comma=True)
    rows[2][HEADER.index(TARGET)] = "10,00"
    gradebook = _gradebook(tmp_path, rows, ";")
    out = tmp_path / "import.csv"
    args = ("--graded", graded, "--canvas", gradebook, "--column", TARGET, "--output", out)
    assert export(*args) == 0
    printed = capsys.readouterr().out
    assert "fields separated by semicolons, decimal commas" in printed
    advised = re.search(r"pass (--out-of \S+) to rescale them", printed)
    assert advised is not None and advised[1] == "--out-of 10"
    assert export(*args, *advised[1].split()) == 0
    assert "is worth" not in capsys.readouterr().out
    lovelace = next(
        r for r in csv.reader(io.StringIO(out.read_text()), delimiter=";") if r[1] == "1001"
    )
    assert lovelace[HEADER.index(TARGET)] == "3,056"  # 5.5 of 18 is 3.056 of 10


def test_a_column_worth_0_points_is_never_advised_out_of_0(graded, tmp_path, capsys):
    rows = decimal(ROWS, comma=True)
    rows[2][HEADER.index(TARGET)] = "0,00"
    out = tmp_path / "import.csv"
    gradebook = _gradebook(tmp_path, rows, ";")
    assert (
        export("--graded", graded, "--canvas", gradebook, "--column", TARGET, "--output", out) == 0
    )
    printed = capsys.readouterr().out
    assert "is worth 0 points in Canvas, which counts its grades as extra credit" in printed
    assert "--out-of 0" not in printed


@pytest.mark.parametrize("out_of", ["0", "-5", "nan", "inf"])
def test_out_of_must_be_a_positive_number(graded, tmp_path, capsys, out_of):
    out = tmp_path / "import.csv"
    base = ("--graded", graded, "--canvas", _gradebook(tmp_path, ROWS), "--output", out)
    err = _fails(capsys, *base, "--column", TARGET, "--out-of", out_of)
    assert "--out-of must be a positive number of points" in err
    assert not out.exists()


def test_out_of_is_written_with_a_dot(graded, tmp_path, capsys):
    out = tmp_path / "import.csv"
    base = ("--graded", graded, "--canvas", _gradebook(tmp_path, ROWS), "--output", out)
    with pytest.raises(SystemExit) as usage:
        export(*base, "--column", TARGET, "--out-of", "10,0")
    assert usage.value.code == 2
    err = capsys.readouterr().err
    assert "--out-of: not a number of points: '10,0' (write it with a dot: 10.0)\n" in err
    assert not out.exists()
