"""Run one submission's code cells in a forked, isolated child of a sandbox runner.

The runner (`grader_sandbox.runner`) forks per submission (see `grader_sandbox.child`),
waits for the child under the submission's wall-clock limit, kills the child's PID
namespace (or process group and uid) when the time is up, then reads what the child left
behind, all of it bounded and parsed as data: the cell log (JSON lines), the head of the
output, and a copy of the recorded answers that keeps regular files only (no symlinks,
FIFOs or devices).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from grader_sandbox import child, isolation
from grader_sandbox.isolation import Limits
from grader_sandbox.jail import SANDBOX, interpreter
from grader_sandbox.messages import RunOutcome

#: Shared temporary folders each sandbox gets a private, empty copy of.
PRIVATE_TMP = (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))

LOG_BYTES = 2**21  # of the cell log read back
STATUS_BYTES = 2**16  # of the child's setup report
OUTPUT_HEAD = 2**14  # of stdout/stderr kept in the result
RECORD_FILES = 1000  # recorded answer files copied back, at most
RECORD_BYTES = 2**28  # in total

_SIGNALS = {
    signal.SIGSEGV: ("crashed", "crashed with a segmentation fault"),
    signal.SIGBUS: ("crashed", "crashed with a bus error"),
    signal.SIGILL: ("crashed", "crashed with an illegal instruction"),
    signal.SIGFPE: ("crashed", "crashed with a floating-point exception"),
    signal.SIGABRT: ("crashed", "aborted (SIGABRT)"),
    signal.SIGXCPU: ("cpu-limit", "reached its CPU time limit"),
    signal.SIGXFSZ: ("file-limit", "wrote a file larger than the limit"),
    signal.SIGKILL: ("killed", "was killed (SIGKILL), most often for running out of memory"),
}


class Sandbox:
    """What a runner builds once (after its expensive imports and its shell)."""

    def __init__(
        self,
        shell: child.NotebookShell,
        *,
        limits: Limits | None = None,
        uid: int | None = None,
        private_tmp: Sequence[Path] = PRIVATE_TMP,
        release: Mapping[str, bytes] | None = None,
        keras_backend: str = "jax",
        jail: str | None = None,
        base: Path | None = None,
    ) -> None:
        self.shell, self.limits, self.uid = shell, limits or Limits(), uid
        self.private_tmp = tuple(private_tmp)
        self.keras_backend, self.jail = keras_backend, jail
        if jail is None:  # not isolated: a folder of the instructor's
            self.base = Path(tempfile.mkdtemp(prefix="optigrade-sandbox-", dir=base))
            self.in_memory = False
        else:  # the jail's empty folder (`grader_sandbox.jail.SANDBOX`), in memory
            self.base = base or SANDBOX
            self.in_memory = isolation.private_folder(self.base, self.limits.work_mb)
        self.base.chmod(0o711)  # the student's uid may pass through, not list or write
        self.release = self.base / "release"  # copied into each working folder
        for name, data in (release or {}).items():
            (self.release / name).parent.mkdir(parents=True, exist_ok=True)
            (self.release / name).write_bytes(data)
        # an installation under a shared temporary folder (a checkout in /tmp) would vanish
        # under the private tmpfs: each child binds it back in
        self.rebind = tuple(
            p for p in interpreter() if any(t in p.parents for t in self.private_tmp) and p.exists()
        )

    def close(self) -> None:
        if self.in_memory:
            isolation.unmount(self.base)
        if self.jail is None:
            shutil.rmtree(self.base, ignore_errors=True)

    @contextmanager
    def run(
        self,
        cells: Sequence[tuple[int, str, bool]],
        given: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Iterator[RunOutcome]:
        """Run the code cells (notebook index, source, is a test cell) in a fresh child,
        whose `grader.given` returns the `given` numbers ({qid: {name: value}}; the others
        are the lab's); the outcome's records (a folder per test cell, named by
        `child.record_name`) are removed when the block ends."""
        scratch = Path(tempfile.mkdtemp(dir=self.base))
        fds: list[int] = []
        try:
            plan, status_r = self._prepare(scratch, cells, fds, given or {})
            yield self._execute(plan, status_r, scratch, fds)
        finally:
            for fd in fds:
                with suppress(OSError):
                    os.close(fd)
            shutil.rmtree(scratch, ignore_errors=True)

    def _prepare(
        self,
        scratch: Path,
        cells: Sequence[tuple[int, str, bool]],
        fds: list[int],
        given: Mapping[str, Mapping[str, Any]],
    ) -> tuple[child.Plan, int]:
        scratch.chmod(0o711)
        work, record = scratch / "work", scratch / "record"
        if self.release.is_dir():
            ignore = shutil.ignore_patterns("*.ipynb", ".*")
            shutil.copytree(self.release, work, ignore=ignore, symlinks=False)
        else:
            work.mkdir()
        record.mkdir()
        if self.uid is not None:
            for folder in (work, record):
                for path in (folder, *folder.rglob("*")):
                    os.chown(path, self.uid, self.uid, follow_symlinks=False)
                folder.chmod(0o700)

        def opened(name: str, flags: int) -> int:
            fd = os.open(scratch / name, flags, 0o600)
            fds.append(fd)
            return fd

        create = os.O_RDWR | os.O_CREAT | os.O_EXCL
        log_fd = opened("cells.jsonl", create | os.O_APPEND)
        output_fd = opened("output.txt", create)
        status_r, status_w = os.pipe()
        fds += [status_r, status_w]
        plan = child.Plan(
            cells=tuple(cells),
            given=given,
            scratch=scratch,
            log_fd=log_fd,
            output_fd=output_fd,
            status_fd=status_w,
            limits=self.limits,
            uid=self.uid,
            private_tmp=self.private_tmp,
            rebind=self.rebind,
            keras_backend=self.keras_backend,
            jail=self.jail,
        )
        return plan, status_r

    def _execute(
        self, plan: child.Plan, status_r: int, scratch: Path, fds: list[int]
    ) -> RunOutcome:
        started = time.monotonic()
        pid, pid_namespace = (
            isolation.fork_into_pid_namespace() if self.jail else (os.fork(), False)
        )
        if pid == 0:
            child.start(plan, self.shell, pid_namespace)  # never returns
        os.close(plan.status_fd)  # the pipe reaches EOF once the child has gone
        fds.remove(plan.status_fd)
        reports = _Reports(status_r)
        status = _wait(pid, started + self.limits.timeout, reports)
        timed_out = status is None
        if timed_out:
            self._kill(pid)
            status = _wait(pid, time.monotonic() + 10, reports)
        reports.drain()
        seconds = time.monotonic() - started
        ready = reports.get("ready") or {}
        cells, done = _read_log(plan.log_fd)
        stopped_at = next((c["cell"] for c in cells if "status" not in c), None)
        if timed_out:
            ending = (
                "timeout",
                f"the notebook was stopped after {self.limits.timeout:g} s, "
                "the limit for a whole submission",
            )
        elif "setup-failed" in reports:
            ending = (
                "setup-failed",
                f"the sandbox could not be prepared: {reports.get('setup-failed')}",
            )
        else:
            ending = _ending(status, done is not None)
        kind, reason = ending
        if reason and stopped_at is not None:
            # counted from 1, as a student counts cells (the log holds the index)
            reason += f" during cell {stopped_at + 1}; later cells did not run"
        return RunOutcome(
            status=kind,
            reason=reason,
            cells=cells,
            protections={"active": ready.get("active", []), "missing": ready.get("missing", {})},
            records=_copy_records(plan, scratch / "answers"),
            output=_head(plan.output_fd),
            seconds=round(seconds, 3),
            leftover=done or 0,
            stopped_at=stopped_at,
        )

    def _kill(self, pid: int) -> None:
        """Kill the child (PID 1 of its namespace: everything in it dies too) and, for
        the case without a PID namespace, its process group."""
        for kill in (os.kill, os.killpg):
            with suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)


def _ending(status: int | None, done: bool) -> tuple[str, str]:
    """(status, reason) of a run from the child's wait status."""
    if status is not None and os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        kind, what = _SIGNALS.get(number, ("crashed", f"was killed by signal {number}"))
        return kind, f"the notebook's process {what}"
    if not done:
        code = "?" if status is None else os.waitstatus_to_exitcode(status)
        return "exited", f"the notebook's process exited with code {code} (os._exit or similar)"
    return "completed", ""


class _Reports:
    """The child's JSON-line reports on the status pipe, read without blocking."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.closed = False
        self.values: dict[str, Any] = {}

    def read(self) -> bool:
        """Take what is there; False when nothing was (yet, or ever again)."""
        if self.closed:
            return False
        try:
            chunk = os.read(self.fd, STATUS_BYTES)
        except BlockingIOError:
            return False
        self.closed = not chunk
        self.buffer = (self.buffer + chunk)[:STATUS_BYTES]
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            with suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict):
                    self.values.update(message)
        return bool(chunk)

    def drain(self) -> None:
        os.set_blocking(self.fd, False)
        while self.read():
            pass

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self.values


def _wait(pid: int, deadline: float, reports: _Reports) -> int | None:
    """Wait for the child to end (its wait status) or the deadline (None), reading its
    reports as they come."""
    pidfd = os.pidfd_open(pid)
    os.set_blocking(reports.fd, False)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    if not reports.closed:
        poller.register(reports.fd, select.POLLIN)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            for fd, _ in poller.poll(left * 1000):
                if fd == pidfd:
                    return os.waitpid(pid, 0)[1]
                reports.read()
                if reports.closed:
                    poller.unregister(reports.fd)
    finally:
        os.close(pidfd)


_CELL_FIELDS: dict[str, tuple[type, int]] = {  # what a cell log entry may carry, and how much
    "status": (str, 20),
    "error": (str, 100),
    "message": (str, child.MESSAGE_CHARS),
    "output": (str, child.EXCERPT_CHARS + 200),
    "seconds": (float, 0),
    "forks": (int, 0),
    "dropped": (int, 0),  # bytes of output over the cap
    "restored": (str, 200),  # what the notebook replaced of the grader, put back for the cell
}


def _clean(cell: int, entry: dict[str, Any]) -> dict[str, Any]:
    """A cell's end entry with only the expected fields, of the expected types, clipped."""
    clean: dict[str, Any] = {"cell": cell, "status": "error"}
    for key, (kind, size) in _CELL_FIELDS.items():
        value = entry.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float if kind is float else kind):
            continue
        clean[key] = _text(value[:size]) if kind is str else kind(value)
    return clean


def _text(value: str) -> str:
    """Printable text: a student can print lone surrogates, which no file encoding takes."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _read_log(fd: int) -> tuple[list[dict[str, Any]], int | None]:
    """The cell log as one entry per cell, in order, and the count of leftover processes
    when the notebook reached its end (None: it did not). The student's process wrote
    it, so it is parsed as untrusted data."""
    cells: dict[int, dict[str, Any]] = {}
    done = None
    for line in os.pread(fd, LOG_BYTES, 0).split(b"\n"):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        cell, event = entry.get("cell"), entry.get("event")
        if event == "done":
            leftover = entry.get("leftover")
            done = leftover if isinstance(leftover, int) else 0
        elif isinstance(cell, int) and not isinstance(cell, bool):
            cells[cell] = _clean(cell, entry) if event == "end" else {"cell": cell}
    return list(cells.values()), done


def _head(fd: int) -> str:
    return os.pread(fd, OUTPUT_HEAD, 0).decode("utf-8", "replace")


def _copy_records(plan: child.Plan, target: Path) -> Path:
    """Copy the test cells' recorded answers into a folder only the runner writes:
    regular files, opened without following links, size-capped; nothing else."""
    target.mkdir()
    room = RECORD_BYTES
    for index, _, test in plan.cells:
        if not test:
            continue
        into = target / child.record_name(index)
        into.mkdir(parents=True)
        try:
            folder = os.open(
                plan.record_of(index, test), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
            )
        except OSError:
            continue  # the cell recorded nothing
        try:
            with os.scandir(folder) as entries:
                for _, entry in zip(range(RECORD_FILES), entries, strict=False):
                    with suppress(OSError):
                        room -= _copy_regular(folder, entry.name, into, room)
        finally:
            os.close(folder)
    return target


def _copy_regular(folder: int, name: str, target: Path, room: int) -> int:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > room:
            return 0
        data = os.read(fd, info.st_size + 1)[: info.st_size]  # a file may still be growing
    finally:
        os.close(fd)
    (target / name).write_bytes(data)
    return len(data)
