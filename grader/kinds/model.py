"""`Model` parts: a trained Keras model, judged by its structure and held-out metrics.

Untrusted side (`encode`, in the student's process): the model is read by duck typing,
never importing Keras: its layers (class, units, activation, use_bias from
``get_config()``), the compiled loss (name, from_logits), the optimizer's class, the last
fit's history (epochs run and asked, validation metrics) and its predictions on the
question's ``inputs[part.evaluate_on]`` under a time limit. Whatever cannot be read
becomes a reason in the node, never an exception.

Trusted side (`judge`): the node is turned into a plain summary (every field checked)
and the part's `Criterion`s are run on it; the credit is the weight of the criteria met.
Metrics are computed here, from the predictions and the labels the bank holds.

Summary keys a criterion may read: ``dense`` (the `Dense` layers in order, a following
activation layer folded into a linear Dense), ``loss`` (canonical name, "" if not
compiled), ``from_logits``, ``optimizer`` (class name), ``epochs`` and ``epochs_asked``
(of the last fit, None if unknown), ``validation`` (the fit reported validation
metrics), ``predictions`` (float64 array, or None with the reason in ``unpredicted``).

The criterion builders the bank uses are at the end: `dense_layers`, `compiled`,
`early_stopping`, `metric`, with `probabilities` and `class_scores` to read predictions.

A model has no value to seal: its criteria are in its spec, and a student's local check
runs them measuring the metrics on rows the student has (`Model.public`).
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np

from grader import coursedata
from grader.compare.nodes import items, kind, numbers, text, unusable
from grader.compare.result import Unusable, Verdict
from grader.compare.timelimit import TimeLimitExceeded, time_limit
from grader.compare.wire import Encoder, Node, Wire, describe_exception, error
from grader.kinds.base import Context, PartKind, SealedPart, checks_passed
from grader.kinds.numeric import sentence
from grader.question import Inputs, Part


@dataclass(frozen=True)
class Criterion:
    """One pass/fail requirement on a trained model, judged from its encoded summary and
    its predictions on `Model.evaluate_on`."""

    name: str
    describe: str
    check: Callable[[Mapping[str, Any], Inputs], tuple[bool, str]]
    weight: float = 1.0
    #: The criterion as JSON data, from which `criterion` rebuilds it where only the
    #: question's spec is (the student's local check).
    spec: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublicData:
    """Rows of the course's data the student has (`grader.coursedata`), on which a
    student's local check measures a model; the grader measures it on `Model.evaluate_on`."""

    dataset: str  # a set of grader.coursedata, e.g. "stroke_splits"
    features: str  # its features' name, e.g. "X_val"
    labels: str  # its labels' name, e.g. "y_val"
    rows: str  # which rows they are, in a metric's name: "validation" (accuracy)


_PUBLIC = ("dataset", "features", "labels", "rows")  # PublicData's fields, in order


@dataclass(frozen=True)
class Model(Part):
    """A trained Keras model, graded by structure and by held-out metrics.

    In the student's process the model is reduced to a summary (layers, activations,
    loss, optimizer) and its predictions on `inputs[evaluate_on]`; only those cross to
    the trusted grader. `compute` returns a description of what is checked (for the key).
    A student's local check runs the same criteria on `public` rows instead.
    """

    evaluate_on: str = "X_test"
    criteria: tuple[Criterion, ...] = ()
    public: PublicData | None = None


#: Seconds a model may take to predict the evaluation rows (a few hundred rows of a small
#: dense network take well under a second).
PREDICT_TIMEOUT = 60.0
_MAX_LAYERS = 200
_NAME = 80  # characters kept of a name read from the student's objects

Summary = Mapping[str, Any]


# --- untrusted side ---------------------------------------------------------------------


def _name(x: Any) -> str | None:
    """A short name for an activation or loss given as a string, a serialised config or a
    function/class."""
    if isinstance(x, str):
        return x[:_NAME]
    if isinstance(x, Mapping):  # a serialised Keras object: {"class_name": ..., "config": ...}
        config = x.get("config")
        return _name(config if isinstance(config, str) else x.get("class_name"))
    name = getattr(x, "__name__", None)
    return name[:_NAME] if isinstance(name, str) else None


def _config(obj: Any) -> Mapping[str, Any]:
    get_config = getattr(obj, "get_config", None)
    config = get_config() if callable(get_config) else None
    return config if isinstance(config, Mapping) else {}


def _layer(layer: Any) -> Node:
    config = _config(layer)
    units, use_bias = config.get("units"), config.get("use_bias")
    return {
        "type": type(layer).__name__[:_NAME],
        "units": units if isinstance(units, int) and not isinstance(units, bool) else None,
        "activation": _name(config.get("activation")),
        "use_bias": use_bias if isinstance(use_bias, bool) else None,
    }


def _layers(model: Any) -> Node:
    layers = list(model.layers)[:_MAX_LAYERS]
    return {
        "t": "layers",
        "items": [_attempt(lambda layer=layer: _layer(layer)) for layer in layers],
    }


def _loss(model: Any) -> Node:
    loss = getattr(model, "loss", None)
    if loss is None:
        return {"t": "none"}
    config = {} if isinstance(loss, str) else _config(loss)
    name = _name(config.get("name")) or _name(loss) or type(loss).__name__[:_NAME]
    from_logits = config.get("from_logits")
    return {
        "t": "loss",
        "name": name,
        "type": type(loss).__name__[:_NAME],
        "from_logits": from_logits if isinstance(from_logits, bool) else None,
    }


def _optimizer(model: Any) -> Node:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return {"t": "none"}
    return {"t": "str", "v": type(optimizer).__name__[:_NAME]}


def _history(model: Any) -> Node:
    history = getattr(model, "history", None)
    record, params = getattr(history, "history", None), getattr(history, "params", None)
    if not isinstance(record, Mapping):
        return {"t": "none"}
    losses = record.get("loss")
    asked = params.get("epochs") if isinstance(params, Mapping) else None
    return {
        "t": "history",
        "epochs": len(losses) if isinstance(losses, list | tuple) else None,
        "epochs_asked": asked if isinstance(asked, int) and not isinstance(asked, bool) else None,
        "validation": any(isinstance(k, str) and k.startswith("val_") for k in record),
    }


def _predictions(model: Any, part: Model, enc: Encoder) -> Node:
    inputs = enc.inputs
    if part.evaluate_on not in inputs:
        return error("the grader has no evaluation data for this question")
    features = np.array(inputs[part.evaluate_on])  # a copy: the model cannot alter the data
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), time_limit(PREDICT_TIMEOUT):
            warnings.simplefilter("ignore")
            out = model.predict(features, verbose=0)
    except TimeLimitExceeded:
        return error(f"model.predict did not return within {PREDICT_TIMEOUT:g} s")
    except (Exception, SystemExit) as e:
        return error(f"model.predict raised {describe_exception(e)}")
    return enc.value(out)


def _attempt(read: Callable[[], Node]) -> Node:
    """read(), or an error node: a student's object may raise anything from any attribute."""
    try:
        return read()
    except (Exception, SystemExit) as e:
        return error(f"could not be read ({describe_exception(e)})")


def _has(answer: Any, *names: str) -> bool:
    """Whether the object has these attributes, without running any of its code."""
    return all(inspect.getattr_static(answer, name, None) is not None for name in names)


# --- trusted side: the summary -------------------------------------------------------------


@dataclass(frozen=True)
class Dense:
    """One Dense layer as the course writes it: Dense(32, leaky_relu)."""

    units: int | None
    activation: str
    use_bias: bool = True

    def __str__(self) -> str:
        bias = "" if self.use_bias else ", no bias"
        return f"Dense({self.units}, {self.activation}{bias})"


#: Layers that only apply an activation, and the activation they apply ("" = from config).
_ACTIVATION_LAYERS = {
    "Activation": "",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "Softmax": "softmax",
}
_ACTIVATION_ALIASES = {"leakyrelu": "leaky_relu", "none": "linear", "": "linear"}

#: Canonical loss names by their spellings (lower case, without "_" or spaces).
_LOSSES = {
    "binarycrossentropy": "binary_crossentropy",
    "bce": "binary_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "categoricalcrossentropy": "categorical_crossentropy",
    "cce": "categorical_crossentropy",
    "meansquarederror": "mean_squared_error",
    "mse": "mean_squared_error",
}


def _activation(name: Any) -> str:
    n = name.strip().lower() if isinstance(name, str) else ""
    return _ACTIVATION_ALIASES.get(n.replace("_", ""), n)


def loss_name(name: str) -> str:
    """The canonical name of a loss spelt as Keras accepts it ("bce", "BinaryCrossentropy")."""
    n = name.strip().lower()
    return _LOSSES.get(n.replace("_", "").replace(" ", ""), n)


def _dense(node: Any) -> tuple[Dense, ...]:
    stack: list[Dense] = []
    for layer in items(node)[:_MAX_LAYERS]:
        if not isinstance(layer, dict):
            continue
        what = layer.get("type")
        units = layer.get("units")
        use_bias = layer.get("use_bias")
        if what == "Dense":
            stack.append(
                Dense(
                    units if isinstance(units, int) and not isinstance(units, bool) else None,
                    _activation(layer.get("activation")),
                    use_bias is not False,
                )
            )
        elif what in _ACTIVATION_LAYERS and stack:
            applied = _ACTIVATION_LAYERS[what] or _activation(layer.get("activation"))
            last = stack[-1]
            folded = applied if last.activation == "linear" else f"{last.activation}+{applied}"
            stack[-1] = replace(last, activation=folded)
    return tuple(stack)


def _count(node: Any, key: str) -> int | None:
    v = node.get(key) if isinstance(node, dict) else None
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None


def summary(node: Node, wire: Wire) -> dict[str, Any]:
    """The facts the criteria read, from a node of an untrusted process (never raises)."""
    loss, optimizer, history = node.get("loss"), node.get("optimizer"), node.get("history")
    found: dict[str, Any] = {
        "dense": _dense(node.get("layers")),
        "loss": loss_name(text(loss, "name")) if kind(loss) == "loss" else "",
        "from_logits": kind(loss) == "loss" and loss.get("from_logits") is True,
        "optimizer": text(optimizer, "v") if kind(optimizer) == "str" else "",
        "epochs": _count(history, "epochs"),
        "epochs_asked": _count(history, "epochs_asked"),
        "validation": kind(history) == "history" and history.get("validation") is True,
        "predictions": None,
        "unpredicted": "",
    }
    predictions = node.get("predictions")
    try:
        found["predictions"] = numbers(predictions, wire).values
    except Unusable as u:
        found["unpredicted"] = f"no predictions: {u}"
    return found


# --- trusted side: the verdict ---------------------------------------------------------------


def _not_a_model(node: Any) -> Verdict:
    if kind(node) == "unsupported" and text(node, "type") == "History":
        return Unusable(
            "got the History that fit() returns: give the model itself (fit trains it in place)"
        ).verdict
    return unusable(node, "a trained Keras model").verdict


def _said(criterion: Criterion, why: str) -> str:
    return f"{criterion.describe} ({why})" if why else criterion.describe


# --- criteria for the bank ---------------------------------------------------------------------
# Each builder also writes its criterion as data (`Criterion.spec`), which `criterion`
# turns back into the same check where only the question's spec is.


def _layers_text(layers: tuple[Dense, ...]) -> str:
    return " -> ".join(str(layer) for layer in layers) if layers else "no Dense layers"


def dense_layers(*layers: tuple[int, str], weight: float = 1.0) -> Criterion:
    """The model's Dense layers are these (units, activation), in order, with biases."""
    want = tuple(Dense(units, activation) for units, activation in layers)

    def check(facts: Summary, inputs: Inputs) -> tuple[bool, str]:
        got = facts["dense"]
        if got == want:
            return True, ""
        return False, f"the model has {_layers_text(got)}"

    spec = {"check": "layers", "layers": [list(layer) for layer in layers], "weight": weight}
    return Criterion("layers", f"layers {_layers_text(want)}", check, weight, spec)


def compiled(
    loss: str, optimizer: str, from_logits: bool = False, weight: float = 1.0
) -> Criterion:
    """The model was compiled with this loss (and from_logits) and this optimizer class."""
    logits = ", from_logits=True" if from_logits else ""
    describe = f"compiled with the {loss} loss{logits} and the {optimizer} optimizer"

    def check(facts: Summary, inputs: Inputs) -> tuple[bool, str]:
        if not facts["loss"]:
            return False, "the model was not compiled (model.compile(...))"
        problems = []
        if facts["loss"] != loss:
            problems.append(f"the loss is {facts['loss']}")
        if facts["from_logits"] != from_logits:
            problems.append(f"from_logits is {facts['from_logits']}")
        if facts["optimizer"].lower() != optimizer.lower():
            problems.append(f"the optimizer is {facts['optimizer'] or 'missing'}")
        return (False, "; ".join(problems)) if problems else (True, "")

    spec = {"check": "compiled", "loss": loss, "optimizer": optimizer}
    spec |= {"from_logits": from_logits, "weight": weight}
    return Criterion("compiled", describe, check, weight, spec)


def early_stopping(weight: float = 1.0) -> Criterion:
    """The last fit watched validation data and stopped before its last epoch."""

    def check(facts: Summary, inputs: Inputs) -> tuple[bool, str]:
        epochs, asked = facts["epochs"], facts["epochs_asked"]
        if epochs is None:
            return False, "the model has no training history: was model.fit run on it?"
        if not facts["validation"]:
            return False, "the fit had no validation data (validation_split or validation_data)"
        if asked is not None and epochs >= asked:
            return False, (
                f"training ran all {asked} epochs: early stopping never stopped it "
                "(give it a smaller patience or more epochs)"
            )
        return True, f"stopped after {epochs} epochs" + (f" of {asked}" if asked else "")

    return Criterion(
        "early stopping",
        "trained with early stopping on validation data",
        check,
        weight,
        {"check": "early stopping", "weight": weight},
    )


def _pr_auc(predictions: np.ndarray, y: np.ndarray, **_: Any) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, probabilities(predictions, y.size)))


def _roc_auc(predictions: np.ndarray, y: np.ndarray, **_: Any) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, probabilities(predictions, y.size)))


def _accuracy_at_half(predictions: np.ndarray, y: np.ndarray, **_: Any) -> float:
    return float(np.mean((probabilities(predictions, y.size) > 0.5) == y))


def _class_accuracy(predictions: np.ndarray, y: np.ndarray, classes: int = 2, **_: Any) -> float:
    """Accuracy of the class with the largest score: the same class for probabilities and
    for logits, since the softmax keeps their order."""
    return float(np.mean(class_scores(predictions, y.size, classes).argmax(axis=1) == y))


#: The metrics a `metric` criterion may name: f(predictions, labels, **params) -> score;
#: they raise ValueError, with a reason for the student, on unusable predictions.
METRICS: dict[str, Callable[..., float]] = {
    "pr_auc": _pr_auc,
    "roc_auc": _roc_auc,
    "accuracy_at_half": _accuracy_at_half,
    "class_accuracy": _class_accuracy,
}


def metric(
    name: str,
    score: str,
    at_least: float,
    weight: float = 1.0,
    labels: str = "y_test",
    rows: str = "test",
    **params: Any,
) -> Criterion:
    """`METRICS[score]` of the predictions against `inputs[labels]` (computed in the
    trusted process), the `rows` `name` ("test accuracy"), is at least `at_least`."""
    measure = METRICS[score]
    name = f"{rows} {name}"

    def check(facts: Summary, inputs: Inputs) -> tuple[bool, str]:
        predictions = facts["predictions"]
        if predictions is None:
            return False, facts["unpredicted"]
        y = np.asarray(inputs[labels]).ravel()
        try:
            value = float(measure(predictions, y, **params))
        except ValueError as e:
            return False, str(e)
        if not np.isfinite(value):
            return False, f"the {name} could not be computed"
        return value >= at_least, f"yours is {value:.3f}"

    spec = {"check": "metric", "name": name.removeprefix(f"{rows} "), "score": score}
    spec |= {"at_least": at_least, "weight": weight, "labels": labels, "rows": rows}
    spec["params"] = dict(params)
    return Criterion(name, f"{name} at least {at_least:g}", check, weight, spec)


def criterion(spec: Mapping[str, Any]) -> Criterion:
    """The criterion a `Criterion.spec` describes (ValueError: not one this grader knows)."""
    what, weight = spec.get("check"), float(spec.get("weight", 1.0))
    if what == "layers":
        return dense_layers(*((int(u), str(a)) for u, a in spec["layers"]), weight=weight)
    if what == "compiled":
        loss, optimizer = str(spec["loss"]), str(spec["optimizer"])
        return compiled(loss, optimizer, bool(spec["from_logits"]), weight)
    if what == "early stopping":
        return early_stopping(weight)
    if what == "metric" and spec.get("score") in METRICS:
        params = {str(k): int(v) for k, v in dict(spec.get("params", {})).items()}
        name, score, at_least = str(spec["name"]), str(spec["score"]), float(spec["at_least"])
        labels, rows = str(spec["labels"]), str(spec["rows"])
        return metric(name, score, at_least, weight, labels, rows, **params)
    raise ValueError(f"not a model criterion this grader knows: {what!r}")


def _finite(predictions: np.ndarray) -> np.ndarray:
    if not np.isfinite(predictions).all():
        raise ValueError("the predictions contain NaN or infinite values")
    return predictions


def probabilities(predictions: np.ndarray, rows: int) -> np.ndarray:
    """One probability per row, shape (rows,), from predictions of shape (rows, 1) or (rows,)."""
    p = _finite(predictions)
    if p.shape not in ((rows,), (rows, 1)):
        raise ValueError(f"the predictions have shape {p.shape}, expected ({rows}, 1)")
    if p.min() < 0 or p.max() > 1:
        raise ValueError("the predictions are not probabilities (some lie outside [0, 1])")
    return p.reshape(rows)


def class_scores(predictions: np.ndarray, rows: int, classes: int) -> np.ndarray:
    """Scores of shape (rows, classes): probabilities or logits, one column per class."""
    if predictions.shape != (rows, classes):
        raise ValueError(
            f"the predictions have shape {predictions.shape}, expected ({rows}, {classes})"
        )
    return _finite(predictions)


@cache
def _public_rows(dataset: str) -> dict[str, np.ndarray]:
    """A public data set's arrays, loaded once per process, read-only."""
    rows = coursedata.arrays(dataset)
    for a in rows.values():
        a.setflags(write=False)
    return rows


class ModelKind(PartKind[Model]):
    part = Model

    def encode(self, answer: Any, part: Model, enc: Encoder, hidden: bool) -> Node:
        if not _has(answer, "predict", "layers"):
            if _has(answer, "history", "params"):
                return {"t": "unsupported", "type": "History"}  # what fit() returns
            return enc.value(answer)  # the judge says what it got instead
        return {
            "t": "model",
            "layers": _attempt(lambda: _layers(answer)),
            "loss": _attempt(lambda: _loss(answer)),
            "optimizer": _attempt(lambda: _optimizer(answer)),
            "history": _attempt(lambda: _history(answer)),
            "predictions": _attempt(lambda: _predictions(answer, part, enc)),
        }

    def judge(self, node: Any, ctx: Context) -> Verdict:
        part = ctx.part
        assert isinstance(part, Model)
        if kind(node) != "model":
            return _not_a_model(node)
        facts = summary(node, ctx.wire)
        outcomes = [(c, *c.check(facts, ctx.question.inputs)) for c in part.criteria]
        met = [_said(c, why) for c, ok, why in outcomes if ok]
        unmet = [_said(c, why) for c, ok, why in outcomes if not ok]
        if not unmet:
            return Verdict("correct", 1.0, f"Correct: {checks_passed(len(met))}: {'; '.join(met)}.")
        total = sum(c.weight for c in part.criteria)
        fraction = sum(c.weight for c, ok, _ in outcomes if ok) / total if total else 0.0
        message = sentence(
            f"{len(met)} of {len(outcomes)} checks passed. Not met: {'; '.join(unmet)}.",
            f"Met: {'; '.join(met)}." if met else None,
        )
        return Verdict("partial" if fraction > 0 else "incorrect", fraction, message)

    def spec(self, part: Model, hidden: bool) -> dict[str, Any]:
        public = part.public
        return {
            "evaluate_on": part.evaluate_on,
            "criteria": [dict(c.spec) for c in part.criteria],
            "public": None if public is None else [getattr(public, f) for f in _PUBLIC],
        }

    def from_spec(self, spec: Mapping[str, Any], common: dict[str, Any]) -> Model:
        public = spec["public"]
        return Model(
            **common,
            evaluate_on=str(spec["evaluate_on"]),
            criteria=tuple(map(criterion, spec["criteria"])),
            public=None if public is None else PublicData(*map(str, public)),
        )

    def local(self, part: Model) -> tuple[Model, dict[str, Any]]:
        """Measured on its public rows (`Model.public`, in `grader.coursedata`): the
        held-out rows the grader uses are not on a student's machine."""
        if part.public is None:
            return part, {}
        public = part.public
        rows = _public_rows(public.dataset)
        inputs = {public.features: rows[public.features], public.labels: rows[public.labels]}
        here = {"labels": public.labels, "rows": public.rows}
        criteria = tuple(
            criterion({**c.spec, **here}) if c.spec.get("check") == "metric" else c
            for c in part.criteria
        )
        return replace(part, evaluate_on=public.features, criteria=criteria), inputs

    def check_sealed(self, node: Any, part: Model, here: SealedPart) -> Verdict:
        if part.public is None:
            return super().check_sealed(node, part, here)
        ctx = Context(here.question, part, here.wire, expected=None, prior={}, mistakes=tuple)
        verdict = self.judge(node, ctx)
        where = (
            f"(Measured here on the {part.public.rows} rows, {part.public.features} and "
            f"{part.public.labels}; the instructor's grader measures it on held-out rows.)"
        )
        return replace(verdict, message=sentence(verdict.message, where))
