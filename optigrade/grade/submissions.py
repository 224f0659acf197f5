"""Find every student's notebook and read it without trusting it.

Accepted layouts (`discover`):

- nbgrader: ``submitted/<student_id>/<assignment>/<assignment>.ipynb`` (any notebook in
  that folder also does, see "Which notebook" below), with the submission time in
  ``timestamp.txt`` beside it as ``nbgrader collect`` and ``zip_collect`` write it. Any
  folder name is a student id, as nbgrader takes it (``jane_doe``, ``zoë``, ``a b``).
- A folder or a ``.zip`` of LMS downloads, the student id taken from each file name:

  - Moodle: ``<Full Name>_<participant id>_assignsubmission_file_<file>.ipynb`` (also as
    a folder of that name holding the notebook): the id is the participant id;
  - Canvas: ``<name>_[LATE_]<user id>_<submission id>_<file>.ipynb``: the id is the
    Canvas user id (LATE: Canvas says it was late, but gives no time);
  - nbgrader's ``zip_collect`` (Blackboard's download):
    ``<assignment>_<id>_attempt_<YYYY-MM-DD-HH-MM-SS>[_<file>].ipynb``, the attempt's
    time in UTC (as zip_collect reads it), the latest attempt of each file graded;
  - anything else: ``<id>_<anything>.ipynb``, ``<id>-<assignment>.ipynb`` or
    ``<id>.ipynb``, where the id is letters, digits and ``.@+-`` and never the
    assignment's name (``<assignment>_<anything>`` names no student).

  Zip members are read in memory (size-capped), never extracted. A folder or zip whose
  notebooks would all be one student by the last rule although their names differ
  otherwise (``DL101_bitdiddle.ipynb``, ``DL101_hacker.ipynb``) is refused with that
  reason, never merged into one student.

Which notebook: of a student's several notebooks, the one named after the assignment
(``<assignment>.ipynb``) is graded; without one, the notebook whose cells match the
released notebook best (its grade ids present, then its answer cells changed from the
release's stubs). A choice the name did not settle is a warning naming the files (for
the console and the report) and a note on the student's page.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TypeVar

import nbformat

from grader.student import notebookfile
from grader.student.notebookfile import MAX_NOTEBOOK_BYTES, too_large
from optigrade.grade.restore import grade_id_of, is_answer, source_text
from optigrade.records.lateness import parse_time

T = TypeVar("T")
MAX_ARCHIVE_MEMBERS = 10_000
#: nbgrader's file of a submission's time, beside the notebook.
TIMESTAMP = "timestamp.txt"
_TIMESTAMP_BYTES = 1000

_ID = r"[A-Za-z0-9][A-Za-z0-9.@+-]{0,127}"
#: How a notebook with no student id in its name is listed (never dropped).
_UNNAMED = "?"
_MOODLE = re.compile(r"^.+?_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_")
_CANVAS = re.compile(r"^[A-Za-z]+_(?P<late>LATE_)?(?P<id>\d+)_\d+_")
#: nbgrader zip_collect's documented naming (Blackboard's): ``..._<id>_attempt_<time>_<file>``.
_ATTEMPT = re.compile(
    r"^(?P<head>.+)_attempt_(?P<time>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)(?:_(?P<file>.+))?$"
)
_GENERIC = re.compile(rf"^(?P<id>{_ID}?)(?:_(?P<file>.*))?$")


@dataclass(frozen=True)
class Stamp:
    """When a notebook was submitted, as far as its submission says: the `time` (None:
    unknown, and `note` says why), `unreadable` when a time was given but is none."""

    time: datetime | None = None
    note: str = ""
    unreadable: bool = False


@dataclass
class Submission:
    """One student's notebook as found: raw bytes (None when there is none), and when it
    was submitted."""

    student: str
    origin: str  # where it came from, for messages: a path or "archive.zip:member"
    data: bytes | None
    notes: list[str] = field(default_factory=list)
    refused: str = ""  # why it is not graded though found (a link, no student id...)
    stamp: Stamp = Stamp()

    @property
    def sha256(self) -> str:
        """The identity of a submission for resuming: a hash of its bytes."""
        if self.data is None:
            return "refused" if self.refused else "missing"
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Discovery:
    submissions: list[Submission]  # sorted by student id
    warnings: list[str]  # files that name no student, notebooks chosen by content...


@dataclass(frozen=True)
class Reference:
    """The released notebook, as far as telling a student's copy of it from other
    notebooks goes: its cells' grade ids, and the stub of each answer cell."""

    grade_ids: frozenset[str] = frozenset()
    stubs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, notebook: nbformat.NotebookNode) -> Reference:
        ids = {gid for c in notebook.cells if (gid := grade_id_of(c)) is not None}
        stubs = {grade_id_of(c): source_text(c) for c in notebook.cells if is_answer(c)}
        return cls(frozenset(ids), stubs)  # type: ignore[arg-type]

    def match(self, data: bytes | None, max_bytes: int) -> tuple[int, int]:
        """How well a notebook's bytes match: (grade ids of the release it has, answer cells
        it changed); (-1, -1) for what is no notebook."""
        notebook = notebookfile.parse(data, max_bytes).notebook if data is not None else None
        if notebook is None:
            return -1, -1
        ids = {grade_id_of(c) for c in notebook.cells}
        answered = sum(
            1
            for c in notebook.cells
            if grade_id_of(c) in self.stubs
            and source_text(c).strip() != self.stubs[grade_id_of(c)].strip()  # type: ignore[index]
        )
        return len(ids & self.grade_ids), answered


@dataclass(frozen=True)
class _Name:
    """What an LMS download's name says: whose notebook, what the student called it, when
    it was submitted, and whether only the catch-all rule read it (see module doc)."""

    student: str
    file: str
    stamp: Stamp = Stamp()
    generic: bool = False


def _named(parts: tuple[str, ...], assignment: str) -> _Name | str:
    """The student of an LMS download (the parts of its path), or why there is none."""
    name = parts[-1]
    for folder in reversed(parts[:-1]):  # a Moodle per-student folder
        found = _MOODLE.match(folder)
        if found:
            return _Name(found["id"], name)
    found = _MOODLE.match(name)
    if found:
        return _Name(found["id"], name[found.end() :])
    found = _CANVAS.match(name)
    if found:
        late = "Canvas marked it LATE, but its download holds no time" if found["late"] else ""
        return _Name(found["id"], name[found.end() :], Stamp(note=late))
    stem = name.removesuffix(".ipynb")
    attempt = _ATTEMPT.match(stem)
    if attempt:
        return _attempt(attempt, assignment)
    if stem == assignment:
        return f"no student id in its name (expected e.g. <id>_{assignment}.ipynb)"
    if stem.startswith(assignment + "_"):
        return (
            f"its name starts with the assignment's, not a student id (expected e.g. "
            f"<id>_{assignment}.ipynb, or zip_collect's "
            f"{assignment}_<id>_attempt_<YYYY-MM-DD-HH-MM-SS>_{assignment}.ipynb)"
        )
    generic = _GENERIC.match(stem.removesuffix("-" + assignment))
    if not generic or not generic["id"]:
        return f"no student id in its name (expected e.g. <id>_{assignment}.ipynb)"
    return _Name(generic["id"], (generic["file"] or assignment) + ".ipynb", generic=True)


def _attempt(found: re.Match[str], assignment: str) -> _Name | str:
    """zip_collect's naming: the id between the assignment's name and ``_attempt_`` (else,
    as zip_collect's documented expression reads it, the last ``_``-free word before it)."""
    head = found["head"]
    student = head.removeprefix(assignment + "_") if head != assignment else ""
    if student == head:
        student = head.rpartition("_")[2]
    if not re.fullmatch(r"[^\s/\\]+", student):
        return f"no student id before _attempt_ in its name ({head!r})"
    file = (found["file"] or assignment.removesuffix(".ipynb")) + ".ipynb"
    try:
        time = datetime.strptime(found["time"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)
    except ValueError as e:
        return _Name(student, file, Stamp(None, f"its attempt time is no time ({e})", True))
    return _Name(student, file, Stamp(time))


def student_of(name: str, assignment: str) -> str | None:
    """The student id in an LMS download's file name (see module doc)."""
    found = _named((name,), assignment)
    return found.student if isinstance(found, _Name) else None


def discover(
    submitted: Path,
    assignment: str,
    max_bytes: int = MAX_NOTEBOOK_BYTES,
    reference: Reference | None = None,
) -> Discovery:
    """Every student's submission in `submitted` (nbgrader folder, LMS folder or zip);
    `reference` (the released notebook) picks a notebook among several by content."""
    chooser = _Chooser(assignment, reference or Reference(), max_bytes)
    if submitted.is_file() and zipfile.is_zipfile(submitted):
        return _from_zip(submitted, chooser)
    if not submitted.is_dir():
        raise FileNotFoundError(f"no submissions folder or zip at {submitted}")
    entries = sorted(p for p in submitted.iterdir() if not p.name.startswith("."))
    folders = [p for p in entries if p.is_dir()]  # links too: refused with their reason
    if any((p / assignment).is_dir() for p in folders):
        found = _from_nbgrader(folders, chooser)
        strays = [p for p in entries if p not in folders and p.suffix == ".ipynb"]
        found.submissions += [
            _refused(_UNNAMED + p.name, str(p), f"{p} is outside any student's folder")
            for p in strays
        ]
        return found
    return _from_files(submitted, chooser)


@dataclass
class _Chooser:
    """Picks each student's notebook among several (see "Which notebook" in the module
    doc), collecting the warnings."""

    assignment: str
    reference: Reference
    max_bytes: int
    warnings: list[str] = field(default_factory=list)

    def choose(self, student: str, found: list[tuple[str, Submission]]) -> Submission:
        """The graded one of a student's (file name, submission) pairs, with a note."""
        found, earlier = _latest(found)
        chosen = self._choose(student, found)
        chosen.notes += [f"an earlier attempt was not graded: {_short(s)}" for s in earlier]
        return chosen

    def _choose(self, student: str, found: list[tuple[str, Submission]]) -> Submission:
        if len(found) == 1:
            return found[0][1]
        found = sorted(found, key=lambda f: f[1].origin)
        said = f"{len(found)} notebooks found ({', '.join(_short(s) for _, s in found)})"
        exact = [s for f, s in found if f == f"{self.assignment}.ipynb"]
        if len(exact) == 1:
            chosen = exact[0]
            chosen.notes.insert(0, f"{said}: graded {_short(chosen)}, the assignment's notebook")
            return chosen
        pool = exact or [s for _, s in found]
        scores = {id(s): self.reference.match(s.data, self.max_bytes) for s in pool}
        best = max(scores.values())
        tied = [s for s in pool if scores[id(s)] == best]
        chosen = tied[-1]
        how = "the one whose cells match the released notebook best"
        if len(tied) > 1:
            how = f"the last by name of {len(tied)} that match the released notebook equally"
        note = f"{said}, none named {self.assignment}.ipynb alone: graded {_short(chosen)}, {how}"
        chosen.notes.insert(0, note)
        self.warnings.append(f"{student}: {note}")
        return chosen


def _latest(
    found: list[tuple[str, Submission]],
) -> tuple[list[tuple[str, Submission]], list[Submission]]:
    """Of several attempts at one file (zip_collect's), the latest, as zip_collect keeps
    it; and the earlier ones."""
    latest: dict[str, Submission] = {}
    earlier = []
    for file, sub in found:
        kept = latest.get(file)
        time, before = sub.stamp.time, kept.stamp.time if kept else None
        if kept is not None and not (time and (before is None or time > before)):
            earlier.append(sub)
            continue
        if kept is not None:
            earlier.append(kept)
        latest[file] = sub
    return list(latest.items()), earlier


def _short(sub: Submission) -> str:
    return PurePosixPath(sub.origin.rpartition(":")[2]).name


def _from_nbgrader(folders: list[Path], chooser: _Chooser) -> Discovery:
    """nbgrader's layout: any folder name is a student id, as nbgrader takes it."""
    found = []
    for folder in folders:
        student, where = folder.name, folder / chooser.assignment
        link = _link(folder) or _link(where)
        if link:
            found.append(_refused(student, str(where), link))
            continue
        notebooks = sorted(p for p in where.glob("*.ipynb") if not p.name.startswith("."))
        if not notebooks:
            found.append(Submission(student, str(where), None, [f"no notebook in {where}"]))
            continue
        read = [(p.name, _read_file(student, p, chooser.max_bytes)) for p in notebooks]
        chosen = chooser.choose(student, read)
        chosen.stamp = _timestamp(where / TIMESTAMP)
        found.append(chosen)
    return Discovery(found, _time_warnings(found) + chooser.warnings)


def _timestamp(path: Path) -> Stamp:
    """The time in nbgrader's timestamp.txt (none, and why, if it cannot be had)."""
    what = path.name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return Stamp(None, f"{what} is not a regular file", True)
            raw = f.read(_TIMESTAMP_BYTES + 1)
    except FileNotFoundError:
        return Stamp(None, f"no {TIMESTAMP} beside the notebook")
    except OSError as e:
        return Stamp(None, f"{what} could not be read ({e.strerror})", True)
    if len(raw) > _TIMESTAMP_BYTES:
        return Stamp(None, f"{what} is over {_TIMESTAMP_BYTES} bytes: not a time", True)
    try:
        return Stamp(parse_time(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError) as e:
        return Stamp(None, f"{what} holds no time: {e}", True)


def _time_warnings(found: Iterable[Submission]) -> list[str]:
    """A warning per submission whose time was there but unreadable."""
    return [
        f"{s.student}: {s.stamp.note}: no late penalty can be applied"
        for s in found
        if s.stamp.unreadable
    ]


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


def _read_file(student: str, path: Path, max_bytes: int) -> Submission:
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
                return Submission(student, str(path), None, [too_large(info.st_size, max_bytes)])
            return Submission(student, str(path), f.read(max_bytes + 1))
    except OSError as e:
        return Submission(student, str(path), None, [f"the notebook is unreadable: {e}"])


def _hidden(parts: tuple[str, ...]) -> bool:
    """Checkpoints, dot files and macOS resource forks are not submissions ("." and ".."
    in an archive's member name are harmless: only the name's last part is used)."""
    return any(p.startswith((".", "__MACOSX")) and p not in (".", "..") for p in parts)


def _by_student(
    entries: Iterable[tuple[tuple[str, ...], T, str]], chooser: _Chooser
) -> tuple[dict[str, list[tuple[_Name, T]]], list[Submission]]:
    """Notebooks grouped by the student named in their names, in student order, and a
    refused submission for each without one; an entry is (the parts of its name, the
    notebook, where it is)."""
    by_student: dict[str, list[tuple[_Name, T]]] = {}
    unnamed = []
    places = {}
    for parts, item, where in entries:
        if _hidden(parts):
            continue
        named = _named(parts, chooser.assignment)
        if isinstance(named, str):
            unnamed.append(_refused(_UNNAMED + "/".join(parts), where, f"{where}: {named}"))
            continue
        by_student.setdefault(named.student, []).append((named, item))
        places[id(item)] = where
    merged = _one_prefix(by_student, chooser.assignment)
    if merged:
        unnamed += [
            _refused(_UNNAMED + name.student + "_" + name.file, places[id(item)], merged)
            for entries_ in by_student.values()
            for name, item in entries_
        ]
        return {}, unnamed
    return dict(sorted(by_student.items())), unnamed


def _one_prefix(by_student: Mapping[str, list[tuple[_Name, T]]], assignment: str) -> str:
    """Why a folder or zip cannot be read as one student's (see module doc), "" if it can."""
    if len(by_student) != 1:
        return ""
    ((student, named),) = by_student.items()
    files = {n.file for n, _ in named if n.generic and assignment not in n.file}
    if len(files) < 2:
        return ""
    shown = ", ".join(sorted(files)[:3]) + (", ..." if len(files) > 3 else "")
    return (
        f"every notebook's name starts with {student}_, so all {len(named)} would be one "
        f"student's although the rest of their names differ ({shown}): the names do not "
        f"say whose each is (expected e.g. <id>_{assignment}.ipynb); nothing was merged"
    )


def _from_files(folder: Path, chooser: _Chooser) -> Discovery:
    notebooks, links = [], []
    for root, dirs, files in os.walk(folder):  # links to folders are not followed
        here = Path(root)
        for name in sorted(files) + sorted(d for d in dirs if (here / d).is_symlink()):
            path = here / name
            if path.is_symlink() or name.endswith(".ipynb"):
                (links if path.is_symlink() else notebooks).append(path)
    by_student, unnamed = _by_student(
        ((path.relative_to(folder).parts, path, str(path)) for path in sorted(notebooks)),
        chooser,
    )
    found = [
        chooser.choose(
            student,
            [(n.file, _stamped(_read_file(student, p, chooser.max_bytes), n)) for n, p in paths],
        )
        for student, paths in by_student.items()
    ]
    for path in links:  # a link is refused whatever its name, under the id it names
        parts = path.relative_to(folder).parts
        if not _hidden(parts):
            named = _named(parts, chooser.assignment)
            student = named.student if isinstance(named, _Name) else _UNNAMED + "/".join(parts)
            found.append(_refused(student, str(path), _link(path)))
    return Discovery(_merge(found + unnamed), _time_warnings(found) + chooser.warnings)


def _stamped(sub: Submission, name: _Name) -> Submission:
    """A submission with the time its LMS name gives."""
    sub.stamp = name.stamp
    return sub


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


def _from_zip(archive: Path, chooser: _Chooser) -> Discovery:
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
            chooser,
        )
        found = [
            chooser.choose(
                student,
                [
                    (n.file, _stamped(_read_member(zf, archive, student, i, chooser.max_bytes), n))
                    for n, i in infos
                ],
            )
            for student, infos in by_student.items()
        ]
    warnings += _time_warnings(found) + chooser.warnings
    return Discovery(_merge(found + unnamed), warnings)


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    return PurePosixPath(info.filename.replace("\\", "/")).parts


def _read_member(
    zf: zipfile.ZipFile, archive: Path, student: str, info: zipfile.ZipInfo, max_bytes: int
) -> Submission:
    origin = f"{archive}:{info.filename}"
    if stat.S_ISLNK(info.external_attr >> 16):
        return _refused(student, origin, f"{origin} is a symbolic link: links are not followed")
    if info.file_size > max_bytes:
        return Submission(student, origin, None, [too_large(info.file_size, max_bytes)])
    try:
        with zf.open(info) as member:
            data = member.read(max_bytes + 1)  # the header's size may lie (zip bombs)
    except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as e:
        return Submission(student, origin, None, [f"the archive member is unreadable: {e}"])
    return Submission(student, origin, data)


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
