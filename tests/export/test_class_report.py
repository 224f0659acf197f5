"""report.html of a class graded by the real batch: three embedded charts, per-question
means equal to grades.csv, the catalogued mistakes with their hints and counts, the failed
submissions with their reasons, links to every feedback page; the same bytes when rebuilt."""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import subprocess
import sys
from urllib.parse import unquote

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from grader import bank
from grader.export import classbook, report

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def soup(graded_class) -> BeautifulSoup:
    html = (graded_class.out / "report.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser")


def rows(soup: BeautifulSoup, table: str) -> list:
    found = soup.find("table", id=table)
    assert found is not None, table
    return found.find("tbody").find_all("tr")


def test_the_three_charts_are_embedded_pngs_with_text_alternatives(soup):
    images = soup.find_all("img")
    assert len(images) == 3
    for img in images:
        head, _, data = img["src"].partition(",")
        assert head == "data:image/png;base64"
        assert base64.b64decode(data).startswith(PNG)
        assert len(img["alt"]) > 40
    assert not [t for t in soup.find_all(["script", "link"])], "the page must be self-contained"


def test_question_means_match_grades_csv(graded_class, soup):
    grades = pd.read_csv(graded_class.out / "grades.csv", index_col="student_id")
    means = {r["data-question"]: r for r in rows(soup, "questions")}
    assert list(means) == [q["id"] for q in graded_class.summary["questions"]]
    for qid, row in means.items():
        points = bank.get(qid).points
        cells = [c.get_text(strip=True) for c in row.find_all("td")]
        assert float(row.find("td", attrs={"data-mean": True})["data-mean"]) == pytest.approx(
            grades[qid].mean(), abs=1e-3
        )
        assert cells[3] == f"{100 * grades[qid].mean() / points:.1f}%", qid
    assert means["fp.1.2"].find("td", attrs={"data-mean": True}).get_text() == "0.200"


def test_outcome_counts_add_up_to_the_class(graded_class, soup):
    header = [th.get_text(" ", strip=True) for th in soup.find("table", id="questions").thead("th")]
    words = [h.split(" ", 1)[1] for h in header[5:-1]]
    assert words == ["correct", "partial", "incorrect", "error", "not run", "invalid"]
    for row in rows(soup, "questions"):
        counts = [int(td.get_text()) for td in row.find_all("td")[4 : 4 + len(words)]]
        assert sum(counts) == 5
    fp12 = next(r for r in rows(soup, "questions") if r["data-question"] == "fp.1.2")
    cells = fp12.find_all("td")[4 : 4 + len(words)]
    by_word = dict(zip(words, (int(td.get_text()) for td in cells), strict=True))
    expected = {"correct": 1, "partial": 0, "incorrect": 2, "error": 1, "not run": 0}
    assert by_word == expected | {"invalid": 1}


def test_the_mistake_table_lists_the_diagnosed_mistakes_with_hints(graded_class, soup):
    found = {}
    for row in rows(soup, "mistakes"):
        cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
        key = (row["data-question"], row["data-mistake"])
        found[key] = int(cells[-1])
        hints = {m.key: m.hint for p in bank.get(key[0]).parts for m in p.mistakes}
        assert cells[2] == hints[key[1]]
    assert found == graded_class.mistakes


def test_failed_students_are_listed_with_their_reasons(graded_class, soup):
    failed = json.loads((graded_class.out / "summary.json").read_text())["failed"]
    assert sorted(failed) == ["dan", "eve"]
    listed = {}
    for row in rows(soup, "failed"):
        cells = [td.get_text(" ", strip=True) for td in row.find_all("td")]
        listed[row["data-student"]] = f"{cells[0]}: {cells[1]}"
    assert listed == failed
    assert "exited with code 3" in listed["dan"] and "not valid JSON" in listed["eve"]


def test_every_student_links_to_an_existing_feedback_page(graded_class, soup):
    linked = {r["data-student"]: r.find("a")["href"] for r in rows(soup, "students")}
    assert sorted(linked) == ["ann", "ben", "cat", "dan", "eve"]
    for href in linked.values():
        assert (graded_class.out / unquote(href)).is_file()


def test_the_report_is_byte_identical_when_rebuilt(graded_class, tmp_path):
    out = tmp_path / "graded"
    shutil.copytree(graded_class.out, out, ignore=shutil.ignore_patterns("report.html"))
    rebuild = "import sys, pathlib; from grader.export.run import write_all; "
    rebuild += "assert write_all(pathlib.Path(sys.argv[1])) == []"
    subprocess.run([sys.executable, "-c", rebuild, str(out)], check=True, timeout=300)
    assert (out / "report.html").read_bytes() == (graded_class.out / "report.html").read_bytes()
    again = report.render(classbook.load(out))
    assert again.encode() == (graded_class.out / "report.html").read_bytes()


def test_the_charts_change_with_the_numbers(graded_class):
    graded = classbook.load(graded_class.out)
    fewer = {s: r for s, r in graded.results.items() if s != "ann"}
    other = report.render(dataclasses.replace(graded, results=fewer))
    images = [i["src"] for i in BeautifulSoup(other, "html.parser").find_all("img")]
    before = [i["src"] for i in BeautifulSoup(report.render(graded), "html.parser")("img")]
    assert all(a != b for a, b in zip(images, before, strict=True))
