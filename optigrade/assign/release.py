"""Generate `release/` and `solutions/` with the real nbgrader, and detect drift.

nbgrader writes its gradebook next to `nbgrader_config.py`; generation for a drift check
runs in a temporary copy of the course so the instructor's gradebook is never touched. The
students' files of a release with a roster (`variants/`) are not compared: they are drawn
from the course secret, not from exercises/ (the leak scan reads them).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.student.identity import VARIANTS
from optigrade.assign import seal, secrets

OUTPUTS = ("release", "solutions")


def nbgrader(course: Path, *args: str) -> None:
    """Run one nbgrader command in the course directory; raise with its log on failure."""
    # nbgrader runs the `alembic` executable installed beside it, found through PATH
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def generate(course: Path, assignment: str) -> None:
    """(Re)generate release/<assignment> and solutions/<assignment> from exercises/, and
    the sealed key beside the release notebook (`optigrade.assign.seal`)."""
    nbgrader(course, "generate_assignment", assignment, "--force")
    nbgrader(course, "generate_solution", assignment, "--force")
    seal.write(course, course / "release", assignment)


def copy_course(course: Path, into: Path, solutions_of: str | None = None) -> Path:
    """What nbgrader generates from (the sources and the config) copied into `into`, with
    the committed solutions of one assignment when asked (tests submit them)."""
    shutil.copytree(course / "exercises", into / "exercises")
    shutil.copy2(course / "nbgrader_config.py", into / "nbgrader_config.py")
    if secrets.path(course).is_file():  # the salts the release was sealed with
        shutil.copy2(secrets.path(course), secrets.path(into))
    if solutions_of is not None:
        shutil.copytree(course / "solutions" / solutions_of, into / "solutions" / solutions_of)
    return into


def _differences(expected: Path, actual: Path, prefix: str) -> list[str]:
    """Files that differ, are missing or are extra, comparing file contents."""
    if not actual.is_dir():
        return [f"{prefix}: missing"]
    compared = filecmp.dircmp(expected, actual, ignore=[*filecmp.DEFAULT_IGNORES, VARIANTS])
    found = [f"{prefix}/{name}: missing" for name in compared.left_only]
    found += [f"{prefix}/{name}: not generated from exercises/" for name in compared.right_only]
    _, mismatch, errors = filecmp.cmpfiles(expected, actual, compared.common_files, shallow=False)
    found += [f"{prefix}/{name}: differs from a fresh generation" for name in mismatch + errors]
    for name in compared.common_dirs:
        found += _differences(expected / name, actual / name, f"{prefix}/{name}")
    return found


def drift(course: Path, assignment: str) -> list[str]:
    """How the committed release/ and solutions/ differ from what nbgrader generates now."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = copy_course(course, Path(tmp))
        generate(fresh, assignment)
        found: list[str] = []
        for folder in OUTPUTS:
            found += _differences(
                fresh / folder / assignment, course / folder / assignment, f"{folder}/{assignment}"
            )
        return found
