"""Write `grader.coursedata`'s files from `reference.data` (instructor's side)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from grader import coursedata
from reference import data


def _sets() -> dict[str, tuple[Any, ...]]:
    return {
        "synthetic_321": data.synthetic_321(),
        "iris_splits": data.iris_splits(),
        "stroke_splits": data.stroke_splits(),
    }


def files() -> dict[str, bytes]:
    """Each file of `grader.coursedata` as it should be (deterministic bytes)."""
    found: dict[str, bytes] = {}
    columns: dict[str, dict[str, Any]] = {}
    for name, values in _sets().items():
        arrays, frames = {}, {}
        for key, value in zip(coursedata.SETS[name], values, strict=True):
            if hasattr(value, "columns"):
                frames[key] = {"columns": list(value.columns), "index": value.index.tolist()}
                value = value.to_numpy()
            arrays[key] = np.ascontiguousarray(value)
        if frames:
            columns[name] = frames
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # uncompressed: np.savez writes fixed zip timestamps
        found[f"{name}.npz"] = buffer.getvalue()
    found["columns.json"] = (json.dumps(columns, indent=1, sort_keys=True) + "\n").encode()
    return found


def write(folder: Path = coursedata.HERE) -> list[Path]:
    written = []
    for name, content in files().items():
        path = folder / name
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)
            written.append(path)
    return written
