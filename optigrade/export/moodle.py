"""Moodle: the CSV of Moodle's "Import > CSV file", read with its grade export.

The import CSV has an identifier column ("Username", "ID number" or "Email address",
mapped to the user field of that name on import), the grade and a feedback column, every
row complete (Moodle's reader refuses rows of another length). Moodle refuses a whole
import if one identifier is unknown, so given Moodle's own grade export (Export > Plain
text file, with any of its separators) only the students found there are written, each
with that export's value of the identifier.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from optigrade.export import csvtext
from optigrade.export.lmsbook import (
    Export,
    Grade,
    LmsError,
    Overwritten,
    Row,
    Unmatched,
    held,
    match,
    plain,
)

#: Moodle's user fields a grade import can identify students by, with their export labels.
IDS = {"username": "Username", "idnumber": "ID number", "email": "Email address"}
#: The separators of Moodle's "Plain text file" grade export, named as its form names them.
SEPARATORS = {",": "Comma", "\t": "Tab", ";": "Semicolon", ":": "Colon"}
#: A grade column of Moodle's export: "Assignment: Lab 1 (Real)" ("Lab 1" in old ones).
_ITEM = re.compile(r"(?:[^:]*:\s*)?(?P<item>.*?)(?:\s*\([^()]*\))?")


def import_csv(
    marks: Mapping[str, Grade],
    column: str,
    identifier: str,
    roster: str | None = None,
    source: str = "Moodle export",
) -> Export:
    """Moodle's grade import CSV: `identifier` (a key of `IDS`), the grade in
    `column`, feedback in "`column` (Feedback)". Given `roster` (the text of Moodle's own
    grade export, with any of its separators) only its students are written, matched by
    Username, ID number or Email address (the columns it has), each with its value of
    the identifier; grades it holds for `column` that the import replaces are listed."""
    label = IDS[identifier]
    warnings: list[str] = []
    notices: list[str] = []
    overwritten: list[Overwritten] = []
    unmatched: list[Unmatched] = []
    if roster is None:
        chosen = {s: s for s in marks}
        if identifier == "email":
            odd = [s for s in marks if "@" not in s]
            if odd:
                warnings.append(
                    f"{len(odd)} student id(s) are not email addresses (e.g. {odd[0]}): Moodle "
                    "refuses the whole import; choose another --identifier or give Moodle's "
                    "grade export to look the addresses up"
                )
    else:
        read = _roster(roster, label, column, source)
        paired, unmatched = match(sorted(marks), read.rows)
        chosen = {s: row.ids[label] for s, row in paired.items()}
        notices.append(read.notice)
        for student, row in paired.items():
            before, score = read.grades.get(row.line, ""), marks[student].points
            if held(before, score):
                after = plain(score)
                overwritten.append(Overwritten(student, row.described(), before.strip(), after))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([label, column, f"{column} (Feedback)"])
    for student, value in chosen.items():
        grade = marks[student]
        writer.writerow([value, plain(grade.points), grade.feedback])
    return Export(
        out.getvalue(),
        len(chosen),
        tuple(unmatched),
        tuple(warnings),
        tuple(overwritten),
        tuple(notices),
    )


@dataclass(frozen=True)
class _Roster:
    """What Moodle's grade export says: its student rows, each row's grade (by line) in
    the column being imported, and how it was read."""

    rows: list[Row]
    grades: dict[int, str]
    notice: str


def _records(text: str, delimiter: str, source: str) -> list[tuple[int, list[str]]]:
    """Each record of `text` with the line it starts on. Moodle's own exports put a space
    before a quoted field at times (`, "Feedback: ..."`); PHP's reader skips it, so does
    this one."""
    reader = csv.reader(
        io.StringIO(text.removeprefix(csvtext.BOM), newline=""),
        delimiter=delimiter,
        skipinitialspace=True,
        strict=True,
    )
    records, line = [], 1
    try:
        for values in reader:
            records.append((line, values))
            line = reader.line_num + 1
    except csv.Error as e:
        separator = SEPARATORS[delimiter]
        raise LmsError(
            f"{source}: malformed CSV (read with the {separator} separator): line {line}: {e}"
        ) from None
    return records


def _grade_column(header: Sequence[str], column: str) -> int | None:
    """The export's grade column of the item `column` ("Assignment: Lab 1 (Real)", or
    "Lab 1"), never its feedback column."""
    for i, name in enumerate(header):
        found = _ITEM.fullmatch(name)
        if name == column or (found and found["item"] == column and "Feedback" not in name):
            return i
    return None


def _roster(roster: str, label: str, column: str, source: str) -> _Roster:
    delimiter = csvtext.sniff(roster, tuple(SEPARATORS))
    separator = SEPARATORS[delimiter]
    records = _records(roster, delimiter, source)
    header = [h.strip() for h in records[0][1]] if records else []
    if len(header) < 2:
        raise LmsError(
            f"{source}: cannot tell its separator: its first line has no Tab, Comma, Colon or "
            "Semicolon outside quotes (the separators of Moodle's Plain text file export)"
        )
    if label not in header:
        found = ", ".join(map(repr, header))
        raise LmsError(
            f"{source} has no column {label!r} (read with the {separator} separator, its "
            f"columns are {found}): export it with that user field, or choose another "
            "--identifier"
        )
    ids = [c for c in IDS.values() if c in header]
    named = [h for h in ("First name", "Last name", "Surname") if h in header]
    at = _grade_column(header, column)
    rows, grades, short = [], {}, 0
    for line, values in records[1:]:
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            raise LmsError(
                f"{source}: malformed CSV: line {line} has {len(values)} fields, the header "
                f"has {len(header)} (read with the {separator} separator)"
            )
        short += len(values) < len(header)
        cells = values + [""] * (len(header) - len(values))
        name = " ".join(cells[header.index(h)] for h in named).strip() or cells[0]
        rows.append(Row(line, name, {c: cells[header.index(c)] for c in ids}))
        if at is not None:
            grades[line] = cells[at]
    notice = f"{source}: read as Moodle's {separator}-separated grade export"
    if short:
        notice += f"; {short} row(s) shorter than the header, their missing cells empty"
    return _Roster(rows, grades, notice)
