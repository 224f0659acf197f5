"""Where a graded class's records are stored, and how: atomically, as sorted JSON.

In a graded class's folder: ``results/<student>.json`` per student (`save`, `read`) and
``summary.json`` (`save_summary`, `read_summary`). A result file that cannot be read as
a current `StudentResult` (malformed, of another format, another student's) is absent:
the batch grades that student again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from optigrade.records.result import StudentResult
from optigrade.records.summary import ClassSummary

RESULTS = "results"  # the folder of the result files
SUMMARY = "summary.json"

_PLAIN = re.compile(r"[a-z0-9_@+-][a-z0-9._@+-]{0,99}")
STEM_CHARS = 100


def file_name(student: str) -> str:
    """A student's result file name: a plain lower-case id as it is; any other id (capitals,
    accents, spaces, quotes, slashes) percent-encoded and followed by a hash of the id, so
    no two ids share a name, even on a case-insensitive disk, and no name is too long."""
    if _PLAIN.fullmatch(student):
        return student + ".json"
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{quote(student, safe='')[:STEM_CHARS]}~{digest}.json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# read once, at import (before any thread starts): os.umask has no read-only form
_MODE = 0o666 & ~_umask()


def as_created(tmp: str) -> None:
    """Give a temporary file the mode `open` would have given it: mkstemp's 0600 would keep
    a feedback page from the student nbgrader's release_feedback hands it to."""
    os.chmod(tmp, _MODE)


def write_atomic(path: Path, text: str) -> None:
    """Write `path` so that a reader (or a killed run) sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    as_created(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def save(folder: Path, result: StudentResult) -> Path:
    path = folder / file_name(result.student)
    write_atomic(path, _text(result.to_json()))
    return path


def read(folder: Path, student: str) -> StudentResult | None:
    """A student's stored result, None if absent or unreadable (then it is graded again)."""
    try:
        found = StudentResult.from_json(
            json.loads((folder / file_name(student)).read_text(encoding="utf-8"))
        )
    except (OSError, ValueError):  # a RecordError is a ValueError
        return None
    return found if found.student == student else None


def save_summary(out: Path, summary: ClassSummary) -> None:
    write_atomic(out / SUMMARY, _text(summary.to_json()))


def read_summary(out: Path) -> ClassSummary:
    """`out`'s summary.json; raises OSError, or ValueError for a file that is not one."""
    return ClassSummary.from_json(json.loads((out / SUMMARY).read_text(encoding="utf-8")))


def points(x: float) -> str:
    """Fixed formatting of points in the CSV tables (the bank's smallest part is 1/8 point)."""
    return f"{x:.3f}"
