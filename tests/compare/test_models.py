"""Model parts (grader.kinds.model): a model read by duck typing in the student's
process, judged by criteria in the trusted one, with credit by weight; broken models,
hostile objects and malformed records give reasons, never exceptions.

Most tests use stand-ins with Keras's attributes (fast); one runs real Keras models in a
child process that records their answers as batch grading does, and grades them here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader import installed
from grader.compare.wire import Wire, load
from grader.engine import encode, grade
from grader.kinds import Model, model
from grader.question import Assignment, Question

# --- stand-ins with the attributes Keras objects have --------------------------------------


class Dense:
    def __init__(self, units: int, activation: str = "linear", use_bias: bool = True) -> None:
        self.config = {"units": units, "activation": activation, "use_bias": use_bias}

    def get_config(self) -> dict[str, Any]:
        return self.config


class Activation:
    def __init__(self, activation: str) -> None:
        self.activation = activation

    def get_config(self) -> dict[str, Any]:
        return {"activation": self.activation}


class Softmax:
    def get_config(self) -> dict[str, Any]:
        return {}


class InputLayer:
    def get_config(self) -> dict[str, Any]:
        return {"batch_shape": [None, 2]}


class SparseCategoricalCrossentropy:
    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = from_logits

    def get_config(self) -> dict[str, Any]:
        return {"name": "sparse_categorical_crossentropy", "from_logits": self.from_logits}


class Adam:
    pass


class SGD:
    pass


class History:
    def __init__(self, epochs: int, asked: int, validation: bool = True) -> None:
        self.history = {"loss": [1.0] * epochs}
        if validation:
            self.history["val_loss"] = [1.0] * epochs
        self.params = {"epochs": asked, "steps": 3}


#: The synthetic question's data: six observations of two features, three classes.
X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [0.5, 1.5], [1.5, 0.5], [3.0, 3.0]])
Y = np.array([0, 1, 2, 0, 1, 2])


def perfect(features: np.ndarray) -> np.ndarray:
    """Probabilities that put 0.8 on each row's own class (the rows of X, in order)."""
    assert features.shape == X.shape
    P = np.full((len(Y), 3), 0.1)
    P[np.arange(len(Y)), Y] = 0.8
    return P.astype(np.float32)


class FakeModel:
    def __init__(
        self,
        layers: list[Any] | None = None,
        loss: Any = "sparse_categorical_crossentropy",
        optimizer: Any = None,
        predict: Any = perfect,
        history: Any = None,
    ) -> None:
        self.layers = [Dense(4, "relu"), Dense(3, "softmax")] if layers is None else layers
        self.loss = loss
        self.optimizer = Adam() if optimizer is None else optimizer
        self.history = History(20, 100) if history is None else history
        self._predict = predict

    def predict(self, features: np.ndarray, verbose: int = 1) -> Any:
        assert verbose == 0  # the grader keeps Keras quiet
        return self._predict(features)


CRITERIA = (
    model.dense_layers((4, "relu"), (3, "softmax"), weight=2.0),
    model.compiled("sparse_categorical_crossentropy", "Adam", weight=1.0),
    model.early_stopping(weight=0.5),
    model.metric("accuracy", "class_accuracy", 0.8, weight=0.5, classes=3),
)

SYNTHETIC = Question(
    id="syn.model",
    assignment="synthetic-models",
    title="A classifier",
    variable="model",
    inputs={"X_test": X, "y_test": Y},
    parts=(Model("model", 4, lambda i, p: "a model", evaluate_on="X_test", criteria=CRITERIA),),
)


@pytest.fixture(autouse=True)
def synthetic_assignment(monkeypatch: pytest.MonkeyPatch) -> Any:
    """SYNTHETIC as a loaded bank assignment: the encoder finds a Model part's evaluation
    data through the bank question holding it."""
    module = types.ModuleType("syn_models_bank")
    module.QUESTIONS = (SYNTHETIC,)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(installed, "assignments", _with_synthetic(installed.assignments()))
    installed.questions.cache_clear()
    yield
    installed.questions.cache_clear()


def _with_synthetic(found: dict[str, Assignment]) -> Any:
    """`grader.installed.assignments` with the synthetic assignment installed too."""
    synthetic = Assignment("synthetic-models", 99, "syn_models_bank", ("syn",))
    return lambda: {**found, synthetic.id: synthetic}


def _part(judge: Any, answer: Any) -> Any:
    return judge(SYNTHETIC, answer).parts[0]


# --- right and wrong models ---------------------------------------------------------------


def test_a_model_meeting_every_criterion_earns_full_marks(judge) -> None:
    verdict = _part(judge, FakeModel())
    assert (verdict.status, verdict.score) == ("correct", 4)
    assert verdict.message == (
        "Correct: all 4 checks passed: layers Dense(4, relu) -> Dense(3, softmax); compiled "
        "with the sparse_categorical_crossentropy loss and the Adam optimizer; trained with "
        "early stopping on validation data (stopped after 20 epochs of 100); test accuracy "
        "at least 0.8 (yours is 1.000)."
    )


def test_credit_is_the_weight_of_the_criteria_met(judge) -> None:
    wrong_layers = FakeModel(layers=[Dense(4, "sigmoid"), Dense(3, "softmax")])
    verdict = _part(judge, wrong_layers)
    assert (verdict.status, verdict.score) == ("partial", 4 * 2 / 4)
    assert verdict.message.startswith(
        "3 of 4 checks passed. Not met: layers Dense(4, relu) -> Dense(3, softmax) "
        "(the model has Dense(4, sigmoid) -> Dense(3, softmax))."
    )
    sgd_mse = FakeModel(loss="mse", optimizer=SGD())
    verdict = _part(judge, sgd_mse)
    assert verdict.score == 3
    assert "(the loss is mean_squared_error; the optimizer is SGD)" in verdict.message


def test_a_model_meeting_nothing_scores_zero(judge) -> None:
    hopeless = FakeModel(
        layers=[Dense(2)],
        loss=None,
        history=History(5, 5, validation=False),
        predict=lambda features: np.tile([1.0, 0.0, 0.0], (6, 1)),
    )
    verdict = _part(judge, hopeless)
    assert (verdict.status, verdict.score) == ("incorrect", 0)
    for said in (
        "(the model has Dense(2, linear))",
        "the model was not compiled (model.compile(...))",
        "the fit had no validation data (validation_split or validation_data)",
        "(yours is 0.333)",
    ):
        assert said in verdict.message


@pytest.mark.parametrize(
    ("history", "said"),
    [
        (History(100, 100), "training ran all 100 epochs: early stopping never stopped it"),
        (types.SimpleNamespace(), "the model has no training history: was model.fit run on it?"),
    ],
)
def test_early_stopping_is_read_from_the_history(judge, history, said) -> None:
    verdict = _part(judge, FakeModel(history=history))
    assert verdict.score == 3.5 and said in verdict.message


@pytest.mark.parametrize(
    ("layers", "loss", "ok"),
    [
        (
            [InputLayer(), Dense(4, "relu"), Dense(3), Activation("softmax")],
            "sparse_categorical_crossentropy",
            True,
        ),
        ([Dense(4, "relu"), Dense(3), Softmax()], SparseCategoricalCrossentropy(), True),
        (
            [Dense(4, "relu"), Dense(3, "softmax"), Softmax()],
            "sparse_categorical_crossentropy",
            False,
        ),
        (
            [Dense(4, "relu", use_bias=False), Dense(3, "softmax")],
            "sparse_categorical_crossentropy",
            False,
        ),
        ([Dense(4, "relu"), Dense(3, "softmax")], "SparseCategoricalCrossentropy", True),
        (
            [Dense(4, "relu"), Dense(3, "softmax")],
            SparseCategoricalCrossentropy(from_logits=True),
            False,
        ),
    ],
    ids=["activation-layer", "softmax-layer", "double-softmax", "no-bias", "class-name", "logits"],
)
def test_layers_and_losses_are_read_as_keras_spells_them(judge, layers, loss, ok) -> None:
    verdict = _part(judge, FakeModel(layers=layers, loss=loss))
    assert (verdict.status == "correct") is ok, verdict.message


def test_the_model_predicts_the_questions_evaluation_rows(judge) -> None:
    seen = []

    def record(features: np.ndarray) -> np.ndarray:
        seen.append(features.copy())
        features[:] = 0.0  # a model cannot alter the bank's data
        return perfect(X)

    assert _part(judge, FakeModel(predict=record)).status == "correct"
    assert np.array_equal(seen[0], X) and np.array_equal(SYNTHETIC.inputs["X_test"], X)


# --- broken models and bad answers -------------------------------------------------------------


def _loops(features: np.ndarray) -> np.ndarray:
    while True:
        pass


@pytest.mark.parametrize(
    ("predict", "said"),
    [
        (
            lambda f: 1 / 0,
            "no predictions: model.predict raised ZeroDivisionError: division by zero",
        ),
        (lambda f: np.full((6, 3), np.nan), "the predictions contain NaN or infinite values"),
        (lambda f: np.ones((6, 2)), "the predictions have shape (6, 2), expected (6, 3)"),
        (lambda f: "cat", "no predictions: got a str ('cat'): give a number or an array"),
        (lambda f: [[1, 2], [3]], "no predictions: ragged list"),
        (_loops, "no predictions: model.predict did not return within 0.2 s"),
    ],
    ids=["raises", "nan", "shape", "text", "ragged", "loops"],
)
def test_bad_predictions_fail_the_metrics_only(judge, monkeypatch, predict, said) -> None:
    monkeypatch.setattr(model, "PREDICT_TIMEOUT", 0.2)
    verdict = _part(judge, FakeModel(predict=predict))
    assert (verdict.status, verdict.score) == ("partial", 3.5)
    assert said in verdict.message


class Hostile:
    """Every attribute a model has, each raising when read."""

    layers = property(lambda self: 1 / 0)
    loss = property(lambda self: [][1])
    optimizer = property(lambda self: sys.exit(2))
    history = property(lambda self: {}["h"])

    def predict(self, features: np.ndarray, verbose: int = 0) -> np.ndarray:
        raise MemoryError("no room")


def test_a_hostile_model_is_graded_without_an_exception(judge) -> None:
    verdict = _part(judge, Hostile())
    assert (verdict.status, verdict.score) == ("incorrect", 0)
    assert "model.predict raised MemoryError: no room" in verdict.message
    assert "the model was not compiled" in verdict.message


@pytest.mark.parametrize(
    ("answer", "status", "said"),
    [
        (None, "unanswered", "no answer (None): did you assign the variable?"),
        (3.0, "unusable", "got a number: give a trained Keras model"),
        ("model", "unusable", "got a str ('model'): give a trained Keras model"),
        (
            History(3, 10),
            "unusable",
            "got the History that fit() returns: give the model itself (fit trains it in place)",
        ),
    ],
)
def test_not_a_model(judge, answer, status, said) -> None:
    verdict = _part(judge, answer)
    assert (verdict.status, verdict.message) == (status, said)


def _node(**changes: Any) -> Wire:
    good = encode(SYNTHETIC, FakeModel())
    node = {**good.tree["parts"]["model"], **changes}
    return Wire({**good.tree, "parts": {"model": node}}, good.arrays)


@pytest.mark.parametrize(
    "changes",
    [
        {"layers": {"t": "layers", "items": "Dense"}},
        {"layers": {"t": "layers", "items": [7, None, {"type": "Dense", "units": True}]}},
        {"loss": {"t": "loss", "name": ["bce"], "from_logits": "yes"}},
        {"optimizer": {"t": "str", "v": 3}},
        {"history": {"t": "history", "epochs": -4, "epochs_asked": "100", "validation": 1}},
        {"predictions": {"t": "array", "k": "99", "shape": [6, 3]}},
        {"predictions": "everything"},
    ],
)
def test_malformed_records_are_read_defensively(changes) -> None:
    verdict = grade(SYNTHETIC, _node(**changes)).parts[0]
    assert verdict.status in ("partial", "incorrect")
    assert not verdict.message.startswith("the grader failed")


def test_the_trusted_side_imports_no_framework() -> None:
    code = (
        "import sys, grader.kinds.model;"
        "print(sorted({'keras', 'jax', 'torch', 'sklearn', 'pandas'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- real Keras models, recorded in a child process as batch grading records them -----------


def _child(directory: str) -> None:
    """The student's side: build real Keras models and record their answers."""
    os.environ["KERAS_BACKEND"] = "jax"
    import keras

    from grader.compare.wire import dump

    def model(output: str, loss: Any, hidden: str = "relu") -> keras.Model:
        keras.utils.set_random_seed(0)
        built = keras.Sequential(
            [keras.Input(shape=(2,)), keras.layers.Dense(4, hidden), keras.layers.Dense(3, output)]
        )
        built.compile(optimizer="adam", loss=loss)
        return built

    stopper = keras.callbacks.EarlyStopping(patience=1, monitor="loss", min_delta=10.0)
    trained = model("softmax", "sparse_categorical_crossentropy")
    history = trained.fit(X, Y, epochs=20, validation_split=0.5, callbacks=[stopper], verbose=0)
    logits = model("linear", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    answers = {
        "trained": trained,
        "history": history,
        "untrained-leaky": model("softmax", "sparse_categorical_crossentropy", "leaky_relu"),
        "logits": logits,
    }
    for name, answer in answers.items():
        dump(encode(SYNTHETIC, answer), Path(directory) / name, SYNTHETIC.id)


@pytest.fixture(scope="module")
def keras_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keras-records")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run(
        [sys.executable, __file__, str(directory)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return directory


def _recorded(records: Path, name: str) -> Any:
    return grade(SYNTHETIC, load(records / name, SYNTHETIC.id)).parts[0]


def test_real_keras_models_are_read_and_judged(keras_records: Path) -> None:
    trained = _recorded(keras_records, "trained")
    assert trained.status in ("correct", "partial")  # the accuracy of 2 epochs is luck
    assert "stopped after 2 epochs of 20" in trained.message
    not_met = trained.message.partition("Not met:")[2].partition("Met:")[0]
    assert "layers" not in not_met and "compiled" not in not_met and "stopping" not in not_met
    assert "test accuracy at least 0.8 (yours is" in trained.message

    history = _recorded(keras_records, "history")
    assert history.message.startswith("got the History that fit() returns")

    untrained = _recorded(keras_records, "untrained-leaky")
    assert "(the model has Dense(4, leaky_relu) -> Dense(3, softmax))" in untrained.message
    assert "the model has no training history" in untrained.message

    logits = _recorded(keras_records, "logits")
    assert "(the model has Dense(4, relu) -> Dense(3, linear))" in logits.message
    assert "(from_logits is True)" in logits.message


if __name__ == "__main__":
    sys.modules["syn_models_bank"] = types.SimpleNamespace(QUESTIONS=(SYNTHETIC,))  # type: ignore[assignment]
    installed.assignments = _with_synthetic(installed.assignments())
    _child(sys.argv[1])
