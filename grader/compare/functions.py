"""Judging `Function` parts: the student's function, called on the bank's probes.

Untrusted side (`encode`): call the function on a copy of each probe's kwargs (public
probes, and hidden ones when asked), each call under ``part.call_timeout`` with warnings
silenced, and record per probe the result, the exception or the timeout.

Trusted side (`judge`): compare each result with ``probe.expected(kwargs)`` within the
probe's tolerance; credit is the fraction of probes passed. Hidden probes are named by
their `describe` text only: never their inputs or values.

Gradient convention: when ``part.gradient_of`` is set, the function returns the gradient
of that loss with respect to the probe's *leading* keyword arguments (one array for the
first argument, or a tuple with one item per leading argument), and every result is
also compared with central finite differences of the loss at the probe's point.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.compare import diagnose, gradcheck
from grader.compare.diagnose import close
from grader.compare.kinds import Context, Unusable, Verdict
from grader.compare.nodes import MALFORMED, describe, items, kind, numbers, text, unusable
from grader.compare.numeric import as_floats, fit, scale, sentence, widened
from grader.compare.timelimit import TimeLimitExceeded, time_limit
from grader.compare.wire import Encoder, Node, Wire, describe_exception
from grader.question import Function, Probe

_LISTED = 4  # failing probes described in one message


def _probes(part: Function, hidden: bool) -> list[Probe]:
    return [p for p in part.probes if hidden or not p.hidden]


# --- untrusted side ---------------------------------------------------------------------


def _call(fn: Callable[..., Any], probe: Probe, timeout: float, enc: Encoder) -> Node:
    record: Node = {"probe": probe.name}
    try:
        kwargs = copy.deepcopy(dict(probe.kwargs))  # the student may modify their inputs
        with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(timeout):
            warnings.simplefilter("ignore")
            out = fn(**kwargs)
    except TimeLimitExceeded:
        return {**record, "status": "timeout"}
    except BaseException as e:  # even KeyboardInterrupt: encoding never raises
        return {**record, "status": "raised", "error": describe_exception(e)}
    return {**record, "status": "ok", "value": enc.value(out)}


def encode(answer: Any, part: Function, enc: Encoder, hidden: bool) -> Node:
    if not callable(answer):
        return enc.value(answer)  # the judge says what it got instead
    return {
        "t": "calls",
        "calls": [_call(answer, p, part.call_timeout, enc) for p in _probes(part, hidden)],
    }


# --- trusted side -----------------------------------------------------------------------


def _structured(expected: Any) -> bool:
    """A tuple of differently shaped values, compared item by item."""
    if not isinstance(expected, tuple | list):
        return False
    try:
        as_floats(expected)
    except ValueError:
        return True
    return False


def _mismatch(node: Any, expected: Any, probe: Probe, wire: Wire) -> str | None:
    """Why the returned value is wrong, or None when it is right."""
    if _structured(expected):
        got = items(node) if kind(node) == "list" else []
        if len(got) != len(expected):
            return f"returned {describe(node)}, expected a tuple of {len(expected)} values"
        for i, (n, e) in enumerate(zip(got, expected, strict=True)):
            problem = _mismatch(n, e, probe, wire)
            if problem:
                return f"item {i}: {problem}"
        return None
    e = as_floats(expected)
    try:
        nums = numbers(node, wire)
        a, _ = fit(nums, e, probe.shape_policy)
    except Unusable as u:
        return str(u)
    ok = close(a, e, widened(probe.tol, nums.dtype, scale(e))[0])
    if ok.all():
        return None
    return (
        "returned a wrong value"
        if probe.hidden
        else f"returned a wrong value. {diagnose.wrong_elements(a, e, ok)}"
    )


def _gradient(node: Any, n: int, wire: Wire) -> list[np.ndarray] | None:
    try:
        if n == 1:
            return [numbers(node, wire).values]
        if kind(node) == "list" and len(items(node)) == n:
            return [numbers(i, wire).values for i in items(node)]
        values = numbers(node, wire).values
        return list(values) if values.shape[:1] == (n,) else None
    except Unusable:
        return None


def _fd_agrees(node: Any, probe: Probe, expected: Any, ctx: Context) -> bool:
    part = ctx.part
    assert isinstance(part, Function) and part.gradient_of is not None
    n = len(expected) if isinstance(expected, tuple | list) else 1
    key = f"fd:{probe.name}"
    if key not in ctx.memo:
        ctx.memo[key] = gradcheck.finite_differences(
            part.gradient_of, probe.kwargs, list(probe.kwargs)[:n]
        )
    reference = ctx.memo[key]
    got = _gradient(node, n, ctx.wire)
    return got is not None and all(
        gradcheck.agrees(g, r) for g, r in zip(got, reference, strict=True)
    )


def _expected(ctx: Context, probe: Probe) -> Any:
    key = f"expected:{probe.name}"
    if key not in ctx.memo:
        ctx.memo[key] = probe.expected(copy.deepcopy(dict(probe.kwargs)))
    return ctx.memo[key]


def _outcome(record: Any, probe: Probe, ctx: Context) -> tuple[str | None, bool | None]:
    """(why the probe failed or None, whether the result agrees with finite differences
    or None when not checked)."""
    part = ctx.part
    assert isinstance(part, Function)
    if not isinstance(record, dict):
        return "was not run", None
    status = record.get("status")
    if status == "timeout":
        return f"did not return within {part.call_timeout:g} s", None
    if status == "raised":
        error = text(record, "error", "an exception")
        if probe.hidden:  # its message may quote the hidden inputs
            error = error.partition(":")[0]
        return f"raised {error}", None
    if status != "ok" or not isinstance(record.get("value"), dict):
        return MALFORMED, None
    expected = _expected(ctx, probe)
    problem = _mismatch(record["value"], expected, probe, ctx.wire)
    if part.gradient_of is None:
        return problem, None
    agrees = _fd_agrees(record["value"], probe, expected, ctx)
    if problem:
        problem += (
            " (it agrees with central finite differences of the loss, though)"
            if agrees
            else " (central finite differences of the loss disagree with it too)"
        )
    return problem, agrees


def _unwritten(record: Any) -> bool:
    """Whether a call raised NotImplementedError: nbgrader's stub is still the body."""
    return (
        isinstance(record, dict)
        and record.get("status") == "raised"
        and text(record, "error", "").partition(":")[0] == "NotImplementedError"
    )


def judge(node: Any, ctx: Context) -> Verdict:
    part = ctx.part
    assert isinstance(part, Function)
    if kind(node) != "calls":
        if kind(node) == "none":
            return Unusable("no answer (None): did you define the function?", "missing").verdict
        return unusable(node, f"a function (def {ctx.question.variable}(...))").verdict
    calls = node.get("calls")
    records = {
        r["probe"]: r
        for r in (calls if isinstance(calls, list) else [])
        if isinstance(r, dict) and isinstance(r.get("probe"), str)
    }
    probes = _probes(part, ctx.hidden)
    if not probes:
        return Verdict("missing", 0.0, "not checked here: this function is graded by hidden tests")
    if all(_unwritten(records.get(probe.name)) for probe in probes):
        return Verdict(
            "missing",
            0.0,
            f"not answered yet: {ctx.question.variable}() still raises NotImplementedError; "
            "write its body in its # YOUR CODE HERE cell",
        )
    failures, fd = [], []
    for probe in probes:
        problem, agrees = _outcome(records.get(probe.name), probe, ctx)
        if agrees is not None:
            fd.append(agrees)
        if problem:
            name = f"hidden test ({probe.describe})" if probe.hidden else probe.describe
            failures.append(f"{name}: {problem.rstrip('.')}.")
    passed = len(probes) - len(failures)
    fd_note = (
        f"Your gradients were also compared with central finite differences of the loss: "
        f"they agree on {sum(fd)} of {len(fd)} calls."
        if fd
        else None
    )
    if not failures:
        return Verdict(
            "correct", 1.0, sentence(f"Correct: all {len(probes)} checks passed.", fd_note)
        )
    more = f"And {len(failures) - _LISTED} more." if len(failures) > _LISTED else None
    message = sentence(
        f"{passed} of {len(probes)} checks passed.", *failures[:_LISTED], more, fd_note
    )
    return Verdict("partial" if passed else "incorrect", passed / len(probes), message)
