"""Central finite differences of a loss: the independent check of a gradient answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from grader.question import Tolerance

#: Central differences are accurate to about h² ≈ 1e-12 times the third derivative, and
#: lose about eps/h ≈ 1e-10 to cancellation: agreement to 1e-5 is a meaningful check.
AGREEMENT = Tolerance(rtol=1e-5, atol=1e-7)


def central_differences(f: Callable[[np.ndarray], float], x: Any, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x ≈ (f(x + h) − f(x − h)) / 2h element by element, with a step relative to |x|."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = h * max(1.0, abs(x[i]))
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        g[i] = (f(up) - f(down)) / (2 * step)
    return g


def finite_differences(
    loss: Callable[..., float], kwargs: Mapping[str, Any], names: list[str], h: float = 1e-6
) -> list[np.ndarray]:
    """Central differences of `loss` in each argument of `names`; the others stay as given."""

    def along(name: str) -> Callable[[np.ndarray], float]:
        # A scalar argument is passed back as a Python float, as the student's code received it.
        scalar = np.ndim(kwargs[name]) == 0
        return lambda x: loss(**{**kwargs, name: float(x) if scalar else x})

    return [central_differences(along(name), kwargs[name], h) for name in names]


def agrees(gradient: np.ndarray, reference: np.ndarray) -> bool:
    """Whether a gradient matches finite differences (compared flat, scaled by its size)."""
    g, r = np.ravel(gradient), np.ravel(reference)
    if g.shape != r.shape:
        return False
    atol = AGREEMENT.atol + AGREEMENT.rtol * float(np.abs(r).max(initial=0.0))
    return bool(np.allclose(g, r, rtol=AGREEMENT.rtol, atol=atol))
