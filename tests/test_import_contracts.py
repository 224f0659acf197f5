"""The trust boundary held by import contracts (pyproject.toml's [tool.importlinter]): the
student side imports no answer key, no trusted room and nothing Linux-only; the sandbox
runner imports no key. Checked here, so CI runs them; a planted bad import is caught; the
student side is the same in the contract, the student runtime's wheel and the sandbox's
view; and no student-side code calls what only Linux or Unix has."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grader.grade import jail

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONTRACTS = {c["id"]: c for c in CONFIG["tool"]["importlinter"]["contracts"]}
STUDENT_WHEEL = tomllib.loads((ROOT / "student" / "pyproject.toml").read_text(encoding="utf-8"))
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint(folder: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the packages found in `folder` (its pyproject's contracts)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(folder / "pyproject.toml"), "--no-cache"],
        cwd=folder,  # import-linter puts the folder first on the path: its copy is analysed
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contracts_are_kept():
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 2 kept, 0 broken." in run.stdout


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """The contracts run on a copy of the packages with one bad import of each kind."""
    copy = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "pyproject.toml", copy)
    for package in ("grader", "reference"):
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("*.pyc"))
    (copy / "grader" / "student" / "leak.py").write_text("from reference import activations\n")
    (copy / "grader" / "compare" / "native.py").write_text("import ctypes\n")
    with (copy / "grader" / "__init__.py").open("a") as init:
        init.write("\nfrom grader.assign import key  # noqa\n")
    with (copy / "grader" / "grade" / "runner.py").open("a") as runner:
        runner.write("\nfrom grader.bank import forward_pass  # noqa\n")
    return lint(copy)


@pytest.mark.parametrize(
    "broken",
    [
        "grader.student.leak is not allowed to import reference",
        "grader.compare.native is not allowed to import ctypes",
        "grader is not allowed to import grader.assign",
        "grader.grade.runner is not allowed to import grader.bank.forward_pass",
    ],
)
def test_a_planted_bad_import_breaks_a_contract(planted, broken):
    assert planted.returncode == 1
    assert broken in planted.stdout
    assert "Contracts: 0 kept, 2 broken." in planted.stdout


def _module_files(patterns: list[str]) -> set[str]:
    """The files of the contract's module expressions (`.**`: the package's modules)."""
    found = set()
    for pattern in patterns:
        path = ROOT / pattern.removesuffix(".**").replace(".", "/")
        if pattern.endswith(".**"):
            found |= {p.relative_to(ROOT).as_posix() for p in path.rglob("*.py")}
        elif path.is_dir():
            found.add(f"{path.relative_to(ROOT).as_posix()}/__init__.py")
        else:
            found.add(f"{path.relative_to(ROOT).as_posix()}.py")
    return found


STUDENT_SIDE = _module_files(CONTRACTS["student-side"]["source_modules"])


def _wheel_files() -> set[str]:
    included = STUDENT_WHEEL["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    found = set()
    for source in included:
        path = (ROOT / "student" / source).resolve()
        files = path.rglob("*.py") if path.is_dir() else [path]
        found |= {p.relative_to(ROOT).as_posix() for p in files}
    return found


def test_the_student_side_is_one_list_in_the_contract_the_wheel_and_the_sandbox():
    assert _wheel_files() == STUDENT_SIDE
    bank = {p.name for p in (ROOT / "grader" / "bank").glob("*.py")}
    student_bank = {Path(f).name for f in STUDENT_SIDE if f.startswith("grader/bank/")}
    assert student_bank == set(jail.STUDENT_SIDE_OF_THE_BANK)
    # every other module of the bank is a computation both contracts forbid
    computations = {f"grader.bank.{name.removesuffix('.py')}" for name in bank - student_bank}
    for contract in CONTRACTS.values():
        assert computations <= set(contract["forbidden_modules"]), contract["id"]


#: What only Linux or Unix has, by module: attributes student-side code must not use.
UNIX_ONLY = {
    "os": {"fork", "forkpty", "setsid", "setuid", "setgid", "getuid", "geteuid", "killpg"},
    "signal": {"SIGALRM", "SIGKILL", "SIGHUP", "setitimer", "getitimer", "ITIMER_REAL", "alarm"},
}
#: The one exception: the time limit uses SIGALRM where it exists, else its watchdog.
GUARDED = {"grader/compare/timelimit.py": {"SIGALRM", "setitimer", "getitimer", "ITIMER_REAL"}}


def test_no_student_side_code_calls_what_only_unix_has():
    used = []
    for name in sorted(STUDENT_SIDE):
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
    from grader.assign import coursedata as written

    for name, content in written.files().items():
        assert (coursedata.HERE / name).read_bytes() == content, name
    X, y = coursedata.synthetic_321()
    assert X.shape == (10_000, 3) and y.shape == (10_000, 1)
    splits = coursedata.iris_splits()
    assert splits[0].columns[0] == "SepalLength" and splits[3].shape == (38, 1)
