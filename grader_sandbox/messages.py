"""The sandbox protocol: what a sandbox runner and its parent (the local pool, or a
cluster's grading node) say to each other, one JSON object per message on a pipe, never
pickle (the other side may be, or may have been touched by, untrusted code).

The parent sends `RunnerSettings` first; the runner answers `Ready`, or `Fatal` with why
it cannot start. Then each `RunJob` gets one `RunReply`, until the parent sends `Stop`,
closes its end, or a reply is marked `last` (the runner exits after it). Each message is
a frozen dataclass, checked field by field as it is sent and received
(`grader_sandbox.typedjson`: `MessageError` names the field at fault).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from grader_sandbox.isolation import Limits
from grader_sandbox.jail import MODES
from grader_sandbox.typedjson import Message, MessageError, decode

MAX_MESSAGE_BYTES = 256 * 2**20
START_TIMEOUT = 300.0  # seconds for a runner's imports, by default

Cell = tuple[int, str, bool]  # a code cell: notebook index, source, is an autograder test


@dataclass(frozen=True)
class RunnerSettings(Message):
    """All a sandbox runner is told when it starts, each with its default. The batch sets
    what the instructor chose, the local pool or a grading node what depends on where
    the runner runs (`dataclasses.replace`)."""

    KIND = "settings"

    assignment: str
    #: the questions as `grader.spec` specs: no expected value, mistake or probe output
    specs: tuple[Mapping[str, Any], ...] = ()
    limits: Limits = field(default_factory=Limits)
    private: tuple[str, ...] = ()  # folders kept out of the runner's view
    release: Mapping[str, str] = field(default_factory=dict)  # data files: name -> base64
    heavy: tuple[str, ...] = ()  # modules to import before forking (`runner.HEAVY`)
    keras_backend: str = "jax"
    jail: str | None = None  # the bubblewrap mode (`jail.MODES`); None: not isolated
    bwrap: str | None = None  # bubblewrap's path, given a mode
    trust: bool = False  # grade where isolation cannot be had (--trust-submissions)
    scratch: str | None = None  # where an unisolated runner's sandboxes work
    index: int = 0  # which sandbox uid it takes (`isolation.sandbox_uid`)
    start_timeout: float = START_TIMEOUT

    def __post_init__(self) -> None:
        if self.jail is not None and self.jail not in MODES:
            raise MessageError("jail", f"expected one of {', '.join(MODES)} or null")
        if self.jail is not None and not self.bwrap:
            raise MessageError("bwrap", "a jailed runner needs bubblewrap's path")
        if self.index < 0:
            raise MessageError("index", "must not be negative")
        if self.start_timeout <= 0:
            raise MessageError("start_timeout", "must be positive")


@dataclass(frozen=True)
class RunJob(Message):
    """One submission for a runner: its code cells, in notebook order, and the numbers its
    questions give this student ({question id: {name: value as tagged JSON}}, see
    `grader.compare.tagged`; none: every question gives the lab's), which the notebook's
    given cells read (`grader.given`)."""

    KIND = "job"

    cells: tuple[Cell, ...]
    given: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, cells: Iterable[Sequence[Any]], given: Mapping[str, Mapping[str, Any]] | None = None
    ) -> RunJob:
        found = tuple((int(i), str(source), bool(test)) for i, source, test in cells)
        return cls(found, dict(given or {}))


@dataclass(frozen=True)
class RunOutcome:
    """How a sandbox run ended (`grader_sandbox.sandbox`), and what it left (the records
    folder lives as long as the run; a reply carries the records as bytes instead)."""

    status: str  # completed | timeout | crashed | exited | killed | cpu-limit | ... | setup-failed
    reason: str  # one sentence for the report; "" when completed
    cells: list[dict[str, Any]]  # the cell log: one entry per cell that ended or was running
    protections: dict[str, Any]  # {"active": [...], "missing": {name: why}}
    records: Path | None = None  # a folder per test cell (`child.record_name`)
    output: str = ""  # the head of stdout/stderr
    seconds: float = 0.0
    leftover: int = 0  # processes still running when the notebook ended (all killed)
    stopped_at: int | None = None  # the cell running when the run ended early


@dataclass(frozen=True)
class RunReply(Message):
    """A runner's answer to a `RunJob`: the run's outcome and the recorded answers, or
    why it could not run it (`error`). `last`: the runner exits after this reply, so its
    parent starts a fresh one rather than send the next job to a process that is exiting."""

    KIND = "reply"

    outcome: RunOutcome | None = None  # its `records` stay None: they travel as `records`
    records: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # folder: name: b64
    error: str = ""
    last: bool = False

    def __post_init__(self) -> None:
        if (self.outcome is None) == (not self.error):
            raise MessageError("error", "a reply holds either an outcome or an error")


@dataclass(frozen=True)
class Ready(Message):
    """Said by a runner once it has imported what it needs: it takes jobs now."""

    KIND = "ready"


@dataclass(frozen=True)
class Fatal(Message):
    """Said by a runner that cannot start, instead of `Ready`; it exits."""

    KIND = "fatal"

    reason: str


@dataclass(frozen=True)
class Stop(Message):
    """Told to a runner: close the sandbox and exit."""

    KIND = "stop"


def send(conn: Connection, message: Message) -> None:
    conn.send_bytes(message.to_json().encode())  # ASCII: even lone surrogates pass


def receive(conn: Connection, *kinds: type[Message]) -> Message:
    """The next message, one of `kinds`: EOFError when the other side has gone,
    MessageError when it sent something else."""
    return decode(_read(conn), *kinds)


def _read(conn: Connection) -> bytes:
    try:
        return conn.recv_bytes(MAX_MESSAGE_BYTES)
    except OSError as e:  # over the cap: what is left of it cannot be read as a message
        raise EOFError(str(e)) from e


class Server(Protocol):
    """A process that answers one job at a time (the sandbox runner)."""

    def handle(self, job: RunJob) -> RunReply:
        """The reply to a job; may raise (`serve` turns that into an error reply)."""
        ...

    def spent(self) -> bool:
        """Whether to stop after this reply (the parent starts a fresh process)."""
        ...

    def close(self) -> None: ...


def serve(inbox: Connection, outbox: Connection, start: Callable[[RunnerSettings], Server]) -> None:
    """A server's whole life: die with the parent, start from the settings (or say why
    not: `Fatal`), say `Ready`, then answer jobs until `Stop`, the parent's end of the
    pipe closing, or `spent` (that reply marked `last`). A bad message, or a job the
    server fails on, costs that job only: its reply says why."""
    from grader_sandbox.isolation import die_with_parent

    die_with_parent(signal.SIGKILL)  # nothing outlives a killed batch
    try:
        server = start(RunnerSettings.from_json(_read(inbox)))
    except EOFError:
        return  # the parent has gone
    except Exception as e:  # reported, so the parent can say why it cannot start
        send(outbox, Fatal(f"{type(e).__name__}: {e}"))
        return
    send(outbox, Ready())
    try:
        while True:
            try:
                job = receive(inbox, RunJob, Stop)
            except EOFError:
                return
            except MessageError as e:
                reply = RunReply(error=f"the sandbox runner got a bad message: {e}")
            else:
                if not isinstance(job, RunJob):  # Stop
                    return
                reply = _handled(server, job)
            if server.spent():
                send(outbox, replace(reply, last=True))
                return
            send(outbox, reply)
    finally:
        server.close()


def _handled(server: Server, job: RunJob) -> RunReply:
    try:
        return server.handle(job)
    except Exception as e:  # a bug costs this job, not the process's others
        return RunReply(error=f"the sandbox runner failed: {type(e).__name__}: {e}")
