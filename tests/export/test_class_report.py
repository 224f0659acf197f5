"""report.html: of a class graded by the real batch (charts, per-question figures equal to
grades.csv, misconceptions, failed submissions, links, the same bytes when rebuilt), and of
small classes made in memory (misconceptions counted once per student, item analysis
figures worked out by hand, each kind of warning, awkward student ids, the width at
1280 px)."""

from __future__ import annotations

import base64
import dataclasses
import math
import re
import shutil
import subprocess
import sys
from urllib.parse import unquote

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from grader.vocabulary import word
from optigrade import bank
from optigrade.bank.slips import SLIPS
from optigrade.demo.demo import grade_class
from optigrade.export import classbook, items, page, report, scoresheet
from optigrade.export.misconceptions import rank
from tests.export.conftest import MISTAKEN, ROOT, STUDENTS
from tests.export.made_classes import (
    NONE,
    ODD_IDS,
    QUESTIONS,
    WARNED,
    Answer,
    Student,
    graded_class,
    wrong,
)

PNG = b"\x89PNG\r\n\x1a\n"


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture(scope="module")
def soup(graded_class) -> BeautifulSoup:
    return parse((graded_class.out / "report.html").read_text(encoding="utf-8"))


def rows(soup: BeautifulSoup, table: str) -> list:
    found = soup.find("table", id=table)
    assert found is not None, table
    return found.find("tbody").find_all("tr")


def texts(row) -> list[str]:
    return [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]


# --- the class graded by the batch ---------------------------------------------------


def test_the_three_charts_are_embedded_pngs_and_the_only_script_is_inline(soup):
    images = soup.find_all("img")
    assert len(images) == 3
    for img in images:
        head, _, data = img["src"].partition(",")
        assert head == "data:image/png;base64"
        assert base64.b64decode(data).startswith(PNG)
        assert len(img["alt"]) > 40
    assert not soup.find_all("link") and not soup.find_all(src=re.compile(r"^(?!data:)"))
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and "sortable" in scripts[0].string


def test_question_means_and_spreads_match_grades_csv(graded_class, soup):
    grades = pd.read_csv(graded_class.out / "grades.csv", index_col="student_id")
    found = {r["data-question"]: r for r in rows(soup, "questions")}
    assert list(found) == [q["id"] for q in graded_class.summary["questions"]]
    for qid, row in found.items():
        mean = float(row.find("td", attrs={"data-mean": True})["data-mean"])
        sd = float(row.find("td", attrs={"data-sd": True})["data-sd"])
        assert mean == pytest.approx(grades[qid].mean(), abs=1e-6)
        assert sd == pytest.approx(grades[qid].std(ddof=0), abs=1e-6)
        assert texts(row)[4] == f"{100 * grades[qid].mean() / bank.get(qid).points:.1f}%", qid
    assert found["fp.1.2"].find("td", attrs={"data-mean": True}).get_text() == "0.200"


def test_outcome_counts_are_students_and_add_up_to_the_class(soup):
    header = [th.get_text(" ", strip=True) for th in soup.find("table", id="outcomes").thead("th")]
    words = ["correct", "partial", "incorrect", "unanswered", "not run", "unreadable"]
    assert header == [
        "Question",
        *(f"{word(w).sign} {w}" for w in words),
        "credited by follow-through",
    ]
    for row in rows(soup, "outcomes"):
        cells = row.find_all("td")
        assert [td["data-outcome"] for td in cells] == [*words, "carried"]
        assert sum(int(td.get_text()) for td in cells[:-1]) == len(STUDENTS)
    by_question = {r["data-question"]: r.find_all("td") for r in rows(soup, "outcomes")}
    by_word = {td["data-outcome"]: int(td.get_text()) for td in by_question["fp.1.2"]}
    expected = {"correct": 1, "partial": 0, "incorrect": 2, "unanswered": 1, "not run": 0}
    assert by_word == expected | {"unreadable": 1, "carried": 0}  # ben's blank: unanswered


def test_misconceptions_are_the_planted_ones_counted_in_students(soup):
    """cat plants every mistake of MISTAKEN, dan only the first (fp.1.2's)."""
    planted = {key: {"cat"} for _, _, key in MISTAKEN.values()}
    planted[MISTAKEN["fp-1-2-answer"][2]].add("dan")
    where = {key: qid for _, qid, key in MISTAKEN.values()}
    listed = rows(soup, "misconceptions")
    assert {r["data-mistake"] for r in listed} == set(planted)
    assert listed[0]["data-mistake"] == MISTAKEN["fp-1-2-answer"][2]  # two students
    for row in listed:
        key = row["data-mistake"]
        _, described, students, questions, who = texts(row)
        assert described == f"{SLIPS[key].description} {key}"
        assert students == f"{len(planted[key])} of {len(STUDENTS)} ({20 * len(planted[key])}%)"
        assert questions == f"{where[key]} ({len(planted[key])})"
        # each student who made it, linked to their feedback page
        links = {a.get_text(): a["href"] for a in row.find_all("td")[-1]("a")}
        assert who.replace(" ,", ",") == ", ".join(sorted(planted[key]))
        assert links == {s: f"feedback/{s}.html" for s in planted[key]}


def test_failed_students_are_listed_with_their_reasons(graded_class, soup):
    failed = graded_class.summary["failed"]
    assert sorted(failed) == ["dan", "eve"]
    listed = {}
    for row in rows(soup, "failed"):
        _, status, reason = texts(row)
        sign, _, said = status.partition(" ")
        assert sign == word(said, "run").sign
        listed[row["data-student"]] = f"{said}: {reason}"
    assert listed == failed
    assert "exited with code 3" in listed["dan"] and "not valid JSON" in listed["eve"]


def test_the_student_table_has_every_student_their_scores_and_feedback_links(graded_class, soup):
    grades = pd.read_csv(graded_class.out / "grades.csv", index_col="student_id")
    table = rows(soup, "scores")
    assert [r["data-student"] for r in table] == sorted(STUDENTS)
    for row in table:
        student = row["data-student"]
        assert (graded_class.out / unquote(row.find("a")["href"])).is_file()
        cells = texts(row)
        assert [float(c) for c in cells[1:-1]] == [
            *grades.loc[student].iloc[:-2],
            grades.loc[student, "total"],
        ]
    warned = {r["data-student"]: [li["data-warning"] for li in r("li")] for r in table}
    assert warned == {
        "ann": [],
        "ben": ["unanswered"],
        "cat": [],
        "dan": ["notebook failed"],
        "eve": ["notebook failed"],
    }


def test_the_report_is_byte_identical_when_rebuilt(graded_class, tmp_path):
    out = tmp_path / "graded"
    shutil.copytree(graded_class.out, out, ignore=shutil.ignore_patterns("report.html"))
    rebuild = "import sys, pathlib; from optigrade.export.run import write_all; "
    rebuild += "assert write_all(pathlib.Path(sys.argv[1])) == []"
    subprocess.run([sys.executable, "-c", rebuild, str(out)], check=True, timeout=300)
    assert (out / "report.html").read_bytes() == (graded_class.out / "report.html").read_bytes()
    again = report.render(classbook.load(out))
    assert again.encode() == (graded_class.out / "report.html").read_bytes()


def test_the_charts_change_with_the_numbers(graded_class):
    graded = classbook.load(graded_class.out)
    fewer = {s: r for s, r in graded.results.items() if s != "ann"}
    other = report.render(dataclasses.replace(graded, results=fewer))
    images = [i["src"] for i in parse(other).find_all("img")]
    before = [i["src"] for i in parse(report.render(graded))("img")]
    assert all(a != b for a, b in zip(images, before, strict=True))


# --- misconceptions counted in students ----------------------------------------------

#: act.1's four parts, each of them with the sigmoid's sign flipped (as a student who
#: writes one wrong sigmoid and reuses it might show).
_FLIPPED = Answer([("incorrect", 0.0, "sigmoid-sign")] * 4)


def test_a_misconception_counts_once_per_student_across_parts_and_questions():
    made = graded_class(
        {
            # no-bias in two questions, sigmoid-sign in four parts of act.1
            "amy": Student(
                {
                    "fp.1.1": wrong("fp.1.1", "no-bias"),
                    "fp.1.2": wrong("fp.1.2", "no-bias"),
                    "act.1": _FLIPPED,
                }
            ),
            "bob": Student({"fp.1.2": wrong("fp.1.2", "no-bias")}),
            "cyd": Student(
                {
                    "act.1": Answer(
                        [("incorrect", 0.0, "sigmoid-sign"), *[("correct", 1.0, None)] * 3]
                    )
                }
            ),
            "dee": Student({"fp.1.2": wrong("fp.1.2", "bias-subtracted")}),
            "eli": Student({}),
        }
    )
    ranked = rank(made)
    assert [(m.key, sorted(m.students), m.questions) for m in ranked] == [
        ("no-bias", ["amy", "bob"], (("fp.1.1", 1), ("fp.1.2", 2))),
        ("sigmoid-sign", ["amy", "cyd"], (("act.1", 2),)),
        ("bias-subtracted", ["dee"], (("fp.1.2", 1),)),
    ]
    html = parse(report.render(made))
    shown = {r["data-mistake"]: texts(r) for r in rows(html, "misconceptions")}
    assert shown["no-bias"][2:4] == ["2 of 5 (40%)", "fp.1.1 (1), fp.1.2 (2)"]
    assert shown["sigmoid-sign"][2:4] == ["2 of 5 (40%)", "act.1 (2)"]
    who = {r["data-mistake"]: r("td")[-1] for r in rows(html, "misconceptions")}
    assert [a.get_text() for a in who["no-bias"]("a")] == ["amy", "bob"]
    assert [a["href"] for a in who["sigmoid-sign"]("a")] == [
        f"feedback/{made.pages[s]}" for s in ("amy", "cyd")
    ]
    assert shown["no-bias"][1] == f"{SLIPS['no-bias'].description} no-bias"


def test_on_the_demo_class_each_planted_misconception_counts_once_per_student(tmp_path):
    """forward-pass's synthetic class: its mistake students plant a slip on every question
    it applies to (and a few others), so most slips appear in several parts."""
    demo = grade_class(ROOT, "forward-pass", tmp_path, jobs=2, size=18, progress=False)
    ranked = {m.key: m for m in rank(classbook.load(tmp_path / "forward-pass" / "graded"))}
    planted: dict[str, set[str]] = {}
    for student in demo.students:
        for diagnosis in student.expected.diagnoses:
            if diagnosis.mistake:
                planted.setdefault(diagnosis.mistake, set()).add(student.id)
    assert planted and set(planted) <= set(ranked)
    parts: dict[str, int] = {}  # parts naming each slip, over the class
    for student, result in demo.results.items():
        named = [p.mistake for q in result.questions for p in (q.result.parts if q.result else ())]
        for key in filter(None, named):
            parts[key] = parts.get(key, 0) + 1
            assert student in ranked[key].students
    for key, m in ranked.items():
        assert planted.get(key, set()) <= m.students
        assert sum(n for _, n in m.questions) <= parts[key]
    assert any(parts[k] > len(m.students) for k, m in ranked.items()), "no slip in several parts"
    html = parse((tmp_path / "forward-pass" / "graded" / "report.html").read_text(encoding="utf-8"))
    shown = {
        r["data-mistake"]: int(r.find_all("td")[2]["data-sort"])
        for r in rows(html, "misconceptions")
    }
    assert shown == {k: len(m.students) for k, m in ranked.items()}


# --- item analysis -------------------------------------------------------------------


def _scored(share: dict[str, float]) -> Student:
    """fp.1.1 and fp.1.2 (1 point each) at these fractions; act.1's four half-point parts
    all right (share 1) or all wrong (share 0)."""
    answers = {}
    for qid, s in share.items():
        parts = len(bank.get(qid).parts)
        verdict = "correct" if s == 1 else "incorrect" if s == 0 else "partial"
        answers[qid] = Answer([(verdict, s, None)] * parts)
    return Student(answers)


def test_item_analysis_figures_are_computed_as_worked_out_by_hand():
    # points: fp.1.1 (1), fp.1.2 (1), act.1 (2)
    made = graded_class(
        {
            "a": _scored({"fp.1.1": 1, "fp.1.2": 1, "act.1": 1}),  # 1, 1, 2
            "b": _scored({"fp.1.1": 1, "fp.1.2": 0, "act.1": 1}),  # 1, 0, 2
            "c": _scored({"fp.1.1": 0, "fp.1.2": 1, "act.1": 1}),  # 0, 1, 2
            "d": _scored({"fp.1.1": 0, "fp.1.2": 0.5, "act.1": 0}),  # 0, 0.5, 0
        }
    )
    fp11, fp12, act1 = items.analyse(made)
    # fp.1.1: x = 1 1 0 0, mean 1/2, sd 1/2; rest = fp.1.2 + act.1 = 3 2 3 0.5
    assert (fp11.mean, fp11.sd) == (0.5, 0.5)
    # deviations: x .5 .5 -.5 -.5, rest (mean 2.125) .875 -.125 .875 -1.625:
    # sum of products .75, sums of squares 1 and 4.1875
    assert fp11.discrimination == pytest.approx(0.75 / math.sqrt(1 * 4.1875))
    # fp.1.2: x = 1 0 1 .5, mean .625, variance (.140625 * 2 + .390625 + .015625) / 4
    assert fp12.mean == 0.625
    assert fp12.sd == pytest.approx(math.sqrt((2 * 0.140625 + 0.390625 + 0.015625) / 4))
    # act.1: 2 2 2 0, everyone who answered... d answered and got 0: not "everybody"
    assert (act1.mean, act1.fraction) == (1.5, 0.75)
    assert act1.flag == "" and fp11.flag == ""
    assert fp11.outcomes == {"correct": 2, "incorrect": 2}
    assert fp12.outcomes == {"correct": 2, "incorrect": 1, "partial": 1}


def test_questions_nobody_or_everybody_gets_are_flagged_and_a_constant_one_has_no_discrimination():
    made = graded_class(
        {
            "a": _scored({"fp.1.1": 1, "fp.1.2": 0, "act.1": 1}),
            "b": _scored({"fp.1.1": 1, "fp.1.2": 0.5, "act.1": 0}),
            # c never answered fp.1.1: everybody who answered it got full marks
            "c": Student(
                {"fp.1.1": Answer(status="error", message="NameError"), "fp.1.2": wrong("fp.1.2")}
            ),
        }
    )
    fp11, fp12, act1 = items.analyse(made)
    assert fp11.flag == items.EVERYBODY and fp12.flag == items.NOBODY and act1.flag == ""
    same = graded_class({s: _scored({"fp.1.1": 1, "fp.1.2": x}) for s, x in (("a", 1), ("b", 0))})
    constant = items.analyse(same)[0]
    assert constant.sd == 0 and constant.discrimination is None
    html = parse(report.render(made))
    flags = {r["data-question"]: texts(r)[-1] for r in rows(html, "questions")}
    assert flags == {"fp.1.1": items.EVERYBODY, "fp.1.2": items.NOBODY, "act.1": ""}
    shown = {r["data-question"]: texts(r)[6] for r in rows(parse(report.render(same)), "questions")}
    assert shown["fp.1.1"] == "n/a"
    # act.1 of a, b, c: 2 0 2 (deviations 2/3 -4/3 2/3) against the rest 1 1.5 0 (1/6 2/3
    # -5/6): r = (-4/3) / sqrt(8/3 * 7/6) = -4 / sqrt(28), a question the weaker get right
    assert act1.discrimination == pytest.approx(-4 / math.sqrt(28))
    assert texts(rows(html, "questions")[2])[6] == "-0.76"


# --- warnings ------------------------------------------------------------------------


def test_each_kind_of_warning_is_found_and_shown():
    assert set(WARNED) == set(scoresheet.KINDS)
    made = graded_class(
        {kind.replace(" ", "-"): student for kind, (student, _) in WARNED.items()}
        | {"fine": Student({})}
    )
    table = {r.student: r.warnings for r in scoresheet.rows(made)}
    assert table["fine"] == ()
    for kind, (_, where) in WARNED.items():
        assert table[kind.replace(" ", "-")] == (scoresheet.StudentWarning(kind, where),), kind
    html = parse(report.render(made))
    for row in rows(html, "scores"):
        shown = [(li["data-warning"], li.get_text()) for li in row("li")]
        kind = row["data-student"].replace("-", " ")
        if kind == "fine":
            assert shown == []
        else:
            assert shown == [(kind, f"{kind}: {', '.join(WARNED[kind][1])}")]
    marked = [td for td in html("td") if report.OVERRIDDEN in td.get_text()]
    assert [td.get_text(" ", strip=True) for td in marked] == [f"0.5 {report.OVERRIDDEN}"]
    assert marked[0]["title"].startswith("fp.1.2: overridden by the instructor: 0.5 of 1 points")


def test_a_long_list_of_places_is_cut_in_the_page_but_whole_in_its_tooltip():
    blank = Student(
        {
            q: Answer(status="unanswered", message=f"{bank.get(q).variable} is not defined")
            for q in ("fp.1.1", "fp.1.2")
        }
        | {"act.1": NONE}
    )
    many = ["fp.1.1", "fp.1.2", "act.1"]
    html = parse(report.render(graded_class({"ben": blank})))
    item = rows(html, "scores")[0].find("li")
    assert item.get_text() == "unanswered: " + ", ".join(many)  # 3 shown in full
    warning = scoresheet.StudentWarning("unanswered", (*many, "x.1", "x.2"))
    shown = parse(report._warning(warning)).li
    assert shown.get_text() == "unanswered: fp.1.1, fp.1.2, act.1 and 2 more"
    assert shown["title"] == "unanswered: fp.1.1, fp.1.2, act.1, x.1, x.2"


# --- student ids ---------------------------------------------------------------------


def test_any_student_id_is_escaped_in_the_page_and_quoted_in_its_links():
    made = graded_class({s: Student({"fp.1.2": wrong("fp.1.2", "no-bias")}) for s in ODD_IDS})
    html = report.render(made)
    soup = parse(html)
    assert soup.find("b") is None and "<b>" not in html.replace("&lt;b&gt;", "")
    table = rows(soup, "scores")
    assert [r["data-student"] for r in table] == sorted(ODD_IDS)
    for row in table:
        link = row.find("a")
        assert link.get_text() == row["data-student"]
        assert unquote(link["href"]) == f"feedback/{made.pages[row['data-student']]}"
        assert re.fullmatch(r"feedback/[A-Za-z0-9._~%-]+", link["href"]), link["href"]


# --- width ---------------------------------------------------------------------------

_PATHS = TextToPath()
_BREAKS = re.compile(r"\s+|(?<=-)(?=[^\W\d])")  # spaces, and after a hyphen before a letter
_SCROLLBAR = 17  # px


def _width(text: str, px: float, bold: bool = False, mono: bool = False) -> float:
    """Text width in px in the font Chromium falls back to on Linux for the page's
    system-ui stack (DejaVu, which matplotlib ships)."""
    family = "DejaVu Sans Mono" if mono else "DejaVu Sans"
    prop = FontProperties(family=family, size=px, weight="bold" if bold else "normal")
    return _PATHS.get_text_width_height_descent(text, prop, ismath=False)[0]


def _cell(cell, px: float) -> float:
    """The cell's min-content width: its widest unbreakable run, as the page's CSS lays it
    out (numbers and status words do not wrap; student ids break anywhere)."""
    bold = cell.name == "th"
    if "id" in cell.get("class", ()):
        return _width("W", px, bold)
    if cell.name == "td" and "num" in cell.get("class", ()):
        return _width(cell.get_text(), px, bold)
    for tag in cell.find_all(["br", "wbr"]):
        tag.replace_with(" ")
    widest = 0.0
    for status in cell.find_all(class_="status"):
        widest = max(widest, _width(status.get_text(), px, bold))
        status.extract()
    for piece in cell.find_all(string=True):
        mono = piece.find_parent("code") is not None
        tokens = (t for t in _BREAKS.split(str(piece)) if t)
        widest = max([widest, *(_width(t, px, bold, mono) for t in tokens)])
    return widest


def min_width(table) -> float:
    """The narrowest a table can be laid out (px): its columns' min-content widths plus
    padding and borders, and a sorted header's arrow."""
    classes = table.get("class", ())
    px, padding = (14.0, 0.35 * 16) if "dense" in classes else (16.0, 0.5 * 16)
    columns: dict[int, float] = {}
    for row in table("tr"):
        for i, cell in enumerate(row.find_all(["th", "td"])):
            columns[i] = max(columns.get(i, 0.0), _cell(cell, px))
    arrow = _width(" \u25bc", px, bold=True) if "sortable" in classes else 0.0
    return sum(w + 2 * padding + 1 for w in columns.values()) + 1 + arrow


def _content_width(html: str) -> float:
    rem = float(re.search(r"body\.wide \{ max-width: ([\d.]+)rem", html).group(1))
    assert 16 * (rem + 2) + _SCROLLBAR <= 1280, "the page with its padding is wider than 1280 px"
    return 16 * rem


def test_the_width_model_adds_up_words_padding_and_borders():
    """(Checked against headless Chromium's min-content widths of the report's tables on
    the forward-pass demo class: within 2 px, sortable tables over by their arrow.)"""
    one = parse("<table><tr><td>Discrimination</td><td>a-long-word</td></tr></table>").table
    expected = _width("Discrimination", 16) + _width("long-", 16) + 2 * (16 + 1) + 1
    assert min_width(one) == pytest.approx(expected, abs=0.01)
    wide = [page.column(f"Question {n}", numeric=True) for n in range(16)]
    assert min_width(parse(page.table(wide, [])).table) > 1216


def test_every_table_fits_a_1280_px_window(graded_class, soup):
    made = graded_class_for_width()
    for html in (
        (graded_class.out / "report.html").read_text(encoding="utf-8"),
        report.render(made),
    ):
        available = _content_width(html)
        for table in parse(html)("table"):
            assert min_width(table) <= available, table.get("id")


def graded_class_for_width():
    """The widest class the bank makes: forward-pass's twelve questions, long ids, every
    warning."""
    questions = tuple(q.id for q in bank.questions("forward-pass") if not q.practice)
    students = {
        f"s{n:02d}-mistakes-sigmoid-prime-for-sigmoid-{kind}": s
        for n, (kind, (s, _)) in enumerate(WARNED.items())
    }
    students["x.y.z@very-long-university-domain.example.edu"] = Student({})
    return graded_class(students, questions)


# --- who needs attention, and the counts -----------------------------------------------


def test_the_report_says_who_needs_attention_and_why():
    students = {kind.replace(" ", "-"): student for kind, (student, _) in WARNED.items()}
    students |= {"fine": Student({}), "low": Student({q: wrong(q) for q in QUESTIONS})}
    made = graded_class(students)
    html = parse(report.render(made))
    assert html.find("h2").get_text() == "Needs attention"  # first, after the counts
    shown = {r["data-student"]: [li.get_text() for li in r("li")] for r in rows(html, "attention")}
    below = "below 50% of the points"
    assert shown == {
        "grader-patched": [below, "grader patched: fp.1.1, act.1"],
        "low": [below],
        "unanswered": [below],
        "limit-reached": ["limit reached: cell timeout"],
        "memory-cap": ["memory cap: cell MemoryError"],
        "notebook-failed": ["notebook failed: crashed"],
        "test-cell-deleted": ["test cell deleted: act.1"],
        "test-cell-edited": ["test cell edited: fp.1.2"],
        "given-cell-edited": ["given cell edited: setup"],
        "other-numbers": ["other numbers: fp.1.1"],
    }
    assert [r["data-student"] for r in rows(html, "attention")][:3] == [
        "low",  # lowest total first
        "grader-patched",
        "unanswered",
    ]
    for row in rows(html, "attention"):
        assert row.find("a")["href"] == f"feedback/{made.pages[row['data-student']]}"
    counts = [li.get_text() for li in html.find("div", class_="note")("li")]
    assert counts == [
        "15 submissions: 14 ran to their end, 1 stopped before their end (1 crashed).",
        "Flagged: 8 students (test cell edited: 1, test cell deleted: 1, given cell edited: 1, "
        "grader patched: 1, other numbers: 1, limit reached: 1, memory cap: 1, "
        "notebook failed: 1).",
        # totals 0, 1, 1, 2, 3 (other numbers), 3.2 (late), 3.5 and eight times 4: sum 45.7
        # over 15
        "Scores: mean 3.047, median 4 of 4 points.",
        "Needs attention: 10 students (below 50% of the points, flagged, or not graded).",
    ]


def test_grader_grade_ends_with_the_counts_the_report_shows(graded_class, soup):
    header = [li.get_text() for li in soup.find("div", class_="note")("li")]
    printed = [line.strip() for line in graded_class.printed.splitlines()]
    assert header[0] == (
        "5 submissions: 3 ran to their end, 1 stopped before their end (1 exited), "
        "1 not read (1 unreadable)."
    )
    for line in header:
        assert line in printed
    assert f"report: {graded_class.out / 'report.html'}" in printed
    assert any(line.startswith("eve: 0/18 (below 50% of the points") for line in printed)
