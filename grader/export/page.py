"""The HTML page shared by feedback and report: self-contained (inline CSS, no scripts,
no external assets), readable printed, statuses as words with a sign (never colour alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from grader.compare import result

#: A sign beside each status word (part verdicts, and the outcomes only a batch run has),
#: for a quick scan; the word carries the meaning.
SIGNS = {
    **result.SIGNS,
    "error": "!",
    "timeout": "⧗",
    "no answer": "?",
    "not run": "–",
}

_CSS = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #1f2328; background: #fff; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #8c959f; padding: .25rem .5rem; vertical-align: top; text-align: left; }
thead th { background: #eaeef2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
section { border-top: 1px solid #d0d7de; }
.status { font-weight: 600; white-space: nowrap; }
.correct, .carried { color: #1a7f37; } .partial { color: #9a6700; }
.incorrect, .error, .invalid { color: #b42318; }
.timeout, .no-answer, .not-run, .missing { color: #57606a; }
.note { background: #f6f8fa; border-left: 4px solid #8c959f; padding: .5rem 1rem; }
img { max-width: 100%; height: auto; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  section, table, figure { break-inside: avoid; }
  a { color: inherit; }
}
"""


def status(word: str) -> str:
    """A status word with its sign, styled by a class (the sign is hidden from screen
    readers: the word says it)."""
    sign = SIGNS.get(word, "•")
    css = word.replace(" ", "-")
    return (
        f'<span class="status {escape(css)}"><span aria-hidden="true">{sign}</span> '
        f"{escape(word)}</span>"
    )


def points(x: float) -> str:
    """Points as the course writes them: 0.125 steps exact, no trailing zeros."""
    return f"{round(float(x), 3):g}"


def document(title: str, body: str) -> str:
    """A complete HTML page."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def column(label: str, numeric: bool = False) -> str:
    """A column header; numbers are right-aligned so their digits line up."""
    css = ' class="num"' if numeric else ""
    return f'<th scope="col"{css}>{label}</th>'


def table(
    columns: Iterable[str], rows: Iterable[str], table_id: str = "", caption: str = ""
) -> str:
    """A table from its `column` headers and its rendered `<tr>` rows."""
    opening = f'<table id="{escape(table_id)}">' if table_id else "<table>"
    caption = f"<caption>{caption}</caption>" if caption else ""
    return (
        f"{opening}{caption}<thead><tr>{''.join(columns)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
