"""Assignment `classification`: sigmoid and softmax outputs, a softmax that does not
overflow, classification losses, confusion matrices and three Keras classifiers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache, cached_property
from typing import Any

import numpy as np

from grader.kinds import Choice, Criterion, Function, Model, Numeric, Probe, PublicData, model
from grader.question import Inputs, Part, Prior, Question
from grader.variation import Integers, Uniform
from optigrade.bank import mistakes as m
from reference import activations as act
from reference import data, losses
from reference.layers import dense

ASSIGNMENT = "classification"


# --- cls.logistic: z = Xw + b, a = σ(z) -------------------------------------------------------

LOGISTIC_INPUTS: dict[str, Any] = {
    "X": data.LOGISTIC_X,
    "w": np.array([[1.0], [2.0]]),
    "b": -10.0,
}


def _z(inputs: Inputs, prior: Prior) -> np.ndarray:
    return dense(inputs["X"], inputs["w"], inputs["b"])


def _sigmoid_of_z(inputs: Inputs, prior: Prior) -> np.ndarray:
    return act.sigmoid(prior["z"])


def _bias_mistakes(compute: Callable[[Inputs, Prior], np.ndarray]) -> tuple[m.Mistake, ...]:
    return (
        m.slip("no-bias", m.with_inputs(compute, b=0.0)),
        m.slip("bias-subtracted", m.with_inputs(compute, b=lambda i: -np.asarray(i["b"]))),
    )


def _own(name: str) -> Callable[[Prior], np.ndarray]:
    return lambda prior: np.asarray(prior[name], dtype=np.float64)


LOGISTIC = Question(
    id="cls.logistic",
    assignment=ASSIGNMENT,
    title="Logistic regression: z = Xw + b and σ(z)",
    variable="logistic",
    inputs=LOGISTIC_INPUTS,
    given=("X", "w", "b"),
    # X stays (the lab's three points); z moderate, where σ and σ' are told apart
    varies={"w": Uniform(-1, 1.5, nonzero=True), "b": Integers(-10, -1)},
    layout="parts",
    parts=(
        Numeric(
            "z",
            0.5,
            _z,
            mistakes=(
                *_bias_mistakes(_z),
                m.slip("weights-swapped", m.with_inputs(_z, w=lambda i: i["w"][::-1])),
            ),
            shape_policy="column_ok",
            label="z = Xw + b",
        ),
        Numeric(
            "a",
            0.5,
            _sigmoid_of_z,
            mistakes=(
                m.slip("sigmoid-sign", lambda i, p: act.sigmoid(-_own("z")(p))),
                m.slip("sigmoid-prime-for-sigmoid", lambda i, p: act.sigmoid_prime(_own("z")(p))),
                m.slip("softmax-for-sigmoid", lambda i, p: act.softmax(_own("z")(p), axis=0)),
            ),
            follows=("z",),
            shape_policy="column_ok",
            label="a = σ(z)",
        ),
    ),
)


# --- cls.softmax: Z = XW + b, A = softmax(Z) row by row ---------------------------------------

SOFTMAX_INPUTS: dict[str, Any] = {
    "X": data.LOGISTIC_X,
    "W": np.array([[1.0, 3.0], [2.0, 4.0]]),
    "b": np.array([-10.0, -20.0]),
}


def _Z(inputs: Inputs, prior: Prior) -> np.ndarray:
    return dense(inputs["X"], inputs["W"], inputs["b"])


def _softmax_of_Z(inputs: Inputs, prior: Prior) -> np.ndarray:
    return act.softmax(_own("Z")(prior), axis=-1)


SOFTMAX = Question(
    id="cls.softmax",
    assignment=ASSIGNMENT,
    title="A softmax output: Z = XW + b and softmax row by row",
    variable="softmax_output",
    inputs=SOFTMAX_INPUTS,
    given=("X", "W", "b"),
    varies={"W": Uniform(-1, 2, nonzero=True), "b": Integers(-20, -1)},
    layout="parts",
    parts=(
        Numeric(
            "Z",
            0.5,
            _Z,
            mistakes=(
                *_bias_mistakes(_Z),
                m.slip("weights-transposed", m.with_inputs(_Z, W=lambda i: i["W"].T)),
            ),
            label="Z = XW + b",
        ),
        Numeric(
            "A",
            0.5,
            _softmax_of_Z,
            mistakes=(
                m.slip("softmax-wrong-axis", lambda i, p: act.softmax(_own("Z")(p), axis=0)),
                m.slip(
                    "softmax-whole-matrix",
                    lambda i, p: np.exp(_own("Z")(p)) / np.exp(_own("Z")(p)).sum(),
                ),
                m.slip("sigmoid-for-softmax", lambda i, p: act.sigmoid(_own("Z")(p))),
                m.slip("softmax-unnormalised", lambda i, p: np.exp(_own("Z")(p))),
            ),
            follows=("Z",),
            label="A = softmax(Z)",
        ),
    ),
)


# --- cls.softmax.stable: a softmax function that does not overflow ----------------------------


def _softmax_expected(kwargs: Mapping[str, Any]) -> np.ndarray:
    return act.softmax(kwargs["z"])


VECTOR, MATRIX, EXTREME = "a vector", "a matrix, row by row", "large or very negative scores"


def _probe(name: str, z: Any, describe: str, behaviour: str, hidden: bool = False) -> Probe:
    return Probe(
        name,
        {"z": np.array(z, dtype=np.float64)},
        _softmax_expected,
        describe,
        hidden=hidden,
        behaviour=behaviour,
    )


def _exps(z: Any, axis: int | None = -1) -> np.ndarray:
    """e^z shifted by the largest score of each row (or of all, axis None): no overflow."""
    z = np.asarray(z, dtype=np.float64)
    return np.exp(z - z.max(axis=axis, keepdims=True))


def _softmax_slip(key: str, fn: Callable[[Any], np.ndarray], credit: float) -> m.Mistake:
    return m.credited(m.slip(key, lambda i, p: fn), credit)


#: Other softmax functions a student writes, as the bank's mistakes of softmax_stable:
#: a third of the part for each that gets vectors right, or every score that does not
#: overflow; none for one that is no softmax.
STABLE_SLIPS = (
    _softmax_slip(
        "softmax-unshifted",
        lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True),
        1 / 3,
    ),
    _softmax_slip("softmax-wrong-axis", lambda z: act.softmax(z, axis=0), 1 / 3),
    _softmax_slip("softmax-whole-matrix", lambda z: _exps(z, None) / _exps(z, None).sum(), 1 / 3),
    _softmax_slip("softmax-unnormalised", _exps, 0.0),
)

STABLE = Question(
    id="cls.softmax.stable",
    assignment=ASSIGNMENT,
    title="A softmax that does not overflow",
    variable="softmax_stable",
    parts=(
        Function(
            "softmax_stable",
            1.5,
            lambda i, p: act.softmax,
            mistakes=STABLE_SLIPS,
            probes=(
                _probe("lecture", [5.0, -1.0, 6.0], "the lecture's scores (5, -1, 6)", VECTOR),
                _probe("rows", _Z(SOFTMAX_INPUTS, {}), "the rows of Z from cls.softmax", MATRIX),
                _probe("large pair", [1000.0, 1001.0], "two large scores (1000, 1001)", EXTREME),
                _probe(
                    "very negative",
                    [-1000.0, -1001.0, -999.0],
                    "very negative scores",
                    EXTREME,
                    hidden=True,
                ),
                _probe(
                    "one huge", [710.0], "a single score whose e^z overflows", EXTREME, hidden=True
                ),
                _probe(
                    "large rows",
                    [[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0], [0.0, 0.0, 0.0]],
                    "a matrix of rows with large scores",
                    EXTREME,
                    hidden=True,
                ),
            ),
            pure=True,
            label="softmax_stable(z)",
        ),
    ),
)


# --- cls.loss: binary cross-entropy against squared error, and accuracy ----------------------

LOSS_INPUTS: dict[str, Any] = {
    "y": np.array([1.0, 0.0, 1.0, 0.0, 1.0]),
    "p": np.array([0.9, 0.2, 0.6, 0.7, 0.05]),
}


def _bce_each(inputs: Inputs, prior: Prior) -> np.ndarray:
    y, p = inputs["y"], inputs["p"]
    return np.array(
        [losses.binary_cross_entropy(p[i : i + 1], y[i : i + 1]) for i in range(y.size)]
    )


def _squared_each(inputs: Inputs, prior: Prior) -> np.ndarray:
    return losses.squared_error(inputs["p"], inputs["y"])


def _mean_of(name: str) -> Callable[[Inputs, Prior], float]:
    def compute(inputs: Inputs, prior: Prior) -> float:
        return float(np.mean(_own(name)(prior)))

    return compute


def _sum_for_mean(compute: Callable[[Inputs, Prior], float]) -> m.Mistake:
    return m.slip("sum-not-mean", m.times(compute, lambda i: i["y"].size))


#: The options of the accuracy question, by letter (the notebook lists them from here).
ACCURACY_OPTIONS: dict[str, str] = {
    "a": "Accuracy lies between 0 and 1, and a loss must be able to grow without bound.",
    "b": "Accuracy is misleading when one class is much rarer than the other.",
    "c": "As a function of the weights accuracy is piecewise constant: its derivative is zero "
    "almost everywhere, so gradient descent gets no direction to move in.",
    "d": "Accuracy is too slow to compute on every mini-batch.",
    "e": "Accuracy must be maximised, and gradient descent can only minimise.",
}


def _option(option: str, key: str) -> m.Mistake:
    """The slip `key` of answering `option`."""
    return m.slip(key, lambda i, p: option)


LOSS = Question(
    id="cls.loss",
    assignment=ASSIGNMENT,
    title="Cross-entropy, squared error, and why accuracy is no loss",
    variable="loss_answer",
    inputs=LOSS_INPUTS,
    given=("y", "p"),
    # probabilities of two decimals, never 0 or 1 (whose logarithm is infinite)
    varies={"y": Integers(0, 1), "p": Uniform(0.05, 0.95, decimals=2)},
    layout="parts",
    parts=(
        Numeric(
            "bce",
            0.5,
            _bce_each,
            mistakes=(
                m.slip("no-minus", m.negated(_bce_each)),
                m.slip("log10", m.times(_bce_each, 1 / np.log(10))),
                m.slip("one-term", lambda i, p: -i["y"] * np.log(i["p"])),
                m.slip(
                    "terms-swapped",
                    lambda i, p: -(i["y"] * np.log(1 - i["p"]) + (1 - i["y"]) * np.log(i["p"])),
                ),
            ),
            shape_policy="column_ok",
            label="binary cross-entropy of each observation",
        ),
        Numeric(
            "squared",
            0.5,
            _squared_each,
            mistakes=(
                m.slip("absolute-error", lambda i, p: np.abs(i["p"] - i["y"])),
                m.slip("as-if-y-is-one", lambda i, p: (1 - i["p"]) ** 2),
            ),
            shape_policy="column_ok",
            label="squared error of each observation",
        ),
        Numeric(
            "mean_bce",
            0.25,
            _mean_of("bce"),
            mistakes=(_sum_for_mean(_mean_of("bce")),),
            follows=("bce",),
            label="binary cross-entropy loss (mean)",
        ),
        Numeric(
            "mean_squared",
            0.25,
            _mean_of("squared"),
            mistakes=(_sum_for_mean(_mean_of("squared")),),
            follows=("squared",),
            label="mean squared error",
        ),
        Choice(
            "accuracy",
            0.5,
            lambda i, p: "c",
            options={key: (f"({key})", f"{key})") for key in ACCURACY_OPTIONS},
            mistakes=(
                _option("a", "accuracy-bounded"),
                _option("b", "accuracy-imbalance"),
                _option("d", "accuracy-slow"),
                _option("e", "accuracy-maximised"),
            ),
            label="why accuracy cannot be the loss",
        ),
    ),
)


# --- Keras classifiers: inputs read from reference.data on first use ----------------------------


class _Loaded(Mapping[str, Any]):
    """Inputs read on first use: the data sets need pandas and scikit-learn, which most
    checks of this assignment never import."""

    def __init__(self, load: Callable[[], Mapping[str, Any]], names: tuple[str, ...]) -> None:
        self._load, self._names = load, names

    @cached_property
    def _values(self) -> Mapping[str, Any]:
        return self._load()

    def __getitem__(self, name: str) -> Any:
        if name not in self._names:
            raise KeyError(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@cache
def _stroke_test() -> dict[str, np.ndarray]:
    X_test, y_test = data.stroke_splits()[2::3]
    return {"X_test": X_test.to_numpy(), "y_test": y_test.to_numpy().ravel()}


@cache
def _iris_test() -> dict[str, np.ndarray]:
    X_test, y_test = data.iris_splits()[1::2]
    return {"X_test": X_test.to_numpy(), "y_test": y_test.ravel()}


def _described(criteria: tuple[Criterion, ...]) -> Callable[[Inputs, Prior], str]:
    return lambda i, p: "a trained Keras model: " + "; ".join(c.describe for c in criteria)


def _model(points: float, criteria: tuple[Criterion, ...], label: str, public: PublicData) -> Model:
    return Model(
        "model",
        points,
        _described(criteria),
        evaluate_on="X_test",
        criteria=criteria,
        label=label,
        public=public,
    )


#: Where a student's local check measures the models: rows the student trained on or
#: validated with (the grader measures them on the test rows).
STROKE_PUBLIC = PublicData("stroke_splits", "X_val", "y_val", "validation")
IRIS_PUBLIC = PublicData("iris_splits", "X_train", "y_train", "training")


# Thresholds, from the reference models of reference.keras_models trained as the notebook
# trains them, on seeds 0-5 and 42:
# - stroke stand-in, 1022 test rows, 4.9% strokes: trained PR-AUC 0.209-0.232, ROC AUC
#   0.843-0.860, accuracy 0.949-0.952; untrained PR-AUC 0.033-0.174, ROC AUC 0.32-0.77,
#   accuracy 0.43-0.94. A constant guess has PR-AUC 0.049, ROC AUC 0.5, accuracy 0.951:
#   accuracy alone cannot tell a model from a guess, the ROC AUC rejects every untrained one.
# - iris, 38 test rows (one row is 0.026): 0.974 on every seed, softmax and logits alike,
#   the first four test rows always named right; 200 epochs instead of 500 gave 0.92-0.97.
BINARY_CRITERIA: tuple[Criterion, ...] = (
    model.dense_layers((32, "leaky_relu"), (16, "leaky_relu"), (1, "sigmoid"), weight=0.75),
    model.compiled("binary_crossentropy", "Adam", weight=0.5),
    model.early_stopping(weight=0.25),
    model.metric("PR-AUC", "pr_auc", 0.15, weight=0.5),
    model.metric("ROC AUC", "roc_auc", 0.8, weight=0.5),
    model.metric("accuracy at threshold 0.5", "accuracy_at_half", 0.93, weight=0.5),
)

BINARY = Question(
    id="cls.binary",
    assignment=ASSIGNMENT,
    title="A Keras binary classifier for strokes",
    variable="stroke_model",
    inputs=_Loaded(_stroke_test, ("X_test", "y_test")),
    parts=(_model(3, BINARY_CRITERIA, "the stroke classifier", STROKE_PUBLIC),),
)


# --- cls.confusion ---------------------------------------------------------------------------

CONFUSION_INPUTS: dict[str, Any] = {"y": data.CONFUSION_Y, "p": data.CONFUSION_P}


def _confusion(threshold: float, strict: bool = True) -> Callable[[Inputs, Prior], np.ndarray]:
    def compute(inputs: Inputs, prior: Prior) -> np.ndarray:
        from sklearn.metrics import confusion_matrix

        p = inputs["p"]
        predicted = p > threshold if strict else p >= threshold
        return confusion_matrix(
            inputs["y"].astype(np.int64), predicted.astype(np.int64), labels=[0, 1]
        )

    return compute


def _confusion_part(threshold: float) -> Numeric:
    compute = _confusion(threshold)
    return Numeric(
        f"{threshold:g}",
        0.5,
        compute,
        mistakes=(
            m.slip(
                "threshold-inclusive",
                _confusion(threshold, strict=False),
                threshold=f"{threshold:g}",
            ),
            m.slip("confusion-transposed", m.mapped(compute, np.transpose)),
            m.slip("positive-first", m.mapped(compute, lambda cm: np.asarray(cm)[::-1, ::-1])),
        ),
        integer=True,
        label=f"confusion matrix at threshold {threshold:g}",
    )


CONFUSION = Question(
    id="cls.confusion",
    assignment=ASSIGNMENT,
    title="Confusion matrices at two thresholds",
    variable="confusion",
    inputs=CONFUSION_INPUTS,
    given=("y", "p"),
    # the lab's numbers: y and p drawn apart make as many false positives as negatives
    # (a transposed matrix undiagnosable) at one threshold or the other too often
    layout="parts",
    parts=(_confusion_part(0.5), _confusion_part(0.3)),
)


# --- cls.iris and cls.logits ------------------------------------------------------------------

#: The test rows whose predicted species the student names (the lecture shows the first
#: four: virginica, virginica, versicolor, versicolor).
NAMED_ROWS = 4


def _species(row: int) -> Callable[[Inputs, Prior], str]:
    """The species of test row `row`: what a model that classifies it right predicts."""

    def compute(inputs: Inputs, prior: Prior) -> str:
        return data.IRIS_CLASSES[int(inputs["y_test"][row])]

    return compute


def _species_parts(points: float) -> tuple[Part, ...]:
    return tuple(
        Choice(
            f"classes/{row}",
            points,
            _species(row),
            options={name: () for name in data.IRIS_CLASSES},
            label=f"predicted species of test row {row}",
        )
        for row in range(NAMED_ROWS)
    )


IRIS_CRITERIA: tuple[Criterion, ...] = (
    model.dense_layers((30, "relu"), (3, "softmax"), weight=0.75),
    model.compiled("sparse_categorical_crossentropy", "Adam", weight=0.5),
    model.metric("accuracy", "class_accuracy", 0.9, weight=0.75, classes=3),
)

LOGITS_CRITERIA: tuple[Criterion, ...] = (
    model.dense_layers((30, "relu"), (3, "linear"), weight=0.5),
    model.compiled("sparse_categorical_crossentropy", "Adam", from_logits=True, weight=0.5),
    model.metric(
        "accuracy of the softmax of its outputs", "class_accuracy", 0.9, weight=0.5, classes=3
    ),
)

IRIS = Question(
    id="cls.iris",
    assignment=ASSIGNMENT,
    title="A Keras classifier for the three iris species",
    variable="iris_answer",
    inputs=_Loaded(_iris_test, ("X_test", "y_test")),
    layout="parts",
    parts=(_model(2, IRIS_CRITERIA, "the iris classifier", IRIS_PUBLIC), *_species_parts(0.25)),
)

LOGITS = Question(
    id="cls.logits",
    assignment=ASSIGNMENT,
    title="The iris classifier with logits outputs",
    variable="logits_answer",
    inputs=_Loaded(_iris_test, ("X_test", "y_test")),
    layout="parts",
    parts=(
        _model(1.5, LOGITS_CRITERIA, "the logits classifier", IRIS_PUBLIC),
        *_species_parts(0.125),
    ),
)

QUESTIONS: tuple[Question, ...] = (
    LOGISTIC,
    SOFTMAX,
    STABLE,
    LOSS,
    BINARY,
    CONFUSION,
    IRIS,
    LOGITS,
)
