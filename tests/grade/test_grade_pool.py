"""The local pool, and the runner lifecycle it shares with a grading node
(`grader_sandbox.channel.RunnerProcess`). The pool reads its jobs as its runners need
them. A runner that dies or hangs is replaced and its job tried once more, then reported
as an internal error; one that cannot start says why, and runners that keep dying while
starting stop the batch. A node's blocking runner starts when it is needed, answers a job
whose runner died with an error and starts afresh, and never crashes on a bad message."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from grader_sandbox import channel, jail
from grader_sandbox.channel import RunnerProcess
from grader_sandbox.isolation import Limits
from grader_sandbox.messages import RunJob, RunnerSettings, RunReply, receive
from optigrade.grade.pool import PoolFailed, WorkerPool

SLEEP = "import time\ntime.sleep({})"


def _settings(tmp_path, **changes) -> RunnerSettings:
    """A runner's settings as the batch and the pool make them: jailed, unless `changes`
    say otherwise (a test that signals the runner needs its process, not bubblewrap's)."""
    found = jail.find()
    os.chmod(tmp_path, 0o711)
    settings = RunnerSettings(
        "forward-pass",
        limits=Limits(cell_timeout=10, timeout=60),
        scratch=str(tmp_path),
        jail=found.mode,
        bwrap=found.bwrap,
    )
    return replace(settings, **changes)


def _unjailed(tmp_path, **changes) -> RunnerSettings:
    return _settings(tmp_path, jail=None, bwrap=None, **changes)


def _job(student: str, *sources: str) -> dict:
    return {
        "student": student,
        "cells": [[i, s, False] for i, s in enumerate(sources)],
        "tests": {},
    }


def test_jobs_are_read_as_the_runners_need_them(tmp_path):
    read: list[str] = []

    def jobs():
        for i in range(6):
            read.append(f"s{i}")
            yield _job(f"s{i}", f"x = {i}")

    seen, running = [], []
    with WorkerPool(1, _settings(tmp_path)) as pool:
        for job, reply in pool.map(jobs()):
            seen.append((job["student"], len(read), reply.status))
            running.append([student for student, _ in pool.running()])
    assert [student for student, _, _ in seen] == read == [f"s{i}" for i in range(6)]
    assert {status for _, _, status in seen} == {"graded"}
    assert seen[0][1] <= 3  # when the first came back, at most two more had been read
    # what the progress display shows as running: the one runner's next job, sent before
    # the finished one was judged; none once the last is back
    assert running == [[f"s{i + 1}"] for i in range(5)] + [[]]


def _signalling(runner: Callable[[], RunnerProcess], times: int, sig: int) -> list[int]:
    """Send `sig` to the runner process, each time once it has held a job for half a
    second, `times` times (from a thread, within a minute); the pids signalled."""
    signalled: list[int] = []

    def loop() -> None:
        deadline = time.monotonic() + 60
        while len(signalled) < times and time.monotonic() < deadline:
            found = runner()
            process = found.process
            busy = found.busy and time.monotonic() - found.since > 0.5
            if busy and process is not None and process.pid not in signalled:
                os.kill(process.pid, sig)
                signalled.append(process.pid)
            time.sleep(0.05)

    threading.Thread(target=loop, daemon=True).start()
    return signalled


@pytest.mark.parametrize(("deaths", "status"), [(1, "graded"), (2, "internal-error")])
def test_a_job_whose_runner_dies_is_tried_once_more(tmp_path, deaths, status):
    with WorkerPool(1, _unjailed(tmp_path)) as pool:
        killed = _signalling(lambda: pool.slots[0].runner, deaths, signal.SIGKILL)
        jobs = [_job("doomed", SLEEP.format(2)), _job("next", "x = 1")]
        replies = {job["student"]: reply for job, reply in pool.map(jobs)}
    assert len(killed) == deaths
    assert replies["doomed"].status == status
    if status == "internal-error":
        assert replies["doomed"].reason == "the grading worker died twice on it"
    assert replies["next"].status == "graded"  # on a fresh runner


def test_a_hung_runner_is_replaced_past_the_limit_and_a_margin(tmp_path, monkeypatch):
    monkeypatch.setattr(channel, "MARGIN", 1.0)
    settings = _unjailed(tmp_path, limits=Limits(cell_timeout=2, timeout=3))
    with WorkerPool(1, settings) as pool:
        stopped = _signalling(lambda: pool.slots[0].runner, 1, signal.SIGSTOP)
        started = time.monotonic()
        ((_, reply),) = pool.map([_job("patient", SLEEP.format(1))])
        assert pool.slots[0].runner.process.pid not in stopped
    assert len(stopped) == 1 and reply.status == "graded"
    assert time.monotonic() - started > 3 + 1  # given up on once past its deadline only


def test_a_runner_that_cannot_start_says_why(tmp_path):
    with (
        pytest.raises(PoolFailed, match="could not start: ValueError: an unisolated runner"),
        WorkerPool(1, _unjailed(tmp_path, scratch=None)) as pool,
    ):
        list(pool.map([_job("s", "x = 1")]))


def test_runners_that_keep_dying_while_starting_stop_the_batch(tmp_path):
    with (
        pytest.raises(PoolFailed, match="keep dying while starting"),
        WorkerPool(2, _settings(tmp_path, bwrap="/bin/false")) as pool,  # exits at once
    ):
        list(pool.map([_job("s", "x = 1")]))


def _output(reply: RunReply) -> str:
    assert reply.outcome is not None and reply.outcome.status == "completed", reply
    return reply.outcome.output


def test_a_blocking_runner_starts_when_needed_and_afresh_after_it_died(tmp_path):
    runner = RunnerProcess(_unjailed(tmp_path))
    try:
        assert _output(runner.run(RunJob.of([[0, "print(6 * 7)", False]]))) == "42\n"
        first = runner.process.pid
        os.kill(first, signal.SIGKILL)
        runner.process.wait()  # dead before the next job comes
        assert _output(runner.run(RunJob.of([[0, "print(1)", False]]))) == "1\n"
        assert runner.process.pid != first  # between jobs: a fresh one, unnoticed

        killed = _signalling(lambda: runner, 1, signal.SIGKILL)
        died = runner.run(RunJob.of([[0, SLEEP.format(2), False]]))
        assert killed and died == RunReply(error="the sandbox runner died")
        assert not runner.alive
        assert _output(runner.run(RunJob.of([[0, "print(2)", False]]))) == "2\n"
    finally:
        runner.stop()
    assert runner.process is None


def test_a_runner_answers_a_bad_message_with_its_error_and_goes_on(tmp_path):
    runner = RunnerProcess(_settings(tmp_path))  # jailed, as a node's
    runner.start()
    try:
        for bad, says in [
            (
                b'{"kind": "job", "cells": [[0, "x = 1", 1]], "given": {}}',
                "cells[0][2]: expected true",
            ),
            (
                b'{"kind": "job", "cells": [], "given": {}, "student": "s1"}',
                "student: unknown field",
            ),
            (b"\xff", "message: not JSON"),
        ]:
            runner.outbox.send_bytes(bad)
            reply = receive(runner.inbox, RunReply)
            assert isinstance(reply, RunReply) and reply.outcome is None
            assert reply.error.startswith(f"the sandbox runner got a bad message: {says}")
        pid = runner.process.pid
        assert _output(runner.run(RunJob.of([[0, "print(3)", False]]))) == "3\n"
        assert runner.process.pid == pid  # the same runner throughout
    finally:
        runner.stop()


def test_a_blocking_runner_that_cannot_start_says_why_on_each_job(tmp_path):
    runner = RunnerProcess(_unjailed(tmp_path, scratch=None))
    for _ in range(2):
        reply = runner.run(RunJob.of([[0, "x = 1", False]]))
        assert reply.error == (
            "the sandbox runner could not start: ValueError: an unisolated runner needs a "
            "scratch folder"
        )
        assert runner.process is None
