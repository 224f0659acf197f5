"""One batch with hostile and broken submissions: each gets a specific reason and a
score, the sandbox holds, and the rest of the class is graded normally."""

from __future__ import annotations

import json
import os
import socket
import textwrap
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from grader.vocabulary import GRADED
from optigrade.records.repairs import Repair

SLEEPER = "987654"  # the double-forked daemon's argument, to find it in /proc
TOKEN = f"optigrade-escape-{os.getpid()}"
LATIN1 = '{"nbformat": 4, "cells": [], "metadata": {"author": "Ren\xe9"}}'.encode("latin-1")


def code(text: str) -> str:
    return textwrap.dedent(text).strip()


LOOP = "while True:\n    pass"
SWALLOW = code(
    """
    import time
    while True:
        try:
            time.sleep(5)
        except BaseException:
            pass
    """
)
MEMORY_BOMB = "blocks = []\nwhile True:\n    blocks.append(np.empty(2**24))"
FORKS = code(
    f"""
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "{SLEEPER}"])
        os._exit(0)
    for _ in range(3):
        if os.fork() == 0:
            time.sleep(1000)
    """
)
PATCH_NUMPY_AND_BUILTINS = (
    "np.allclose = np.isclose = np.array_equal = lambda *a, **k: True\n"
    "import builtins\nbuiltins.abs = builtins.all = lambda *a, **k: True"
)
PRINT_50MB = "for epoch in range(50):\n    print('loss ' * 200_000)  # 1 MB a line\n"
SNOOP = code(
    """
    import os
    seen = []
    for p in os.listdir('/proc'):
        for name in ('cmdline', 'environ', 'mountinfo', 'maps'):
            try:
                seen.append(open(f'/proc/{p}/{name}', 'rb').read().decode(errors='replace'))
            except OSError:
                pass
        for name in ('cwd', 'root', 'exe'):
            try:
                seen.append(os.readlink(f'/proc/{p}/{name}'))
            except OSError:
                pass
    print('SNOOPED', len(seen), 'texts')
    print('FOUND' if any(COURSE in t for t in seen) else 'NOT-FOUND')
    """
)


def probes(*attempts: tuple[str, str]) -> str:
    """Student code printing LEAK:<label> for each attempt that succeeds, BLOCKED:<label>
    for each that fails."""
    lines = ["import os, socket"]
    for label, attempt in attempts:
        lines += [
            "try:",
            f"    {attempt}",
            f"    print('LEAK:{label}')",
            "except Exception as e:",
            f"    print('BLOCKED:{label}', type(e).__name__)",
        ]
    return "\n".join(lines)


def _tamper(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "fp-1-1":
            cell.source = "print(1.0)  # full marks, surely"


def _other_kernel(nb: nbformat.NotebookNode) -> None:
    nb.metadata["kernelspec"] = {"name": "ir", "language": "R", "display_name": "R"}


def submit_contained(c, kit) -> None:
    """The hostile kinds whose code names no path of the course (the cluster's test grades
    them too, into other output folders), with a good and a wrong submission."""
    first, second = kit.gid("fp.1.1"), kit.gid("fp.2.1")
    c.submit("good")
    c.submit("wrong", {q: kit.wrong(q) for q in kit.questions})
    c.submit("loop", after={first: LOOP})
    c.submit("swallow", after={second: SWALLOW})
    c.submit("memory", after={first: MEMORY_BOMB})
    c.submit("osexit", after={second: "import os\nos._exit(3)"})
    c.submit("sysexit", after={first: "import sys\nsys.exit(1)"})
    c.submit("segfault", after={second: "import ctypes\nctypes.string_at(0)"})
    c.submit("forker", after={first: FORKS})
    c.submit("patcher", before={first: "grader.score = lambda *args, **kwargs: 1.0"})
    c.submit("deep-patcher", {"fp.1.1": kit.wrong("fp.1.1")}, before={first: DEEP_PATCH})
    c.submit(
        "allclose",
        {q: kit.wrong(q) for q in kit.questions},
        before={first: PATCH_NUMPY_AND_BUILTINS},
    )
    c.submit("editor", {"fp.1.1": kit.wrong("fp.1.1")}, drop=(second,), edit=_tamper)


@pytest.fixture(scope="module")
def graded(module_course, kit):
    c = module_course
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    port = server.getsockname()[1]
    first, second = kit.gid("fp.1.1"), kit.gid("fp.2.1")
    good_notebook = c.submitted / "good" / "forward-pass" / "forward-pass.ipynb"

    submit_contained(c, kit)
    writes = probes(
        ("tmp", f"open('/tmp/{TOKEN}', 'w').write('x')"),
        ("parent", "open('../escape.txt', 'w').write('x')"),
        ("out", f"open({str(c.out / 'escape.txt')!r}, 'w').write('x')"),
        ("own-folder", f"open({str(c.submitted / 'writer' / 'escape.txt')!r}, 'w').write('x')"),
        ("cwd", "open('mine.txt', 'w').write('x'); assert open('data.csv').read()"),
    )
    c.submit("writer", after={first: writes})
    reads = probes(
        ("notebook", f"open({str(good_notebook)!r}).read()"),
        ("listing", f"assert os.listdir({str(c.submitted)!r})"),
        ("results", f"assert os.listdir({str(c.out / 'results')!r})"),
        ("sandboxes", f"assert len(os.listdir({str(c.out / '.sandbox')!r})) > 1"),
        ("source", f"assert os.listdir({str(c.source)!r})"),
        ("other-processes", "assert [p for p in os.listdir('/proc') if p.isdigit() and p != '1']"),
    )
    c.submit("reader", after={first: reads})
    connect = probes(("tcp", f"socket.create_connection(('127.0.0.1', {port}), timeout=2)"))
    c.submit("network", after={first: connect})
    c.submit(
        "printer",
        {"fp.1.1": PRINT_50MB + kit.right("fp.1.1")},
        before={second: "print('\\ud800 caf\\xe9')"},
    )
    c.submit("snooper", after={first: SNOOP.replace("COURSE", repr(str(c.root)))})
    grader_pid = os.getpid()  # the batch: in another PID namespace, so out of reach
    c.submit(
        "attacker",
        after={
            first: probes(
                ("signal", f"os.kill({grader_pid}, 0)"),
                ("ptrace", f"assert ctypes.CDLL(None).ptrace(16, {grader_pid}, 0, 0) == 0"),
                ("parent", "assert os.getppid() != 0"),
                ("gradebook", f"open({str(c.root / 'gradebook.db')!r}, 'a').write('x')"),
                ("result", f"open({str(c.out / 'results' / 'good.json')!r}, 'a').write('x')"),
                ("delete", f"os.remove({str(c.source / 'forward-pass' / 'forward-pass.ipynb')!r})"),
                ("var-tmp", f"open('/var/tmp/{TOKEN}', 'w').write('x')"),
                ("dev-shm", f"open('/dev/shm/{TOKEN}', 'w').write('x')"),
                ("home", f"open({str(Path.home() / TOKEN)!r}, 'w').write('x')"),
            ).replace("import os, socket", "import os, socket, ctypes")
        },
        before={second: "import os, signal\nos.kill(-1, signal.SIGKILL)"},
    )
    c.submit("malformed", raw=b'{"cells": [')
    c.submit("latin1", raw=LATIN1)
    version5 = {"nbformat": 5, "nbformat_minor": 0, "cells": [], "metadata": {}}
    c.submit("version5", raw=json.dumps(version5).encode())
    (c.submitted / "missing" / "forward-pass").mkdir(parents=True)
    c.submit("kernel", edit=_other_kernel)

    (c.root / "gradebook.db").write_bytes(b"nbgrader's gradebook")
    before = _course_files(c)
    summary = c.grade(jobs=2, cell_timeout=1.5, timeout=6.0, memory_mb=1024)
    try:
        server.accept()
        connected = True
    except BlockingIOError:
        connected = False
    server.close()
    after = _course_files(c)
    return SimpleNamespace(course=c, summary=summary, connected=connected, files=(before, after))


def _course_files(c) -> dict[str, bytes]:
    """Every file of the course but the grader's output, with its bytes."""
    return {
        str(p): p.read_bytes()
        for p in sorted(c.root.rglob("*"))
        if p.is_file() and c.out not in p.parents
    }


def _output(result: dict) -> str:
    return "\n".join(cell.get("output", "") for cell in result["cells"])


def _cells(result: dict, status: str) -> list[dict]:
    return [cell for cell in result["cells"] if cell.get("status") == status]


def test_the_class_is_graded_and_every_student_has_a_result(graded, kit):
    c, summary = graded.course, graded.summary
    assert sorted(summary.students) == sorted(p.name for p in c.submitted.iterdir())
    assert c.scores("good") == kit.full
    assert c.result("good")["status"] == "graded"
    assert c.scores("wrong") == dict.fromkeys(kit.questions, 0.0)
    csv = (c.out / "grades.csv").read_text().splitlines()
    assert csv[0] == "student_id,fp.1.1,fp.2.1,act.1,out.1,total,max"
    assert len(csv) == 1 + len(summary.students)
    assert "good,1.000,1.000,2.000,2.000,6.000,6.000" in csv


def test_the_sandbox_reports_its_protections(graded):
    from grader_sandbox.child import REQUIRED

    result = graded.course.result("good")
    active = result["protections"]["active"]
    for name in REQUIRED:
        assert name in active
    assert ("unprivileged-uid" if os.geteuid() == 0 else "no-capabilities") in active
    assert result["isolation"] == ("root" if os.geteuid() == 0 else "userns")


def test_an_infinite_loop_is_interrupted_and_later_cells_still_score(graded, kit):
    result = graded.course.result("loop")
    assert [c["message"] for c in _cells(result, "timeout")] == ["stopped after 1.5 s"]
    assert graded.course.scores("loop") == kit.full
    assert result["status"] == "graded"


def test_a_loop_that_swallows_the_interrupt_hits_the_submission_limit(graded, kit):
    result = graded.course.result("swallow")
    assert result["status"] == "timeout"
    assert "6 s, the limit for a whole submission" in result["reason"]
    scores = graded.course.scores("swallow")
    assert scores["fp.1.1"] == scores["fp.2.1"] == 1.0  # recorded before the limit
    statuses = {q["id"]: q["status"] for q in result["questions"]}
    assert statuses["act.1"] == statuses["out.1"] == "not run"
    assert "swallow" in graded.summary.failed


def test_a_memory_bomb_ends_with_a_memory_error_and_the_rest_runs(graded, kit):
    result = graded.course.result("memory")
    (bomb,) = _cells(result, "memory")
    assert "memory limit of 1024 MiB" in bomb["message"]
    assert graded.course.scores("memory") == kit.full


def test_os_exit_ends_the_run_but_earlier_answers_count(graded):
    result = graded.course.result("osexit")
    assert result["status"] == "exited"
    assert "exited with code 3" in result["reason"]
    assert "later cells did not run" in result["reason"]
    assert graded.course.scores("osexit") == {"fp.1.1": 1.0, "fp.2.1": 1.0, "act.1": 0, "out.1": 0}
    message = next(q["message"] for q in result["questions"] if q["id"] == "act.1")
    assert message.startswith("the test cell did not run: the notebook's process exited")


def test_sys_exit_is_ignored_as_in_jupyter(graded, kit):
    result = graded.course.result("sysexit")
    (cell,) = _cells(result, "exit")
    assert "exit(1) called" in cell["message"]
    assert graded.course.scores("sysexit") == kit.full


def test_a_segfault_is_reported_as_a_crash(graded):
    result = graded.course.result("segfault")
    assert result["status"] == "crashed"
    assert "segmentation fault" in result["reason"]
    assert graded.course.scores("segfault") == {
        "fp.1.1": 1.0,
        "fp.2.1": 1.0,
        "act.1": 0,
        "out.1": 0,
    }


def _alive(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in entry.joinpath("cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_forked_processes_are_reported_and_killed(graded, kit):
    result = graded.course.result("forker")
    forked = [c for c in result["cells"] if c.get("forks")]
    assert forked and forked[0]["forks"] >= 4
    assert result["leftover"] >= 4  # the sleepers, killed with the namespace
    assert graded.course.scores("forker") == kit.full
    assert _alive(f"sleep {SLEEPER}") == []


DEEP_PATCH = """\
import types
import grader.student.api as api

api.score = lambda *args, **kwargs: 1.0
grader = types.SimpleNamespace(score=lambda *args, **kwargs: 1.0, check=print)
"""


def test_replacing_grader_score_changes_nothing_and_is_flagged(graded, kit):
    """The policy (README, feedback page, report): the real grader.score is put back for
    each test cell, the answers are graded as they are, and the question whose test cell
    met the replacement is flagged."""
    result = graded.course.result("patcher")
    assert {q["status"] for q in result["questions"]} <= set(GRADED)  # recorded, graded
    assert "grader.score" in result["questions"][0]["restored"]
    deep = graded.course.result("deep-patcher")
    assert graded.course.scores("deep-patcher")["fp.1.1"] == 0.0  # its wrong answer, graded
    assert {q["status"] for q in deep["questions"]} <= set(GRADED)
    assert deep["questions"][0]["restored"] == "grader, grader.student.api.score"


def test_monkeypatching_numpy_or_builtins_changes_nothing_in_the_grader(graded, kit):
    assert graded.course.scores("allclose") == dict.fromkeys(kit.questions, 0.0)
    entries = graded.course.result("allclose")["questions"]
    assert all("result" in q for q in entries)  # every answer recorded and graded: wrong
    assert {q["status"] for q in entries} <= {"incorrect", "unusable"}


def test_edited_and_deleted_test_cells_are_restored(graded):
    result = graded.course.result("editor")
    assert graded.course.scores("editor") == {
        "fp.1.1": 0.0,
        "fp.2.1": 1.0,
        "act.1": 2.0,
        "out.1": 2.0,
    }
    notes = [str(Repair.from_json(r)) for r in result["repairs"]]
    assert "the test cell of fp.1.1 was edited: the original was restored" in notes
    assert "the test cell of fp.2.1 was missing: it was put back" in notes
    assert "full marks, surely" not in _output(result)


def test_writes_outside_the_working_directory_do_not_land(graded):
    c = graded.course
    output = _output(c.result("writer"))
    for label in ("parent", "out", "own-folder"):
        assert f"BLOCKED:{label}" in output
    assert "LEAK:cwd" in output  # its own folder is writable and holds the release files
    assert not Path(f"/tmp/{TOKEN}").exists()  # it went to a private /tmp
    assert not (c.out / "escape.txt").exists()
    assert not (c.submitted / "writer" / "escape.txt").exists()


def test_other_students_and_course_folders_are_unreadable(graded):
    output = _output(graded.course.result("reader"))
    for label in ("notebook", "listing", "results", "sandboxes", "source", "other-processes"):
        assert f"BLOCKED:{label}" in output, output
    assert "LEAK" not in output


def test_network_access_fails(graded):
    output = _output(graded.course.result("network"))
    assert "BLOCKED:tcp" in output
    assert not graded.connected


def test_output_over_the_cap_is_dropped_and_the_answer_after_it_counts(graded, kit):
    result = graded.course.result("printer")
    (cell,) = [c for c in result["cells"] if c.get("dropped")]
    assert cell["status"] == "ok"
    assert cell["dropped"] == 50 * 1_000_001 - 1_000_000  # all but the cap, counted
    assert "[output cut off: this cell printed 50.0 MB" in cell["output"]
    assert len(result["output"]) < 20_000
    assert graded.course.scores("printer") == kit.full  # the answer after the printing
    page = (graded.course.out / "feedback" / "printer.html").read_text()
    assert "printed 49.0 MB more than the output limit: that output was dropped" in page
    assert "? café" in _output(result)  # a lone surrogate printed: replaced, not fatal


def test_proc_shows_nothing_of_the_course(graded):
    output = _output(graded.course.result("snooper"))
    assert "SNOOPED" in output and "NOT-FOUND" in output, output


def test_the_grader_cannot_be_signalled_traced_or_written_to(graded, kit):
    c = graded.course
    output = _output(c.result("attacker"))
    for label in ("signal", "ptrace", "parent", "gradebook", "result", "delete"):
        assert f"BLOCKED:{label}" in output, output
    assert c.scores("attacker") == kit.full  # kill(-1) reached nothing but its own
    assert c.scores("good") == kit.full  # every other result intact
    assert json.loads((c.out / "results" / "good.json").read_text())["student"] == "good"


def test_the_course_is_byte_identical_after_grading(graded):
    before, after = graded.files
    assert before == after
    assert any(name.endswith("gradebook.db") for name in after)


def test_nothing_is_left_in_shared_temporary_folders_or_the_home(graded):
    output = _output(graded.course.result("attacker"))
    for label in ("var-tmp", "dev-shm", "home"):
        assert f"LEAK:{label}" in output or f"BLOCKED:{label}" in output
    for folder in (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path.home()):
        assert not (folder / TOKEN).exists(), folder


@pytest.mark.parametrize(
    ("student", "status", "reason"),
    [
        (
            "malformed",
            "unreadable",
            "the notebook is not valid JSON (Expecting value: line 1, column 12)",
        ),
        (
            "latin1",
            "unreadable",
            f"the notebook is not UTF-8 text (byte 0xe9 at offset {LATIN1.index(0xE9)})",
        ),
        (
            "version5",
            "unreadable",
            "unsupported notebook format version 5 (Jupyter writes version 4)",
        ),
        ("missing", "no notebook", "no notebook in"),
    ],
)
def test_unreadable_notebooks_score_zero_with_a_specific_reason(
    graded, kit, student, status, reason
):
    result = graded.course.result(student)
    assert result["status"] == status
    assert result["reason"].startswith(reason)
    assert graded.course.scores(student) == dict.fromkeys(kit.questions, 0.0)
    expected = "unreadable" if status == "unreadable" else "not run"
    assert {q["status"] for q in result["questions"]} == {expected}
    assert graded.summary.failed[student].startswith(f"{status}: {reason}")


def test_an_unknown_kernel_is_graded_with_python_and_a_note(graded, kit):
    result = graded.course.result("kernel")
    assert graded.course.scores("kernel") == kit.full
    assert (
        "the notebook names the kernel 'ir' (R); it was graded with Python"
        in result["submission"]["notes"]
    )
