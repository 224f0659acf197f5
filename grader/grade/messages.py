"""Messages between grading processes: one JSON object per message on a pipe, never
pickle (the other side may be, or may have been touched by, untrusted code)."""

from __future__ import annotations

import json
from multiprocessing.connection import Connection
from typing import Any

MAX_MESSAGE_BYTES = 256 * 2**20


def send(conn: Connection, message: dict[str, Any]) -> None:
    conn.send_bytes(json.dumps(message).encode())  # ASCII: even lone surrogates pass


def receive(conn: Connection) -> dict[str, Any]:
    """The next message; EOFError when the other side has gone."""
    try:
        found = json.loads(conn.recv_bytes(MAX_MESSAGE_BYTES))
    except (OSError, ValueError) as e:
        raise EOFError(str(e)) from e
    return found if isinstance(found, dict) else {}
