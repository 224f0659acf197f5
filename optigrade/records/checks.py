"""Reading JSON into records: each reader checks one value's type and says where it is wrong.

A record's `from_json` refuses (`RecordError`) whatever its `to_json` would not have written:
a missing or unknown key, a value of another type, an unknown status word. Numbers are
kept as read (an int stays an int), so a record writes back the bytes it was read from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any


class RecordError(ValueError):
    """A record that is not what its type says: malformed, or of another format."""


def keys(
    data: object, what: str, required: Iterable[str], optional: Iterable[str] = ()
) -> Mapping[str, Any]:
    """`data` as a JSON object with every key of `required`, any of `optional`, no other."""
    if not isinstance(data, Mapping):
        raise RecordError(f"{what}: not an object")
    required = tuple(required)
    missing = [k for k in required if k not in data]
    unknown = sorted(set(data) - set(required) - set(optional))
    if missing or unknown:
        raise RecordError(f"{what}: missing keys {missing}, unknown keys {unknown}")
    return data


def text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise RecordError(f"{what}: not a string")
    return value


def number(value: object, what: str) -> float:
    """A finite number (bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecordError(f"{what}: not a finite number")
    return value


def integer(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{what}: not an integer")
    return value


def array(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise RecordError(f"{what}: not a list")
    return value


def texts(value: object, what: str) -> tuple[str, ...]:
    return tuple(text(v, f"{what}[{i}]") for i, v in enumerate(array(value, what)))


def text_map(value: object, what: str) -> dict[str, str]:
    """A JSON object of strings."""
    if not isinstance(value, Mapping):
        raise RecordError(f"{what}: not an object")
    return {str(k): text(v, f"{what}[{k!r}]") for k, v in value.items()}


def word(value: object, words: tuple[str, ...], what: str) -> str:
    """One of `words` (a status `Literal`'s)."""
    if value not in words:
        raise RecordError(f"{what}: {value!r} is not one of {', '.join(words)}")
    return str(value)
