"""`time_limit` by SIGALRM (Linux, macOS) and by its watchdog thread (Windows, where
`signal.setitimer` is missing; forced here by removing it): the same behaviour from both."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from grader.compare import timelimit
from grader.compare.timelimit import TimeLimitExceeded, time_limit


@pytest.fixture(params=["alarm", "watchdog"])
def mechanism(request, monkeypatch) -> str:
    if request.param == "watchdog":
        monkeypatch.delattr(signal, "setitimer")  # as on Windows
        monkeypatch.delattr(signal, "SIGALRM")
    return request.param


def _spin(seconds: float) -> None:
    """Python bytecode running for `seconds` (what a limit can interrupt)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_a_hung_block_is_stopped_at_its_limit(mechanism):
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded, match=r"time limit of 0.2 s exceeded"), time_limit(0.2):
        _spin(5)
    assert 0.15 < time.monotonic() - started < 2


def test_a_block_within_its_limit_runs_and_nothing_fires_later(mechanism):
    with time_limit(0.3):
        _spin(0.05)
    _spin(0.5)  # past the limit's time: no late interrupt


def test_an_expired_outer_limit_stops_an_inner_block(mechanism):
    outer = pytest.raises(TimeLimitExceeded, match=r"time limit of 0\.[23]\d* s")
    with outer, time_limit(0.3), time_limit(10):
        _spin(5)


def test_an_outer_limit_keeps_running_after_an_inner_one(mechanism):
    with pytest.raises(TimeLimitExceeded, match=r"time limit of 0\.[34]\d* s"), time_limit(0.4):
        with pytest.raises(TimeLimitExceeded, match=r"0.1 s"), time_limit(0.1):
            _spin(5)
        _spin(5)


def test_ctrl_c_in_a_limited_block_is_still_a_keyboard_interrupt(mechanism):
    with pytest.raises(KeyboardInterrupt), time_limit(10):
        signal.raise_signal(signal.SIGINT)
        _spin(1)


def test_the_watchdog_gives_back_the_sigint_handler(monkeypatch):
    monkeypatch.delattr(signal, "setitimer")
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(TimeLimitExceeded), time_limit(5), time_limit(0.1):
        assert signal.getsignal(signal.SIGINT) is timelimit._on_sigint
        _spin(5)
    assert signal.getsignal(signal.SIGINT) is before
    assert timelimit._limits == []


def test_no_limit_and_other_threads_run_unlimited(mechanism):
    for seconds in (None, 0, -1):
        with time_limit(seconds):
            _spin(0.05)
    ran = []

    def limited() -> None:  # no signal reaches a thread other than the main one
        with time_limit(0.05):
            _spin(0.2)
        ran.append(True)

    thread = threading.Thread(target=limited)
    thread.start()
    thread.join()
    assert ran == [True]
