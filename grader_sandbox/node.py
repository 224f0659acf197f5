"""A grading node of `grader grade --cluster`: the Dask tasks that have this node's sandbox
runners start and run one submission each. It holds no key.

`warm` and `run` execute in a Dask worker process. Each gets the batch's settings as JSON
text (`grader_sandbox.messages.RunnerSettings`), which carry the questions as specs
(`grader.spec`: no expected value). `run` gets the job, a restored notebook's code cells
(a `RunJob`, as JSON text), and returns a `NodeResult` as JSON text: the sandbox
runner's reply (the run's outcome and the recorded answers as base64) and how this node
isolated it. The client judges that reply with the key (`optigrade.grade.cluster`).

Nothing of student code runs in the Dask worker's own process. Each worker thread keeps
one runner (`grader_sandbox.channel.RunnerProcess`) for the batch's settings: the
client's warm-up task (`warm`) starts it before the first submission, and the next job
starts a fresh one after it exits. The node probes isolation itself and fails closed:
where bubblewrap cannot isolate and the instructor did not trust the submissions, every
job is refused with the node's reason and nothing runs.
"""

from __future__ import annotations

import fcntl
import functools
import os
import socket
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader_sandbox import jail
from grader_sandbox.channel import RunnerFailed, RunnerProcess
from grader_sandbox.messages import RunJob, RunnerSettings, RunReply
from grader_sandbox.typedjson import Message, MessageError

#: Sandbox uid indices claimed on a node start here, above any local pool's (0, 1, ...),
#: so that no two sandboxes of one machine share a uid (see `isolation.sandbox_uid`).
INDEX_BASE = 1000


@dataclass(frozen=True)
class NodeResult(Message):
    """What `run` returns: the runner's `reply`, how this node isolated the run and the
    time it took; or, where the node cannot isolate and the submissions are not
    trusted, why it `refused` (nothing ran)."""

    KIND = "node-result"

    reply: RunReply | None = None
    refused: str = ""
    isolation: str = "none"  # the runner's bubblewrap mode, or "none"
    unisolated: str = ""  # why this node cannot isolate ("": it can)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if (self.reply is None) == (not self.refused):
            raise MessageError("refused", "a result holds either a reply or a refusal")
        if self.isolation not in ("none", *jail.MODES):
            raise MessageError("isolation", f"expected one of none, {', '.join(jail.MODES)}")


@dataclass
class _Runner:
    """A worker thread's runner, for the batch whose settings hash to `digest`."""

    index: int
    digest: str = ""
    process: RunnerProcess | None = None
    claims: list[int] = field(default_factory=list)  # lock file descriptors held


_runners: dict[int, _Runner] = {}  # by thread
_lock = threading.Lock()
_batches: dict[str, RunnerSettings] = {}  # the settings of the latest batch, by digest


@functools.cache
def _isolation() -> tuple[jail.Jail | None, str]:
    """(this node's jail, "") or (None, why it cannot isolate), probed once per process."""
    try:
        return jail.find(), ""
    except jail.IsolationUnavailable as e:
        return None, str(e)


@functools.cache
def _scratch() -> Path:
    """The working folders of unisolated (trusted) sandboxes on this node."""
    return Path(tempfile.mkdtemp(prefix="optigrade-node-"))


def _claim_index(held: list[int]) -> int:
    """The first sandbox index no other process of this user holds on this machine, held
    (by an advisory lock on a file in the temporary folder) until this process ends. Only
    root's sandboxes take a uid by index, so each user has indices of their own."""
    index = INDEX_BASE
    while True:
        path = Path(tempfile.gettempdir()) / f"optigrade-sandbox-{os.getuid()}-{index}.lock"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
        except OSError:  # a file of that name someone else made: the next one
            index += 1
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            index += 1
            continue
        held.append(fd)
        return index


def _private() -> list[str]:
    """This Dask worker's own folder (where Dask spills other submissions' data): kept out
    of the sandbox's view, as the course's folders are."""
    from distributed import get_worker

    try:
        return [str(Path(get_worker().local_directory).resolve())]
    except ValueError:  # not in a Dask worker (the task called directly)
        return []


def _runner(digest: str, settings: RunnerSettings, found: jail.Jail | None) -> RunnerProcess:
    """This thread's runner for the batch `digest`, started anew for another batch."""
    with _lock:
        slot = _runners.get(threading.get_ident())
        if slot is None:
            claims: list[int] = []
            slot = _runners[threading.get_ident()] = _Runner(_claim_index(claims), claims=claims)
    if slot.digest != digest or slot.process is None:
        if slot.process is not None:
            slot.process.stop()
        node_settings = replace(
            settings,
            jail=found and found.mode,
            bwrap=found and found.bwrap,
            private=(*settings.private, *_private()),
            scratch=str(_scratch()),
            index=slot.index,
        )
        slot.digest, slot.process = digest, RunnerProcess(node_settings)
    return slot.process


def _batch_runner(digest: str, settings: str) -> RunnerProcess | None:
    """This thread's runner for the batch (`settings` as JSON text, parsed once per batch;
    `digest`: its hash), or None where this node cannot isolate and the submissions are
    not trusted."""
    found, _ = _isolation()
    with _lock:
        if digest not in _batches:
            _batches.clear()
            _batches[digest] = RunnerSettings.from_json(settings)
        batch = _batches[digest]
    if found is None and not batch.trust:
        return None
    return _runner(digest, batch, found)


def warm(digest: str, settings: str) -> None:
    """Start this thread's runner for the batch now (the client's warm-up task, beside its
    own), not on the first submission; a runner that cannot start says why on that one."""
    runner = _batch_runner(digest, settings)
    if runner is not None and not runner.alive:
        with suppress(RunnerFailed):
            runner.start()


def run(digest: str, settings: str, job: str) -> str:
    """Run one job (a `RunJob` as JSON text) on this node: a `NodeResult` as JSON text."""
    found, unisolated = _isolation()
    runner = _batch_runner(digest, settings)
    if runner is None:
        host = socket.gethostname()
        why = f"the grading node {host} cannot isolate: {unisolated}"
        return NodeResult(refused=why, unisolated=unisolated).to_json()
    started = time.monotonic()
    reply = runner.run(RunJob.from_json(job))
    isolation = found.mode if found else "none"
    seconds = time.monotonic() - started
    return NodeResult(reply, isolation=isolation, unisolated=unisolated, seconds=seconds).to_json()
