"""Find every student's notebook and read it without trusting it.

Accepted layouts (`discover`):

- nbgrader: ``submitted/<student_id>/<assignment>/<assignment>.ipynb`` (any single
  notebook in that folder also does; with several, the one named after the assignment).
  Any folder name is a student id, as nbgrader takes it (``jane_doe``, ``zoë``, ``a b``).
- A folder or a ``.zip`` of LMS downloads, the student id taken from each file name:

  - Moodle: ``<Full Name>_<participant id>_assignsubmission_file_<file>.ipynb`` (also as
    a folder of that name holding the notebook): the id is the participant id;
  - Canvas: ``<name>_[LATE_]<user id>_<submission id>_<file>.ipynb``: the id is the
    Canvas user id;
  - anything else: ``<id>_<anything>.ipynb``, ``<id>-<assignment>.ipynb`` or
    ``<id>.ipynb``, where the id is letters, digits and ``.@+-``.

  Zip members are read in memory (size-capped), never extracted.

Every notebook found is accounted for: one with no student id in its name is listed as
``?<its path>``, and a symbolic link or a hard link (which could lead out of the
submission, to the course's own files) is refused with its reason rather than followed.
`load` turns a missing, refused, oversized, non-UTF-8, malformed or wrong-version
notebook into a `Loaded` with a specific message instead of raising.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypeVar

import nbformat

from grader.student import notebookfile
from grader.student.notebookfile import MAX_NOTEBOOK_BYTES, too_large

T = TypeVar("T")
MAX_ARCHIVE_MEMBERS = 10_000

_ID = r"[A-Za-z0-9][A-Za-z0-9.@+-]{0,127}"
#: How a notebook with no student id in its name is listed (never dropped).
_UNNAMED = "?"
_MOODLE = re.compile(r"^.+?_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_")
_CANVAS = re.compile(r"^[A-Za-z]+_(?:LATE_)?(?P<id>\d+)_\d+_")
_GENERIC = re.compile(rf"^(?P<id>{_ID}?)(?:_.*)?$")


@dataclass
class Submission:
    """One student's notebook as found: raw bytes (None when there is none)."""

    student: str
    origin: str  # where it came from, for messages: a path or "archive.zip:member"
    data: bytes | None
    notes: list[str] = field(default_factory=list)
    refused: str = ""  # why it is not graded though found (a link, no student id...)

    @property
    def sha256(self) -> str:
        """The identity of a submission for resuming: a hash of its bytes."""
        if self.data is None:
            return "refused" if self.refused else "missing"
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Discovery:
    submissions: list[Submission]  # sorted by student id
    warnings: list[str]  # files that name no student, and the like


def student_of(name: str, assignment: str) -> str | None:
    """The student id in an LMS download's file name (see module doc)."""
    for pattern in (_MOODLE, _CANVAS):
        found = pattern.match(name)
        if found:
            return found["id"]
    stem = name.removesuffix(".ipynb")
    if stem == assignment:
        return None
    found = _GENERIC.match(stem.removesuffix("-" + assignment))
    return found["id"] if found and found["id"] else None


def _student_in(parts: tuple[str, ...], assignment: str) -> str | None:
    """The id from a Moodle per-student folder on the path, else from the file name."""
    for folder in reversed(parts[:-1]):
        found = _MOODLE.match(folder)
        if found:
            return found["id"]
    return student_of(parts[-1], assignment)


def discover(submitted: Path, assignment: str, max_bytes: int = MAX_NOTEBOOK_BYTES) -> Discovery:
    """Every student's submission in `submitted` (nbgrader folder, LMS folder or zip)."""
    if submitted.is_file() and zipfile.is_zipfile(submitted):
        return _from_zip(submitted, assignment, max_bytes)
    if not submitted.is_dir():
        raise FileNotFoundError(f"no submissions folder or zip at {submitted}")
    entries = sorted(p for p in submitted.iterdir() if not p.name.startswith("."))
    folders = [p for p in entries if p.is_dir()]  # links too: refused with their reason
    if any((p / assignment).is_dir() for p in folders):
        found = _from_nbgrader(folders, assignment, max_bytes)
        strays = [p for p in entries if p not in folders and p.suffix == ".ipynb"]
        found.submissions += [
            _refused(_UNNAMED + p.name, str(p), f"{p} is outside any student's folder")
            for p in strays
        ]
        return found
    return _from_files(submitted, assignment, max_bytes)


def _from_nbgrader(folders: list[Path], assignment: str, max_bytes: int) -> Discovery:
    """nbgrader's layout: any folder name is a student id, as nbgrader takes it."""
    found = []
    for folder in folders:
        student, where = folder.name, folder / assignment
        link = _link(folder) or _link(where)
        if link:
            found.append(_refused(student, str(where), link))
            continue
        notebooks = sorted(p for p in where.glob("*.ipynb") if not p.name.startswith("."))
        if not notebooks:
            found.append(Submission(student, str(where), None, [f"no notebook in {where}"]))
            continue
        chosen, notes = _choose(notebooks, _name, assignment)
        found.append(_read_file(student, chosen, notes, max_bytes))
    return Discovery(found, [])


def _link(path: Path) -> str:
    """Why `path` is refused as a link out of a submission ("" when it is not one)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return ""
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link (to {os.readlink(path)}): links are not followed"
    if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        return (
            f"{path} is a hard link ({info.st_nlink} names for one file): it may be a file of "
            "the course, so it is not read"
        )
    return ""


def _refused(student: str, origin: str, why: str) -> Submission:
    return Submission(student, origin, None, [why], refused=why)


def _choose(
    candidates: list[T], name_of: Callable[[T], str], assignment: str
) -> tuple[T, list[str]]:
    """With several notebooks, the last by name of those named after the assignment (else
    of all), with a note saying so."""
    candidates = sorted(candidates, key=name_of)
    if len(candidates) == 1:
        return candidates[0], []
    named = [c for c in candidates if assignment in PurePosixPath(name_of(c)).name]
    chosen = (named or candidates)[-1]
    names = ", ".join(name_of(c) for c in candidates)
    return chosen, [f"{len(candidates)} notebooks found ({names}): graded {name_of(chosen)}"]


def _name(path: Path) -> str:
    return path.name


def _member_name(info: zipfile.ZipInfo) -> str:
    return info.filename


def _read_file(student: str, path: Path, notes: list[str], max_bytes: int) -> Submission:
    link = _link(path)
    if link:
        return _refused(student, str(path), link)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                return _refused(student, str(path), f"{path} is not a regular file")
            if info.st_size > max_bytes:
                return Submission(
                    student, str(path), None, [*notes, too_large(info.st_size, max_bytes)]
                )
            return Submission(student, str(path), f.read(max_bytes + 1), notes)
    except OSError as e:
        return Submission(student, str(path), None, [*notes, f"the notebook is unreadable: {e}"])


def _hidden(parts: tuple[str, ...]) -> bool:
    """Checkpoints, dot files and macOS resource forks are not submissions ("." and ".."
    in an archive's member name are harmless: only the name's last part is used)."""
    return any(p.startswith((".", "__MACOSX")) and p not in (".", "..") for p in parts)


def _by_student(
    entries: Iterable[tuple[tuple[str, ...], T, str]], assignment: str
) -> tuple[dict[str, list[T]], list[Submission]]:
    """Notebooks grouped by the student id in their names, in student order, and a refused
    submission for each without one; an entry is (the parts of its name, the notebook,
    where it is)."""
    by_student: dict[str, list[T]] = {}
    unnamed = []
    for parts, item, where in entries:
        if _hidden(parts):
            continue
        student = _student_in(parts, assignment)
        if student is None:
            why = f"{where}: no student id in its name (expected e.g. <id>_{assignment}.ipynb)"
            unnamed.append(_refused(_UNNAMED + "/".join(parts), where, why))
            continue
        by_student.setdefault(student, []).append(item)
    return dict(sorted(by_student.items())), unnamed


def _from_files(folder: Path, assignment: str, max_bytes: int) -> Discovery:
    notebooks, links = [], []
    for root, dirs, files in os.walk(folder):  # links to folders are not followed
        here = Path(root)
        for name in sorted(files) + sorted(d for d in dirs if (here / d).is_symlink()):
            path = here / name
            if path.is_symlink() or name.endswith(".ipynb"):
                (links if path.is_symlink() else notebooks).append(path)
    by_student, unnamed = _by_student(
        ((path.relative_to(folder).parts, path, str(path)) for path in sorted(notebooks)),
        assignment,
    )
    found = [
        _read_file(student, *_choose(paths, _name, assignment), max_bytes)
        for student, paths in by_student.items()
    ]
    for path in links:  # a link is refused whatever its name, under the id it names
        parts = path.relative_to(folder).parts
        if not _hidden(parts):
            student = _student_in(parts, assignment) or _UNNAMED + "/".join(parts)
            found.append(_refused(student, str(path), _link(path)))
    return Discovery(_merge(found + unnamed), [])


def _merge(found: list[Submission]) -> list[Submission]:
    """One submission per student, sorted: a graded one before a refused link."""
    by_student: dict[str, Submission] = {}
    for sub in found:
        if sub.student not in by_student or by_student[sub.student].refused:
            if sub.student in by_student:
                sub.notes.append(by_student[sub.student].refused)
            by_student[sub.student] = sub
        else:
            by_student[sub.student].notes.append(sub.refused or f"also found: {sub.origin}")
    return [by_student[k] for k in sorted(by_student)]


def _from_zip(archive: Path, assignment: str, max_bytes: int) -> Discovery:
    warnings = []
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            warnings.append(f"{archive}: only the first {MAX_ARCHIVE_MEMBERS} members were read")
        named = ((_member_parts(info), info) for info in members[:MAX_ARCHIVE_MEMBERS])
        by_student, unnamed = _by_student(
            (
                (parts, info, f"{archive}:{info.filename}")
                for parts, info in named
                if not info.is_dir() and parts and parts[-1].endswith(".ipynb")
            ),
            assignment,
        )
        found = [
            _read_member(zf, archive, student, *_choose(infos, _member_name, assignment), max_bytes)
            for student, infos in by_student.items()
        ]
    return Discovery(_merge(found + unnamed), warnings)


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    return PurePosixPath(info.filename.replace("\\", "/")).parts


def _read_member(
    zf: zipfile.ZipFile,
    archive: Path,
    student: str,
    info: zipfile.ZipInfo,
    notes: list[str],
    max_bytes: int,
) -> Submission:
    origin = f"{archive}:{info.filename}"
    if stat.S_ISLNK(info.external_attr >> 16):
        return _refused(student, origin, f"{origin} is a symbolic link: links are not followed")
    if info.file_size > max_bytes:
        return Submission(student, origin, None, [*notes, too_large(info.file_size, max_bytes)])
    try:
        with zf.open(info) as member:
            data = member.read(max_bytes + 1)  # the header's size may lie (zip bombs)
    except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as e:
        return Submission(student, origin, None, [*notes, f"the archive member is unreadable: {e}"])
    return Submission(student, origin, data, notes)


# --- reading a notebook ---------------------------------------------------------------


@dataclass
class Loaded:
    """A submission read as a notebook, or why it cannot be graded."""

    notebook: nbformat.NotebookNode | None
    status: str  # "ok", else the run status it gets: "unreadable" | "no notebook" | "refused"
    message: str = ""  # why it cannot be read
    notes: list[str] = field(default_factory=list)  # graded anyway, but worth saying


def load(submission: Submission, max_bytes: int = MAX_NOTEBOOK_BYTES) -> Loaded:
    """Parse a submission's bytes as a Jupyter notebook (version 4, or 3 converted)."""
    notes = list(submission.notes)
    if submission.refused:
        return Loaded(None, "refused", submission.refused, notes)
    if submission.data is None:
        message = notes[-1] if notes else "no notebook was submitted"
        return Loaded(None, "no notebook", message, notes)
    parsed = notebookfile.parse(submission.data, max_bytes)
    if parsed.notebook is None:
        return Loaded(None, "unreadable", parsed.message, notes + parsed.notes)
    return Loaded(parsed.notebook, "ok", "", notes + parsed.notes)
