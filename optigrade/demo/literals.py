"""Python source for an answer value, as a student would type it into a notebook cell.

Numbers print with `repr` (which round-trips floats exactly), arrays as ``np.array([...])``
(the notebooks import NumPy as ``np``), SymPy expressions as the strings the expression
parts accept, and `Own` stands for something the student's notebook already holds (a
function it defined, a trained model) by the code that reaches it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Own:
    """A value the notebook holds already, written as the code reaching it."""

    code: str


def _number(x: float | int) -> str:
    if isinstance(x, bool | int):
        return repr(x)
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    return repr(float(x))


def _nested(value: Any) -> str:
    """A list (of lists) of numbers from `ndarray.tolist()`."""
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return _number(value)


def source(value: Any) -> str:
    """Python source evaluating to `value` (see the module doc); TypeError for a value a
    student could not type (a function or a model the notebook does not hold)."""
    if isinstance(value, Own):
        return value.code
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool | int | float):
        return _number(value)
    if isinstance(value, np.generic):
        return _number(value.item())
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"an array of {value.dtype} cannot be written as a literal")
        return f"np.array({_nested(value.tolist())})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{source(k)}: {source(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(source(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(source(v) + ", " for v in value).rstrip(" ") + ")"
    import sympy

    if isinstance(value, sympy.Basic):
        return repr(str(value))  # the string form the expression parts parse
    raise TypeError(f"a {type(value).__name__} cannot be written as a literal")
