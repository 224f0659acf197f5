"""The wire form of an answer: all that crosses from the student's process to the grader.

Encoding (`Encoder`, driven by `grader.compare.engine.encode`) runs in the student's
process (untrusted) and never raises: it turns the answer into a JSON tree of *nodes* plus
a dict of NumPy arrays. `dump` writes them as
``<qid>.json`` and ``<qid>.<k>.npy``; `load` reads them back in the trusted process with
size caps, `json.loads` and ``np.load(allow_pickle=False)`` only. A record that is
malformed, oversized or tampered with loads as `error` nodes, never as an exception.

Nodes (``"t"`` is the node type):

- ``{"t": "none"}``; ``{"t": "scalar", "v": number | "nan" | "inf" | "-inf", "dtype": ...}``
- ``{"t": "array", "k": key, "dtype": original dtype name, "shape": [...]}``
- ``{"t": "str", "v": text (capped), "n": full length}``
- ``{"t": "list", "type": "list" | "tuple" | ..., "items": [node, ...]}`` (ragged or
  non-numeric sequences only: rectangular numbers become arrays)
- ``{"t": "dict", "items": [[key, node], ...]}``
- ``{"t": "unsupported", "type": type name}``; ``{"t": "error", "message": ...}``;
  ``{"t": "absent", "message": ..., "status": "unanswered" | "unusable"}``
- kind-specific nodes from the part kinds of `grader.kinds` (``calls``, ``expr``, ...).

A question's answer is split into its parts and each encoded by its kind in
`grader.engine`.
"""

from __future__ import annotations

import io
import json
import math
import numbers
import os
import re
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.compare.arraylike import to_numpy, type_name

Node = dict[str, Any]
#: A folder's record files in memory, by file name (as a sandbox runner sends them back):
#: what `load` reads besides a folder.
Files = Mapping[str, bytes]

FORMAT = 1
MAX_JSON_BYTES = 4 << 20
MAX_ARRAY_BYTES = 16 << 20
MAX_TOTAL_BYTES = 64 << 20
MAX_NODES = 10_000
MAX_DEPTH = 32  # nesting of a Python answer
MAX_RECORD_DEPTH = 256  # nesting of a record's JSON (expression trees nest deeper)
MAX_STR = 1_000
MAX_MESSAGE = 300

_QID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
_KEY = re.compile(r"[0-9]{1,6}")
_NUMERIC_KINDS = "biuf"


def error(message: str) -> Node:
    return {"t": "error", "message": message[:MAX_MESSAGE]}


def describe_exception(e: BaseException) -> str:
    """``ZeroDivisionError: division by zero``, truncated; never raises."""
    try:
        text = str(e)
    except Exception:
        text = ""
    name = type(e).__name__
    return (f"{name}: {text}" if text else name)[:MAX_MESSAGE]


class _TooLarge(Exception):
    pass


@dataclass
class Wire:
    """An encoded answer: a JSON tree and the arrays its nodes refer to by key."""

    tree: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def part(self, name: str) -> Node:
        """The node of one part (an `absent` or `error` node if the record lacks it)."""
        parts = self.tree.get("parts")
        node = parts.get(name) if isinstance(parts, dict) else None
        if isinstance(node, dict):
            return node
        default = self.tree.get("default")
        if isinstance(default, dict):
            return default
        return {"t": "absent", "message": "no answer was recorded for this part"}

    @property
    def notes(self) -> list[str]:
        notes = self.tree.get("notes")
        if not isinstance(notes, list):
            return []
        return [n[:MAX_MESSAGE] for n in notes[:20] if isinstance(n, str)]


# --- encoding (untrusted side) --------------------------------------------------------


class Encoder:
    """Turns Python objects into nodes, keeping arrays aside; counts what it stores.
    `inputs` are the question's, for kinds that evaluate the answer on them (models)."""

    def __init__(self, inputs: Mapping[str, Any] | None = None) -> None:
        self.inputs: Mapping[str, Any] = inputs or {}
        self.arrays: dict[str, np.ndarray] = {}
        self._nodes = 0
        self._bytes = 0

    def value(self, x: Any) -> Node:
        """The node for any object; never raises an Exception."""
        try:
            return self._child(x, 0)
        except _TooLarge as e:
            return error(str(e))

    def _child(self, x: Any, depth: int) -> Node:
        """An element's node: an element that cannot be read becomes an error node, but
        an answer too large or deep is refused as a whole."""
        try:
            return self._value(x, depth)
        except _TooLarge:
            raise
        except Exception as e:
            return error(f"could not read the answer ({describe_exception(e)})")

    def _value(self, x: Any, depth: int) -> Node:
        self._nodes += 1
        if self._nodes > MAX_NODES or depth > MAX_DEPTH:
            raise _TooLarge("the answer is too large or too deeply nested to check")
        if x is None:
            return {"t": "none"}
        if isinstance(x, str):
            return {"t": "str", "v": x[:MAX_STR], "n": len(x)}
        if isinstance(x, bool | int | float | complex | np.generic):
            return self._scalar(x)
        if isinstance(x, Mapping):
            return self._dict(x, depth)
        if isinstance(x, list | tuple | range):
            return self._sequence(list(x), type_name(x), depth)
        if isinstance(x, set | frozenset):
            try:
                items = sorted(x)
            except TypeError:
                items = list(x)
            return self._sequence(items, type_name(x), depth)
        converted = to_numpy(x)
        if converted is not None:
            return self._array(*converted, depth=depth)
        if isinstance(x, numbers.Real) or hasattr(type(x), "__float__"):
            return self._scalar(float(x))  # Fraction, Decimal, SymPy numbers
        return {"t": "unsupported", "type": type_name(x)}

    def _scalar(self, x: Any) -> Node:
        if isinstance(x, complex | np.complexfloating):
            return {"t": "unsupported", "type": "complex number"}
        if isinstance(x, np.generic) and x.dtype.kind not in _NUMERIC_KINDS:
            return self._value(x.item(), 0)  # np.bytes_, np.datetime64 and the like
        if isinstance(x, bool | np.bool_):
            return {"t": "scalar", "v": bool(x), "dtype": "bool"}
        if isinstance(x, np.generic):
            dtype, v = x.dtype.name, x.item()
        else:
            dtype, v = ("int64" if isinstance(x, int) else "float64"), x
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63:
            v = float(v) if abs(v) < 2**1023 else math.copysign(math.inf, v)
        if isinstance(v, float) and not math.isfinite(v):
            v = "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return {"t": "scalar", "v": v, "dtype": dtype}

    def _array(self, a: np.ndarray, dtype: str, depth: int = 0) -> Node:
        if a.dtype.kind == "O":
            return self._sequence(a.tolist(), "numpy.ndarray", depth)
        if a.dtype.kind not in _NUMERIC_KINDS:
            what = {"U": "text", "S": "bytes", "c": "complex numbers"}.get(a.dtype.kind, dtype)
            return {"t": "unsupported", "type": f"numpy array of {what}"}
        if a.ndim == 0:
            node = self._scalar(a[()])
            return {**node, "dtype": dtype} if node["t"] == "scalar" else node
        if a.nbytes > MAX_ARRAY_BYTES or self._bytes + a.nbytes > MAX_TOTAL_BYTES:
            raise _TooLarge(f"the answer is too large to check ({a.size} numbers)")
        self._bytes += a.nbytes
        key = str(len(self.arrays))
        self.arrays[key] = a
        return {"t": "array", "k": key, "dtype": dtype, "shape": list(a.shape)}

    def _sequence(self, items: list[Any], kind: str, depth: int) -> Node:
        try:
            a = np.asarray(items)
        except Exception:  # ragged, or an element whose conversion fails
            a = None
        if a is not None and a.dtype.kind in _NUMERIC_KINDS:
            return self._array(a, a.dtype.name, depth)
        if len(items) > MAX_NODES:
            raise _TooLarge("the answer is too large to check")
        return {"t": "list", "type": kind, "items": [self._child(i, depth + 1) for i in items]}

    def _dict(self, x: Mapping, depth: int) -> Node:
        items = []
        for k, v in x.items():
            key = k if isinstance(k, str) else str(k)
            items.append([key[:200], self._child(v, depth + 1)])
            if len(items) > MAX_NODES:
                raise _TooLarge("the answer is too large to check")
        return {"t": "dict", "items": items}


# --- files ------------------------------------------------------------------------------


def _check_qid(qid: str) -> None:
    if not isinstance(qid, str) or not _QID.fullmatch(qid):
        raise ValueError(f"not a question id usable as a file name: {qid!r}")


def _write_atomic(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump(wire: Wire, directory: str | os.PathLike[str], qid: str) -> None:
    """Write `<qid>.json` and `<qid>.<k>.npy` atomically: arrays first, the JSON last, so a
    JSON file present means its arrays are complete."""
    _check_qid(qid)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    for key, a in wire.arrays.items():
        _write_atomic(folder / f"{qid}.{key}.npy", lambda f, a=a: np.save(f, a, allow_pickle=False))
    text = json.dumps({**wire.tree, "arrays": sorted(wire.arrays)}, allow_nan=False)
    _write_atomic(folder / f"{qid}.json", lambda f: f.write(text.encode()))


def _read_capped(path: Path, cap: int) -> bytes:
    """A regular file's bytes, refusing symlinks, FIFOs and files over `cap`."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > cap:
            raise _TooLarge(f"{info.st_size} bytes, more than the {cap} allowed")
        data = f.read(cap + 1)
    if len(data) > cap:
        raise _TooLarge(f"more than the {cap} bytes allowed")
    return data


def _reader(source: str | os.PathLike[str] | Files) -> Callable[[str, int], bytes]:
    """Reads a record's file by name, at most `cap` bytes: from a folder, or from files
    in memory (FileNotFoundError for a name it lacks, as the folder would raise)."""
    if not isinstance(source, Mapping):
        folder = Path(source)
        return lambda name, cap: _read_capped(folder / name, cap)
    files: Files = source

    def read(name: str, cap: int) -> bytes:
        data = files.get(name)
        if not isinstance(data, bytes):
            raise FileNotFoundError(name)
        if len(data) > cap:
            raise _TooLarge(f"{len(data)} bytes, more than the {cap} allowed")
        return data

    return read


def _load_array(data: bytes) -> np.ndarray:
    a = np.load(io.BytesIO(data), allow_pickle=False)
    if not isinstance(a, np.ndarray) or a.dtype.kind not in _NUMERIC_KINDS:
        raise ValueError("not a numeric array")
    return a


def _checked(node: Any, arrays: dict[str, np.ndarray], problems: dict[str, str], depth: int) -> Any:
    """The tree with every array node verified against the loaded arrays (broken ones
    replaced by error nodes) and over-deep structures cut off."""
    if depth > MAX_RECORD_DEPTH:
        return error("the recorded answer is nested too deeply")
    if isinstance(node, list):
        return [_checked(v, arrays, problems, depth + 1) for v in node]
    if not isinstance(node, dict):
        return node
    if node.get("t") == "array":
        key = node.get("k")
        if not isinstance(key, str) or key not in arrays:
            why = problems.get(key, "it is missing") if isinstance(key, str) else "no key"
            return error(f"the recorded array could not be read ({why})")
        if node.get("shape") != list(arrays[key].shape):
            return error("the recorded array does not match its description")
        return node
    return {k: _checked(v, arrays, problems, depth + 1) for k, v in node.items()}


def _broken(qid: str, node: Node) -> Wire:
    return Wire({"format": FORMAT, "qid": qid, "parts": {}, "notes": [], "default": node})


def load(source: str | os.PathLike[str] | Files, qid: str) -> Wire:
    """Read the record of `qid` (trusted side) from its folder, or from that folder's files
    in memory: never raises for a bad record."""
    read = _reader(source)
    try:
        _check_qid(qid)
        text = read(f"{qid}.json", MAX_JSON_BYTES)
    except FileNotFoundError:
        why = "no answer was recorded (did the test cell run, and is the variable defined?)"
        return _broken(qid, {"t": "absent", "message": why, "status": "unanswered"})
    except (OSError, ValueError, _TooLarge) as e:
        return _broken(qid, error(f"the recorded answer could not be read ({e})"))
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError):
        return _broken(qid, error("the recorded answer is not valid JSON"))
    if not isinstance(tree, dict) or tree.get("format") != FORMAT:
        return _broken(qid, error("the recorded answer is not in the expected format"))

    keys = tree.get("arrays", [])
    if not isinstance(keys, list):
        keys = []
    arrays: dict[str, np.ndarray] = {}
    problems: dict[str, str] = {}
    budget = MAX_TOTAL_BYTES
    for key in keys[:MAX_NODES]:
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            continue
        try:
            data = read(f"{qid}.{key}.npy", min(MAX_ARRAY_BYTES + 4096, budget))
            arrays[key] = _load_array(data)
            budget -= arrays[key].nbytes
        except FileNotFoundError:
            problems[key] = "its file is missing"
        except (OSError, ValueError, _TooLarge, EOFError) as e:
            problems[key] = str(e)[:MAX_MESSAGE] or type(e).__name__
    try:
        checked = _checked(tree, arrays, problems, 0)
    except RecursionError:
        return _broken(qid, error("the recorded answer is nested too deeply"))
    return Wire(checked, arrays)
