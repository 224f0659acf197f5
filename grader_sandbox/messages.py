"""Messages between grading processes: one JSON object per message on a pipe, never
pickle (the other side may be, or may have been touched by, untrusted code)."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Protocol

MAX_MESSAGE_BYTES = 256 * 2**20
#: Set in the reply after which a server stops (`Server.spent`), so that its parent
#: starts a fresh one rather than send the next job to a process that is exiting.
LAST = "last"
Job = dict[str, Any]  # a job or a reply: JSON-able


def internal(job: Job, reason: str) -> Job:
    """The reply of a job the grader could not grade, saying why."""
    return {"student": job.get("student"), "status": "internal-error", "reason": reason}


def send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message).encode())  # ASCII: even lone surrogates pass


class Server(Protocol):
    """A process that answers one job at a time (the sandbox runner)."""

    def handle(self, job: dict[str, Any]) -> dict[str, Any]:
        """The reply to a job; may raise (the caller's `failed` turns that into a reply)."""
        ...

    def spent(self) -> bool:
        """Whether to stop after this reply (the parent starts a fresh process)."""
        ...

    def close(self) -> None: ...


def serve(
    inbox: Connection,
    outbox: Connection,
    start: Callable[[dict[str, Any]], Server],
    failed: Callable[[dict[str, Any], Exception], dict[str, Any]],
) -> None:
    """A server's whole life: die with the parent, start from the first message (or say
    why not: {"fatal": ...}), say {"ready": true}, then answer jobs until {"stop": true},
    the parent's end of the pipe closing, or `spent` (that reply marked `LAST`)."""
    from grader_sandbox.isolation import die_with_parent

    die_with_parent(signal.SIGKILL)  # nothing outlives a killed batch
    try:
        server = start(receive(inbox))
    except Exception as e:  # reported, so the parent can say why it cannot start
        send(outbox, {"fatal": f"{type(e).__name__}: {e}"})
        return
    send(outbox, {"ready": True})
    try:
        while True:
            try:
                job = receive(inbox)
            except EOFError:
                return  # the parent has gone
            if job.get("stop"):
                return
            try:
                reply = server.handle(job)
            except Exception as e:  # a bug costs this job, not the process's others
                reply = failed(job, e)
            if server.spent():
                send(outbox, reply | {LAST: True})
                return
            send(outbox, reply)
    finally:
        server.close()


def receive(conn: Connection) -> dict[str, Any]:
    """The next message; EOFError when the other side has gone."""
    try:
        found = json.loads(conn.recv_bytes(MAX_MESSAGE_BYTES))
    except (OSError, ValueError) as e:
        raise EOFError(str(e)) from e
    return found if isinstance(found, dict) else {}
