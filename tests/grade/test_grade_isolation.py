"""The sandbox's protections one by one, each against a control that shows it matters.

The runs fork, so they happen in a fresh interpreter started as a worker is: inside
bubblewrap (`grader_sandbox.jail`), in every mode this machine allows. As root that is
both modes (root drops each child to its own uid; "userns" is what an ordinary account
gets); `.ci/unprivileged` runs this file again as an ordinary user, where it is "userns"
alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.spec import to_spec
from grader_sandbox import jail, sandbox
from optigrade import bank

SCRIPT = textwrap.dedent(
    """
    import base64, json, os, sys
    import tempfile
    from pathlib import Path
    from grader_sandbox.runner import preload
    cells, mode, release, tmp, specs = json.loads(sys.argv[1])
    from grader.student import api
    api.provide(preload(specs))  # as the runner does: grader.score encodes for the specs
    from grader_sandbox import child, isolation, jail, sandbox

    cells = [(i, source, test) for i, (source, test) in enumerate(cells)]
    limits = isolation.Limits(file_bytes=2**20, cell_timeout=60, timeout=120)
    box = sandbox.Sandbox(
        child.make_shell(), limits=limits,
        private_tmp=[*sandbox.PRIVATE_TMP, *map(Path, tmp)],
        jail=mode, uid=isolation.sandbox_uid(0) if mode == "root" else None,
        release={name: base64.b64decode(data) for name, data in release.items()},
        base=None if mode else Path(tempfile.mkdtemp()),
    )
    with box.run(cells) as outcome:
        copied = {p.name: sorted(os.listdir(p)) for p in outcome.records.iterdir()}
        print(json.dumps({"cells": outcome.cells, "protections": outcome.protections,
                          "status": outcome.status, "copied": copied}))
    box.close()
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

FOUND = jail.find()


def _works(mode: str) -> bool:
    return jail.Jail(FOUND.bwrap, mode).probe() is None


#: Every mode this machine allows: as root both (root's, and an ordinary user's).
MODES = [m for m in jail.MODES if (m != "root" or os.geteuid() == 0) and _works(m)]


def run(
    cells: list[tuple[str, bool]],
    course: Path,
    mode: str | None,
    tmp: tuple[str, ...] = (),
    questions: tuple[str, ...] = (),
) -> dict:
    """Run `cells` in a sandbox as a worker in `mode` would (None: not isolated), with
    `questions` given to `grader.score` as the runner gives them (as specs)."""
    release = course / "release"
    release.mkdir(parents=True, exist_ok=True)
    (release / "data.csv").write_text("x,y\n1,2\n")
    packed = jail.pack_release(release)
    specs = [to_spec(bank.get(qid), hidden=True) for qid in questions]
    argv = [sys.executable, "-c", SCRIPT, json.dumps([cells, mode, packed, list(tmp), specs])]
    path = os.pathsep.join(p for p in sys.path if p)
    if mode is not None:
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": path}
        argv = jail.Jail(FOUND.bwrap, mode).command(argv, env, jail.readable([course]))
    found = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert found.returncode == 0, found.stderr[-3000:]
    return json.loads(found.stdout.strip().splitlines()[-1])


def outputs(run_: dict) -> list[str]:
    return [cell.get("output", "").strip() for cell in run_["cells"]]


@pytest.fixture(scope="module", params=MODES)
def isolated(request, tmp_path_factory) -> dict:
    course = tmp_path_factory.mktemp("course")
    secret = course / "solutions" / "answers.txt"
    secret.parent.mkdir()
    secret.write_text("the answers")
    secret.chmod(0o644)
    attempts = [
        f"open({str(secret)!r}).read()",  # the course: not in the view at all
        "open('data.csv').read()",  # the control: the release files are in the working folder
        "assert int(open('/proc/self/status').read().split('CapEff:')[1].split()[0], 16) == 0",
        "import wave",  # a stdlib module nobody imported yet: the interpreter is reachable
        "open('big.bin', 'wb').write(b'x' * 2**21)",  # over the 1 MiB file limit
        "socket.create_connection(('127.0.0.1', 1), timeout=1)",
        "assert os.getpid() == 1",
        KERAS,  # under the default memory limit, unprivileged, without network
        "open('/sandbox/planted', 'w').write('x')",  # outside its own folder: read-only
        "open('/usr/planted', 'w').write('x')",
        "os.system('mount -t tmpfs none /mnt 2>/dev/null') == 0 or 1/0",  # no capabilities
        "assert os.getuid() != 0",  # only as root: a uid of its own
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
    return {"mode": request.param, **run(cells, course, request.param)}


def test_the_course_is_not_in_the_view_while_the_release_files_are(isolated):
    out = outputs(isolated)
    assert out[1] == "BLOCKED FileNotFoundError"
    assert out[2] == "LEAK"


def test_student_code_runs_without_privileges_with_the_interpreter_reachable(isolated):
    out = outputs(isolated)
    assert out[3] == "LEAK"  # no capabilities left
    assert out[4] == "LEAK"
    assert out[11] == "BLOCKED ZeroDivisionError"  # mount(8) failed
    active = isolated["protections"]["active"]
    privileges = "unprivileged-uid" if isolated["mode"] == "root" else "no-capabilities"
    assert privileges in active
    assert out[12] == ("LEAK" if isolated["mode"] == "root" else "BLOCKED AssertionError")
    for name in (*sandbox.child.REQUIRED, "parent-death-signal"):
        assert name in active
    assert isolated["protections"]["missing"] == {}


def test_file_size_network_and_pid_limits(isolated):
    out = outputs(isolated)
    assert out[5] == "BLOCKED OSError"  # EFBIG: the write fails instead of killing
    assert out[6] == "BLOCKED OSError"  # no network, not even the loopback
    assert out[7] == "LEAK"  # PID 1 of its own namespace


def test_nothing_outside_its_own_folders_is_writable(isolated):
    out = outputs(isolated)
    assert out[9] == "BLOCKED OSError"  # read-only file system (or permission denied)
    assert out[10] == "BLOCKED OSError"


def test_keras_with_jax_trains_under_the_default_memory_limit(isolated):
    assert outputs(isolated)[8] == "LEAK"


def test_only_regular_files_are_copied_back(isolated):
    (folder,) = isolated["copied"].values()
    assert folder == ["act.1.json"]  # the symlink and the FIFO stay behind


def test_without_isolation_the_missing_protections_are_recorded(tmp_path):
    found = run([("import os\nprint(os.getpid() == 1)", False)], tmp_path, mode=None)
    assert found["status"] == "completed"
    assert outputs(found) == ["False"]
    missing = found["protections"]["missing"]
    for name in ("network", "pid", "mount", "unprivileged-uid"):
        assert missing[name] == "not isolated (--trust-submissions)"
    assert "filesystem-view" not in found["protections"]["active"]


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


@pytest.mark.parametrize("mode", MODES)
def test_an_installation_under_a_private_temporary_folder_stays_importable(mode, tmp_path):
    """A checkout (and its virtual environment) under /tmp must survive the private /tmp:
    a package nobody imported yet still loads, and grading still records answers."""
    tmp = str(Path(sys.prefix).parent)  # treated as a shared temporary folder, as /tmp is
    found = run(
        [
            ("import sklearn.metrics\nprint('imported', sklearn.__name__)", False),
            ("import grader\ngrader.score('fp.1.1', [[3.0], [3.0]])", True),
            (RECORDED, False),  # what grader.score does, with its exceptions shown
        ],
        tmp_path,
        mode,
        (tmp,),
        ("fp.1.1",),
    )
    assert found["status"] == "completed", found
    assert outputs(found)[0] == "imported sklearn"
    assert "private-tmp" in found["protections"]["active"]
    assert outputs(found)[2] == "recorded", outputs(found)[2]
    (folder,) = found["copied"].values()
    assert "fp.1.1.json" in folder, outputs(found)  # recorded (with its array beside it)


#: grader.score's recording, step by step, printing what fails (grader.score never raises).
RECORDED = """import tempfile, traceback
try:
    from grader.compare.wire import dump
    from grader.engine import encode
    from grader.student import api
    with tempfile.TemporaryDirectory() as folder:
        dump(encode(api._question('fp.1.1'), [[3.0], [3.0]], False), folder, 'fp.1.1')
    print('recorded')
except Exception:
    print(traceback.format_exc()[-1500:])"""


def test_every_mode_this_machine_allows_is_tested():
    assert MODES, "no isolation mode works here"
    assert (["root", "userns"] if os.geteuid() == 0 else ["userns"]) == MODES
