"""The process a sandbox runner forks per submission, which runs the student's code cells.

It is PID 1 of a new PID namespace (when the kernel allows): when it ends, the kernel
kills everything it left behind. Before any student code it enters new network, mount,
IPC and UTS namespaces, hides the course folders, drops to an unprivileged uid, sets its
limits and turns recording on; then it runs the code cells with IPython's ``run_cell``
(so magics and ``display`` work as in Jupyter), one JSON line per cell in the log.
Scores are never computed here, nor in the runner: the judge, which holds the key, grades
the recorded answers (`optigrade.grade.judge`).
"""

from __future__ import annotations

import faulthandler
import io
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from grader.compare.timelimit import TimeLimitExceeded, time_limit
from grader.student.shell import NotebookShell
from grader.student.shell import make_shell as make_shell  # made by the runner before forks
from grader_sandbox import isolation
from grader_sandbox.isolation import Limits

EXCERPT_CHARS = 2000  # of each cell's output, kept in the cell log
MESSAGE_CHARS = 500  # of an exception's message


@dataclass(frozen=True)
class Plan:
    """What the forked processes need; every path as the runner sees it."""

    #: (notebook index, source, is an autograder test cell) of each code cell
    cells: tuple[tuple[int, str, bool], ...]
    #: The student's own numbers, {question id: {name: value}}, for `grader.given`
    given: Mapping[str, Mapping[str, Any]]
    scratch: Path  # root-owned; holds work/ (the cwd) and record/ (answers)
    log_fd: int  # cell log (JSON lines)
    output_fd: int  # stdout and stderr
    status_fd: int  # pipe to the runner: the setup report, sent before student code
    limits: Limits
    uid: int | None  # the child's own uid (root mode); None: it keeps the runner's
    private_tmp: tuple[Path, ...]
    #: Installation paths under a private temporary folder, bound back in over it
    rebind: tuple[Path, ...]
    keras_backend: str
    jail: str | None  # the runner's bubblewrap mode (`grader_sandbox.jail.MODES`); None:
    # not isolated (--trust-submissions where isolation cannot be had)

    @property
    def work(self) -> Path:
        return self.scratch / "work"

    @property
    def record(self) -> Path:
        return self.scratch / "record"

    def record_of(self, index: int, test: bool) -> Path:
        """Where a cell's ``grader.score`` calls record: only the autograder test cells'
        records are graded, so a student's own later call cannot replace them."""
        return self.record / (record_name(index) if test else "student")


def record_name(index: int) -> str:
    return f"cell-{index}"


def _send(fd: int, message: dict[str, Any]) -> None:
    """One JSON line (its fields are bounded by whoever builds the message)."""
    with suppress(OSError):  # the reader has gone: nothing left to tell
        os.write(fd, (json.dumps(message) + "\n").encode())


def _close_all_but(keep: set[int]) -> None:
    """A forked process starts with the runner's descriptors (its pipes to its parent among
    them); none of them may reach student code."""
    low = 3
    for fd in sorted(keep | {max(os.sysconf("SC_OPEN_MAX"), *keep) + 1}):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


# --- the student's process ------------------------------------------------------------


class SetupFailed(Exception):
    """The sandbox could not be prepared; no student code ran."""


#: What must take effect before student code runs, when isolating: without any one of
#: them the course or other students would be exposed, so the run is refused instead.
REQUIRED = (
    "filesystem-view",
    "network",
    "pid",
    "mount",
    "ipc",
    "private-proc",
    "read-only-view",
    "private-tmp",
    "private-work",
    "rlimits",
    "no-new-privs",
)


def _isolate(plan: Plan, entered: list[str]) -> tuple[list[str], dict[str, str]]:
    """Make the child's view and give up privileges: (active, {missing: why})."""
    active = list(entered)
    missing: dict[str, str] = {}

    def attempt(name: str, step: Callable[[], object]) -> None:
        try:
            step()
            active.append(name)
        except OSError as e:
            missing[name] = str(e)

    if plan.jail is not None:
        active.append("filesystem-view")  # the runner's bubblewrap (see grader_sandbox.jail)
        if plan.jail == "userns":
            active.append("user-namespace")
    if "mount" in entered:
        restore = isolation.rebind(plan.rebind)  # before a private /tmp covers them
        if "pid" in entered:
            attempt("private-proc", isolation.mount_proc)
        attempt("read-only-view", isolation.readonly_view)
        # one inside another (a checkout under /tmp) is covered by the outer one already
        tmp = [
            p
            for p in plan.private_tmp
            if p.is_dir() and not any(q in p.parents for q in plan.private_tmp)
        ]
        attempt("private-tmp", lambda: [isolation.private_tmp(p, plan.limits.tmp_mb) for p in tmp])
        attempt("private-work", lambda: [isolation.writable(p) for p in (plan.work, plan.record)])
        try:
            restore()
        except OSError as e:
            raise SetupFailed(f"cannot mount the interpreter back in: {e}") from e
    try:
        os.chdir(plan.work)
    except OSError as e:
        raise SetupFailed(f"cannot enter the working directory: {e}") from e
    attempt("rlimits", lambda: isolation.set_limits(plan.limits))
    if plan.uid is not None:
        attempt("unprivileged-uid", lambda: isolation.drop_privileges(plan.uid))
    elif plan.jail == "userns":
        attempt("no-capabilities", isolation.drop_capabilities)
    else:
        missing["unprivileged-uid"] = "not isolated (--trust-submissions)"
    active += isolation.harden()
    if plan.jail:
        lacking = [n for n in (*REQUIRED, _privileges(plan)) if n not in active]
        if lacking:
            why = "; ".join(f"{n}: {missing.get(n, 'not set up')}" for n in lacking)
            raise SetupFailed(f"a protection could not be had ({why}); no student code ran")
    return active, missing


def _privileges(plan: Plan) -> str:
    """The protection that takes the student's code out of the runner's privileges."""
    return "unprivileged-uid" if plan.uid is not None else "no-capabilities"


def start(plan: Plan, shell: NotebookShell, pid_namespace: bool) -> NoReturn:
    """The forked child's whole life: isolate, report, run the cells, exit. The runner
    forked it into a new PID namespace when `pid_namespace` (it is then PID 1 there)."""
    try:
        os.setsid()  # one process group, for killing where there is no PID namespace
        _close_all_but({plan.log_fd, plan.output_fd, plan.status_fd})
        main = os.getpid()
        if plan.jail:
            entered, missing = isolation.unshare(n for n in isolation.NAMESPACES if n != "pid")
        else:
            entered, missing = (
                [],
                dict.fromkeys(isolation.NAMESPACES, "not isolated (--trust-submissions)"),
            )
        if pid_namespace:
            entered.insert(0, "pid")
        elif plan.jail:
            missing["pid"] = "the kernel refused a new PID namespace"
        try:
            active, more = _isolate(plan, entered)
        except SetupFailed as e:
            _send(plan.status_fd, {"setup-failed": str(e)})
            os._exit(3)
        _send(plan.status_fd, {"ready": {"active": active, "missing": {**missing, **more}}})
        os.close(plan.status_fd)
        _run(plan, shell, main, count_leftover="pid" in entered)
    finally:
        os._exit(0)


def _redirect_output(plan: Plan) -> CappedOutput:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd in (1, 2):  # C-level writes land in the output file (capped by RLIMIT_FSIZE)
        os.dup2(plan.output_fd, fd)
    os.close(plan.output_fd)
    faulthandler.enable(file=2)  # a segfault's traceback, for the instructor
    out = CappedOutput(1, plan.limits.output_bytes)
    sys.stdout = sys.stderr = out
    return out


def _unpatched(shell: NotebookShell, genuine: dict[str, Any]) -> list[str]:
    """Put back what a test cell records with, if the notebook replaced it (``grader.score =
    lambda *a: 1.0``, ``grader = Fake()``, ``grader.student.api.score = ...``): the test cell
    then records the student's answer as if nothing was replaced, and its log says what was
    put back, for the report. The names of what was put back."""
    import grader
    from grader.student import api

    module = genuine["module"]
    restored = []
    if sys.modules.get("grader") is not module:
        sys.modules["grader"] = module
        restored.append("sys.modules['grader']")
    if "grader" in shell.user_ns and shell.user_ns["grader"] is not module:
        shell.user_ns["grader"] = module
        restored.append("grader")
    for name in ("score", "check"):
        if name in vars(grader):  # an attribute set on the module shadows its __getattr__
            delattr(grader, name)
            restored.append(f"grader.{name}")
        if getattr(api, name) is not genuine[name]:
            setattr(api, name, genuine[name])
            restored.append(f"grader.student.api.{name}")
    return restored


def _run(plan: Plan, shell: NotebookShell, main: int, count_leftover: bool) -> None:
    import grader
    from grader.student import api  # loaded by the runner already: no import cost

    genuine = {"module": grader, "score": api.score, "check": api.check}
    api.provide_given(plan.given)  # the notebook's given cells read the student's own numbers

    os.environ.clear()
    os.environ.update(isolation.environment(str(plan.work), plan.keras_backend))
    out = _redirect_output(plan)
    forks = [0]
    os.register_at_fork(after_in_parent=lambda: forks.__setitem__(0, forks[0] + 1))

    for index, source, test in plan.cells:
        _send(plan.log_fd, {"event": "start", "cell": index})
        restored = _unpatched(shell, genuine) if test else []
        api.start_recording(plan.record_of(index, test))
        out.start_cell()
        forks[0] = 0
        shell.exit_requested = False
        started = time.monotonic()
        try:
            with time_limit(plan.limits.cell_timeout):
                result = shell.run_cell(source, store_history=True)
            error = result.error_before_exec or result.error_in_exec
        except BaseException as e:  # a limit that fired outside the cell's own code
            error = e
        if os.getpid() != main:
            os._exit(0)  # a copy the student forked stops here: it must not run more cells
        entry = {"event": "end", "cell": index, "seconds": round(time.monotonic() - started, 3)}
        entry.update(_verdict(error, shell.exit_requested, plan.limits))
        if forks[0]:
            entry["forks"] = forks[0]
        if restored:
            entry["restored"] = ", ".join(restored)
        out.end_cell()
        if out.dropped:
            entry["dropped"] = out.dropped
        if out.excerpt:
            entry["output"] = out.excerpt
        _send(plan.log_fd, entry)
    _send(plan.log_fd, {"event": "done", "leftover": _other_processes() if count_leftover else 0})


def _verdict(error: BaseException | None, exit_requested: bool, limits: Limits) -> dict[str, Any]:
    """A cell's status from how it ended."""
    if isinstance(error, TimeLimitExceeded):
        return {"status": "timeout", "message": f"stopped after {limits.cell_timeout:g} s"}
    if isinstance(error, MemoryError):
        return {
            "status": "memory",
            "message": f"MemoryError: the memory limit of {limits.memory_mb} MiB was reached",
        }
    if isinstance(error, SystemExit) or exit_requested:
        code = "" if error is None else f"({error.code!r})"
        return {
            "status": "exit",
            "message": f"exit{code} called: ignored as in Jupyter, later cells still ran",
        }
    if error is not None:
        text = f"{type(error).__name__}: {error}"
        return {"status": "error", "error": type(error).__name__, "message": text[:MESSAGE_CHARS]}
    return {"status": "ok"}


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 10**5 else f"{count} bytes"


def _other_processes() -> int:
    """Processes still alive in the PID namespace besides this one (killed when it ends)."""
    try:
        return sum(1 for name in os.listdir("/proc") if name.isdigit() and name != "1")
    except OSError:
        return 0


class CappedOutput(io.TextIOBase):
    """stdout/stderr of the student's code: each cell may print `budget` bytes; beyond
    that the output is dropped (and counted), while the cell goes on: an answer assigned
    after a long training log still counts."""

    def __init__(self, fd: int, budget: int) -> None:
        self.fd, self.budget = fd, budget
        self.start_cell()

    def start_cell(self) -> None:
        self.used = 0
        self.excerpt = ""

    @property
    def dropped(self) -> int:
        """Bytes of this cell's output past its budget."""
        return max(0, self.used - self.budget)

    def end_cell(self) -> None:
        """Say in the excerpt how much was dropped."""
        if self.dropped:
            self.excerpt += (
                f"\n[output cut off: this cell printed {_size(self.used)}, over the "
                f"{_size(self.budget)} limit; the rest ({_size(self.dropped)}) was dropped]\n"
            )

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        room = self.budget - self.used
        if room > 0:
            if len(self.excerpt) < EXCERPT_CHARS:
                self.excerpt += text[: EXCERPT_CHARS - len(self.excerpt)]
            data = text.encode("utf-8", "replace")
            self._emit(data[:room])
            self.used += len(data)
        else:  # a byte count is near enough: no need to encode what is dropped
            self.used += len(text)
        return len(text)

    def _emit(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:
            pass  # past RLIMIT_FSIZE: the output file is full, the rest is dropped

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"
