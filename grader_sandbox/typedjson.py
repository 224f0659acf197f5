"""Typed JSON for the messages of `grader_sandbox.messages`: a `Message` is a frozen
dataclass that travels as one JSON object, its fields and ``"kind"``. Every field is
checked against its type, on the way out (`to_json`) and on the way in (`from_json`,
`decode`); `MessageError` names the first field that is wrong, missing or unknown.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any, ClassVar, Self


class MessageError(ValueError):
    """A message that is not what the protocol says, naming the field at fault."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name, self.problem = name, problem


class Message:
    """JSON for a frozen dataclass of the protocol: its fields, and ``"kind": KIND``."""

    KIND: ClassVar[str]

    def to_json(self) -> str:
        """The message as JSON text; MessageError if a field does not hold its type."""
        data = _plain(self)
        _build(type(self), data, "")  # what `from_json` would refuse is never sent
        try:
            return json.dumps({"kind": self.KIND, **data})
        except (TypeError, ValueError) as e:
            raise MessageError("message", f"not JSON: {e}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """The message `text` holds; MessageError if it is not one of this kind."""
        found = decode(text, cls)
        assert isinstance(found, cls)
        return found


def decode(text: str | bytes, *kinds: type[Message]) -> Message:
    """The message `text` holds, one of `kinds`; MessageError otherwise."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise MessageError("message", f"not JSON: {e}") from None
    if not isinstance(data, dict):
        raise MessageError("message", f"expected an object, got {_json_kind(data)}")
    expected = {k.KIND: k for k in kinds}
    kind = data.pop("kind", None)
    if not isinstance(kind, str) or kind not in expected:
        names = " or ".join(expected)
        raise MessageError("kind", f"expected {names}, got {json.dumps(kind)}")
    return _build(expected[kind], data, "")


def _plain(value: object) -> Any:
    """A dataclass as a dict of its fields, recursively; any other value as it is."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


@functools.cache
def _types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def _build(cls: type, data: object, where: str) -> Any:
    """An instance of dataclass `cls` from JSON `data`, every field checked (`where`: the
    name of `data` in the message, "" at its top)."""
    if not isinstance(data, dict):
        raise MessageError(where or "message", f"expected an object, got {_json_kind(data)}")
    expected = _types(cls)
    name = functools.partial(_name, where)
    for key in data:
        if key not in expected:
            raise MessageError(name(key), "unknown field")
    for key in expected:
        if key not in data:
            raise MessageError(name(key), "missing")
    values = {key: _value(hint, data[key], name(key)) for key, hint in expected.items()}
    try:
        return cls(**values)
    except MessageError as e:  # an invariant of `cls`
        raise MessageError(name(e.name), e.problem) from None


def _value(hint: Any, value: object, where: str) -> Any:
    """`value` as the type `hint` says, or MessageError naming `where`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if is_dataclass(hint):
        return _build(hint, value, where)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        others = [a for a in args if a is not type(None) and _travels(a)]
        try:
            if len(others) == 1:
                return _value(others[0], value, where)
        except MessageError as e:
            if e.name != where:  # a field within it: named as such
                raise
    elif origin in (list, tuple) and isinstance(value, list | tuple):  # a tuple: in `to_json`
        each = args if origin is tuple and args[-1] is not Ellipsis else args[:1] * len(value)
        if len(each) == len(value):
            pairs = enumerate(zip(each, value, strict=True))
            found = [_value(a, v, f"{where}[{i}]") for i, (a, v) in pairs]
            return tuple(found) if origin is tuple else found
    elif origin in (dict, Mapping) and isinstance(value, dict):
        return {k: _value(args[1], v, _name(where, k)) for k, v in value.items()}
    elif hint in _SCALARS and _SCALARS[hint](value):
        return hint(value)
    raise MessageError(where, f"expected {_describe(hint)}, got {_json_kind(value)}")


_SCALARS: dict[type, Callable[[object], bool]] = {
    str: lambda v: isinstance(v, str),
    bool: lambda v: isinstance(v, bool),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, int | float) and not isinstance(v, bool),  # 1 means 1.0
}


def _travels(hint: Any) -> bool:
    """Whether a value of type `hint` can be a message's (a Path, say, cannot)."""
    known = (list, tuple, dict, Mapping, types.UnionType, typing.Union)
    return hint is Any or is_dataclass(hint) or hint in _SCALARS or typing.get_origin(hint) in known


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(a) for a in args if a is type(None) or _travels(a))
    if origin is tuple and args[-1] is not Ellipsis:
        return f"a list of {len(args)}"
    if origin in (list, tuple):
        return "a list"
    if hint is type(None):
        return "null"
    names = {str: "text", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(hint, "an object")


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"
