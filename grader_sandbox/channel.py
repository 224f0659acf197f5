"""The parent's side of a sandbox runner: one lifecycle, `RunnerProcess`. It starts
`grader_sandbox.runner` (inside bubblewrap where the settings say so), waits until it is
ready, hands it one job at a time, reads its reply, knows when it died or hung, replaces
it and stops it.

Used where the key is (the local pool, `optigrade.grade.pool`, which watches several
runners at once with `multiprocessing.connection.wait`) and where it is not (a cluster's
grading node, `grader_sandbox.node`: one blocking runner per worker thread, `run`), so it
imports no key itself. Messages are the typed JSON of `grader_sandbox.messages`, on two
pipes, never pickle.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import suppress
from multiprocessing.connection import Connection, wait
from pathlib import Path

from grader_sandbox.messages import (
    Fatal,
    Ready,
    RunJob,
    RunnerSettings,
    RunReply,
    Stop,
    receive,
    send,
)
from grader_sandbox.typedjson import Message, MessageError

MARGIN = 60.0  # seconds past the submission limit before a runner counts as hung
GRACE = 10.0  # seconds a runner told to stop has to close its sandbox before it is killed


class RunnerFailed(RuntimeError):
    """The sandbox runner could not start, died, hung or broke the protocol."""


class RunnerFatal(RunnerFailed):
    """The sandbox runner said why it cannot start (another would fail alike)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the sandbox runner could not start: {reason}")
        self.reason = reason


class RunnerProcess:
    """One sandbox runner per `settings` at a time. `launch`, `started`, `send` and
    `reply` wait no longer than they are told (a pool watches `handles` and `overdue`);
    `start` and `run` block, as a grading node does."""

    def __init__(self, settings: RunnerSettings) -> None:
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.ready = False  # it said so (and has not been launched again since)
        self.busy = False  # it holds a job whose reply is not read yet
        self.since = 0.0  # when it was launched, or sent its job

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def deadline(self) -> float:
        """Seconds it may take to get ready, or to answer a job, before it counts as hung."""
        return self.settings.limits.timeout + MARGIN if self.ready else self.settings.start_timeout

    def overdue(self) -> bool:
        """Whether it is hung: starting, or holding a job, for longer than `deadline`."""
        waiting = self.busy or not self.ready
        late = time.monotonic() - self.since > self.deadline
        return self.process is not None and waiting and late

    def handles(self) -> tuple[Connection, int]:
        """What `multiprocessing.connection.wait` watches: its replies, and its exit."""
        return self.inbox, self.exited

    def launch(self) -> None:
        """Start a runner process and send it its settings, without waiting for it."""
        self.process, self.inbox, self.outbox = _spawn(self.settings)
        self.exited = os.pidfd_open(self.process.pid)  # readable once it has exited
        self.ready, self.busy, self.since = False, False, time.monotonic()

    def started(self, timeout: float = 0.0) -> None:
        """Wait up to `timeout` s for the launched runner to say it is ready: RunnerFatal
        if it says why it cannot be, RunnerFailed if it dies or does not answer."""
        said = self._next(timeout, Ready, Fatal)
        if isinstance(said, Fatal):
            raise RunnerFatal(said.reason)
        self.ready, self.since = True, time.monotonic()

    def send(self, job: RunJob) -> None:
        """Hand the ready runner a job (a dead one is found by `reply`)."""
        with suppress(OSError):
            send(self.outbox, job)
        self.busy, self.since = True, time.monotonic()

    def reply(self, timeout: float = 0.0) -> RunReply:
        """Its reply to the job it holds, within `timeout` s: RunnerFailed if it dies or
        does not answer. After a reply marked `last` it is not ready: it is exiting."""
        reply = self._next(timeout, RunReply)
        if not self.busy:
            raise RunnerFailed("the sandbox runner replied to no job")
        assert isinstance(reply, RunReply)
        self.busy, self.ready = False, not reply.last
        return reply

    def _next(self, timeout: float, *kinds: type[Message]) -> Message:
        if self.process is None:
            raise RunnerFailed("the sandbox runner is not running")
        wait(list(self.handles()), timeout)
        if self.inbox.poll():  # a message, or the end of the pipe
            try:
                return receive(self.inbox, *kinds)
            except MessageError as e:
                raise RunnerFailed(f"the sandbox runner sent a bad message: {e}") from None
            except EOFError:
                pass
        elif self.process.poll() is None:
            raise RunnerFailed(f"the sandbox runner did not answer within {self.deadline:g} s")
        raise RunnerFailed("the sandbox runner died")

    def start(self) -> None:
        """Launch it and wait until it is ready: RunnerFailed (it is stopped) if it cannot
        be."""
        self.launch()
        try:
            self.started(self.settings.start_timeout)
        except RunnerFailed:
            self.stop(grace=0)
            raise

    def run(self, job: RunJob) -> RunReply:
        """The reply to `job`, started first where no ready runner is running; an error
        reply if the runner cannot start, dies or hangs (it is stopped: the next job
        starts a fresh one)."""
        try:
            if not (self.alive and self.ready):
                self.stop(grace=0)
                self.start()
            self.send(job)
            reply = self.reply(self.deadline)
        except RunnerFailed as e:
            self.stop(grace=0)
            return RunReply(error=str(e))
        if reply.last:
            self.stop()
        return reply

    def replace(self, grace: float = GRACE) -> None:
        """Stop it (`grace`: as `stop`) and launch a fresh one in its place."""
        self.stop(grace)
        self.launch()

    def request_stop(self) -> None:
        """Tell it to stop, without waiting (`stop` waits): several stop together."""
        if self.process is not None:
            with suppress(OSError):
                send(self.outbox, Stop())

    def stop(self, grace: float = GRACE) -> None:
        """Tell it to stop and give it `grace` seconds to close its sandbox, then kill it
        (grace 0: at once, for one that died or hung); its pipes are closed."""
        if self.process is None:
            return
        if grace and self.process.poll() is None:
            self.request_stop()
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for end in (self.inbox, self.outbox):
            end.close()
        os.close(self.exited)
        self.process, self.busy = None, False


def _spawn(settings: RunnerSettings) -> tuple[subprocess.Popen, Connection, Connection]:
    """A sandbox runner started per `settings` (inside bubblewrap where they say so) and
    sent them, not waited for: its process, the end its replies come from, the end its
    jobs go to."""
    from grader_sandbox.jail import Jail, masked, readable

    jobs_r, jobs_w = os.pipe()
    replies_r, replies_w = os.pipe()
    command = [sys.executable, "-P", "-m", "grader_sandbox.runner", str(jobs_r), str(replies_w)]
    path = [p for p in sys.path if p]  # what this process imports: same path, no cwd
    if settings.jail and settings.bwrap:  # inside bubblewrap: the view, and nothing of our env
        jailed = Jail(settings.bwrap, settings.jail)
        seen = readable(map(Path, settings.private))
        path = [p for p in path if any(Path(p) == s or s in Path(p).parents for s in seen)]
        env = {"PATH": "/usr/bin:/bin", "LANG": os.environ.get("LANG", "C.UTF-8")}
        env |= {"HOME": "/tmp", "PYTHONPATH": os.pathsep.join(path)}
        command = jailed.command(command, env, seen, masked())
    else:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    process = subprocess.Popen(
        command, pass_fds=(jobs_r, replies_w), stdin=subprocess.DEVNULL, env=env
    )
    os.close(jobs_r)
    os.close(replies_w)
    outbox = Connection(jobs_w, readable=False)
    with suppress(OSError):  # one that died at once is found by `RunnerProcess.started`
        send(outbox, settings)
    return process, Connection(replies_r, writable=False), outbox
