"""Finding every student's notebook (nbgrader, LMS folders, zips) and reading it safely."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from optigrade.grade.submissions import Reference, Submission, discover, load, student_of

A = "forward-pass"
ROOT = Path(__file__).resolve().parents[2]
#: The course's release notebook and its solutions (a student with every answer right).
RELEASE = (ROOT / "release" / A / f"{A}.ipynb").read_bytes()
SOLVED = (ROOT / "solutions" / A / f"{A}.ipynb").read_bytes()
REFERENCE = Reference.of(nbformat.reads(RELEASE.decode(), as_version=4))


def notebook_bytes(**metadata: object) -> bytes:
    nb = nbformat.v4.new_notebook(metadata=metadata)
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    return nbformat.writes(nb).encode()


@pytest.mark.parametrize(
    ("name", "student"),
    [
        ("Ada Lovelace_1234567_assignsubmission_file_forward-pass.ipynb", "1234567"),
        ("Grace Hopper_7654321_assignsubmission_file_", "7654321"),  # Moodle's folder form
        ("lovelaceada_4242_98765_forward-pass.ipynb", "4242"),  # Canvas
        ("lovelaceada_LATE_4242_98765_forward-pass.ipynb", "4242"),
        ("s1234567_forward-pass.ipynb", "s1234567"),
        ("bob-forward-pass.ipynb", "bob"),
        ("carol.ipynb", "carol"),
        ("forward-pass.ipynb", None),
        ("no spaces allowed.ipynb", None),
        # nbgrader's zip_collect naming (Blackboard's), from its docs' ps1 download
        ("ps1_hacker_attempt_2016-01-30-20-30-10_problem1.ipynb", "hacker"),
        ("forward-pass_bitdiddle_attempt_2016-01-30-15-30-10_forward-pass.ipynb", "bitdiddle"),
        ("forward-pass_jane_doe_attempt_2016-01-30-15-30-10_forward-pass.ipynb", "jane_doe"),
        ("forward-pass_bitdiddle_attempt_2016-01-30-15-30-10.ipynb", "bitdiddle"),
        # the assignment's name is never a student's
        ("forward-pass_old.ipynb", None),
        ("forward-pass_bitdiddle.ipynb", None),
        ("forward-pass (1).ipynb", None),
    ],
)
def test_student_ids_from_lms_file_names(name, student):
    assert student_of(name, A) == student


def test_nbgrader_layout(tmp_path):
    for student, files in {
        "alice": {"forward-pass.ipynb": notebook_bytes()},
        "bob": {"draft.ipynb": notebook_bytes(), "forward-pass.ipynb": notebook_bytes(v=2)},
        "carol": {},
        "dave": {"mine.ipynb": notebook_bytes()},
    }.items():
        folder = tmp_path / student / A
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
    (tmp_path / "jane doe" / A).mkdir(parents=True)  # nbgrader takes any folder name
    found = discover(tmp_path, A)
    by_id = {s.student: s for s in found.submissions}
    assert list(by_id) == ["alice", "bob", "carol", "dave", "jane doe"]
    assert by_id["bob"].origin.endswith("bob/forward-pass/forward-pass.ipynb")
    assert by_id["bob"].notes == [
        "2 notebooks found (draft.ipynb, forward-pass.ipynb): graded forward-pass.ipynb, "
        "the assignment's notebook"
    ]
    assert by_id["carol"].data is None and by_id["carol"].sha256 == "missing"
    assert by_id["dave"].origin.endswith("mine.ipynb")
    assert by_id["jane doe"].sha256 == "missing"
    assert found.warnings == []


LMS = {
    "Ada Lovelace_1234567_assignsubmission_file_forward-pass.ipynb": notebook_bytes(),
    "Grace Hopper_7654321_assignsubmission_file_/forward-pass.ipynb": notebook_bytes(),
    "hopperg_LATE_4242_98765_forward-pass.ipynb": notebook_bytes(),
    "s1234567_forward-pass.ipynb": notebook_bytes(),
    "forward-pass.ipynb": notebook_bytes(),  # names nobody
    "__MACOSX/._s1234567_forward-pass.ipynb": b"junk",
}


def test_lms_folder(tmp_path):
    for name, data in LMS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    found = discover(tmp_path, A)
    ids = ["1234567", "4242", "7654321", "?forward-pass.ipynb", "s1234567"]
    assert [s.student for s in found.submissions] == ids
    unnamed = found.submissions[3]  # listed with its reason, never dropped
    assert unnamed.refused.endswith(
        "no student id in its name (expected e.g. <id>_forward-pass.ipynb)"
    )
    assert load(unnamed).status == "refused"


def test_zip_members_are_read_in_memory_never_extracted(tmp_path):
    archive = tmp_path / "downloads.zip"
    escape = "../../escape_forward-pass.ipynb"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in LMS.items():
            zf.writestr(f"wrapper/{name}", data)
        zf.writestr(escape, notebook_bytes())
    before = sorted(p.name for p in tmp_path.parent.parent.iterdir())
    found = discover(archive, A)
    assert [s.student for s in found.submissions] == [
        "1234567",
        "4242",
        "7654321",
        "?wrapper/forward-pass.ipynb",
        "escape",
        "s1234567",
    ]
    assert sorted(p.name for p in tmp_path.parent.parent.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads.zip"]
    escaped = next(s for s in found.submissions if s.student == "escape")
    assert escaped.origin == f"{archive}:{escape}"
    assert load(escaped).status == "ok"


def test_oversized_files_and_members_are_refused(tmp_path):
    big = notebook_bytes(padding="x" * 5000)
    (tmp_path / "alice" / A).mkdir(parents=True)
    (tmp_path / "alice" / A / "forward-pass.ipynb").write_bytes(big)
    (found,) = discover(tmp_path, A, max_bytes=1000).submissions
    assert found.data is None
    assert load(found).message.startswith("the notebook is 0.0 MiB, over the 0 MiB limit")
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bob_forward-pass.ipynb", big)
    (member,) = discover(archive, A, max_bytes=1000).submissions
    assert member.data is None and load(member).status == "no notebook"


def test_a_submission_is_identified_by_its_content():
    one = Submission("a", "x", b"{}")
    assert one.sha256 == Submission("b", "y", b"{}").sha256
    assert one.sha256 != Submission("a", "x", b"{} ").sha256


def sub(data: bytes | None) -> Submission:
    return Submission("alice", "test", data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"cells": [', "the notebook is not valid JSON (Expecting value: line 1, column 12)"),
        (b'{"a": "caf\xe9"}', "the notebook is not UTF-8 text (byte 0xe9 at offset 10)"),
        (b"[1, 2]", "the file is JSON but not a notebook (a list)"),
        (b'{"cells": []}', "the file has no notebook format version: not a Jupyter notebook"),
        (
            b'{"nbformat": 5, "cells": []}',
            "unsupported notebook format version 5 (Jupyter writes version 4)",
        ),
        (b'{"nbformat": 4, "metadata": {}}', "the notebook has no readable list of cells"),
        (b"[" * 100_000, "the notebook's JSON is nested too deeply"),
    ],
)
def test_unreadable_notebooks_have_specific_messages(data, message):
    loaded = load(sub(data))
    assert (loaded.status, loaded.message) == ("unreadable", message)
    assert loaded.notebook is None


def test_missing_and_too_large():
    assert load(sub(None)).status == "no notebook"
    loaded = load(sub(notebook_bytes()), max_bytes=10)
    assert loaded.status == "unreadable" and "over the" in loaded.message


def test_readable_notebooks_load_with_notes_where_due():
    plain = load(
        sub(
            notebook_bytes(
                kernelspec={"name": "python3", "language": "python", "display_name": "Py"}
            )
        )
    )
    assert (plain.status, plain.notes) == ("ok", [])
    assert plain.notebook.cells[0].source == "x = 1"
    bom = load(sub(b"\xef\xbb\xbf" + notebook_bytes()))
    assert bom.status == "ok"
    julia = load(
        sub(
            notebook_bytes(
                kernelspec={"name": "julia-1.9", "language": "julia", "display_name": "J"}
            )
        )
    )
    assert julia.status == "ok"
    assert julia.notes == [
        "the notebook names the kernel 'julia-1.9' (julia); it was graded with Python"
    ]


def test_an_nbformat_3_notebook_is_converted():
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "y = 2", "outputs": []}]}],
    }
    loaded = load(sub(json.dumps(v3).encode()))
    assert loaded.status == "ok"
    assert [c.source for c in loaded.notebook.cells] == ["y = 2"]


def test_a_notebook_that_does_not_validate_keeps_its_readable_cells():
    raw = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "source": ["a = ", "1"], "metadata": {}, "outputs": 3},
            {"cell_type": "code", "source": 3},
            "not a cell",
            {"cell_type": "markdown", "source": "text"},
        ],
    }
    loaded = load(sub(json.dumps(raw).encode()))
    assert loaded.status == "ok"
    assert [c.source for c in loaded.notebook.cells] == ["a = 1", "text"]
    assert loaded.notes[0].startswith("the notebook does not fully validate")


def test_discover_refuses_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no submissions folder or zip"):
        discover(tmp_path / "nowhere", A)


def test_links_out_of_a_submission_are_refused_with_their_reason(tmp_path):
    course = tmp_path / "course"
    solution = course / "solutions" / A / "forward-pass.ipynb"
    solution.parent.mkdir(parents=True)
    solution.write_bytes(notebook_bytes())
    submitted = course / "submitted"
    for student in ("alice", "linker", "hard", "folder"):
        (submitted / student).mkdir(parents=True)
    (submitted / "alice" / A).mkdir()
    (submitted / "alice" / A / "forward-pass.ipynb").write_bytes(notebook_bytes())
    (submitted / "linker" / A).mkdir()
    (submitted / "linker" / A / "forward-pass.ipynb").symlink_to(solution)
    (submitted / "hard" / A).mkdir()
    (submitted / "hard" / A / "forward-pass.ipynb").hardlink_to(solution)
    (submitted / "folder" / A).symlink_to(solution.parent)
    (submitted / "whole").symlink_to(submitted / "alice")
    found = {s.student: s for s in discover(submitted, A).submissions}
    assert sorted(found) == ["alice", "folder", "hard", "linker", "whole"]
    assert load(found["alice"]).status == "ok"
    for student, kind in (
        ("linker", "is a symbolic link (to"),
        ("hard", "is a hard link (2 names for one file)"),
        ("folder", "is a symbolic link (to"),
        ("whole", "is a symbolic link (to"),
    ):
        sub = found[student]
        assert sub.data is None and kind in sub.refused, sub
        assert load(sub).status == "refused"
        assert sub.sha256 == "refused"


def test_links_in_an_lms_folder_and_a_zip_are_refused(tmp_path):
    secret = tmp_path / "secret.ipynb"
    secret.write_bytes(notebook_bytes())
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / "s1_forward-pass.ipynb").write_bytes(notebook_bytes())
    (downloads / "s2_forward-pass.ipynb").symlink_to(secret)
    (downloads / "s3_folder").symlink_to(tmp_path)
    found = {s.student: s for s in discover(downloads, A).submissions}
    assert sorted(found) == ["s1", "s2", "s3"]
    assert not found["s1"].refused
    assert "symbolic link" in found["s2"].refused and "symbolic link" in found["s3"].refused
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("s4_forward-pass.ipynb")
        link.external_attr = (0o120777) << 16
        zf.writestr(link, str(secret))
    (member,) = discover(archive, A).submissions
    assert member.student == "s4" and "symbolic link" in member.refused


def test_a_notebook_outside_any_student_folder_gets_a_row(tmp_path):
    (tmp_path / "alice" / A).mkdir(parents=True)
    (tmp_path / "alice" / A / "forward-pass.ipynb").write_bytes(notebook_bytes())
    (tmp_path / "stray.ipynb").write_bytes(notebook_bytes())
    found = discover(tmp_path, A).submissions
    assert [s.student for s in found] == ["alice", "?stray.ipynb"]
    assert found[1].refused.endswith("is outside any student's folder")


def zipped(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_collect_names_are_each_their_student_s_with_the_attempt_time(tmp_path):
    """nbgrader's documented download (re-created on forward-pass): every student graded
    separately, the latest attempt of a file kept, the assignment's notebook graded."""
    archive = zipped(
        tmp_path / "blackboard.zip",
        {
            "forward-pass_bitdiddle_attempt_2016-01-30-15-30-10_forward-pass.ipynb": SOLVED,
            "forward-pass_bitdiddle_attempt_2016-01-30-15-30-10_jupyter.png": b"png",
            "forward-pass_hacker_attempt_2016-01-30-16-30-10_myforward-pass.ipynb": RELEASE,
            "forward-pass_hacker_attempt_2016-01-30-16-30-10_forward-pass.ipynb": RELEASE,
            "forward-pass_hacker_attempt_2016-01-30-20-30-10_forward-pass.ipynb": SOLVED,
            "forward-pass_jane_doe_attempt_2016-02-01-09-00-00_forward-pass.ipynb": SOLVED,
        },
    )
    found = discover(archive, A, reference=REFERENCE)
    by_id = {s.student: s for s in found.submissions}
    assert list(by_id) == ["bitdiddle", "hacker", "jane_doe"]
    hacker = by_id["hacker"]
    assert hacker.origin.endswith("2016-01-30-20-30-10_forward-pass.ipynb")
    assert hacker.data == SOLVED
    assert hacker.stamp.time == datetime(2016, 1, 30, 20, 30, 10, tzinfo=UTC)
    assert hacker.notes == [
        "2 notebooks found (forward-pass_hacker_attempt_2016-01-30-16-30-10_myforward-pass.ipynb, "
        "forward-pass_hacker_attempt_2016-01-30-20-30-10_forward-pass.ipynb): graded "
        "forward-pass_hacker_attempt_2016-01-30-20-30-10_forward-pass.ipynb, the assignment's "
        "notebook",
        "an earlier attempt was not graded: "
        "forward-pass_hacker_attempt_2016-01-30-16-30-10_forward-pass.ipynb",
    ]
    assert by_id["jane_doe"].stamp.time == datetime(2016, 2, 1, 9, tzinfo=UTC)
    assert found.warnings == []


def test_a_zip_whose_names_would_make_one_student_is_refused_not_merged(tmp_path):
    archive = zipped(
        tmp_path / "class.zip",
        {"DL101_bitdiddle.ipynb": SOLVED, "DL101_hacker.ipynb": RELEASE},
    )
    found = discover(archive, A)
    assert [s.student for s in found.submissions] == [
        "?DL101_bitdiddle.ipynb",
        "?DL101_hacker.ipynb",
    ]
    for sub in found.submissions:
        assert load(sub).status == "refused"
        assert "every notebook's name starts with DL101_" in sub.refused
        assert "nothing was merged" in sub.refused


def test_a_name_starting_with_the_assignment_s_names_no_student(tmp_path):
    archive = zipped(tmp_path / "a.zip", {"forward-pass_notes.ipynb": SOLVED, "s1_x.ipynb": SOLVED})
    found = {s.student: s for s in discover(archive, A).submissions}
    assert sorted(found) == ["?forward-pass_notes.ipynb", "s1"]
    assert (
        "starts with the assignment's, not a student id"
        in found["?forward-pass_notes.ipynb"].refused
    )


def folder_of(tmp_path: Path, files: dict[str, bytes], student: str = "ann") -> Path:
    where = tmp_path / student / A
    where.mkdir(parents=True)
    for name, data in files.items():
        (where / name).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize(
    ("files", "graded", "warned"),
    [
        # an old blank copy beside the notebook: the assignment's name wins
        (
            {"forward-pass.ipynb": SOLVED, "forward-pass_old.ipynb": RELEASE},
            "forward-pass.ipynb",
            "",
        ),
        # two renamed copies: the one whose cells match the release, answered, is graded
        (
            {"forward-pass (1).ipynb": SOLVED, "forward-pass (2).ipynb": RELEASE},
            "forward-pass (1).ipynb",
            "the one whose cells match the released notebook best",
        ),
        # a scratch notebook beside a renamed copy: the copy has the release's cells
        (
            {"forward-pass (1).ipynb": RELEASE, "zz-scratch.ipynb": notebook_bytes()},
            "forward-pass (1).ipynb",
            "the one whose cells match the released notebook best",
        ),
        # two identical copies: the last by name, and the instructor is told
        (
            {"forward-pass (1).ipynb": SOLVED, "forward-pass (2).ipynb": SOLVED},
            "forward-pass (2).ipynb",
            "the last by name of 2 that match the released notebook equally",
        ),
    ],
)
def test_which_notebook_is_graded(tmp_path, files, graded, warned):
    found = discover(folder_of(tmp_path, files), A, reference=REFERENCE)
    (ann,) = found.submissions
    assert ann.origin.endswith(graded)
    names = ", ".join(sorted(files))
    assert ann.notes[0].startswith(f"2 notebooks found ({names})")
    if warned:
        (warning,) = found.warnings
        assert warning == f"ann: {ann.notes[0]}" and warned in warning
        assert f"none named {A}.ipynb alone: graded {graded}" in warning
    else:
        assert found.warnings == []


@pytest.mark.parametrize(
    ("written", "time", "warned"),
    [
        # as nbgrader's docs and tests write it
        (
            "2015-02-02 14:58:23.948203 America/Los_Angeles",
            datetime(2015, 2, 2, 22, 58, 23, 948203, tzinfo=UTC),
            "",
        ),
        (
            "2019-05-30 11:44:01.911849 UTC",
            datetime(2019, 5, 30, 11, 44, 1, 911849, tzinfo=UTC),
            "",
        ),
        ("2016-01-30 15:50:10", datetime(2016, 1, 30, 15, 50, 10, tzinfo=UTC), ""),  # zip_collect
        ("foo", None, "ann: timestamp.txt holds no time: 'foo' is not a date and time"),
        ("", None, "ann: timestamp.txt holds no time: no time was given (the text is empty)"),
        ("2015-02-02 14:58:23 PST", None, "ann: timestamp.txt holds no time: unknown time zone"),
        (None, None, ""),  # no timestamp.txt: unknown, nothing malformed
    ],
)
def test_nbgrader_timestamps_are_read_and_a_malformed_one_is_a_warning(
    tmp_path, written, time, warned
):
    submitted = folder_of(tmp_path, {"forward-pass.ipynb": SOLVED})
    if written is not None:
        (submitted / "ann" / A / "timestamp.txt").write_text(written)
    found = discover(submitted, A)
    (ann,) = found.submissions
    assert ann.stamp.time == time
    if warned:
        (warning,) = found.warnings
        assert warning.startswith(warned) and warning.endswith(": no late penalty can be applied")
    else:
        assert found.warnings == []
