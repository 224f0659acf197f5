"""A wall-clock limit on a block of Python code, nestable: SIGALRM, or a watchdog thread.

Used for student code (a hung cell, a function answer called on a probe) and for SymPy
simplification. It interrupts Python bytecode only: a single C call that never returns
to the interpreter (or, with the watchdog, a `time.sleep`) is stopped by the limit of the
whole run instead (the sandbox's, or `grader check`'s on its subprocess).

Where SIGALRM is missing (Windows), a timer thread per limit interrupts the main thread
through `_thread.interrupt_main(SIGINT)`, and a SIGINT handler installed for the time of
the outermost limit raises `TimeLimitExceeded` for a limit that expired (a real Ctrl-C
stays a KeyboardInterrupt). Outside the main thread no signal can be handled: the block
runs unlimited.
"""

from __future__ import annotations

import _thread
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

#: Seconds one notebook cell, and one whole notebook, may run: in `grader grade`'s sandbox
#: and in `grader check NOTEBOOK` alike.
CELL_SECONDS = 120.0
NOTEBOOK_SECONDS = 900.0


class TimeLimitExceeded(BaseException):
    """Raised inside the limited block when its time is up.

    A BaseException, so a student's ``except Exception`` cannot swallow it.
    """


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `TimeLimitExceeded` in the block after `seconds` (None or <= 0: no limit).

    An enclosing limit keeps running: when this block ends, the outer limit still fires
    at its own time (at once if it has passed).
    """
    if not seconds or seconds <= 0 or not _main_thread():
        yield
    elif hasattr(signal, "setitimer"):
        with _alarm(seconds):
            yield
    else:
        with _watchdog(seconds):
            yield


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """The limit by SIGALRM: an outer timer is re-armed with what is left of it (at least
    a millisecond, so an expired outer limit fires)."""
    outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    started = time.monotonic()
    own = seconds if not outer_remaining else min(seconds, outer_remaining)

    limit = seconds if own == seconds else outer_remaining + (time.monotonic() - started)

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"time limit of {limit:g} s exceeded")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, own)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_remaining:
            left = outer_remaining - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


@dataclass
class _Limit:
    seconds: float
    expired: bool = False


#: The watchdog's limits in force, outermost first (main thread only), and the SIGINT
#: handler that was there before the outermost.
_limits: list[_Limit] = []
_previous: list[Callable[[int, FrameType | None], Any] | int | None] = []


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    for limit in _limits:
        if limit.expired:
            raise TimeLimitExceeded(f"time limit of {limit.seconds:g} s exceeded")
    previous = _previous[0] if _previous else None
    if callable(previous):  # no limit of ours expired: a real Ctrl-C
        previous(signum, frame)
    else:
        raise KeyboardInterrupt


def _handle_pending_signals() -> None:
    """Nothing: calling a Python function is where the interpreter runs the handlers of
    signals already tripped (a timer's interrupt, before the handler is taken away)."""


@contextmanager
def _watchdog(seconds: float) -> Iterator[None]:
    """The limit by a timer thread (see the module doc)."""
    limit = _Limit(seconds)

    def expire() -> None:
        limit.expired = True
        _thread.interrupt_main(signal.SIGINT)

    if not _limits:
        _previous[:] = [signal.signal(signal.SIGINT, _on_sigint)]
    _limits.append(limit)
    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()  # `expire` has run to its end, or never will
        try:
            _handle_pending_signals()  # its interrupt raises here, if it came this late
        finally:
            _limits.remove(limit)
            if not _limits:
                signal.signal(signal.SIGINT, _previous.pop())
