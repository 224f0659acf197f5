"""The student runtime's fresh environment, shared by the modules that test it
(test_student_runtime.py: the student's machine; test_node_runtime.py: a cluster node,
which adds the node runtime to it)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.student.runtimes import pip, wheel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh environment with the student runtime installed as a student would."""
    folder = tmp_path_factory.mktemp("student-runtime")
    built = wheel("student", folder)
    assert built.name in _readme_command()  # the wheel the README's command installs
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip(venv / "bin" / "python", "install", str(built), cwd=folder)  # not the repository
    return venv


def _readme_command() -> str:
    """The first line of the code block under the README's "### Students" heading."""
    found = re.search(r"^### Students\n+```\n(.+)\n", (ROOT / "README.md").read_text(), re.M)
    assert found, "no install command under the README's ### Students heading"
    return found[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The node runtime's tests last: they add it to the shared environment, which the
    student runtime's tests check as a student's machine (sorted stably, nothing else
    moves)."""
    items.sort(key=lambda item: item.path.name == "test_node_runtime.py")
