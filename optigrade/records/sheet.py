"""The small CSV files an instructor keeps beside a class's results (overrides.csv,
extensions.csv): read as a spreadsheet writes them, comma- or, as Excel does in some
locales, semicolon-separated, column names in any case."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence


class SheetError(ValueError):
    """A file that cannot be read as the table it should be; the message says why."""


def rows(
    text: str, file: str, columns: Sequence[str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: stripped value}) for each non-blank row of `text` (`file`'s
    content), with the `columns` it has; raises `SheetError` when a `required` column is
    missing or the CSV is malformed."""
    first = text.partition("\n")[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise SheetError(
                f"{file} has no column {', '.join(missing)} (expected {', '.join(columns)})"
            )
        where = {c: header.index(c) for c in columns if c in header}
        for cells in reader:
            if any(c.strip() for c in cells):
                values = {c: cells[i].strip() if i < len(cells) else "" for c, i in where.items()}
                yield reader.line_num, values
    except csv.Error as e:
        raise SheetError(f"{file} is not a valid CSV file ({e})") from None
