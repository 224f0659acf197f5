"""The sandbox's protections one by one, each against a control that shows it matters.

The runs fork, so they happen in a fresh interpreter (a subprocess), as in a worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from grader.grade import isolation, sandbox

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="dropping to an unprivileged uid and mounting need root"
)

SCRIPT = textwrap.dedent(
    """
    import json, os, shutil, sys, tempfile
    from pathlib import Path
    from grader.grade.worker import preload
    preload("forward-pass")
    from grader.grade import child, isolation, sandbox

    base = Path(tempfile.mkdtemp(prefix="optigrade-test-"))
    base.chmod(0o755)
    for name in ("secret", "public"):
        (base / name).mkdir(mode=0o755)
        (base / name / "file.txt").write_text(name)
        (base / name / "file.txt").chmod(0o644)
    cells = [(i, source.replace("BASE", str(base)), test)
             for i, (source, test) in enumerate(json.loads(sys.argv[1]))]
    limits = isolation.Limits(file_bytes=2**20, cell_timeout=60, timeout=120)
    # "installed-in-tmp": the folder holding this Python installation is treated as a
    # shared temporary folder (as a checkout under /tmp is), so a private tmpfs covers it
    tmp = (Path(sys.prefix).parent,) if sys.argv[2] == "installed-in-tmp" else ()
    box = sandbox.Sandbox(child.make_shell(), limits=limits, hidden=[base / "secret"],
                          private_tmp=tmp, isolate=sys.argv[2] != "plain",
                          uid=isolation.sandbox_uid(0) if sys.argv[2] != "plain" else None)
    with box.run(cells) as outcome:
        copied = {p.name: sorted(os.listdir(p)) for p in outcome.records.iterdir()}
        print(json.dumps({"cells": outcome.cells, "protections": outcome.protections,
                          "status": outcome.status, "copied": copied}))
    box.close()
    shutil.rmtree(base)
    """
)

PROBE = """try:
    {attempt}
    print('LEAK')
except Exception as e:
    print('BLOCKED', type(e).__name__)"""


KERAS = (
    "import keras, numpy\n"
    "    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
    "    model.compile(optimizer='adam', loss='mse')\n"
    "    model.fit(numpy.ones((8, 3)), numpy.ones((8, 1)), epochs=2, verbose=0)\n"
    "    assert keras.backend.backend() == 'jax'"
)


def run(cells: list[tuple[str, bool]], mode: str = "isolate") -> dict:
    found = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(cells), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(found.stdout.strip().splitlines()[-1])


def outputs(run_: dict) -> list[str]:
    return [cell.get("output", "").strip() for cell in run_["cells"]]


@pytest.fixture(scope="module")
def isolated() -> dict:
    attempts = [
        "open('BASE/secret/file.txt').read()",  # hidden by a mount
        "open('BASE/public/file.txt').read()",  # the control: same permissions, not hidden
        "assert os.getuid() != 0 and os.getgid() != 0",
        "import wave",  # a stdlib module nobody imported yet: the interpreter is reachable
        "open('big.bin', 'wb').write(b'x' * 2**21)",  # over the 1 MiB file limit
        "socket.create_connection(('127.0.0.1', 1), timeout=1)",
        "assert os.getpid() == 1",
        KERAS,  # under the default memory limit, unprivileged, without network
    ]
    cells = [("import os, socket", False)]
    cells += [(PROBE.format(attempt=a), False) for a in attempts]
    plant = (
        "import grader.student.api as api\n"
        "folder = api._recording\nfolder.mkdir(parents=True, exist_ok=True)\n"
        "os.symlink('/etc/passwd', folder / 'fp.1.1.json')\n"
        "os.mkfifo(folder / 'fp.2.1.json')\n"
        "(folder / 'act.1.json').write_text('{}')"
    )
    cells.append((plant, True))
    return run(cells)


def test_a_hidden_folder_is_unreadable_while_a_like_one_is_readable(isolated):
    out = outputs(isolated)
    assert out[1] == "BLOCKED FileNotFoundError"
    assert out[2] == "LEAK"


def test_student_code_runs_unprivileged_with_the_interpreter_reachable(isolated):
    out = outputs(isolated)
    assert out[3] == "LEAK"
    assert out[4] == "LEAK"
    assert "unprivileged-uid" in isolated["protections"]["active"]
    assert "private-parents" in isolated["protections"]["active"]


def test_file_size_network_and_pid_limits(isolated):
    out = outputs(isolated)
    assert out[5] == "BLOCKED OSError"  # EFBIG: the write fails instead of killing
    assert out[6] == "BLOCKED OSError"  # no network, not even the loopback
    assert out[7] == "LEAK"  # PID 1 of its own namespace


def test_keras_with_jax_trains_under_the_default_memory_limit(isolated):
    assert outputs(isolated)[8] == "LEAK"
    assert isolation.Limits().memory_mb == 2048


def test_only_regular_files_are_copied_back(isolated):
    (folder,) = isolated["copied"].values()
    assert folder == ["act.1.json"]  # the symlink and the FIFO stay behind


def test_without_isolation_the_missing_protections_are_recorded():
    found = run([("import os\nprint(os.getpid() == 1)", False)], mode="plain")
    assert found["status"] == "completed"
    assert outputs(found) == ["False"]
    missing = found["protections"]["missing"]
    for name in ("network", "pid", "hidden-folders", "unprivileged-uid"):
        assert name in missing
    assert "network" not in found["protections"]["active"]


def test_the_cell_log_is_read_as_untrusted_data(tmp_path):
    log = tmp_path / "cells.jsonl"
    lines = [
        {"event": "start", "cell": 0},
        {"event": "end", "cell": 0, "status": "ok", "seconds": 0.5, "output": "x" * 10**5},
        "not an object",
        {"event": "end", "cell": "1", "status": "ok"},
        {"event": "end", "cell": 2, "status": ["odd"], "forks": True, "message": 7},
        {"event": "start", "cell": 3},
    ]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken json\n")
    fd = os.open(log, os.O_RDONLY)
    try:
        cells, done = sandbox._read_log(fd)
    finally:
        os.close(fd)
    assert done is None
    assert [c["cell"] for c in cells] == [0, 2, 3]
    assert cells[0]["status"] == "ok" and len(cells[0]["output"]) < 3000
    assert cells[1] == {"cell": 2, "status": "error"}  # wrong types dropped
    assert cells[2] == {"cell": 3}  # started, never ended


def test_without_a_pid_namespace_every_process_of_the_sandbox_uid_is_killed():
    uid = isolation.sandbox_uid(7)
    daemon = subprocess.Popen(["sleep", "1000"], user=uid, group=uid, start_new_session=True)
    bystander = subprocess.Popen(["sleep", "1000"])
    try:
        isolation.kill_uid(uid)
        assert daemon.wait(timeout=10) == -9
        assert bystander.poll() is None  # another uid's process is untouched
    finally:
        for process in (daemon, bystander):
            process.kill()
            process.wait()


def test_an_installation_under_a_private_temporary_folder_stays_importable():
    """A checkout (and its virtual environment) under /tmp must survive the private /tmp:
    a package nobody imported yet still loads, and grading still records answers."""
    found = run(
        [
            ("import sklearn.metrics\nprint('imported', sklearn.__name__)", False),
            ("import grader\ngrader.score('fp.1.1', [[3.0], [3.0]])", True),
        ],
        mode="installed-in-tmp",
    )
    assert found["status"] == "completed", found
    assert outputs(found)[0] == "imported sklearn"
    assert "private-tmp" in found["protections"]["active"]
    (folder,) = found["copied"].values()
    assert "fp.1.1.json" in folder  # the answer was recorded (with its array beside it)
