"""The dense layer of the lectures: z = Xw + b."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def dense(X: ArrayLike, w: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """z = X w + b, with X (n, p), w (p, q) and b broadcast to (n, q)."""
    X, w, b = (np.asarray(a, dtype=np.float64) for a in (X, w, b))
    return X @ w + b
