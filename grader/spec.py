"""A question's *spec*: what student code may see of it, as plain JSON.

A `Question` of the bank holds its *key* too: the reference computations, the mistakes,
the probes' expected values. The spec keeps only what encoding an answer needs (id,
variable, layout, part names and kinds, tolerances and shape policies, symbols, probe
inputs, time limits, points) and a model's criteria (its layers, loss and metric
thresholds, which its question states) so that a process running student code can
be given questions without the key. `to_spec` runs on the trusted side; `from_spec`
rebuilds a `Question` whose computations are withheld (calling one raises `Withheld`).

Values (probe inputs, evaluation data) are encoded as tagged JSON, never pickled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from grader.compare import models
from grader.question import (
    Choice,
    Expression,
    Function,
    Model,
    NumberSet,
    Numeric,
    Part,
    Probe,
    PublicData,
    Question,
    Tolerance,
)

FORMAT = 1
_PUBLIC = ("dataset", "features", "labels", "rows")  # PublicData's fields, in order
_KINDS: dict[str, type[Part]] = {
    k.__name__: k for k in (Numeric, NumberSet, Choice, Expression, Function, Model)
}


class Withheld(RuntimeError):
    """A computation of the key was asked for where only the spec is."""


def _withheld(*_: Any) -> Any:
    raise Withheld("the answer key is not available here: only the question's spec is")


def to_spec(question: Question, hidden: bool = False) -> dict[str, Any]:
    """The spec of `question`; with `hidden`, also what the autograder's hidden tests
    run on (hidden probes' inputs, a model's evaluation features: never their expected
    values), for the batch grader's sandbox only."""
    parts = [_part(p, hidden) for p in question.parts]
    needed = {p.evaluate_on for p in question.parts if isinstance(p, Model)} if hidden else set()
    return {
        "format": FORMAT,
        "id": question.id,
        "assignment": question.assignment,
        "title": question.title,
        "variable": question.variable,
        "layout": question.layout,
        "practice": question.practice,
        "parts": parts,
        "inputs": {k: _dump(question.inputs[k]) for k in sorted(needed)},
    }


def _part(part: Part, hidden: bool) -> dict[str, Any]:
    kind = type(part).__name__
    if kind not in _KINDS:
        raise TypeError(f"{part.name}: no spec for {kind} parts")
    found: dict[str, Any] = {
        "kind": kind,
        "name": part.name,
        "points": part.points,
        "label": part.label,
        "follows": list(part.follows),
    }
    if isinstance(part, Numeric | NumberSet):
        found["tol"] = [part.tol.rtol, part.tol.atol]
    if isinstance(part, Numeric):
        found |= {"shape_policy": part.shape_policy, "integer": part.integer}
    elif isinstance(part, Choice):
        found["options"] = {k: list(v) for k, v in part.options.items()}
    elif isinstance(part, Expression):
        found |= {
            "symbols": {k: list(v) for k, v in part.symbols.items()},
            "functions": list(part.functions),
            # their names are symbols an answer may use; what they stand for is the judge's
            "defined": sorted(part.definitions),
            "timeout": part.timeout,
        }
    elif isinstance(part, Function):
        probes = [p for p in part.probes if hidden or not p.hidden]
        found |= {"call_timeout": part.call_timeout, "probes": [_probe(p) for p in probes]}
    elif isinstance(part, Model):
        public = part.public
        found |= {
            "evaluate_on": part.evaluate_on,
            "criteria": [dict(c.spec) for c in part.criteria],
            "public": None if public is None else [getattr(public, f) for f in _PUBLIC],
        }
    return found


def _probe(probe: Probe) -> dict[str, Any]:
    return {
        "name": probe.name,
        "kwargs": {k: _dump(v) for k, v in probe.kwargs.items()},
        "describe": probe.describe,
        "tol": [probe.tol.rtol, probe.tol.atol],
        "hidden": probe.hidden,
        "shape_policy": probe.shape_policy,
    }


def from_spec(spec: Mapping[str, Any]) -> Question:
    """The question a spec describes, its computations withheld."""
    if spec.get("format") != FORMAT:
        raise ValueError(f"unsupported spec format {spec.get('format')!r}")
    inputs = {str(k): _load(v) for k, v in spec["inputs"].items()}
    return Question(
        id=str(spec["id"]),
        assignment=str(spec["assignment"]),
        title=str(spec["title"]),
        variable=str(spec["variable"]),
        parts=tuple(_rebuilt(p) for p in spec["parts"]),
        inputs=inputs,
        layout=spec["layout"],
        practice=bool(spec["practice"]),
    )


def _rebuilt(spec: Mapping[str, Any]) -> Part:
    kind = _KINDS[spec["kind"]]
    common: dict[str, Any] = {
        "name": str(spec["name"]),
        "points": float(spec["points"]),
        "compute": _withheld,
        "label": str(spec["label"]),
        "follows": tuple(spec["follows"]),
    }
    if "tol" in spec:
        common["tol"] = Tolerance(*map(float, spec["tol"]))
    if kind is Numeric:
        common |= {"shape_policy": spec["shape_policy"], "integer": bool(spec["integer"])}
    elif kind is Choice:
        common["options"] = {k: tuple(v) for k, v in spec["options"].items()}
    elif kind is Expression:
        common |= {
            "symbols": {k: (float(a), float(b)) for k, (a, b) in spec["symbols"].items()},
            "functions": tuple(spec["functions"]),
            "definitions": dict.fromkeys(map(str, spec["defined"])),
            "timeout": float(spec["timeout"]),
        }
    elif kind is Function:
        common |= {
            "call_timeout": float(spec["call_timeout"]),
            "probes": tuple(_probe_from(p) for p in spec["probes"]),
        }
    elif kind is Model:
        public = spec["public"]
        common |= {
            "evaluate_on": str(spec["evaluate_on"]),
            "criteria": tuple(map(models.criterion, spec["criteria"])),
            "public": None if public is None else PublicData(*map(str, public)),
        }
    return kind(**common)


def _probe_from(spec: Mapping[str, Any]) -> Probe:
    return Probe(
        name=str(spec["name"]),
        kwargs={str(k): _load(v) for k, v in spec["kwargs"].items()},
        expected=_withheld,
        describe=str(spec["describe"]),
        tol=Tolerance(*map(float, spec["tol"])),
        hidden=bool(spec["hidden"]),
        shape_policy=spec["shape_policy"],
    )


# --- values: tagged JSON ----------------------------------------------------------------


def _dump(x: Any) -> Any:
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        x = float(x)
        return x if math.isfinite(x) else {"float": repr(x)}
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"no spec for arrays of {x.dtype}")
        flat = [_dump(v) for v in x.ravel().tolist()]
        return {"array": flat, "shape": list(x.shape), "dtype": x.dtype.str}
    if isinstance(x, tuple | list):
        return {"tuple" if isinstance(x, tuple) else "list": [_dump(v) for v in x]}
    if isinstance(x, Mapping):
        return {"dict": [[str(k), _dump(v)] for k, v in x.items()]}
    raise TypeError(f"no spec for values of type {type(x).__name__}")


def _load(x: Any) -> Any:
    if not isinstance(x, dict):
        return x
    if "float" in x:
        return float(x["float"])
    if "array" in x:
        dtype = np.dtype(x["dtype"])
        if dtype.kind not in "biuf":
            raise ValueError(f"not a spec array type: {dtype}")
        return np.array([_load(v) for v in x["array"]], dtype=dtype).reshape(x["shape"])
    if "tuple" in x:
        return tuple(_load(v) for v in x["tuple"])
    if "list" in x:
        return [_load(v) for v in x["list"]]
    if "dict" in x:
        return {k: _load(v) for k, v in x["dict"]}
    raise ValueError(f"not a spec value: {sorted(x)}")
