"""Central finite differences of a loss: the independent check of a gradient answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from grader.bank.model import Tolerance

#: Central differences are accurate to about h² ≈ 1e-12 times the third derivative, and
#: lose about eps/h ≈ 1e-10 to cancellation: agreement to 1e-5 is a meaningful check.
AGREEMENT = Tolerance(rtol=1e-5, atol=1e-7)


def finite_differences(
    loss: Callable[..., float], kwargs: Mapping[str, Any], names: list[str], h: float = 1e-6
) -> list[np.ndarray]:
    """∂loss/∂x ≈ (L(x + h) − L(x − h)) / 2h for every element of each argument in `names`,
    with a step relative to |x|; the other arguments stay as given."""
    grads = []
    for name in names:
        x = np.asarray(kwargs[name], dtype=np.float64)
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            step = h * max(1.0, abs(x[i]))
            up, down = x.copy(), x.copy()
            up[i] += step
            down[i] -= step
            shaped = (lambda v: float(v)) if x.ndim == 0 else (lambda v: v)
            g[i] = (
                loss(**{**kwargs, name: shaped(up)}) - loss(**{**kwargs, name: shaped(down)})
            ) / (2 * step)
        grads.append(g)
    return grads


def agrees(gradient: np.ndarray, reference: np.ndarray) -> bool:
    """Whether a gradient matches finite differences (compared flat, scaled by its size)."""
    g, r = np.ravel(gradient), np.ravel(reference)
    if g.shape != r.shape:
        return False
    atol = AGREEMENT.atol + AGREEMENT.rtol * float(np.abs(r).max(initial=0.0))
    return bool(np.allclose(g, r, rtol=AGREEMENT.rtol, atol=atol))
