"""The wire form: what encode makes of every kind of answer, and a loader that never trusts
the files (caps, pickles, tampering, symlinks, FIFOs)."""

from __future__ import annotations

import json
import os
import pickle
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from grader.compare import wire
from grader.compare.wire import Encoder, Wire, dump, load
from grader.engine import encode, grade
from optigrade.bank import get

Z = get("fp.1.2")  # single part z, a column of 2


def node(value: Any) -> dict[str, Any]:
    return Encoder().value(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {"t": "none"}),
        (True, {"t": "scalar", "v": True, "dtype": "bool"}),
        (3, {"t": "scalar", "v": 3, "dtype": "int64"}),
        (2.5, {"t": "scalar", "v": 2.5, "dtype": "float64"}),
        (float("nan"), {"t": "scalar", "v": "nan", "dtype": "float64"}),
        (-np.inf, {"t": "scalar", "v": "-inf", "dtype": "float64"}),
        (np.float32(0.5), {"t": "scalar", "v": 0.5, "dtype": "float32"}),
        (np.array(7, dtype=np.int16), {"t": "scalar", "v": 7, "dtype": "int16"}),
        (2**70, {"t": "scalar", "v": float(2**70), "dtype": "int64"}),
        (Fraction(1, 4), {"t": "scalar", "v": 0.25, "dtype": "float64"}),
        ("x" * 5000, {"t": "str", "v": "x" * wire.MAX_STR, "n": 5000}),
        (1j, {"t": "unsupported", "type": "complex number"}),
        (object(), {"t": "unsupported", "type": "object"}),
        (
            {"a": None, 1: "b"},
            {"t": "dict", "items": [["a", {"t": "none"}], ["1", {"t": "str", "v": "b", "n": 1}]]},
        ),
    ],
)
def test_encoding_of_plain_values(value, expected) -> None:
    assert node(value) == expected


def test_arrays_keep_their_dtype_and_are_copied() -> None:
    enc = Encoder()
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    n = enc.value(a)
    assert n == {"t": "array", "k": "0", "dtype": "float32", "shape": [2, 3]}
    a[0, 0] = 99
    assert enc.arrays["0"][0, 0] == 0


def test_lists_become_arrays_unless_ragged() -> None:
    assert node([[1, 2], [3, 4]])["t"] == "array"
    assert node((1.0, 2.0))["t"] == "array"
    ragged = node([[1, 2], [3]])
    assert ragged["t"] == "list" and ragged["type"] == "list"
    assert [i["t"] for i in ragged["items"]] == ["array", "array"]
    assert node({0.3, 0.1})["t"] == "array"
    assert node(pd.Series([1.0, 2.0]))["dtype"] == "float64"


def test_tensors_are_converted_without_importing_their_library() -> None:
    import torch

    enc = Encoder()
    n = enc.value(torch.ones(2, 1, requires_grad=True))
    assert n == {"t": "array", "k": "0", "dtype": "float32", "shape": [2, 1]}
    assert enc.value(torch.ones(3, dtype=torch.bfloat16))["dtype"] == "bfloat16"


def test_encode_never_raises_even_when_splitting_fails() -> None:
    class Hostile(dict):
        def items(self):
            raise RuntimeError("nope")

        def keys(self):
            raise RuntimeError("nope")

        def __iter__(self):
            raise RuntimeError("nope")

    q = get("act.1")
    w = encode(q, Hostile())
    result = grade(q, w)
    assert {p.status for p in result.parts} == {"unusable"}
    assert "could not read answer: RuntimeError" in result.parts[0].message


def test_dump_and_load_round_trip(tmp_path: Path) -> None:
    q = get("out.1")
    answer = {"A": np.float32(2.3), "B": [0.6], "C": None, "D": "0.15", "extra": np.ones((2, 2))}
    w = encode(q, answer)
    dump(w, tmp_path, q.id)
    loaded = load(tmp_path, q.id)
    assert loaded.tree == {**w.tree, "arrays": sorted(w.arrays)}
    assert loaded.arrays.keys() == w.arrays.keys()
    assert grade(q, loaded) == grade(q, w)
    assert sorted(os.listdir(tmp_path)) == ["out.1.0.npy", "out.1.json"]  # no temp files left
    in_memory = load(_files(tmp_path), q.id)  # as the judge gets a runner's records
    assert in_memory.tree == loaded.tree and grade(q, in_memory) == grade(q, w)


def _record(tmp_path: Path, answer: Any = ((1.0,), (2.0,))) -> Wire:
    w = encode(Z, np.asarray(answer))
    dump(w, tmp_path, Z.id)
    return w


def _files(folder: Path) -> dict[str, bytes]:
    """A record folder's files in memory, as a sandbox runner sends them to the judge."""
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _message(tmp_path: Path, in_memory: bool = False) -> tuple[str, str]:
    verdict = grade(Z, load(_files(tmp_path) if in_memory else tmp_path, Z.id)).parts[0]
    return verdict.status, verdict.message


@pytest.mark.parametrize("in_memory", [False, True], ids=["folder", "in-memory"])
def test_a_missing_record_is_a_missing_answer(tmp_path: Path, in_memory: bool) -> None:
    assert _message(tmp_path, in_memory) == (
        "unanswered",
        "no answer was recorded (did the test cell run, and is the variable defined?)",
    )


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            lambda d: (d / "fp.1.2.json").write_text("{not json"),
            "the recorded answer is not valid JSON",
        ),
        (
            lambda d: (d / "fp.1.2.json").write_text("[1, 2]"),
            "the recorded answer is not in the expected format",
        ),
        (
            lambda d: (d / "fp.1.2.json").write_text(" " * (wire.MAX_JSON_BYTES + 1)),
            "the recorded answer could not be read",
        ),
        (
            lambda d: (d / "fp.1.2.json").write_text("[" * 100_000 + "]" * 100_000),
            "the recorded answer is not valid JSON",
        ),
        (
            lambda d: (d / "fp.1.2.0.npy").unlink(),
            "the recorded array could not be read (its file is missing)",
        ),
        (
            lambda d: (d / "fp.1.2.0.npy").write_bytes(b"garbage"),
            "the recorded array could not be read",
        ),
        (
            lambda d: np.save(d / "fp.1.2.0.npy", np.array([["a"], ["b"]])),
            "the recorded array could not be read (not a numeric array)",
        ),
        (
            lambda d: np.save(d / "fp.1.2.0.npy", np.ones((3, 1))),
            "the recorded array does not match its description",
        ),
        (
            lambda d: np.save(d / "fp.1.2.0.npy", np.zeros(3_000_000)),
            "the recorded array could not be read",
        ),
    ],
    ids=[
        "bad json",
        "not a dict",
        "huge json",
        "deep json",
        "no npy",
        "bad npy",
        "text npy",
        "reshaped",
        "huge npy",
    ],
)
@pytest.mark.parametrize("in_memory", [False, True], ids=["folder", "in-memory"])
def test_a_tampered_record_loads_as_an_error(tmp_path: Path, tamper, message, in_memory) -> None:
    _record(tmp_path)
    tamper(tmp_path)
    status, said = _message(tmp_path, in_memory)
    assert status == "unusable"
    assert said.startswith(message)


def test_pickles_are_never_loaded(tmp_path: Path) -> None:
    _record(tmp_path)
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self):
            return (marker.touch, ())

    np.save(tmp_path / "fp.1.2.0.npy", np.array([Payload()], dtype=object), allow_pickle=True)
    status, said = _message(tmp_path)
    assert status == "unusable" and "could not be read" in said
    assert not marker.exists()
    (tmp_path / "fp.1.2.json").write_bytes(pickle.dumps(Payload()))
    assert _message(tmp_path)[0] == "unusable"
    assert not marker.exists()


def test_symlinks_and_fifos_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"format": 1, "parts": {}}))
    (tmp_path / "fp.1.2.json").symlink_to(secret)
    assert _message(tmp_path)[1].startswith("the recorded answer could not be read")
    (tmp_path / "fp.1.2.json").unlink()
    os.mkfifo(tmp_path / "fp.1.2.json")  # opening it for reading must not block
    assert _message(tmp_path)[1] == "the recorded answer could not be read (not a regular file)"


def test_forged_nodes_are_malformed_not_errors(tmp_path: Path) -> None:
    forged = {
        "format": 1,
        "parts": {"z": {"t": "scalar", "v": {"__class__": "os.system"}}},
        "notes": [7, "n"],
    }
    (tmp_path / "fp.1.2.json").write_text(json.dumps(forged))
    result = grade(Z, load(tmp_path, Z.id))
    assert result.parts[0].message == "the grader could not read this answer (malformed record)"
    assert result.notes == ("n",)
    forged["parts"] = {"z": {"t": "array", "k": "../../etc/passwd", "shape": [2, 1]}}
    (tmp_path / "fp.1.2.json").write_text(json.dumps(forged))
    assert "could not be read" in grade(Z, load(tmp_path, Z.id)).parts[0].message


def test_question_ids_must_be_file_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a question id"):
        dump(encode(Z, 1.0), tmp_path, "../escape")
    assert load(tmp_path, "../escape").part("z")["t"] == "error"


def test_dump_replaces_an_earlier_record(tmp_path: Path) -> None:
    _record(tmp_path, [[0.0], [0.0]])
    _record(tmp_path, [[-6.0], [43.0]])
    assert grade(Z, load(tmp_path, Z.id)).score == 1


def test_forged_function_records_are_malformed(tmp_path: Path) -> None:
    from grader.kinds import Function, Probe
    from grader.question import Question

    probe = Probe("p", {"z": 1.0}, lambda kw: kw["z"], "identity")
    q = Question(
        "syn.forged", "synthetic", "t", "f", (Function("f", 1, lambda i, p: None, probes=(probe,)),)
    )
    for calls in (
        [{"probe": ["p"], "status": "ok"}],
        "calls",
        [{"probe": "p", "status": "ok", "value": 3}],
    ):
        (tmp_path / "syn.forged.json").write_text(
            json.dumps({"format": 1, "parts": {"f": {"t": "calls", "calls": calls}}})
        )
        verdict = grade(q, load(tmp_path, q.id)).parts[0]
        assert verdict.status == "incorrect"
        assert verdict.message.startswith("0 of 1 checks passed. identity: ")
        assert verdict.message.endswith(("was not run.", "(malformed record)."))
