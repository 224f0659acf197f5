"""The house by trust, held by import contracts (pyproject.toml's [tool.importlinter]): the
key side (`optigrade`, `reference`) stands on the sandbox (`grader_sandbox`) and the
student's package (`grader`), never the other way; inside it, grading and the exports
stand on the class's records (`optigrade.records`), never on each other; and `grader`
imports nothing only Linux or Unix has. Checked here, so CI runs them; a planted bad
import is caught; the packages the contracts name are exactly what the student and node
wheels ship, whole, and what the sandbox's view masks; and no student-side code calls
what only Linux or Unix has."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grader_sandbox import jail

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONTRACTS = {c["id"]: c for c in CONFIG["tool"]["importlinter"]["contracts"]}
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint(folder: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the packages found in `folder` (its pyproject's contracts)."""
    return subprocess.run(
        [str(LINT_IMPORTS), str(folder / "pyproject.toml"), "--no-cache"],
        cwd=folder,  # import-linter puts the folder first on the path: its copy is analysed
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contracts_are_kept():
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 3 kept, 0 broken." in run.stdout


PACKAGES = ("grader", "grader_sandbox", "optigrade", "reference")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """The contracts run on a copy of the packages with one bad import of each kind."""
    copy = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "pyproject.toml", copy)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("*.pyc"))
    (copy / "grader" / "student" / "leak.py").write_text("from reference import activations\n")
    (copy / "grader" / "compare" / "native.py").write_text("import ctypes\n")
    with (copy / "grader" / "__init__.py").open("a") as init:
        init.write("\nfrom optigrade.assign import key  # noqa\n")
    with (copy / "grader_sandbox" / "runner.py").open("a") as runner:
        runner.write("\nfrom optigrade.bank import forward_pass  # noqa\n")
    with (copy / "optigrade" / "grade" / "batch.py").open("a") as batch:
        batch.write("\nfrom optigrade.export import run  # noqa\n")
    return lint(copy)


@pytest.mark.parametrize(
    "broken",
    [
        "grader.student.leak -> reference.activations",
        "grader.compare.native -> ctypes",
        "grader -> optigrade.assign.key",
        "grader_sandbox.runner -> optigrade.bank.forward_pass",
        "optigrade.grade.batch -> optigrade.export.run",
    ],
)
def test_a_planted_bad_import_breaks_a_contract(planted, broken):
    assert planted.returncode == 1
    assert broken in planted.stdout
    assert "Contracts: 0 kept, 3 broken." in planted.stdout


def _layers() -> list[set[str]]:
    return [{name.strip() for name in layer.split("|")} for layer in CONTRACTS["trust"]["layers"]]


def _wheel_packages(folder: str) -> dict[str, str]:
    config = tomllib.loads((ROOT / folder / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]


def test_the_wheels_ship_the_contracts_packages_whole():
    """No file list anywhere: each wheel is one package of the layers, whole."""
    key, middle, student = _layers()
    assert key == {"optigrade"} and middle == {"reference", "grader_sandbox"}
    assert student == {"grader"}
    assert _wheel_packages("student") == {"../grader": "grader"}
    assert _wheel_packages("node") == {"../grader_sandbox": "grader_sandbox"}
    assert set(CONFIG["tool"]["importlinter"]["root_packages"]) == set(PACKAGES)


def test_the_sandbox_masks_the_key_side_by_package():
    key, middle, student = _layers()
    assert set(jail.KEY_PACKAGES) == key | {"reference"}
    assert set(jail.RUNNER_PACKAGES) == student | (middle - {"reference"})
    assert set(jail.masked()) == {ROOT / "optigrade", ROOT / "reference"}


#: What only Linux or Unix has, by module: attributes student-side code must not use.
UNIX_ONLY = {
    "os": {"fork", "forkpty", "setsid", "setuid", "setgid", "getuid", "geteuid", "killpg"},
    "signal": {"SIGALRM", "SIGKILL", "SIGHUP", "setitimer", "getitimer", "ITIMER_REAL", "alarm"},
}
#: The one exception: the time limit uses SIGALRM where it exists, else its watchdog.
GUARDED = {"grader/compare/timelimit.py": {"SIGALRM", "setitimer", "getitimer", "ITIMER_REAL"}}


def test_no_student_side_code_calls_what_only_unix_has():
    used = []
    for name in sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "grader").rglob("*.py")):
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.attr in UNIX_ONLY.get(node.value.id, ())
                and node.attr not in GUARDED.get(name, ())
            ):
                used.append(f"{name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert used == []


def test_the_course_data_the_notebooks_load_is_reference_datas_to_the_bit():
    """grader.coursedata (student side) holds what reference.data makes, and is
    rewritten from it by `grader assign sync`."""
    from grader import coursedata
    from optigrade.assign import coursedata as written

    for name, content in written.files().items():
        assert (coursedata.HERE / name).read_bytes() == content, name
    X, y = coursedata.synthetic_321()
    assert X.shape == (10_000, 3) and y.shape == (10_000, 1)
    splits = coursedata.iris_splits()
    assert splits[0].columns[0] == "SepalLength" and splits[3].shape == (38, 1)
