"""Assignment `forward-pass`: z = Xw + b, activations, and one small network's output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.kinds import Choice, Numeric
from grader.question import Inputs, Part, Prior, Question, Tolerance
from grader.variation import AnswerOf, Draw, Integers, Same, Uniform
from optigrade.bank import mistakes as m
from reference import activations as act
from reference.layers import dense

ASSIGNMENT = "forward-pass"


def _column(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1, 1)


# --- z = Xw + b --------------------------------------------------------------------


def _z(inputs: Inputs, prior: Prior) -> np.ndarray:
    return dense(inputs["X"], inputs["w"], inputs["b"])


def _dense_mistakes(inputs: Inputs) -> tuple[m.Mistake, ...]:
    X = inputs["X"]
    found = [
        m.slip("no-bias", m.with_inputs(_z, b=0.0)),
        m.slip("bias-subtracted", m.with_inputs(_z, b=lambda i: -i["b"])),
    ]
    if X.shape[0] == X.shape[1]:  # Xᵀw only has the right shape when X is square
        found.append(m.slip("rows-columns-swapped", m.with_inputs(_z, X=lambda i: i["X"].T)))
    return tuple(found)


#: Small whole numbers, as the lab writes them, so that a z of act.3 seldom reaches 13 in
#: size, where σ and σ' of it coincide (w and b nonzero: a bias left out shows). A 2-column
#: X ranges wider so that a square one is seldom symmetric (Xᵀw would be right).
_NARROW, _WIDE = Integers(-3, 3), Integers(-4, 4)
_SMALL = Uniform(-2, 2, decimals=0, nonzero=True)


def _dense(qid: str, X: list, w: list, b: list, points: float, practice: bool = False) -> Question:
    inputs = {k: np.asarray(v, dtype=np.float64) for k, v in {"X": X, "w": w, "b": b}.items()}
    wide = inputs["X"].shape[1] == 2
    varies: dict[str, Draw] = {} if practice else {"X": _WIDE if wide else _NARROW, "w": _SMALL}
    if not practice and inputs["b"].any():  # a question without a bias keeps it at zero
        varies["b"] = _SMALL
    question = Question(
        id=qid,
        assignment=ASSIGNMENT,
        title="z = Xw + b",
        variable="z_" + qid.split(".", 1)[1].replace(".", "_"),
        inputs=inputs,
        given=("X", "w", "b"),
        parts=(
            Numeric(
                "z",
                points,
                _z,
                mistakes=_dense_mistakes(inputs),
                shape_policy="column_ok",
                label="z",
            ),
        ),
        practice=practice,
        varies=varies,
    )
    return m.diagnosable(question)


DENSE: tuple[Question, ...] = (
    _dense("fp.example", [[1, 2], [3, -1]], [[2], [-1]], [[1], [1]], 0, practice=True),
    _dense("fp.1.1", [[1, 2], [2, 1]], [[1], [1]], [[0], [0]], 1),
    _dense("fp.1.2", [[1, -1], [0, 5]], [[-1], [8]], [[3], [3]], 1),
    _dense("fp.2.1", [[4, 4, 0], [2, 2, 4], [2, 4, 1]], [[1], [1], [-1]], [[2], [2], [2]], 1),
    _dense("fp.2.2", [[6, -6, -2], [-3, -1, -5], [1, 1, -7]], [[4], [4], [-8]], [[0], [0], [0]], 1),
    _dense("fp.3.1", [[1, 0, 1], [1, 2, 1]], [[1], [2], [1]], [[2], [2]], 1),
    _dense("fp.3.2", [[1, -1], [0, 5], [2, -2]], [[5], [-7]], [[1], [1], [1]], 1),
)


# --- shapes --------------------------------------------------------------------------


def _shape_part(shape: tuple[int, int], what: str, points: float) -> Numeric:
    axis = 0 if what == "observations" else 1
    other = 1 - axis
    name = f"{shape[0]}x{shape[1]}/{what}"

    def count(inputs: Inputs, prior: Prior, axis: int = axis) -> int:
        return shape[axis]

    swapped = m.slip("rows-columns-swapped", lambda inputs, prior: shape[other])
    label = f"number of {'observations' if axis == 0 else 'input neurons'} for X of shape {shape}"
    return Numeric(name, points, count, mistakes=(swapped,), integer=True, label=label)


SHAPES = Question(
    id="fp.4",
    assignment=ASSIGNMENT,
    title="What the shape of X says about the network",
    variable="shapes",
    layout="parts",
    parts=tuple(
        _shape_part(shape, what, 0.5)
        for shape in ((2, 3), (3, 2))
        for what in ("observations", "inputs")
    ),
)


# --- activations ---------------------------------------------------------------------

ACTIVATIONS = ("sigmoid", "tanh", "relu", "softmax")


def _apply(name: str, z: np.ndarray) -> np.ndarray:
    """An activation of a column of scores; softmax normalises over the whole vector."""
    z = np.asarray(z, dtype=np.float64)
    if name == "softmax":
        return act.softmax(z.ravel()).reshape(z.shape)
    return act.ELEMENTWISE[name][0](z)


ZOf = Callable[[Inputs, Prior], np.ndarray]


def _activation_mistakes(name: str, z_of: ZOf) -> tuple[m.Mistake, ...]:
    if name == "sigmoid":
        return (
            m.slip("sigmoid-sign", lambda i, p: act.sigmoid(-z_of(i, p))),
            m.slip("sigmoid-prime-for-sigmoid", lambda i, p: act.sigmoid_prime(z_of(i, p))),
        )
    if name == "tanh":
        return (m.slip("tanh-as-sigmoid", lambda i, p: act.sigmoid(z_of(i, p))),)
    if name == "relu":
        return (m.slip("relu-min", lambda i, p: np.minimum(z_of(i, p), 0.0)),)
    return (
        m.slip("softmax-unnormalised", lambda i, p: np.exp(z_of(i, p))),
        m.slip("softmax-per-element", lambda i, p: np.ones_like(z_of(i, p))),
        m.slip("softmax-linear-normalisation", lambda i, p: z_of(i, p) / z_of(i, p).sum()),
    )


def _activation_parts(
    z_of: ZOf, points: float, prefix: str = "", follows: tuple[str, ...] = ()
) -> tuple[Part, ...]:
    """The four activation parts of one z (their questions drop the slips that give the
    right answer on that z: `mistakes.diagnosable`)."""
    parts = []
    for name in ACTIVATIONS:

        def compute(inputs: Inputs, prior: Prior, name: str = name) -> np.ndarray:
            return _apply(name, z_of(inputs, prior))

        parts.append(
            Numeric(
                prefix + name,
                points,
                compute,
                mistakes=_activation_mistakes(name, z_of),
                follows=follows,
                shape_policy="column_ok",
                label=f"{name}({prefix.rstrip('/') or 'z'})",
            )
        )
    return tuple(parts)


def _given_z(inputs: Inputs, prior: Prior) -> np.ndarray:
    return np.asarray(inputs["z"], dtype=np.float64)


def _activations(qid: str, z: list[float], points: float, practice: bool = False) -> Question:
    question = Question(
        id=qid,
        assignment=ASSIGNMENT,
        title="The four activations of z",
        variable="a_" + qid.split(".", 1)[1],
        inputs={"z": _column(z)},
        given=("z",),
        layout="parts",
        parts=_activation_parts(_given_z, points),
        practice=practice,
        varies={} if practice else {"z": Integers(-9, 9)},
    )
    return m.diagnosable(question)


def _own_z_parts(dense: Question) -> tuple[Part, ...]:
    """act.3 takes the student's own z of an fp question (worth nothing here: it is graded
    there) so that activations of a wrong z still earn their credit (follow-through)."""
    z_name = f"{dense.id}/z"

    def reference_z(inputs: Inputs, prior: Prior) -> np.ndarray:
        return np.asarray(inputs[dense.id], dtype=np.float64)

    def own_z(inputs: Inputs, prior: Prior) -> np.ndarray:
        return np.asarray(prior[z_name], dtype=np.float64)

    z_part = Numeric(
        z_name,
        0,
        reference_z,
        shape_policy="column_ok",
        label=f"z of {dense.id} (graded there)",
    )
    return (z_part, *_activation_parts(own_z, 0.125, dense.id + "/", (z_name,)))


ACTIVATION_QUESTIONS: tuple[Question, ...] = (
    _activations("act.example", [1, 8], 0, practice=True),
    _activations("act.1", [8, 6], 0.5),
    _activations("act.2", [-8, 9, -3], 0.5),
    m.diagnosable(
        Question(
            id="act.3",
            assignment=ASSIGNMENT,
            title="The four activations of each z of fp.1.1 to fp.3.2",
            variable="a_3",
            inputs={q.id: q.answer["z"] for q in DENSE if not q.practice},
            layout="parts",
            parts=tuple(p for q in DENSE if not q.practice for p in _own_z_parts(q)),
            varies={q.id: AnswerOf(q.id) for q in DENSE if not q.practice},
        )
    ),
)


# --- a small network -----------------------------------------------------------------

NETWORK_INPUTS: dict[str, np.ndarray] = {
    "x": np.array([[1.0, 2.0, -1.0]]),
    "W1": np.array([[0.2, -0.4], [0.5, 0.3], [-0.1, 0.6]]),
    "b1": np.ones((1, 2)),
    "W2": np.array([[0.7, -0.3], [-0.2, 0.8]]),
    "b2": np.ones((1, 2)),
}


def _hidden(inputs: Inputs) -> np.ndarray:
    return act.relu(dense(inputs["x"], inputs["W1"], inputs["b1"]))


def _node(index: int, layer: str) -> Any:
    """Value of node `index` of the hidden layer (A, B) or the output layer (C, D); the
    output follows the student's own A and B."""

    def compute(inputs: Inputs, prior: Prior) -> float:
        if layer == "hidden":
            return float(_hidden(inputs)[0, index])
        h = np.array([[prior["A"], prior["B"]]], dtype=np.float64)
        return float(act.softmax(dense(h, inputs["W2"], inputs["b2"]))[0, index])

    return compute


def _output_mistakes(index: int) -> tuple[m.Mistake, ...]:
    """Slips in the output layer, computed from the hidden values in `prior` (the
    reference's, or the student's own A and B when follow-through applies)."""

    def hidden(prior: Prior) -> np.ndarray:
        return np.array([[prior["A"], prior["B"]]], dtype=np.float64)

    def sigmoid_output(inputs: Inputs, prior: Prior) -> float:
        return float(act.sigmoid(dense(hidden(prior), inputs["W2"], inputs["b2"]))[0, index])

    def transposed(inputs: Inputs, prior: Prior) -> float:
        return float(act.softmax(dense(hidden(prior), inputs["W2"].T, inputs["b2"]))[0, index])

    # (A bias left out of C and D changes nothing: softmax ignores a shift shared by both.)
    return (
        m.slip("sigmoid-for-softmax", sigmoid_output),
        m.slip("weights-transposed", transposed),
    )


def _hidden_mistakes(index: int) -> tuple[m.Mistake, ...]:
    def no_bias(inputs: Inputs, prior: Prior) -> float:
        return float(act.relu(dense(inputs["x"], inputs["W1"], 0.0))[0, index])

    def other_node(inputs: Inputs, prior: Prior) -> float:
        return float(_hidden(inputs)[0, 1 - index])

    return (m.slip("no-bias", no_bias), m.slip("nodes-swapped", other_node))


#: By-hand friendly: values to 3 decimal places are accepted.
_HAND = Tolerance(rtol=0.0, atol=5e-4)

NETWORK = Question(
    id="out.1",
    assignment=ASSIGNMENT,
    title="Forward pass through a small network",
    variable="nodes",
    inputs=NETWORK_INPUTS,
    given=tuple(NETWORK_INPUTS),
    # the biases stay 1, x ≥ 0 and W1 > 0, so that no hidden node is 0 (its bias left out,
    # or the nodes swapped, would not show); W2 of two decimals is seldom symmetric (its
    # transpose would give the same C and D)
    varies={"x": Integers(0, 3), "W1": Uniform(0.1, 0.9), "W2": Uniform(-0.9, 0.9, 2)},
    layout="parts",
    parts=(
        Numeric(
            "A",
            0.5,
            _node(0, "hidden"),
            mistakes=_hidden_mistakes(0),
            tol=_HAND,
            label="hidden node A",
        ),
        Numeric(
            "B",
            0.5,
            _node(1, "hidden"),
            mistakes=_hidden_mistakes(1),
            tol=_HAND,
            label="hidden node B",
        ),
        Numeric(
            "C",
            0.5,
            _node(0, "output"),
            mistakes=_output_mistakes(0),
            follows=("A", "B"),
            label="output node C",
            tol=_HAND,
        ),
        Numeric(
            "D",
            0.5,
            _node(1, "output"),
            mistakes=_output_mistakes(1),
            follows=("A", "B"),
            label="output node D",
            tol=_HAND,
        ),
    ),
)


def _predicted(inputs: Inputs, prior: Prior) -> str:
    h = _hidden(inputs)
    c, d = act.softmax(dense(h, inputs["W2"], inputs["b2"]))[0]
    return "YES" if c > d else "NO"


PREDICTION = Question(
    id="out.2",
    assignment=ASSIGNMENT,
    title="The class the network predicts",
    variable="predicted_class",
    inputs=NETWORK_INPUTS,  # out.1's network: its C and D
    varies={name: Same(NETWORK.id) for name in NETWORK.varies},
    parts=(
        Choice(
            "class",
            1,
            _predicted,
            options={"YES": ("c", "node c", "yes (c)"), "NO": ("d", "node d", "no (d)")},
            mistakes=(
                m.slip(
                    "smaller-probability",
                    lambda i, p: "NO" if _predicted(i, p) == "YES" else "YES",
                ),
            ),
            label="predicted class",
        ),
    ),
)

QUESTIONS: tuple[Question, ...] = (
    *DENSE,
    SHAPES,
    *ACTIVATION_QUESTIONS,
    NETWORK,
    PREDICTION,
)
