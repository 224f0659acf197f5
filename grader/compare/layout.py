"""How a student's one answer object splits into a question's parts, and back.

Layouts (`grader.question.Layout`): "single" (the answer is the part), "parts" (a
mapping; part "a/b" is ``answer["a"]["b"]``), "rows" (a sequence or array; row i is
part i; or a mapping keyed by the part names). `split` runs on the untrusted side: it
only reads the student's object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.compare.arraylike import to_numpy, type_name
from grader.question import Question

NO_ANSWER = "no answer (None): did you assign the variable?"
_MAX_KEYS = 1000  # keys read from a student's mapping


@dataclass(frozen=True)
class Absent:
    """A part the answer does not provide, and why."""

    message: str
    status: str = "unanswered"  # or "unusable" when the answer has the wrong structure


def split(question: Question, answer: Any) -> tuple[dict[str, Any], list[str]]:
    """Each part's value (or `Absent`) and notes about the whole answer."""
    names = [p.name for p in question.parts]
    if question.layout == "single":
        return {names[0]: answer}, []
    if answer is None:
        return dict.fromkeys(names, Absent(NO_ANSWER)), []
    if question.layout == "parts":
        return _split_parts(names, answer)
    return _split_rows(names, answer)


def _split_parts(names: list[str], answer: Any) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(answer, Mapping):
        keys = ", ".join(repr(n) for n in names)
        why = f"expected a dict with keys {keys}; got a {type_name(answer)}"
        return dict.fromkeys(names, Absent(why, "unusable")), []
    values, read = {}, {}
    for name in names:
        values[name], renamed = _lookup(answer, name.split("/"))
        read |= renamed
    extra = _extra_keys(answer, _trie(names), [])
    notes = [_read_as(read)] if read else []
    if extra:
        notes.append(f"extra key{'s' if len(extra) > 1 else ''} ignored: {', '.join(extra)}")
    return values, notes


def _keyed(mapping: Mapping) -> dict[str, Any]:
    """The mapping with its keys as strings (a student may use 1 for "1")."""
    out: dict[str, Any] = {}
    for i, (k, v) in enumerate(mapping.items()):
        if i >= _MAX_KEYS:
            break
        out.setdefault(k if isinstance(k, str) else str(k), v)
    return out


def _read_as(read: dict[str, str]) -> str:
    """'Your key 'a' was read as 'A'.', or the same for several keys at once."""
    said, meant = (", ".join(repr(k) for k in keys) for keys in (read, read.values()))
    if len(read) == 1:
        return f"Your key {said} was read as {meant}."
    return f"Your keys {said} were read as {meant}."


def _normal(key: str) -> str:
    """A key as compared when it is not the exact one: case and spacing aside, as a
    choice's spelling is ("a" for "A")."""
    return " ".join(key.split()).casefold()


def _spelt(keyed: Mapping[str, Any], key: str) -> str | None:
    """The student's key standing for `key`: itself, else the one key spelt alike."""
    if key in keyed:
        return key
    alike = [k for k in keyed if _normal(k) == _normal(key)]
    return alike[0] if len(alike) == 1 else None


def _lookup(answer: Mapping, path: list[str]) -> tuple[Any, dict[str, str]]:
    """The value at `path` (or `Absent`), and the student's keys read as another spelling."""
    node: Any = answer
    renamed: dict[str, str] = {}
    for depth, key in enumerate(path):
        where = "".join(f"[{k!r}]" for k in path[:depth])
        if not isinstance(node, Mapping):
            why = f"answer{where} should be a dict with key {key!r}; got a {type_name(node)}"
            return Absent(why, "unusable"), renamed
        try:
            keyed = node if key in node else _keyed(node)  # a str key, or keys to convert
            spelt = _spelt(keyed, key)
            node = keyed[spelt] if spelt is not None else None
        except Exception as e:
            return Absent(f"could not read answer{where}: {type(e).__name__}", "unusable"), {}
        if spelt is None:
            return Absent(f"the answer has no part {'/'.join(path[: depth + 1])!r}"), renamed
        if spelt != key:
            renamed[spelt] = key
    return node, renamed


def _trie(names: list[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for name in names:
        node = root
        for key in name.split("/"):
            node = node.setdefault(key, {})
    return root


def _extra_keys(answer: Any, trie: dict[str, Any], path: list[str]) -> list[str]:
    if not trie or not isinstance(answer, Mapping):
        return []
    try:
        keyed = _keyed(answer)
    except Exception:
        return []
    found = []
    for key, value in keyed.items():
        meant = next((k for k in trie if _spelt(keyed, k) == key), None)
        if meant is not None:
            found += _extra_keys(value, trie[meant], [*path, key])
        else:
            found.append(repr("/".join([*path, key])))
    return found


def _rows(answer: Any) -> list[Any] | None:
    if isinstance(answer, list | tuple):
        return list(answer)
    converted = to_numpy(answer)
    if converted is not None and converted[0].ndim >= 1:
        return list(converted[0])
    return None


def _names_a_part(answer: Mapping, names: list[str]) -> bool:
    try:
        return any(name in _keyed(answer) for name in names)
    except Exception:  # a hostile mapping: treated as the wrong structure
        return False


def _split_rows(names: list[str], answer: Any) -> tuple[dict[str, Any], list[str]]:
    n = len(names)
    if isinstance(answer, Mapping) and _names_a_part(answer, names):
        return _split_parts(names, answer)  # {"W1": ..., "W2": ...} says which row is which
    rows = None if isinstance(answer, str | bytes | Mapping) else _rows(answer)
    if rows is None:
        keys = ", ".join(repr(name) for name in names[:3]) + (", ..." if n > 3 else "")
        why = (
            f"expected a sequence of {n} rows (one per part) or a dict with keys {keys}; "
            f"got a {type_name(answer)}"
        )
        return dict.fromkeys(names, Absent(why, "unusable")), []
    notes = []
    if len(rows) != n and _transposed(answer, n):
        why = (
            f"the table looks transposed: it has {n} columns and {len(rows)} rows, and one "
            "row per part is asked for (.T turns it round)"
        )
        return dict.fromkeys(names, Absent(why, "unusable")), []
    if len(rows) != n:
        more = "later rows ignored" if len(rows) > n else "the missing rows score 0"
        notes.append(f"expected {n} rows (one per part), got {len(rows)}: {more}")
    values = {
        name: rows[i]
        if i < len(rows)
        else Absent(f"not in the answer, which has {len(rows)} row{'s' if len(rows) != 1 else ''}")
        for i, name in enumerate(names)
    }
    return values, notes


def _transposed(answer: Any, n: int) -> bool:
    """Whether the answer is a table of `n` columns (and not `n` rows): one per part,
    the wrong way round."""
    try:
        converted = to_numpy(answer)
    except Exception:  # a student's object: whatever its conversion raises
        return False
    return converted is not None and converted[0].ndim == 2 and converted[0].shape[1] == n


def aliased(question: Question, answer: Any) -> list[list[str]]:
    """The parts of a rows answer that are one array: rows that are the same object or
    share memory, as ``rows.append(theta)`` with theta then updated in place makes them
    (untrusted side: reads the objects only; never raises)."""
    if question.layout != "rows" or not isinstance(answer, list | tuple):
        return []
    names = [p.name for p in question.parts]
    groups: list[list[int]] = []
    for j, row in enumerate(list(answer)[: len(names)]):
        for group in groups:
            if _one(answer[group[0]], row):
                group.append(j)
                break
        else:
            groups.append([j])
    return [[names[i] for i in group] for group in groups if len(group) > 1]


def _one(a: Any, b: Any) -> bool:
    """Whether two rows are one mutable object (equal values are not enough)."""
    if a is b:
        return isinstance(a, np.ndarray | list)
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10_000))
    except Exception:  # too hard to tell, or an odd array subclass: not said
        return False


def assemble(question: Question, values: Mapping[str, Any]) -> Any:
    """The answer object a student would give, from each part's value (inverse of split)."""
    names = [p.name for p in question.parts]
    if question.layout == "single":
        return values[names[0]]
    if question.layout == "rows":
        return [values[n] for n in names]
    nested: dict[str, Any] = {}
    for name in names:
        *path, leaf = name.split("/")
        node = nested
        for key in path:
            node = node.setdefault(key, {})
        node[leaf] = values[name]
    return nested
