"""The other end of a sandbox runner: start `grader_sandbox.runner` (inside bubblewrap
where the settings say so), hand it one job at a time, read its reply.

Used where the key is (the local pool, `optigrade.grade.pool`, which starts runners with
`spawn`) and where it is not (a cluster's grading node, `grader_sandbox.node`, which keeps
a `RunnerProcess`), so it imports no key itself. Messages are JSON on two pipes
(`grader_sandbox.messages`), never pickle.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from grader_sandbox.messages import LAST, receive, send

MARGIN = 60.0  # seconds past the submission limit before a runner counts as hung


def spawn(settings: dict[str, Any]) -> tuple[subprocess.Popen, Connection, Connection]:
    """A sandbox runner started per `settings` (inside bubblewrap where they say so) and
    sent them, not waited for: its process, the end its replies come from, the end its
    jobs go to."""
    from grader_sandbox.jail import Jail, masked, readable

    jobs_r, jobs_w = os.pipe()
    replies_r, replies_w = os.pipe()
    command = [sys.executable, "-P", "-m", "grader_sandbox.runner", str(jobs_r), str(replies_w)]
    path = [p for p in sys.path if p]  # what this process imports: same path, no cwd
    if settings.get("jail"):  # inside bubblewrap: the view, and nothing of our env
        jailed = Jail(settings["bwrap"], settings["jail"])
        seen = readable(map(Path, settings["private"]))
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
    send(outbox, settings)
    return process, Connection(replies_r, writable=False), outbox


class RunnerFailed(RuntimeError):
    """The sandbox runner could not start, died or hung."""


class RunnerProcess:
    """A sandbox runner process per `settings` (started again after it exits)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.launch()
        self.ready()

    def launch(self) -> None:
        """Start the runner process and send it its settings, without waiting for it."""
        self.process, self.inbox, self.outbox = spawn(self.settings)

    def ready(self) -> None:
        """Wait until the launched runner says it is ready (RunnerFailed: it cannot be)."""
        ready = self._reply(float(self.settings.get("start_timeout", 300)))
        if "fatal" in ready:
            self.close()
            raise RunnerFailed(f"the sandbox runner could not start: {ready['fatal']}")

    def _reply(self, timeout: float) -> dict[str, Any]:
        if not self.inbox.poll(timeout):
            self.close()
            raise RunnerFailed(f"the sandbox runner did not answer within {timeout:g} s")
        try:
            return receive(self.inbox)
        except EOFError:
            self.close()
            raise RunnerFailed("the sandbox runner died") from None

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """The runner's reply to a job, or {"error": why} when the runner could not start,
        died or hung (a fresh one starts for the next job)."""
        try:
            if self.process is None or self.process.poll() is not None:
                self.close()
                self.start()
            send(self.outbox, job)
            reply = self._reply(float(self.settings["limits"]["timeout"]) + MARGIN)
        except RunnerFailed as e:
            return {"error": str(e)}
        if reply.pop(LAST, False):  # it is exiting: the next job starts a fresh one
            self.close()
        return reply

    def close(self) -> None:
        if self.process is None:
            return
        with suppress(OSError):
            send(self.outbox, {"stop": True})
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for end in (self.inbox, self.outbox):
            end.close()
        self.process = None
