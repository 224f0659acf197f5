"""NumPy arrays from the array types students use, without importing their libraries.

Tensors are recognised by the module their type comes from (torch, jax, keras,
tensorflow, pandas), so checking an answer never pays for importing a framework.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def type_name(x: object) -> str:
    """`float`, `numpy.ndarray`, `torch.Tensor`: how a student knows the type."""
    cls = type(x)
    module = cls.__module__.partition(".")[0]
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def to_numpy(x: Any) -> tuple[np.ndarray, str] | None:
    """The array `x` holds and its original dtype name, or None if `x` is not array-like.

    May raise whatever the object's own conversion raises.
    """
    if isinstance(x, np.ndarray):
        return np.array(x), x.dtype.name  # a copy: the student may change theirs later
    root = type(x).__module__.partition(".")[0]
    if root == "torch":
        t = x.detach().cpu()
        dtype = str(t.dtype).removeprefix("torch.")
        if dtype == "bfloat16":  # NumPy has no bfloat16
            t = t.float()
        return t.numpy().copy(), dtype
    if root == "pandas" and hasattr(x, "to_numpy"):
        a = x.to_numpy()
        return np.array(a), a.dtype.name
    if root == "tensorflow" and hasattr(x, "numpy"):
        a = np.asarray(x.numpy())
        return a, a.dtype.name
    if hasattr(type(x), "__array__"):  # JAX arrays, Keras variables, and the like
        a = np.array(x)
        return a, a.dtype.name
    return None
