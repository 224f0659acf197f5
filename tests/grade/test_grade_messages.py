"""The protocol between a grading process and its parent (`grader_sandbox.messages.serve`):
JSON only, a report when the server cannot start, a job's failure costing that job, and
the last reply of a server that stops on its own marked so that no job is sent to a
process that is exiting."""

from __future__ import annotations

import threading
from multiprocessing import Pipe

import pytest

from grader_sandbox import isolation, messages
from grader_sandbox.messages import LAST, receive, send


class _Doubler:
    """Doubles "x"; fails on a negative one; spent after `jobs` jobs."""

    def __init__(self, settings: dict) -> None:
        if settings.get("broken"):
            raise ValueError("cannot start")
        self.jobs, self.done, self.closed = int(settings["jobs"]), 0, False

    def handle(self, job: dict) -> dict:
        if job["x"] < 0:
            raise ArithmeticError("negative")
        self.done += 1
        return {"y": 2 * job["x"]}

    def spent(self) -> bool:
        return self.done >= self.jobs

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def serving(monkeypatch):
    """(send a message and receive its reply, if it gets one; the served thread) for a
    `_Doubler` server."""
    monkeypatch.setattr(isolation, "die_with_parent", lambda signal: None)  # a thread here
    jobs_r, jobs_w = Pipe(duplex=False)
    replies_r, replies_w = Pipe(duplex=False)

    def failed(job: dict, e: Exception) -> dict:
        return {"error": f"{type(e).__name__}: {e}"}

    def exchange(message: dict, answered: bool = True) -> dict | None:
        send(jobs_w, message)
        return receive(replies_r) if answered else None

    thread = threading.Thread(target=messages.serve, args=(jobs_r, replies_w, _Doubler, failed))
    thread.start()
    yield exchange, thread
    jobs_w.close()
    thread.join(timeout=10)


def test_a_server_answers_until_told_to_stop(serving):
    exchange, thread = serving
    assert exchange({"jobs": 5}) == {"ready": True}
    assert exchange({"x": 2}) == {"y": 4}
    assert exchange({"x": -1}) == {"error": "ArithmeticError: negative"}  # that job only
    assert exchange({"x": 3}) == {"y": 6}
    exchange({"stop": True}, answered=False)
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_the_last_reply_of_a_spent_server_says_so(serving):
    exchange, thread = serving
    assert exchange({"jobs": 2}) == {"ready": True}
    assert exchange({"x": 1}) == {"y": 2}
    assert exchange({"x": 5}) == {"y": 10, LAST: True}
    thread.join(timeout=10)
    assert not thread.is_alive()  # it stopped without being told


def test_a_server_that_cannot_start_says_why(serving):
    exchange, thread = serving
    assert exchange({"broken": True}) == {"fatal": "ValueError: cannot start"}
    thread.join(timeout=10)
    assert not thread.is_alive()
