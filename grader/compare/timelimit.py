"""A wall-clock limit on a block of Python code, nestable, via SIGALRM.

Used for student code (a hung cell, a function answer called on a probe) and for SymPy
simplification. It interrupts Python bytecode only: a single C call that never returns
to the interpreter is stopped by the process-level limits of the sandbox instead.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class TimeLimitExceeded(BaseException):
    """Raised inside the limited block when its time is up.

    A BaseException, so a student's ``except Exception`` cannot swallow it.
    """


def _available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise `TimeLimitExceeded` in the block after `seconds` (None or <= 0: no limit).

    An enclosing limit keeps running: when this block ends, the outer timer is re-armed
    with what is left of it (at least a millisecond, so an expired outer limit fires).
    Where SIGALRM is unavailable (Windows, non-main threads) the block runs unlimited.
    """
    if not seconds or seconds <= 0 or not _available():
        yield
        return

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
