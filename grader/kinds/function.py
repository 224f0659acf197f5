"""`Function` parts: the student's function, called on the bank's probes.

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

Sealed key: each public probe's expected output, sealed at the probe's tolerance (the
hidden probes stay with the instructor); the local check calls the function on the
public probes and compares the outputs by hashing.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.compare import diagnose, gradcheck, sealed, tagged
from grader.compare.diagnose import close
from grader.compare.nodes import MALFORMED, describe, items, kind, numbers, text, unusable
from grader.compare.result import Unusable, Verdict
from grader.compare.timelimit import TimeLimitExceeded, time_limit
from grader.compare.wire import Encoder, Node, Wire, describe_exception
from grader.kinds.base import Context, Mistakes, PartKind, SealedPart, Sealing
from grader.kinds.numeric import as_floats, fit, sentence
from grader.question import Part, ShapePolicy, Tolerance, withheld


@dataclass(frozen=True)
class Probe:
    """One call of a function answer.

    `kwargs` are passed to the student's function (in the student's process); the
    result is compared with `expected(kwargs)` (computed by `reference` in the trusted
    process) within `tol`. `hidden` probes only run in autograder (hidden) tests and
    their inputs and expected values never appear in feedback; `describe` says in words
    what behaviour the probe checks.
    """

    name: str
    kwargs: Mapping[str, Any]
    expected: Callable[[Mapping[str, Any]], Any]
    describe: str
    tol: Tolerance = field(default_factory=Tolerance)
    hidden: bool = False
    shape_policy: ShapePolicy = "strict"


@dataclass(frozen=True)
class Function(Part):
    """A function the student writes, graded by calling it on probes.

    `compute` returns the reference function itself (for the answer key and for
    notebooks' own use). Credit is the fraction of probes passed. `gradient_of`, when
    given, is the loss whose gradient the function must return; the grader then also
    checks the student's function against central finite differences of that loss.
    """

    probes: tuple[Probe, ...] = ()
    call_timeout: float = 10.0  # seconds per call
    gradient_of: Callable[..., float] | None = None


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
    ok = close(a, e, probe.tol)
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


def _probe_spec(probe: Probe) -> dict[str, Any]:
    return {
        "name": probe.name,
        "kwargs": {k: tagged.dump(v) for k, v in probe.kwargs.items()},
        "describe": probe.describe,
        "tol": [probe.tol.rtol, probe.tol.atol],
        "hidden": probe.hidden,
        "shape_policy": probe.shape_policy,
    }


def _probe_from(spec: Mapping[str, Any]) -> Probe:
    return Probe(
        name=str(spec["name"]),
        kwargs={str(k): tagged.load(v) for k, v in spec["kwargs"].items()},
        expected=withheld,
        describe=str(spec["describe"]),
        tol=Tolerance(*map(float, spec["tol"])),
        hidden=bool(spec["hidden"]),
        shape_policy=spec["shape_policy"],
    )


_NO_FUNCTION = "no answer (None): did you define the function?"
_UNWRITTEN = (
    "not answered yet: the function still raises NotImplementedError; write its body in "
    "its # YOUR CODE HERE cell"
)


def _probe_problem(
    record: Mapping[str, Any],
    entry: Mapping[str, Any],
    probe: Probe,
    part: Function,
    here: SealedPart,
) -> str | None:
    """Why one call of the student's function is not the expected one, judged from the
    probe's seal (None: it is)."""
    status = record.get("status")
    if status == "raised":
        return f"raised {str(record.get('error', 'an exception'))[:200]}"
    if status == "timeout":
        return f"did not return within {part.call_timeout:g} s"
    if status != "ok":
        return "was not run"
    seal = sealed.Seal.from_json(entry["seal"])
    try:
        flat = _returned(record.get("value"), here.wire, entry.get("shapes"), seal, probe)
    except Unusable as u:
        return str(u)
    if sealed.matches(flat, seal, probe.tol, here.salt, f"{here.what}#{probe.name}"):
        return None
    return "returned a value that is not the expected one"


def _returned(node: Any, wire: Wire, shapes: Any, seal: sealed.Seal, probe: Probe) -> np.ndarray:
    """A function's result as the values its probe's seal holds: one array (in the sealed
    shape), or a tuple of arrays of the given shapes (e.g. w and b), flattened."""
    if shapes is None:
        return fit(numbers(node, wire), np.zeros(seal.shape), probe.shape_policy)[0]
    try:  # a tuple of equal arrays arrives as one array
        whole = numbers(node, wire).values
        if whole.size == sum(int(np.prod(s)) for s in shapes):
            return np.ravel(whole)
    except Unusable:
        pass
    items_ = node.get("items") if kind(node) == "list" else None
    if not isinstance(items_, list) or len(items_) != len(shapes):
        raise Unusable(f"expected a tuple of {len(shapes)} values")
    return np.concatenate(
        [
            np.ravel(fit(numbers(item, wire), np.zeros(shape), probe.shape_policy)[0])
            for item, shape in zip(items_, map(tuple, shapes), strict=True)
        ]
    )


class FunctionKind(PartKind[Function]):
    part = Function

    def encode(self, answer: Any, part: Function, enc: Encoder, hidden: bool) -> Node:
        if not callable(answer):
            return enc.value(answer)  # the judge says what it got instead
        return {
            "t": "calls",
            "calls": [_call(answer, p, part.call_timeout, enc) for p in _probes(part, hidden)],
        }

    def judge(self, node: Any, ctx: Context) -> Verdict:
        part = ctx.part
        assert isinstance(part, Function)
        if kind(node) != "calls":
            if kind(node) == "none":
                return Unusable(_NO_FUNCTION, "unanswered").verdict
            return unusable(node, f"a function (def {ctx.question.variable}(...))").verdict
        calls = node.get("calls")
        records = {
            r["probe"]: r
            for r in (calls if isinstance(calls, list) else [])
            if isinstance(r, dict) and isinstance(r.get("probe"), str)
        }
        probes = _probes(part, ctx.hidden)
        if not probes:
            return Verdict(
                "unconfirmed", 0.0, "not checked here: this function is graded by hidden tests"
            )
        if all(_unwritten(records.get(probe.name)) for probe in probes):
            return Verdict(
                "unanswered",
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

    def spec(self, part: Function, hidden: bool) -> dict[str, Any]:
        probes = [p for p in part.probes if hidden or not p.hidden]
        return {"call_timeout": part.call_timeout, "probes": [_probe_spec(p) for p in probes]}

    def from_spec(self, spec: Mapping[str, Any], common: dict[str, Any]) -> Function:
        return Function(
            **common,
            call_timeout=float(spec["call_timeout"]),
            probes=tuple(_probe_from(p) for p in spec["probes"]),
        )

    def seal(
        self, part: Function, expected: Any, mistakes: Mistakes, sealing: Sealing
    ) -> dict[str, Any]:
        probes = {}
        for probe in part.probes:
            if probe.hidden:
                continue
            out = probe.expected(copy.deepcopy(dict(probe.kwargs)))
            if isinstance(out, tuple | list):  # (w, b): their shapes, all values sealed
                arrays = [np.asarray(x, dtype=np.float64) for x in out]
                shapes: list[list[int]] | None = [list(x.shape) for x in arrays]
                value = np.concatenate([x.ravel() for x in arrays])
            else:
                shapes, value = None, np.asarray(out, dtype=np.float64)
            seal = sealed.seal(value, probe.tol, sealing.salt, sealing.label(part, probe.name))
            probes[probe.name] = {"shapes": shapes, "seal": seal.to_json()}
        return {"probes": probes}

    def check_sealed(self, node: Any, part: Function, here: SealedPart) -> Verdict:
        if kind(node) != "calls":
            if kind(node) == "none":
                return Unusable(_NO_FUNCTION, "unanswered").verdict
            return unusable(node, "a function").verdict
        records = {r.get("probe"): r for r in node.get("calls", ()) if isinstance(r, dict)}
        probes = here.found.get("probes", {})
        checked = [p for p in part.probes if p.name in probes]
        if not checked:
            return Verdict("unconfirmed", 0.0, "not checked here: the instructor's grader tests it")
        failures = []
        for probe in checked:
            record = records.get(probe.name) or {}
            if _unwritten(record):
                return Verdict("unanswered", 0.0, _UNWRITTEN)
            problem = _probe_problem(record, probes[probe.name], probe, part, here)
            if problem:
                failures.append(f"{probe.describe}: {problem}.")
        passed = len(checked) - len(failures)
        if not failures:
            return Verdict("correct", 1.0, f"Correct: all {len(checked)} checks passed.")
        message = sentence(f"{passed} of {len(checked)} checks passed.", *failures[:3])
        return Verdict("partial" if passed else "incorrect", passed / len(checked), message)
