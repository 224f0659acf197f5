"""The node runtime (node/pyproject.toml): what a node of `grader grade --cluster` installs,
as docs/CLUSTER.md says, beside the student runtime. Its wheel is the package
`grader_sandbox`, whole, and no file of the student wheel. Installed into the student runtime's
fresh environment (with this interpreter's dask and distributed), it holds no key: no
`reference`, no bank computation, no judge, no batch, no graded answer value in any
installed file. A Dask worker started from that environment alone, outside the repository,
grades a class as the local pool does, byte for byte."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import suppress
from importlib.metadata import version
from pathlib import Path

import pytest

from optigrade.demo.classes import FIXED, NOT_HOSTILE, make_class
from tests.student.runtimes import ROOT, pip, wheel
from tests.student.test_student_runtime import _graded_values, _leaks

NODE = ROOT / "node"
#: What a node must not be able to import: the key, the judge, the batch, the authoring.
KEY = (
    "reference",
    "optigrade.bank.forward_pass",
    "optigrade.bank.slips",
    "optigrade.grade.judge",
    "optigrade.grade.batch",
    "optigrade.grade.pool",
    "optigrade.assign",
)
TABLES = ("grades.csv", "results.jsonl")
DEMO = ("forward-pass", "optimisation")
WORKER_SECONDS = 120  # for the Dask worker to start and join the scheduler


def _force_included(folder: Path) -> dict[str, str]:
    """A wheel's files (in the repository -> in the wheel), from its pyproject's
    force-include, folders listed file by file (Python files only)."""
    config = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    found = {}
    for source, target in included.items():
        path = (folder / source).resolve()
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            inside = Path(target, file.relative_to(path)) if path.is_dir() else Path(target)
            found[file.relative_to(ROOT).as_posix()] = inside.as_posix()
    return found


def test_the_node_wheel_is_the_sandbox_package_whole_and_nothing_of_the_student_wheel():
    node = _force_included(NODE)
    package = {p.relative_to(ROOT).as_posix() for p in (ROOT / "grader_sandbox").rglob("*.py")}
    assert set(node) == package
    assert all(source == inside for source, inside in node.items())  # the same place
    assert not set(node.values()) & set(_force_included(ROOT / "student").values())


# --- the node runtime installed -------------------------------------------------------------


def _env(venv: Path) -> dict[str, str]:
    """This environment but for the repository's and its virtual environment's traces."""
    here = str(Path(sys.executable).parent)
    path = [str(venv / "bin"), *(p for p in os.environ["PATH"].split(os.pathsep) if p != here)]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env | {"PATH": os.pathsep.join(path)}


@pytest.fixture(scope="module")
def node(venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student runtime's environment with the node runtime added, as on a node: the
    node wheel, and the dask and distributed of this interpreter (the client's)."""
    folder = tmp_path_factory.mktemp("node-runtime")
    built = wheel("node", folder)
    pins = [f"{name}=={version(name)}" for name in ("dask", "distributed")]
    # the node has the wheels, not the repository
    pip(venv / "bin" / "python", "install", str(built), *pins, cwd=folder, env=_env(venv))
    return venv


def _completed(argv: list[str], cwd: Path, env: dict[str, str] | None, timeout: float):
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _python(venv: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _completed([str(venv / "bin" / "python"), "-c", code], cwd, _env(venv), 300)


def _grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`grader grade ARGS` of the instructor's installation (this interpreter's)."""
    return _completed([sys.executable, "-m", "optigrade", "grade", *args], cwd, None, 900)


def test_the_node_runtime_holds_no_key(node, tmp_path):
    for module in KEY:
        run = _python(node, f"import {module}", cwd=tmp_path)
        assert run.returncode == 1, module
        assert "ModuleNotFoundError" in run.stderr, module
    run = _python(node, "import grader_sandbox.node, grader_sandbox.runner, distributed", tmp_path)
    assert run.returncode == 0, run.stderr


def _records(site: Path, distribution: str) -> set[str]:
    """The files a distribution installed, by its RECORD (not its metadata, scripts or
    the compiled copies pip made)."""
    (info,) = site.glob(f"{distribution}-*.dist-info")
    names = [line.split(",")[0] for line in (info / "RECORD").read_text().splitlines()]
    packages = ("grader", "grader_sandbox")
    return {n for n in names if n.split("/")[0] in packages and not n.endswith(".pyc")}


def test_the_two_wheels_own_no_file_in_common_and_none_holds_a_graded_value(node):
    (site,) = node.glob("lib/python*/site-packages")
    installed = _records(site, "optigrade_node")
    assert installed == set(_force_included(NODE).values())
    assert not installed & _records(site, "optigrade_student")
    for name in installed:  # the repository's files, as they are
        assert (site / name).read_bytes() == (ROOT / name).read_bytes(), name
    values, _ = _graded_values()
    assert _leaks({name: (site / name).read_text() for name in installed}, values) == []


# --- a Dask worker from the node runtime grades a class -------------------------------------


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A Dask scheduler with no worker of its own, here (the instructor's installation)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def worker(node: Path, scheduler: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `dask worker` of one thread run by the node runtime's environment alone (its own
    folder, no path to the repository), joined to the scheduler: its address."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("node")
    log = (folder / "worker.log").open("w")
    command = [str(node / "bin" / "dask"), "worker", scheduler, "--nthreads", "1"]
    command += ["--nworkers", "1", "--no-dashboard", "--local-directory", str(folder / "dask")]
    process = subprocess.Popen(
        command,
        cwd=folder,
        env=_env(node),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its nanny, worker, runners and bubblewraps: one group
    )
    try:
        with Client(scheduler, set_as_default=False) as client:
            try:
                client.wait_for_workers(1, timeout=WORKER_SECONDS)
            except TimeoutError:
                log.flush()
                pytest.fail(f"no worker joined: {(folder / 'worker.log').read_text()[-3000:]}")
            (address,) = client.scheduler_info()["workers"]
        yield address
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the worker closes, then its nanny
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left
        process.wait(timeout=30)
        log.close()


def _on_the_worker(scheduler: str, address: str) -> dict[str, object]:
    """What the worker at `address` imports, and from where."""
    from distributed import Client

    def where(key: tuple[str, ...]) -> dict[str, object]:  # sent by value: no tests there
        import importlib.util
        import sys

        def _absent(module: str) -> bool:
            try:
                return importlib.util.find_spec(module) is None
            except ModuleNotFoundError:  # its package is not there either
                return True

        import grader_sandbox.node

        return {
            "executable": sys.executable,
            "node": grader_sandbox.node.__file__,
            "missing": [m for m in key if _absent(m)],
            "path": list(sys.path),
            "loaded": sorted(
                (name, str(getattr(m, "__file__", None) or ""))
                for name, m in list(sys.modules.items())
                if name.split(".")[0] in ("grader", "grader_sandbox")
            ),
        }

    with Client(scheduler, set_as_default=False) as client:
        return client.run(where, KEY, workers=[address])[address]


def _inside(path: str, folder: Path) -> bool:
    """Whether `path` is in `folder` (links not followed: a venv's python is one)."""
    return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(folder))


def test_the_worker_runs_from_the_node_runtime_alone(node, scheduler, worker):
    seen = _on_the_worker(scheduler, worker)
    assert _inside(str(seen["executable"]), node)
    assert _inside(str(seen["node"]), node)
    assert seen["missing"] == list(KEY)
    assert not any(p and _inside(p, ROOT) for p in seen["path"])


@pytest.mark.parametrize("assignment", DEMO)
def test_a_node_runtime_worker_grades_the_demo_class_as_the_local_pool(
    assignment, node, scheduler, worker, tmp_path
):
    students = make_class(ROOT, assignment, tmp_path, FIXED + 2, kinds=NOT_HOSTILE)
    common = ["--course", str(ROOT), "--submitted", str(tmp_path / "submitted")]
    common += ["--cell-timeout", "60", "--timeout", "300"]
    on_node = _grade(
        assignment, *common, "--out", str(tmp_path / "node"), "--cluster", scheduler, cwd=tmp_path
    )
    assert on_node.returncode == 0, on_node.stderr
    local = _grade(
        assignment, *common, "--out", str(tmp_path / "local"), "--jobs", "2", cwd=tmp_path
    )
    assert local.returncode == 0, local.stderr
    for name in TABLES:
        assert (tmp_path / "node" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    graded = f"{len(students)} submissions: {len(students)} ran to their end."
    assert graded in on_node.stdout and graded in local.stdout
    rows = (tmp_path / "node" / "grades.csv").read_text().splitlines()
    assert sorted(r.split(",")[0] for r in rows[1:]) == sorted(s.id for s in students)
    mode = "root" if os.geteuid() == 0 else "userns"
    for student in students:  # in the node's sandbox, isolated
        result = json.loads((tmp_path / "node" / "results" / f"{student.id}.json").read_text())
        assert result["isolation"] == mode, student.id
    # the worker ran them with nothing of the key loaded, from its own environment
    seen = _on_the_worker(scheduler, worker)
    assert seen["missing"] == list(KEY)
    loaded = dict(seen["loaded"])
    assert "grader_sandbox.node" in loaded and not set(loaded) & set(KEY)
    assert all(_inside(file, node) for file in loaded.values() if file), loaded
