"""Values of a spec as tagged JSON (probe inputs, evaluation data): numbers, arrays of
numbers, tuples, lists and dicts of them. Read back as data, never unpickled."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def dump(x: Any) -> Any:
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
        flat = [dump(v) for v in x.ravel().tolist()]
        return {"array": flat, "shape": list(x.shape), "dtype": x.dtype.str}
    if isinstance(x, tuple | list):
        return {"tuple" if isinstance(x, tuple) else "list": [dump(v) for v in x]}
    if isinstance(x, Mapping):
        return {"dict": [[str(k), dump(v)] for k, v in x.items()]}
    raise TypeError(f"no spec for values of type {type(x).__name__}")


def load(x: Any) -> Any:
    if not isinstance(x, dict):
        return x
    if "float" in x:
        return float(x["float"])
    if "array" in x:
        dtype = np.dtype(x["dtype"])
        if dtype.kind not in "biuf":
            raise ValueError(f"not a spec array type: {dtype}")
        return np.array([load(v) for v in x["array"]], dtype=dtype).reshape(x["shape"])
    if "tuple" in x:
        return tuple(load(v) for v in x["tuple"])
    if "list" in x:
        return [load(v) for v in x["list"]]
    if "dict" in x:
        return {k: load(v) for k, v in x["dict"]}
    raise ValueError(f"not a spec value: {sorted(x)}")
