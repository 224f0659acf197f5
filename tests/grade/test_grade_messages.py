"""The sandbox protocol (`grader_sandbox.messages`): every message round-trips through JSON,
and a malformed one is refused naming the field at fault, on the way in and on the way
out. A server (`serve`) reports when it cannot start, answers a job it fails on or a bad
message with an error and goes on, and marks the last reply of a server that stops on
its own, so that no job is sent to a process that is exiting."""

from __future__ import annotations

import functools
import json
import threading
from multiprocessing import Pipe
from pathlib import Path

import pytest

from grader_sandbox import isolation, messages
from grader_sandbox.isolation import Limits
from grader_sandbox.messages import (
    Fatal,
    Ready,
    RunJob,
    RunnerSettings,
    RunOutcome,
    RunReply,
    Stop,
    receive,
    send,
)
from grader_sandbox.node import NodeResult
from grader_sandbox.typedjson import Message, MessageError, decode

SETTINGS = RunnerSettings(
    "forward-pass",
    specs=({"id": "fp.1.1", "parts": [{"name": "z", "kind": "Numeric"}]},),
    limits=Limits(cell_timeout=10, timeout=60),
    private=("/course/submitted",),
    release={"data.csv": "eCx5CjEsMgo="},
    heavy=("pandas",),
    jail="userns",
    bwrap="/usr/bin/bwrap",
    scratch="/course/graded/.sandbox",
    index=2,
)
OUTCOME = RunOutcome(
    "completed",
    "",
    [{"cell": 0, "status": "ok", "seconds": 0.1}],
    {"active": ["pid-namespace"], "missing": {}},
    output="1\n\udcff",  # a lone surrogate: output read with errors replaced, or not
    seconds=1.5,
)
REPLY = RunReply(OUTCOME, {"cell-1": {"fp.1.1.json": "e30="}})
EXAMPLES = [
    SETTINGS,
    RunnerSettings("forward-pass"),  # every default
    RunJob.of([[0, "import numpy as np", False], [1, 'grader.score("fp.1.1", z)', True]]),
    REPLY,
    RunReply(error="the sandbox runner failed: KeyError: 'x'", last=True),
    Ready(),
    Fatal("ValueError: cannot start"),
    Stop(),
    NodeResult(REPLY, isolation="root", seconds=2.25),
    NodeResult(refused="the grading node n1 cannot isolate: no bwrap", unisolated="no bwrap"),
    # a student's own numbers for the notebook's given cells, as tagged JSON
    RunJob.of(
        [[0, "x = 1", False]], {"fp.1.1": {"b": {"array": [0.5], "shape": [1], "dtype": "<f8"}}}
    ),
]


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips_through_json(message):
    text = message.to_json()
    assert json.loads(text)["kind"] == message.KIND
    assert type(message).from_json(text) == message
    assert decode(text.encode(), RunJob, type(message)) == message


def _edited(message: Message, path: str, value: object = ...) -> str:
    """`message`'s JSON with the field at `path` ("outer/inner") set to `value` (deleted:
    ...)."""
    data = json.loads(message.to_json())
    *outer, last = path.split("/")
    inner = data
    for key in outer:
        inner = inner[key]
    if value is ...:
        del inner[last]
    else:
        inner[last] = value
    return json.dumps(data)


MALFORMED = [
    ("missing", RunnerSettings, _edited(SETTINGS, "assignment"), "assignment", "missing"),
    ("nested", RunnerSettings, _edited(SETTINGS, "limits/tmp_mb"), "limits.tmp_mb", "missing"),
    ("unknown", RunJob, _edited(EXAMPLES[2], "student", "s1"), "student", "unknown field"),
    ("unknown-nested", RunReply, _edited(REPLY, "outcome/score", 1), "outcome.score", "unknown"),
    (
        "wrong-type",
        RunnerSettings,
        _edited(SETTINGS, "limits/timeout", "60"),
        "limits.timeout",
        "a number",
    ),
    ("bool-is-no-int", RunnerSettings, _edited(SETTINGS, "index", True), "index", "an integer"),
    ("optional", RunnerSettings, _edited(SETTINGS, "scratch", 3), "scratch", "text or null"),
    (
        "cell",
        RunJob,
        '{"kind": "job", "cells": [[0, "x = 1", 1]], "given": {}}',
        "cells[0][2]",
        "true or false",
    ),
    (
        "cell-length",
        RunJob,
        '{"kind": "job", "cells": [[0, "x = 1"]], "given": {}}',
        "cells[0]",
        "a list of 3",
    ),
    (
        "records",
        RunReply,
        _edited(REPLY, "records/cell-1/fp.1.1.json", 7),
        "records.cell-1.fp.1.1.json",
        "text",
    ),
    (
        "no-path-travels",
        RunReply,
        _edited(REPLY, "outcome/records", "/etc"),
        "outcome.records",
        "null",
    ),
    (
        "deep-in-a-result",
        NodeResult,
        _edited(EXAMPLES[8], "reply/outcome/status", 0),
        "reply.outcome.status",
        "text",
    ),
    ("invariant", RunReply, _edited(REPLY, "error", "also failed"), "error", "either"),
    (
        "invariant-nested",
        NodeResult,
        _edited(EXAMPLES[8], "reply/outcome", None),
        "reply.error",
        "either",
    ),
    ("mode", RunnerSettings, _edited(SETTINGS, "jail", "chroot"), "jail", "root, userns"),
    ("not-an-object", RunJob, "[1, 2]", "message", "expected an object, got a list"),
    ("field-not-an-object", RunnerSettings, _edited(SETTINGS, "limits", [60]), "limits", "object"),
    ("not-json", RunJob, "{'cells': []}", "message", "not JSON"),
    ("not-utf8", RunJob, b'{"kind": "job", "cells": [[0, "\xff", false]]}', "message", "not JSON"),
    ("no-kind", RunJob, '{"cells": []}', "kind", "expected job, got null"),
    ("other-kind", RunJob, Ready().to_json(), "kind", 'expected job, got "ready"'),
    ("odd-kind", RunJob, '{"kind": ["job"], "cells": []}', "kind", "expected job"),
]


@pytest.mark.parametrize(
    ("kind", "text", "field", "says"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_a_malformed_message_is_refused_naming_the_field(kind, text, field, says):
    with pytest.raises(MessageError) as refused:
        kind.from_json(text)
    assert refused.value.name == field
    assert str(refused.value).startswith(f"{field}: ") and says in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_what_would_be_refused_is_never_sent():
    with pytest.raises(MessageError, match=r"^cells\[0\]\[1\]: expected text"):
        RunJob(((0, b"x = 1", False),)).to_json()  # type: ignore[arg-type]
    with pytest.raises(MessageError, match=r"^outcome\.records: expected null"):
        RunReply(RunOutcome("completed", "", [], {}, records=Path("/tmp"))).to_json()
    with pytest.raises(MessageError, match=r"^message: not JSON"):
        RunReply(RunOutcome("completed", "", [{"cell": object()}], {})).to_json()
    with pytest.raises(MessageError, match=r"^bwrap: a jailed runner needs"):
        RunnerSettings("forward-pass", jail="root")


class _Echo:
    """Answers with the job's sources as output; fails on a cell "raise"; spent after
    `jobs` jobs; cannot start for an assignment named "broken"."""

    def __init__(self, settings: RunnerSettings, jobs: int) -> None:
        if settings.assignment == "broken":
            raise ValueError("cannot start")
        self.jobs, self.done, self.closed = jobs, 0, False

    def handle(self, job: RunJob) -> RunReply:
        if any(source == "raise" for _, source, _ in job.cells):
            raise ArithmeticError("negative")
        self.done += 1
        output = " ".join(source for _, source, _ in job.cells)
        return RunReply(RunOutcome("completed", "", [], {}, output=output))

    def spent(self) -> bool:
        return self.done >= self.jobs

    def close(self) -> None:
        self.closed = True


def _job(*sources: str) -> RunJob:
    return RunJob.of([i, source, False] for i, source in enumerate(sources))


def _output(reply: Message) -> str:
    assert isinstance(reply, RunReply) and reply.outcome is not None, reply
    return reply.outcome.output


@pytest.fixture
def serving(monkeypatch):
    """Start an `_Echo` server spent after `jobs` jobs, in a thread: (send a message, or
    raw bytes, and receive its reply, if it gets one; the thread)."""
    monkeypatch.setattr(isolation, "die_with_parent", lambda signal: None)  # a thread here
    started = []

    def start(jobs: int = 5):
        jobs_r, jobs_w = Pipe(duplex=False)
        replies_r, replies_w = Pipe(duplex=False)

        def exchange(message: Message | bytes, answered: bool = True) -> Message | None:
            if isinstance(message, bytes):
                jobs_w.send_bytes(message)
            else:
                send(jobs_w, message)
            return receive(replies_r, Ready, Fatal, RunReply) if answered else None

        server = functools.partial(_Echo, jobs=jobs)
        thread = threading.Thread(target=messages.serve, args=(jobs_r, replies_w, server))
        thread.start()
        started.append((jobs_w, thread))
        return exchange, thread

    yield start
    for jobs_w, thread in started:
        jobs_w.close()
        thread.join(timeout=10)


def test_a_server_answers_until_told_to_stop(serving):
    exchange, thread = serving()
    assert exchange(RunnerSettings("forward-pass")) == Ready()
    assert _output(exchange(_job("x = 2", "y = 3"))) == "x = 2 y = 3"
    failed = exchange(_job("raise"))  # that job only
    assert failed == RunReply(error="the sandbox runner failed: ArithmeticError: negative")
    assert _output(exchange(_job("z = 4"))) == "z = 4"
    exchange(Stop(), answered=False)
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_the_last_reply_of_a_spent_server_says_so(serving):
    exchange, thread = serving(jobs=2)
    assert exchange(RunnerSettings("forward-pass")) == Ready()
    assert not exchange(_job("a = 1")).last
    last = exchange(_job("b = 2"))
    assert last.last and _output(last) == "b = 2"
    thread.join(timeout=10)
    assert not thread.is_alive()  # it stopped without being told


def test_a_server_that_cannot_start_says_why(serving):
    exchange, thread = serving()
    assert exchange(RunnerSettings("broken")) == Fatal("ValueError: cannot start")
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_settings_that_are_not_settings_are_a_reason_not_to_start(serving):
    exchange, thread = serving()
    said = exchange(_edited(SETTINGS, "limits/timeout", "soon").encode())
    assert said == Fatal("MessageError: limits.timeout: expected a number, got text")
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.mark.parametrize(
    ("message", "says"),
    [
        (b"\x80not json", "message: not JSON"),
        (b"[]", "message: expected an object, got a list"),
        (
            b'{"kind": "job", "cells": [[0, "x = 1", "yes"]], "given": {}}',
            "cells[0][2]: expected true or",
        ),
        (b'{"kind": "job", "cells": [], "given": {}, "student": "s1"}', "student: unknown field"),
        (b'{"kind": "job"}', "cells: missing"),
        (b'{"kind": "settings", "assignment": "x"}', 'kind: expected job or stop, got "settings"'),
    ],
)
def test_a_bad_message_costs_only_its_reply(serving, message, says):
    exchange, thread = serving()
    assert exchange(RunnerSettings("forward-pass")) == Ready()
    refused = exchange(message)
    assert isinstance(refused, RunReply) and refused.outcome is None
    assert refused.error.startswith(f"the sandbox runner got a bad message: {says}")
    assert _output(exchange(_job("x = 1"))) == "x = 1"  # and it goes on
    assert thread.is_alive()
