"""Feedback returned (issue 18, item 4): the pages in nbgrader's feedback layout, which
`nbgrader release_feedback` and `fetch_feedback` deliver to the student; one zip per class
whose files an LMS's bulk upload gives to each student; file names readable for any id."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from optigrade.export import classbook, feedback, returned
from optigrade.export.classbook import GradedClass, page_names
from tests.export.made_classes import ODD_IDS, Student, graded_class

TIMESTAMP = "2025-01-10 10:00:00.000000 UTC"


def _class(out: Path, origins: dict[str, str]) -> GradedClass:
    """A made class whose students' notebooks were found at `origins`, pages written."""
    made = graded_class({s: Student({}) for s in origins}, out=out)
    found = {
        s: dataclasses.replace(r, submission=dataclasses.replace(r.submission, origin=origins[s]))
        for s, r in made.results.items()
    }
    graded = dataclasses.replace(made, results=found)
    assert feedback.write(graded, out / "feedback") == []
    return graded


def test_page_names_are_the_ids_themselves_where_a_disk_takes_them():
    names = page_names([*ODD_IDS, "Ann", "ann", "a/b", "a_b", "con", "ok"])
    assert names["zoë"] == "zoë.html" and names["o'brien"] == "o'brien.html"
    assert names["a b"] == "a b.html" and names["smith, j"] == "smith, j.html"
    assert names["x.y@uni.edu"] == "x.y@uni.edu.html" and names["ok"] == "ok.html"
    # what a disk cannot hold becomes "_", with a hash of the id; so do ids equal but for case
    assert names["<b>"].startswith("_b_~") and names['say "hi"'].startswith("say _hi_~")
    assert names["a/b"].startswith("a_b~") and names["a_b"].startswith("a_b~")
    assert names["Ann"].startswith("Ann~") and names["ann"].startswith("ann~")
    assert names["con"].startswith("con~")  # a device name on Windows
    assert len({n.casefold() for n in names.values()}) == len(names)


def test_the_zip_names_each_page_after_the_download_its_lms_gives_back(tmp_path):
    origins = {
        "123": "/dl/moodle.zip:Doe John_123_assignsubmission_file_forward-pass.ipynb",
        "456": "/dl/canvas/doejohn_LATE_456_789_forward-pass.ipynb",
        "77": "/dl/moodle/Jane Roe_77_assignsubmission_file_/forward-pass.ipynb",
        "ann": "/course/submitted/ann/forward-pass/forward-pass.ipynb",
        "pass": "/course/submitted/pass/forward-pass/forward-pass.ipynb",  # in "forward-pass"
        "zoë": "/course/submitted/zoë/forward-pass",  # no notebook: the folder
        "<b>": "/dl/<b>_forward-pass.ipynb",
    }
    graded = _class(tmp_path / "graded", origins)
    assert returned.write_zip(graded, tmp_path / "graded" / "feedback") == []
    path = returned.zip_path(graded)
    assert path.name == "feedback-forward-pass.zip"
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pages = {n: archive.read(n) for n in names}
    expected = {
        "123": "Doe John_123_assignsubmission_file_forward-pass_feedback.html",
        "456": "doejohn_LATE_456_789_forward-pass_feedback.html",
        "77": "Jane Roe_77_assignsubmission_file_/forward-pass_feedback.html",
        "ann": "ann/forward-pass/forward-pass_feedback.html",
        "pass": "pass/forward-pass/forward-pass_feedback.html",
        "zoë": "zoë.html",
        "<b>": "_b__forward-pass_feedback.html",
    }
    assert returned.entries(graded) == expected
    assert names == sorted(expected.values())
    for student, name in expected.items():
        page = (tmp_path / "graded" / "feedback" / graded.pages[student]).read_bytes()
        assert pages[name] == page, student
    first = path.read_bytes()
    returned.write_zip(graded, tmp_path / "graded" / "feedback")
    assert path.read_bytes() == first  # the same bytes for the same pages


def _nbgrader(cwd: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--CourseDirectory.course_id=demo"],
        cwd=cwd,
        env={**os.environ, "HOME": str(cwd)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_nbgrader_release_feedback_and_fetch_feedback_deliver_the_page(tmp_path):
    """ann's submission as nbgrader collected it (timestamp.txt, submission_secret.txt);
    ben's came from elsewhere: his page stays in the graded folder and the zip, and the
    warning says so."""
    course, secret = tmp_path / "course", "s3cret"
    origins = {}
    for student in ("ann", "ben"):
        folder = course / "submitted" / student / "forward-pass"
        folder.mkdir(parents=True)
        (folder / "forward-pass.ipynb").write_text("{}")
        origins[student] = str(folder / "forward-pass.ipynb")
    (course / "submitted" / "ann" / "forward-pass" / "timestamp.txt").write_text(TIMESTAMP)
    (course / "submitted" / "ann" / "forward-pass" / "submission_secret.txt").write_text(secret)
    graded = _class(course / "graded" / "forward-pass", origins)
    warnings = returned.write_nbgrader(graded, graded.out / "feedback", course)
    assert len(warnings) == 1 and "for 1 students (ben)" in warnings[0]
    placed = course / "feedback" / "ann" / "forward-pass"
    assert sorted(p.name for p in placed.iterdir()) == [
        "forward-pass.html",
        "submission_secret.txt",
        "timestamp.txt",
    ]
    assert not (course / "feedback" / "ben").exists()
    # as `open` would make it: nbgrader copies the mode, and the student (another account)
    # must read the page; a temporary file's 0600 would refuse them
    umask = os.umask(0o022)
    os.umask(umask)
    assert (placed / "forward-pass.html").stat().st_mode & 0o777 == 0o666 & ~umask

    exchange, student = tmp_path / "exchange", tmp_path / "ann-home"
    exchange.mkdir()
    _nbgrader(course, "release_feedback", "forward-pass", f"--Exchange.root={exchange}")
    # ann's own machine: nbgrader's cache of her submission (what `nbgrader submit` keeps)
    cache = student / "cache"
    kept = cache / "demo" / f"ann+forward-pass+{TIMESTAMP}"
    kept.mkdir(parents=True)
    (kept / "forward-pass.ipynb").write_text("{}")
    (kept / "submission_secret.txt").write_text(secret)
    _nbgrader(
        student,
        "fetch_feedback",
        "forward-pass",
        f"--Exchange.root={exchange}",
        f"--Exchange.cache={cache}",
    )
    fetched = student / "forward-pass" / "feedback" / TIMESTAMP / "forward-pass.html"
    page = graded.out / "feedback" / graded.pages["ann"]
    assert fetched.read_bytes() == page.read_bytes()


def test_the_batch_writes_the_zip_of_the_class(graded_class):
    graded = classbook.load(graded_class.out)
    with zipfile.ZipFile(returned.zip_path(graded)) as archive:
        names = archive.namelist()
    assert len(names) == len(graded.results) == 5
    assert "ann/forward-pass/forward-pass_feedback.html" in names
    umask = os.umask(0o022)
    os.umask(umask)
    assert returned.zip_path(graded).stat().st_mode & 0o777 == 0o666 & ~umask
