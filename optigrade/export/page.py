"""The HTML page shared by feedback and report: self-contained (inline CSS, and a small
inline script for sortable tables; no external assets), readable printed, statuses as
words with a sign and a colour (never colour alone), all from `grader.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from grader import vocabulary
from grader.vocabulary import Level

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
ul.legend { list-style: none; padding: 0; margin: .5rem 0 1rem; }
ul.legend li { margin: .15rem 0; }
.note { background: #f6f8fa; border-left: 4px solid #8c959f; padding: .5rem 1rem; }
img { max-width: 100%; height: auto; }
body.wide { max-width: 76rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
.scroll { overflow-x: auto; }
.id { overflow-wrap: anywhere; }
ul.plain { list-style: none; margin: 0; padding: 0; }
td.num { white-space: nowrap; }
table.sortable .num { width: 1%; }  /* numbers take their own width, text the rest */
table.dense { font-size: .875rem; } table.dense th, table.dense td { padding: .2rem .35rem; }
th button { font: inherit; color: inherit; background: none; border: 0; padding: 0;
            text-align: inherit; cursor: pointer; text-decoration: underline dotted; }
th[aria-sort="ascending"] button::after { content: "\\A0\\25B2"; }  /* no-break space */
th[aria-sort="descending"] button::after { content: "\\A0\\25BC"; }
@media print {
  body, body.wide { margin: 0; max-width: none; font-size: 11pt; }
  section, table, figure { break-inside: avoid; }
  a { color: inherit; }
}
"""


def status(said: str, level: Level = "question") -> str:
    """A status word with its sign, in its colour (the sign is hidden from screen
    readers: the word says it)."""
    shown = vocabulary.word(said, level)
    return (
        f'<span class="status" style="color:{shown.colour}">'
        f'<span aria-hidden="true">{shown.sign}</span> {escape(said)}</span>'
    )


def legend(words: Iterable[str], level: Level = "question") -> str:
    """The legend of the words shown at `level`: each with its sign and what it means."""
    shown = vocabulary.legend(words, level)
    items = "".join(f"<li>{status(w, level)}: {escape(found.meaning)}</li>" for w, found in shown)
    return f'<ul class="legend">{items}</ul>' if items else ""


def points(x: float) -> str:
    """Points as the course writes them: 0.125 steps exact, no trailing zeros."""
    return f"{round(float(x), 3):g}"


#: Makes every `table(..., sortable=True)` sortable by clicking a column header: cells
#: compare by their `data-sort` value (a number) when they have one, else by their text.
#: Without JavaScript the table stays as written.
_SORT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var headers = table.tHead.rows[0].cells;
  function key(cell) {
    var value = cell.getAttribute("data-sort");
    return value === null ? cell.textContent.trim() : Number(value);
  }
  Array.prototype.forEach.call(headers, function (th, column) {
    var button = document.createElement("button");
    button.type = "button";
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a.cells[column]), y = key(b.cells[column]);
        var order = typeof x === "number" && typeof y === "number"
          ? x - y : String(x).localeCompare(String(y));
        return up ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def document(title: str, body: str, wide: bool = False) -> str:
    """A complete HTML page (`wide`: up to 76rem, 1216 px, for tables with many columns);
    with the sorting script when a table is sortable."""
    script = f"<script>{_SORT}</script>\n" if 'class="sortable' in body else ""
    opening = '<body class="wide">' if wide else "<body>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"{opening}\n<main>\n{body}\n</main>\n{script}</body>\n</html>\n"
    )


def column(label: str, numeric: bool = False) -> str:
    """A column header; numbers are right-aligned so their digits line up."""
    css = ' class="num"' if numeric else ""
    return f'<th scope="col"{css}>{label}</th>'


def table(
    columns: Iterable[str],
    rows: Iterable[str],
    table_id: str = "",
    caption: str = "",
    sortable: bool = False,
    dense: bool = False,
) -> str:
    """A table from its `column` headers and its rendered `<tr>` rows (`sortable`: by
    clicking a header, see `document`; `dense`: a smaller font, for many columns)."""
    attributes = f' id="{escape(table_id)}"' if table_id else ""
    classes = [c for c, wanted in (("sortable", sortable), ("dense", dense)) if wanted]
    attributes += f' class="{" ".join(classes)}"' if classes else ""
    opening = f"<table{attributes}>"
    caption = f"<caption>{caption}</caption>" if caption else ""
    return (
        f"{opening}{caption}<thead><tr>{''.join(columns)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
