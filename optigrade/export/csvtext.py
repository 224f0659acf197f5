"""CSV read with every field's place in the text, so a file can be edited cell by cell.

An LMS gradebook goes back to the LMS after we fill one column: every other byte must
stay as the LMS wrote it (byte order mark, line endings, quoting, numbers as written).
`parse` reads RFC 4180 CSV (``,`` or ``;``, CRLF, LF or CR line ends, fields quoted with
``"`` and quotes doubled inside) keeping each field's span; `splice` replaces chosen
spans and leaves the rest of the text alone. Python's `csv` module gives values only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

BOM = "\ufeff"
_QUOTE = '"'
_LINE_ENDS = "\r\n"


class MalformedCSV(ValueError):
    """Text that is not CSV; the message names the line."""


@dataclass(frozen=True)
class Field:
    value: str  # unquoted
    start: int  # its span in the text, quotes included
    end: int
    quoted: bool


@dataclass(frozen=True)
class Record:
    fields: tuple[Field, ...]
    line: int  # the line it starts on, counted from 1

    @property
    def values(self) -> list[str]:
        return [f.value for f in self.fields]

    def cell(self, i: int) -> str:
        """The value of field `i`; empty past the end of a record shorter than its header
        (which Canvas reads as empty cells)."""
        return self.fields[i].value if i < len(self.fields) else ""

    @property
    def blank(self) -> bool:
        """Only delimiters and spaces (a spreadsheet's empty row)."""
        return not any(v.strip() for v in self.values)


def sniff(text: str, candidates: tuple[str, ...] = (",", ";")) -> str:
    """The delimiter among `candidates` found most often outside quotes on the first line
    (ties go to the earlier candidate): Canvas writes ``,``, or ``;`` in locales with a
    decimal comma; Moodle's export offers Tab, Comma, Colon and Semicolon."""
    counts = dict.fromkeys(candidates, 0)
    inside = False
    for char in text:
        if char == _QUOTE:
            inside = not inside
        elif not inside and char in _LINE_ENDS:
            break
        elif not inside and char in counts:
            counts[char] += 1
    return max(candidates, key=lambda c: counts[c])  # max keeps the first of equals


def parse(text: str, delimiter: str) -> list[Record]:
    """Every record of `text` (a leading byte order mark is not part of the first field).
    Raises `MalformedCSV` on a stray or unclosed quote."""
    records: list[Record] = []
    i = 1 if text.startswith(BOM) else 0
    line = 1
    while i < len(text):
        fields, start_line = [], line
        while True:
            field, i, line = _field(text, i, line, delimiter)
            fields.append(field)
            if i < len(text) and text[i] == delimiter:
                i += 1
                continue
            break
        records.append(Record(tuple(fields), start_line))
        if i < len(text):  # a line end: CRLF, LF or CR
            i += 2 if text.startswith("\r\n", i) else 1
            line += 1
    return records


def _field(text: str, i: int, line: int, delimiter: str) -> tuple[Field, int, int]:
    """The field starting at `i`, where the text goes on after it, and the line there."""
    start, first = i, line
    if i < len(text) and text[i] == _QUOTE:
        parts, i = [], i + 1
        while True:
            close = text.find(_QUOTE, i)
            if close < 0:
                raise MalformedCSV(f"line {first}: a quoted field is never closed")
            parts.append(text[i:close])
            line += sum(text.count(e, i, close) for e in ("\n", "\r")) - text.count(
                "\r\n", i, close
            )
            if text.startswith('""', close):
                parts.append(_QUOTE)
                i = close + 2
                continue
            i = close + 1
            break
        if i < len(text) and text[i] != delimiter and text[i] not in _LINE_ENDS:
            runs = f" (a quote opened there closes on line {line})" if line != first else ""
            raise MalformedCSV(f"line {first}: text after the closing quote of a field{runs}")
        return Field("".join(parts), start, i, True), i, line
    while i < len(text) and text[i] != delimiter and text[i] not in _LINE_ENDS:
        if text[i] == _QUOTE:
            raise MalformedCSV(f'line {line}: a " inside a field that is not quoted')
        i += 1
    return Field(text[start:i], start, i, False), i, line


def quote(value: str, delimiter: str, quoted: bool = False) -> str:
    """A field as CSV writes it: quoted when it must be (or when `quoted`, to keep the
    style of the field it replaces)."""
    if quoted or any(c in value for c in (delimiter, _QUOTE, *_LINE_ENDS)):
        return _QUOTE + value.replace(_QUOTE, '""') + _QUOTE
    return value


def splice(text: str, changes: Mapping[Field, str]) -> str:
    """`text` with each field in `changes` replaced by its new CSV text."""
    out, at = [], 0
    for field in sorted(changes, key=lambda f: f.start):
        out += [text[at : field.start], changes[field]]
        at = field.end
    return "".join([*out, text[at:]])
