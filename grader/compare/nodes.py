"""Reading wire nodes on the trusted side: numbers out, or a specific reason why not.

Nodes come from a process the grader does not trust, so every field is checked before
use; anything unexpected reads as a malformed record, never as an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.compare.layout import NO_ANSWER
from grader.compare.result import Unusable
from grader.compare.wire import MAX_MESSAGE, Wire

MALFORMED = "the grader could not read this answer (malformed record)"
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


@dataclass(frozen=True)
class Numbers:
    """An answer's numbers as float64, with the dtype the student's values had."""

    values: np.ndarray
    dtype: str


def kind(node: Any) -> str:
    t = node.get("t") if isinstance(node, dict) else None
    return t if isinstance(t, str) else "malformed"


def text(node: Any, key: str, default: str = "") -> str:
    v = node.get(key) if isinstance(node, dict) else None
    return v[:MAX_MESSAGE] if isinstance(v, str) else default


def index(path: tuple[int, ...] | np.ndarray) -> str:
    """An element's index as the student writes it: ``[1, 0]``."""
    return "[" + ", ".join(str(int(i)) for i in path) + "]"


def describe(node: Any) -> str:
    """What the student gave, in a few words: "a str ('abc')", "None", "a dict"."""
    t = kind(node)
    if t == "str":
        v = text(node, "v")
        shown = repr(v[:40]) + ("..." if len(v) > 40 else "")
        return f"a str ({shown})"
    if t == "none":
        return "None"
    if t == "error":
        return f"unreadable ({text(node, 'message')})"
    if t == "unsupported":
        return f"a {text(node, 'type', 'object')}"
    if t == "scalar":
        return "a bool" if node.get("dtype") == "bool" else "a number"
    return {
        "array": "an array",
        "list": "a list",
        "dict": "a dict",
        "calls": "a function",
        "expr": "a symbolic expression",
    }.get(t, "something the grader cannot read")


def unusable(node: Any, want: str) -> Unusable:
    """Why `node` is not the `want`ed kind of answer ("a number or an array of numbers")."""
    t = kind(node)
    if t == "none":
        return Unusable(NO_ANSWER, "unanswered")
    if t == "absent":
        status = "unusable" if node.get("status") == "unusable" else "unanswered"
        return Unusable(text(node, "message", "no answer"), status)
    if t == "error":
        return Unusable(text(node, "message", MALFORMED))
    if t == "unsupported" and text(node, "type") in (
        "function",
        "method",
        "builtin_function_or_method",
    ):
        return Unusable(f"got a function: did you forget to call it? Give {want}")
    if t == "malformed":
        return Unusable(MALFORMED)
    return Unusable(f"got {describe(node)}: give {want}")


def _scalar(node: dict[str, Any]) -> float:
    v = node.get("v")
    if isinstance(v, str) and v in _NONFINITE:
        return _NONFINITE[v]
    if isinstance(v, bool | int | float):
        try:
            return float(v)
        except OverflowError:
            return math.copysign(math.inf, v)
    raise Unusable(MALFORMED)


def numbers(node: Any, wire: Wire) -> Numbers:
    """The node's numbers (raises `Unusable` naming why there are none)."""
    t = kind(node)
    dtype = text(node, "dtype", "float64")[:20]
    if t == "scalar":
        return Numbers(np.asarray(_scalar(node), dtype=np.float64), dtype)
    if t == "array":
        key = node.get("k")
        a = wire.arrays.get(key) if isinstance(key, str) else None
        if a is None or a.dtype.kind not in "biuf":
            raise Unusable(MALFORMED)
        return Numbers(a.astype(np.float64), dtype)
    if t == "list":  # numbers NumPy could not stack itself (e.g. SymPy numbers), or ragged
        found = _non_number(node, ())
        if found:
            raise Unusable(found)
        rows = [numbers(item, wire) for item in items(node)]
        if len({r.values.shape for r in rows}) != 1:
            raise Unusable(_ragged(node))
        return Numbers(np.stack([r.values for r in rows]), rows[0].dtype)
    raise unusable(node, "a number or an array of numbers")


def items(node: Any) -> list[Any]:
    v = node.get("items") if isinstance(node, dict) else None
    return v if isinstance(v, list) else []


def _shape(node: Any) -> tuple[int, ...] | None:
    t = kind(node)
    if t == "scalar":
        return ()
    if t == "array":
        shape = node.get("shape")
        return tuple(shape) if isinstance(shape, list) else None
    if t == "list":
        return (len(items(node)),)
    return None


def _non_number(node: Any, path: tuple[int, ...]) -> str | None:
    """The first element that is not a number, as a sentence."""
    for i, item in enumerate(items(node)):
        t = kind(item)
        if t == "list":
            found = _non_number(item, (*path, i))
            if found:
                return found
        elif t not in ("scalar", "array"):
            return f"element {index((*path, i))} is {describe(item)}, not a number"
    return None


def _ragged(node: Any) -> str:
    shapes = [_shape(i) for i in items(node)]
    if any(s == () for s in shapes):
        return "the list mixes numbers and lists: every row needs the same number of values"
    lengths = ", ".join(str(s[0]) if s else "?" for s in shapes[:8])
    more = ", ..." if len(shapes) > 8 else ""
    return (
        f"ragged list: its rows have different lengths ({lengths}{more}); "
        "every row needs the same number of values"
    )
