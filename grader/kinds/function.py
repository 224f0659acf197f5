"""`Function` parts: the student's function, called on the bank's probes.

Untrusted side (`encode`): call the function on a copy of each probe's kwargs (public
probes, and hidden ones when asked), each call under ``part.call_timeout`` with warnings
silenced, and record per probe the result, the exception or the timeout; for a `pure`
part (the question forbids modifying the arguments), also the arguments the call changed,
compared with a copy taken before it.

Trusted side (`judge`): compare each result with ``probe.expected(kwargs)`` within the
probe's tolerance. Hidden probes are named by their `describe` text only: never their
inputs or values. A wrong function is judged like a wrong number:

- a catalogued mistake of the part is an alternative *function* (built from `reference`,
  its `compute` returns it), run here on the same probes; the student's function is
  that mistake when its results agree with the mistake's on every public probe (the
  release check, `unseparated`, makes each mistake fail a public probe and the public
  probes tell the mistakes apart), and earns the mistake's catalogued credit;
- an unnamed wrong function earns credit per behaviour checked (`Probe.behaviour`: the
  probes checking one behaviour count together, so a function earns nothing for the
  probes where it happens to agree with the right one, as a sum for a mean does on one
  observation): the share of behaviours all of whose probes pass;
- a pure part's function that changed an argument is never correct: "modified m in
  place" (`grader.compare.state.DETECTED`), with at most that slip's credit.

Gradient convention: when ``part.gradient_of`` is set, the function returns the gradient
of that loss with respect to the probe's *leading* keyword arguments (one array for the
first argument, or a tuple with one item per leading argument), and every result is
also compared with central finite differences of the loss at the probe's point.

Sealed key: each public probe's expected output and each mistake's output on it, sealed
at the probe's tolerance (the hidden probes stay with the instructor); the local check
calls the function on the public probes and compares the outputs by hashing: it names a
mistake as the grader does, and never says "Correct" for a part with hidden probes
("passes the N public checks; the grader also runs hidden ones").
"""

from __future__ import annotations

import copy
import hmac
import itertools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from grader.compare import diagnose, gradcheck, sealed, tagged
from grader.compare.diagnose import close
from grader.compare.nodes import (
    MALFORMED,
    Numbers,
    describe,
    items,
    kind,
    numbers,
    text,
    unusable,
)
from grader.compare.result import Status, Unusable, Verdict, joined
from grader.compare.state import DETECTED
from grader.compare.timelimit import TimeLimitExceeded, time_limit
from grader.compare.wire import Encoder, Node, Wire, describe_exception
from grader.kinds.base import Context, Mistakes, PartKind, SealedPart, Sealing, catalogued
from grader.kinds.numeric import as_floats, fit, sentence
from grader.kinds.seals import Indistinct
from grader.question import Mistake, Part, ShapePolicy, Tolerance, withheld


@dataclass(frozen=True)
class Probe:
    """One call of a function answer.

    `kwargs` are passed to the student's function (in the student's process); the
    result is compared with `expected(kwargs)` (computed by `reference` in the trusted
    process) within `tol`. `hidden` probes only run in autograder (hidden) tests and
    their inputs and expected values never appear in feedback; `describe` says in words
    what the probe checks. Probes with the same `behaviour` check one behaviour and earn
    credit together ("" is a behaviour of the probe's own).
    """

    name: str
    kwargs: Mapping[str, Any]
    expected: Callable[[Mapping[str, Any]], Any]
    describe: str
    tol: Tolerance = field(default_factory=Tolerance)
    hidden: bool = False
    shape_policy: ShapePolicy = "strict"
    behaviour: str = ""

    @property
    def checks(self) -> str:
        """The behaviour it checks."""
        return self.behaviour or self.describe


@dataclass(frozen=True)
class Function(Part):
    """A function the student writes, graded by calling it on probes.

    `compute` returns the reference function itself (for the answer key and for
    notebooks' own use), and each mistake's `compute` an alternative function.
    `gradient_of`, when given, is the loss whose gradient the function must return; the
    grader then also checks the student's function against central finite differences of
    that loss. `pure`: the question forbids modifying the arguments. `returns` names the
    items of a tuple result (("theta", "m", "v")) for messages.
    """

    probes: tuple[Probe, ...] = ()
    call_timeout: float = 10.0  # seconds per call
    gradient_of: Callable[..., float] | None = None
    pure: bool = False
    returns: tuple[str, ...] = ()


_LISTED = 4  # failing probes described in one message
_IN_PLACE = DETECTED["modified-in-place"]


def _probes(part: Function, hidden: bool) -> list[Probe]:
    return [p for p in part.probes if hidden or not p.hidden]


def _public(part: Function) -> list[Probe]:
    return [p for p in part.probes if not p.hidden]


def _checks(n: int, public: bool = False) -> str:
    what = "public check" if public else "check"
    return f"the {what}" if n == 1 else f"all {n} {what}s"


# --- untrusted side ---------------------------------------------------------------------


def _unchanged(before: Any, after: Any) -> bool:
    """Whether an argument after the call is still what it was (a copy taken before);
    True where that cannot be told (never accuse on a doubt)."""
    try:
        if isinstance(before, np.ndarray):
            return (
                isinstance(after, np.ndarray)
                and before.shape == after.shape
                and bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
            )
        if isinstance(before, list | tuple):
            return (
                type(after) is type(before)
                and len(after) == len(before)
                and all(_unchanged(b, a) for b, a in zip(before, after, strict=True))
            )
        if isinstance(before, dict):
            return (
                isinstance(after, dict)
                and before.keys() == after.keys()
                and all(_unchanged(before[k], after[k]) for k in before)
            )
        return bool(before == after) or (before != before and after != after)
    except Exception:
        return True


def _call(fn: Callable[..., Any], probe: Probe, part: Function, enc: Encoder) -> Node:
    record: Node = {"probe": probe.name}
    try:
        kwargs = copy.deepcopy(dict(probe.kwargs))  # the student may modify their inputs
        before = copy.deepcopy(kwargs) if part.pure else None
        with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(part.call_timeout):
            warnings.simplefilter("ignore")
            out = fn(**kwargs)
    except TimeLimitExceeded:
        return {**record, "status": "timeout"}
    except BaseException as e:  # even KeyboardInterrupt: encoding never raises
        return {**record, "status": "raised", "error": describe_exception(e)}
    record = {**record, "status": "ok", "value": enc.value(out)}
    if before is not None:
        changed = [name for name in before if not _unchanged(before[name], kwargs.get(name))]
        if changed:
            record["modified"] = changed
    return record


# --- trusted side -----------------------------------------------------------------------


def _structured(expected: Any, names: Sequence[str]) -> bool:
    """A tuple compared item by item: its items are named, or differently shaped."""
    if not isinstance(expected, tuple | list):
        return False
    if names:
        return True
    try:
        as_floats(expected)
    except ValueError:
        return True
    return False


def _items_of(node: Any, n: int, wire: Wire) -> list[Any] | None:
    """A returned tuple's n items: a list's nodes, or the rows of one array (a tuple of
    equally shaped arrays arrives as one array)."""
    if kind(node) == "list" and len(items(node)) == n:
        return items(node)
    try:
        got = numbers(node, wire)
    except Unusable:
        return None
    if got.values.ndim and got.values.shape[0] == n:
        return [Numbers(got.values[i], got.dtype) for i in range(n)]
    return None


def _mismatch(
    node: Any, expected: Any, probe: Probe, wire: Wire, names: Sequence[str] = ()
) -> str | None:
    """Why the returned value is wrong, or None when it is right."""
    if _structured(expected, names):
        got = _items_of(node, len(expected), wire)
        if got is None:
            listed = f" ({', '.join(names)})" if names else ""
            return f"returned {describe(node)}, expected a tuple of {len(expected)} values{listed}"
        for i, (n, e) in enumerate(zip(got, expected, strict=True)):
            problem = _mismatch(n, e, probe, wire)
            if problem:
                return f"{names[i] if i < len(names) else f'item {i}'}: {problem}"
        return None
    e = as_floats(expected)
    try:
        nums = node if isinstance(node, Numbers) else numbers(node, wire)
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


class _Raised:
    """What a mistake's function gave on a probe where it raised (a bank function that
    cannot take those inputs): agrees with no result."""


def _run(fn: Callable[..., Any], probe: Probe) -> Any:
    """A bank function's result on a probe (trusted side)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(**copy.deepcopy(dict(probe.kwargs)))


def _expected(ctx: Context, probe: Probe) -> Any:
    key = f"expected:{probe.name}"
    if key not in ctx.memo:
        ctx.memo[key] = probe.expected(copy.deepcopy(dict(probe.kwargs)))
    return ctx.memo[key]


def _mistake_output(ctx: Context, index: int, fn: Callable[..., Any], probe: Probe) -> Any:
    key = f"mistake:{index}:{probe.name}"
    if key not in ctx.memo:
        try:
            ctx.memo[key] = _run(fn, probe)
        except Exception:
            ctx.memo[key] = _Raised()
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
    problem = _mismatch(record["value"], expected, probe, ctx.wire, part.returns)
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


def _agrees(record: Any, output: Any, probe: Probe, wire: Wire, names: Sequence[str]) -> bool:
    """Whether a call's result is a bank function's `output` within the probe's tolerance."""
    if isinstance(output, _Raised) or not isinstance(record, dict) or record.get("status") != "ok":
        return False
    try:
        return _mismatch(record.get("value"), output, probe, wire, names) is None
    except (TypeError, ValueError):  # an output of another structure
        return False


def _named(records: Mapping[str, Any], ctx: Context, failed: set[str]) -> Mistake | None:
    """The first catalogued mistake whose results the student's agree with on every public
    probe, when a public probe fails."""
    part = ctx.part
    assert isinstance(part, Function)
    public = _public(part)
    if not failed & {p.name for p in public}:
        return None
    for i, (mistake, fn) in enumerate(ctx.mistakes()):
        if callable(fn) and all(
            _agrees(records.get(p.name), _mistake_output(ctx, i, fn, p), p, ctx.wire, part.returns)
            for p in public
        ):
            return mistake
    return None


def _behaviours(probes: Sequence[Probe], failed: set[str]) -> tuple[int, int, list[str]]:
    """(behaviours all of whose probes pass, behaviours checked, those that fail, in the
    probes' order)."""
    checked = list(dict.fromkeys(p.checks for p in probes))
    wrong = {p.checks for p in probes if p.name in failed}
    return len(checked) - len(wrong), len(checked), [b for b in checked if b in wrong]


def _unwritten(record: Any) -> bool:
    """Whether a call raised NotImplementedError: nbgrader's stub is still the body."""
    return (
        isinstance(record, dict)
        and record.get("status") == "raised"
        and text(record, "error", "").partition(":")[0] == "NotImplementedError"
    )


def _modified(records: Mapping[str, Any], part: Function) -> list[str]:
    """The arguments some call changed, in the order of the first probe's arguments."""
    if not part.pure:
        return []
    found: set[str] = set()
    for record in records.values():
        names = record.get("modified") if isinstance(record, dict) else None
        if isinstance(names, list):
            found |= {n[:40] for n in names if isinstance(n, str)}
    order = list(part.probes[0].kwargs) if part.probes else []
    return sorted(found, key=lambda n: (order.index(n) if n in order else len(order), n))


def _in_place(verdict: Verdict, modified: list[str]) -> Verdict:
    """A verdict with arguments modified in place: never correct, and at most that slip's
    credit."""
    if not modified:
        return verdict
    hint = _IN_PLACE.said(names=joined(modified), first=modified[0])
    right = verdict.status == "correct"
    fraction = _IN_PLACE.credit if right else min(verdict.fraction, _IN_PLACE.credit)
    status: Status = verdict.status
    if status in ("correct", "partial", "incorrect"):
        status = "partial" if fraction > 0 else "incorrect"
    message = hint if right else sentence(hint, verdict.message)
    return Verdict(status, fraction, message, verdict.mistake or "modified-in-place")


def _named_verdict(mistake: Mistake, passed: int, total: int, public: bool = False) -> Verdict:
    status: Status = "partial" if mistake.credit > 0 else "incorrect"
    said = f"{passed} of {total} {'public ' if public else ''}checks passed. {mistake.hint}"
    if mistake.credit > 0:  # what the catalogue credits is not the share of checks passed
        said += f" This mistake earns {mistake.credit:.0%} of the part for what it gets right."
    return Verdict(status, mistake.credit, said, mistake.key)


def _probe_spec(probe: Probe) -> dict[str, Any]:
    return {
        "name": probe.name,
        "kwargs": {k: tagged.dump(v) for k, v in probe.kwargs.items()},
        "describe": probe.describe,
        "tol": [probe.tol.rtol, probe.tol.atol],
        "hidden": probe.hidden,
        "shape_policy": probe.shape_policy,
        "behaviour": probe.behaviour,
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
        behaviour=str(spec["behaviour"]),
    )


_NO_FUNCTION = "no answer (None): did you define the function?"
_UNWRITTEN = (
    "not answered yet: the function still raises NotImplementedError; write its body in "
    "its # YOUR CODE HERE cell"
)


# --- the sealed key -----------------------------------------------------------------------


def _sealable(out: Any) -> tuple[list[list[int]] | None, np.ndarray]:
    """A result as sealed: (the shapes of a tuple's items, or None for one array; the
    values, a tuple's flattened and joined)."""
    if isinstance(out, tuple | list):  # (w, b): their shapes, all values sealed
        arrays = [np.asarray(x, dtype=np.float64) for x in out]
        return [list(x.shape) for x in arrays], np.concatenate([x.ravel() for x in arrays])
    return None, np.asarray(out, dtype=np.float64)


def _same_result(a: Any, b: Any, tol: Tolerance) -> bool:
    """Whether two bank results coincide within a tolerance (shapes and values)."""
    (shapes_a, x), (shapes_b, y) = _sealable(a), _sealable(b)
    return shapes_a == shapes_b and x.shape == y.shape and bool(close(x, y, tol).all())


def unseparated(part: Function, mistakes: Mistakes) -> list[str]:
    """What keeps the public probes from naming each catalogued mistake (release check):
    a mistake that passes every public probe (the local check would call it right), and
    two mistakes the public probes do not tell apart (it would name the wrong one)."""
    public = _public(part)
    if not mistakes:
        return []
    if not public:
        return [f"{part.name}: no public probe, so no mistake can be named"]
    right = [p.expected(copy.deepcopy(dict(p.kwargs))) for p in public]
    runs, found = [], []
    for m, fn in mistakes:
        try:
            runs.append((m, [_run(fn, p) for p in public]))
        except Exception as e:
            found.append(f"{part.name}: the mistake {m.key} raises {describe_exception(e)}")

    def same(a: list[Any], b: list[Any]) -> bool:
        return all(_same_result(x, y, p.tol) for x, y, p in zip(a, b, public, strict=True))

    found += [
        f"{part.name}: the mistake {m.key} passes every public probe: add one it fails"
        for m, outputs in runs
        if same(outputs, right)
    ]
    found += [
        f"{part.name}: the public probes do not tell the mistakes {a.key} and {b.key} apart"
        for (a, x), (b, y) in itertools.combinations(runs, 2)
        if same(x, y)
    ]
    return found


def _shaped(nums: Numbers, shape: tuple[int, ...], policy: ShapePolicy) -> np.ndarray:
    """The values in `shape` where the probe's shape policy accepts theirs (`Unusable`
    where not), NaN and infinities kept: a mistake's sealed result may hold them."""
    fit(Numbers(np.nan_to_num(nums.values), nums.dtype), np.zeros(shape), policy)
    return nums.values.reshape(shape)


def _distinct_seals(label: str, probes: Mapping[str, Any], mistakes: list[dict[str, Any]]) -> None:
    """Raises `Indistinct` where the local check would not name a mistake as the grader
    does: its public results sealed in the answer's cells, or in another mistake's (cells
    of the answer's grids are narrower than two tolerances, not than one)."""

    def digests(entries: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(entries[name]["seal"]["digest"] for name in probes)

    seen = {digests(probes): "the answer"}
    for mistake in mistakes:
        key = digests(mistake["probes"])
        if key in seen:
            raise Indistinct(
                f"{label}: the mistake {mistake['key']} falls in the sealed cells of "
                f"{seen[key]} on every public probe: add a probe that sets them further apart"
            )
        seen[key] = f"the mistake {mistake['key']}"


def _returned(node: Any, wire: Wire, shapes: Any, seal: sealed.Seal, probe: Probe) -> np.ndarray:
    """A function's result as the values its probe's seal holds: one array (in the sealed
    shape), or a tuple of arrays of the given shapes (e.g. w and b), flattened."""
    if shapes is None:
        return _shaped(numbers(node, wire), seal.shape, probe.shape_policy)
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
            np.ravel(_shaped(numbers(item, wire), shape, probe.shape_policy))
            for item, shape in zip(items_, map(tuple, shapes), strict=True)
        ]
    )


@dataclass(frozen=True)
class _Call:
    """One public call as the local check sees it: why it fails before any comparison (or
    None), the result as sealed and its digest on the expected value's grids."""

    problem: str | None
    flat: np.ndarray | None = None
    digest: str | None = None


def _local_call(
    record: Mapping[str, Any],
    entry: Mapping[str, Any],
    probe: Probe,
    part: Function,
    here: SealedPart,
) -> _Call:
    status = record.get("status")
    if status == "raised":
        return _Call(f"raised {str(record.get('error', 'an exception'))[:200]}")
    if status == "timeout":
        return _Call(f"did not return within {part.call_timeout:g} s")
    if status != "ok":
        return _Call("was not run")
    seal = sealed.Seal.from_json(entry["seal"])
    try:
        flat = _returned(record.get("value"), here.wire, entry.get("shapes"), seal, probe)
    except Unusable as u:
        return _Call(str(u))
    digest = sealed.digest_on(flat, seal, probe.tol, here.salt, _label(here, probe))
    return _Call(None, flat, digest)


def _label(here: SealedPart, probe: Probe, key: str = "") -> str:
    return f"{here.what}#{probe.name}" + (f"#{key}" if key else "")


def _passes(call: _Call, entry: Mapping[str, Any]) -> bool:
    seal = sealed.Seal.from_json(entry["seal"])
    return call.digest is not None and hmac.compare_digest(call.digest, seal.digest)


def _is_mistake(
    call: _Call,
    record: Mapping[str, Any],
    entry: Mapping[str, Any],
    key: str,
    probe: Probe,
    here: SealedPart,
) -> bool:
    """Whether a public call's result is in the cells of mistake `key` on that probe."""
    seal = sealed.Seal.from_json(entry["seal"])
    if entry.get("shared"):  # sealed on the expected value's grids: the same digest
        return call.digest is not None and hmac.compare_digest(call.digest, seal.digest)
    if record.get("status") != "ok":
        return False
    try:
        flat = _returned(record.get("value"), here.wire, entry.get("shapes"), seal, probe)
    except Unusable:
        return False
    return sealed.matches(flat, seal, probe.tol, here.salt, _label(here, probe, key))


class FunctionKind(PartKind[Function]):
    part = Function

    def encode(self, answer: Any, part: Function, enc: Encoder, hidden: bool) -> Node:
        if not callable(answer):
            return enc.value(answer)  # the judge says what it got instead
        calls = [_call(answer, p, part, enc) for p in _probes(part, hidden)]
        return {"t": "calls", "calls": calls}

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
        failures, failed, fd = [], set(), []
        for probe in probes:
            problem, agrees = _outcome(records.get(probe.name), probe, ctx)
            if agrees is not None:
                fd.append(agrees)
            if problem:
                name = f"hidden test ({probe.describe})" if probe.hidden else probe.describe
                failures.append(f"{name}: {problem.rstrip('.')}.")
                failed.add(probe.name)
        passed = len(probes) - len(failures)
        fd_note = (
            f"Your gradients were also compared with central finite differences of the loss: "
            f"they agree on {sum(fd)} of {len(fd)} calls."
            if fd
            else None
        )
        modified = _modified(records, part)
        if not failures:
            verdict = Verdict("correct", 1.0, f"Correct: {_checks(len(probes))} passed.")
        elif mistake := _named(records, ctx, failed):
            verdict = _named_verdict(mistake, passed, len(probes))
        else:
            right, behaviours, wrong = _behaviours(probes, failed)
            more = f"And {len(failures) - _LISTED} more." if len(failures) > _LISTED else None
            credit = (
                f"Credit is per behaviour checked: {right} of {behaviours} pass all their "
                f"checks (failing: {joined(wrong)})."
                if behaviours < len(probes)
                else None
            )
            message = sentence(
                f"{passed} of {len(probes)} checks passed.", *failures[:_LISTED], more, credit
            )
            status: Status = "partial" if right else "incorrect"
            verdict = Verdict(status, right / behaviours, message)
        verdict = _in_place(verdict, modified)
        return replace(verdict, message=sentence(verdict.message, fd_note))

    def spec(self, part: Function, hidden: bool) -> dict[str, Any]:
        return {
            "call_timeout": part.call_timeout,
            "probes": [_probe_spec(p) for p in _probes(part, hidden)],
            "pure": part.pure,
            "returns": list(part.returns),
        }

    def from_spec(self, spec: Mapping[str, Any], common: dict[str, Any]) -> Function:
        return Function(
            **common,
            call_timeout=float(spec["call_timeout"]),
            probes=tuple(_probe_from(p) for p in spec["probes"]),
            pure=bool(spec["pure"]),
            returns=tuple(str(n) for n in spec["returns"]),
        )

    def seal(
        self, part: Function, expected: Any, mistakes: Mistakes, sealing: Sealing
    ) -> dict[str, Any]:
        gaps = unseparated(part, mistakes)
        if gaps:
            raise Indistinct(f"{sealing.question.id}: " + "; ".join(gaps))
        probes, bases = {}, {}
        for probe in _public(part):
            shapes, value = _sealable(probe.expected(copy.deepcopy(dict(probe.kwargs))))
            bases[probe.name] = base = sealed.seal(
                value, probe.tol, sealing.salt, sealing.label(part, probe.name)
            )
            probes[probe.name] = {"shapes": shapes, "seal": base.to_json()}
        found = []
        for mistake, fn in mistakes:
            outputs = {}
            for probe in _public(part):
                shapes, value = _sealable(_run(fn, probe))
                base = bases[probe.name]
                shared = shapes == probes[probe.name]["shapes"] and value.shape == base.shape
                label = sealing.label(part, probe.name)
                seal = (
                    sealed.seal_on(value, base, probe.tol, sealing.salt, label)
                    if shared
                    else sealed.seal(value, probe.tol, sealing.salt, f"{label}#{mistake.key}")
                )
                outputs[probe.name] = {"shared": shared, "shapes": shapes, "seal": seal.to_json()}
            found.append({**catalogued(mistake), "probes": outputs})
        _distinct_seals(sealing.label(part), probes, found)
        hidden = sorted({p.checks for p in part.probes if p.hidden})
        return {"probes": probes, "mistakes": found, "hidden_behaviours": hidden}

    def check_sealed(self, node: Any, part: Function, here: SealedPart) -> Verdict:
        if kind(node) != "calls":
            if kind(node) == "none":
                return Unusable(_NO_FUNCTION, "unanswered").verdict
            return unusable(node, "a function").verdict
        records = {r.get("probe"): r for r in node.get("calls", ()) if isinstance(r, dict)}
        entries = here.found.get("probes", {})
        checked = [p for p in part.probes if p.name in entries]
        if not checked:
            return Verdict("unconfirmed", 0.0, "not checked here: the instructor's grader tests it")
        if any(_unwritten(records.get(p.name)) for p in checked):
            return Verdict("unanswered", 0.0, _UNWRITTEN)
        calls = {
            p.name: _local_call(records.get(p.name) or {}, entries[p.name], p, part, here)
            for p in checked
        }
        failed = {p.name for p in checked if not _passes(calls[p.name], entries[p.name])}
        hidden = {str(b) for b in here.found.get("hidden_behaviours", [])}
        n = len(checked)
        if not failed:
            verdict = (
                Verdict(
                    "unconfirmed",
                    0.0,
                    f"Passes {_checks(n, public=True)}; the grader also runs hidden ones.",
                )
                if hidden
                else Verdict("correct", 1.0, f"Correct: {_checks(n)} passed.")
            )
        else:
            named = self._sealed_mistake(records, calls, checked, failed, here)
            verdict = named or self._unnamed(calls, checked, failed, hidden, here)
        return _in_place(verdict, _modified(records, part))

    def _sealed_mistake(
        self,
        records: Mapping[str, Any],
        calls: Mapping[str, _Call],
        checked: list[Probe],
        failed: set[str],
        here: SealedPart,
    ) -> Verdict | None:
        """The first sealed mistake whose results the student's agree with on every public
        probe (as the grader names it)."""
        for found in here.found.get("mistakes", ()):
            key, on = str(found["key"]), found.get("probes", {})
            if all(
                p.name in on
                and _is_mistake(calls[p.name], records.get(p.name) or {}, on[p.name], key, p, here)
                for p in checked
            ):
                credit = float(found.get("credit", 0.0))
                mistake = Mistake(key, str(found["hint"]), withheld, credit)
                return _named_verdict(mistake, len(checked) - len(failed), len(checked), True)
        return None

    def _unnamed(
        self,
        calls: Mapping[str, _Call],
        checked: list[Probe],
        failed: set[str],
        hidden: set[str],
        here: SealedPart,
    ) -> Verdict:
        """An unnamed wrong function: its credit per behaviour where the public probes
        decide it (as the grader gives it), else what is sure, `unconfirmed`: a behaviour
        with hidden probes, or a call close to the expected result, is the grader's."""
        failures, sure = [], set()
        for p in (p for p in checked if p.name in failed):
            call = calls[p.name]
            finite = call.flat is not None and bool(np.isfinite(call.flat).all())
            beyond = call.problem is not None or not finite  # the expected values are finite
            why = call.problem or (
                "returned a value that is not the expected one"
                if finite
                else "returned NaN or infinite values: check for a division by zero or an overflow"
            )
            if not beyond and call.flat is not None:
                seal = sealed.Seal.from_json(here.found["probes"][p.name]["seal"])
                near, tries = sealed.near(
                    call.flat, seal, p.tol, here.salt, _label(here, p), here.budget.left
                )
                here.budget.spend(tries)
                beyond = near is False
            if beyond:
                sure.add(p.checks)
            failures.append(f"{p.describe}: {why}.")
        public = {p.checks for p in checked}
        right = public - {p.checks for p in checked if p.name in failed} - hidden
        behaviours = public | hidden
        said = sentence(
            f"{len(checked) - len(failed)} of {len(checked)} public checks passed.", *failures[:3]
        )
        if behaviours - sure - right:
            grader = (
                "The instructor's grader decides: it gives credit for each behaviour your "
                "function gets right, its hidden checks included."
            )
            return Verdict("unconfirmed", len(right) / len(behaviours), sentence(said, grader))
        status: Status = "partial" if right else "incorrect"
        return Verdict(status, len(right) / len(behaviours), said)
