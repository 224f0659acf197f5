"""Fixtures shared by the test folders."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

GradeCommand = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def grader_grade() -> GradeCommand:
    """`grader grade ARGS` run in `cwd` by the instructor's installation (this
    interpreter's), as an instructor types it: its completed process."""

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "grader", "grade", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    return run
