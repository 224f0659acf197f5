"""The course's data sets as the notebooks load them, on the student's side.

The notebooks need the lab's synthetic data and the iris and stroke splits, but the
student runtime (and the batch grader's sandbox) has no `reference`, where they are
made. Their values are stored here as `.npz` files (read with ``allow_pickle=False``)
with their column names in `columns.json`; `grader assign sync` writes them from
`reference.data` (`optigrade.assign.coursedata`) and a test checks they are the same to the
bit. Data only: no question's answer is in them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
#: The iris species, in the order of the target's values 0, 1, 2.
IRIS_CLASSES = ("setosa", "versicolor", "virginica")
SETS = {
    "synthetic_321": ("X", "y"),
    "iris_splits": ("X_train", "X_test", "y_train", "y_test"),
    "stroke_splits": ("X_train", "X_val", "X_test", "y_train", "y_val", "y_test"),
}


@cache
def _columns() -> dict[str, dict[str, list]]:
    return json.loads((HERE / "columns.json").read_text(encoding="utf-8"))


def arrays(name: str) -> dict[str, np.ndarray]:
    """The arrays of set `name` by their names, as stored (no DataFrame)."""
    with np.load(HERE / f"{name}.npz", allow_pickle=False) as stored:
        return {k: stored[k] for k in SETS[name]}


def _load(name: str) -> tuple:
    """The arrays of set `name`; those with columns (and an index) as DataFrames."""
    stored = arrays(name)
    frames = _columns().get(name, {})
    if not frames:
        return tuple(stored[k] for k in SETS[name])
    import pandas as pd

    found = []
    for key in SETS[name]:
        spec = frames.get(key)
        found.append(
            stored[key]
            if spec is None
            else pd.DataFrame(stored[key], columns=spec["columns"], index=spec["index"])
        )
    return tuple(found)


def synthetic_321() -> tuple[np.ndarray, np.ndarray]:
    """The lab's X (10000, 3) and y (10000, 1) for the 3-2-1 network."""
    return _load("synthetic_321")  # type: ignore[return-value]


def iris_splits() -> tuple:
    """X_train (112), X_test (38) as DataFrames, y_train, y_test as columns (n, 1): the
    lecture's `train_test_split(features, target, random_state=24)`."""
    return _load("iris_splits")


def stroke_splits() -> tuple:
    """X_train, X_val, X_test, y_train, y_val, y_test of the stroke stand-in (60/20/20%,
    stratified, preprocessed on the training rows), as DataFrames."""
    return _load("stroke_splits")
