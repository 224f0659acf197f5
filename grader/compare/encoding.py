"""Encoding a student's answer to a question (untrusted side): the answer split into its
parts (`grader.compare.layout`), each part encoded by its kind (`grader.kinds`) into the
wire form (`grader.compare.wire`). Never raises."""

from __future__ import annotations

from typing import Any

from grader import kinds
from grader.compare import layout
from grader.compare.wire import FORMAT, Encoder, Node, Wire, describe_exception, error
from grader.question import Part, Question


def _encode_part(part: Part, value: Any, enc: Encoder, hidden: bool) -> Node:
    if isinstance(value, layout.Absent):
        return {"t": "absent", "message": value.message, "status": value.status}
    try:
        kind = kinds.of(part)
    except kinds.KindUnavailable as e:
        return error(str(e))
    try:
        node: Node = kind.encode(value, part, enc, hidden)
    except Exception as e:
        return error(f"could not read the answer ({describe_exception(e)})")
    return node


def encode(question: Question, answer: Any, hidden: bool = False) -> Wire:
    """The wire form of a student's answer to `question` (untrusted side; never raises).

    With `hidden`, function parts are also called on their hidden probes.
    """
    enc = Encoder(question.inputs)
    tree: dict[str, Any] = {"format": FORMAT, "qid": question.id, "hidden": bool(hidden)}
    try:
        values, tree["notes"] = layout.split(question, answer)
        tree["parts"] = {
            p.name: _encode_part(p, values[p.name], enc, hidden) for p in question.parts
        }
    except Exception as e:
        tree["default"] = error(f"could not read the answer ({describe_exception(e)})")
    return Wire(tree, enc.arrays)
