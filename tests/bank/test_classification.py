"""The `classification` assignment: the lecture's figures through the bank, follow-through
on the students' own scores, the overflow-proof softmax on its probes, the confusion data,
the three Keras questions with stand-in models, and bad input specific to these answers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.compare.result import PartResult, Result
from optigrade import bank
from optigrade.assign.verify import check_bank
from reference import activations as act
from reference import data, losses
from tests.bank.support import judged

ROOT = Path(__file__).resolve().parents[2]


def _parts(result: Result) -> dict[str, PartResult]:
    return {p.name: p for p in result.parts}


def test_the_source_notebook_matches_the_bank() -> None:
    assert check_bank(ROOT, "classification") == []


def test_checking_a_small_answer_loads_no_data_library() -> None:
    code = (
        "import sys, grader;"
        "grader.check('cls.logistic', None);"
        "print(sorted({'pandas', 'sklearn', 'keras', 'jax'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


# --- the lecture's figures (seed 001, "Dense Layers in Matrices" and "Multiclass") --------------


def test_logistic_reproduces_the_lecture() -> None:
    """Seed: z = (-5, 1, 7) and 1 / (1 + exp(-z)) printed as (0.01, 0.73, 1.00)."""
    answer = bank.get("cls.logistic").answer
    assert np.array_equal(answer["z"], [[-5.0], [1.0], [7.0]])
    assert np.round(answer["a"], 2).ravel().tolist() == [0.01, 0.73, 1.00]


def test_softmax_reproduces_the_lecture() -> None:
    """Seed: Z = [[-5, -9], [1, 5], [7, 19]] and its row-wise softmax printed to 3 digits."""
    answer = bank.get("cls.softmax").answer
    assert np.array_equal(answer["Z"], [[-5.0, -9.0], [1.0, 5.0], [7.0, 19.0]])
    printed = [[9.82e-01, 1.80e-02], [1.80e-02, 9.82e-01], [6.14e-06, 1.00e00]]
    np.testing.assert_allclose(answer["A"], printed, rtol=5e-3)


def test_the_lectures_softmax_of_5_minus1_6() -> None:
    """Seed: Keras prints (0.2690, 0.0010, 0.7310) to 3 dp; the NumPy line beside it shows
    (0.27, 0.01, 0.73): to 2 dp the middle value is 0.00, so its 0.01 is a slip."""
    probe = next(p for p in bank.get("cls.softmax.stable").parts[0].probes if p.name == "lecture")
    s = probe.expected(probe.kwargs)
    assert np.round(s, 3).tolist() == [0.269, 0.001, 0.731]
    assert np.round(s, 2).tolist() == [0.27, 0.0, 0.73]


def test_iris_names_are_the_lectures() -> None:
    """Seed: the first four test rows (y_test 2, 2, 1, 1) are predicted virginica, virginica,
    versicolor, versicolor; the split has 112 training and 38 test rows."""
    for qid in ("cls.iris", "cls.logits"):
        answer = bank.get(qid).answer
        names = [answer[f"classes/{row}"] for row in range(4)]
        assert names == ["virginica", "virginica", "versicolor", "versicolor"]
    assert bank.get("cls.iris").inputs["X_test"].shape == (38, 4)


# --- follow-through ------------------------------------------------------------------------------


def test_sigmoid_of_a_wrong_z_is_carried() -> None:
    X, w = data.LOGISTIC_X, np.array([[1.0], [2.0]])
    z = X @ w  # the bias left out
    parts = _parts(judged("cls.logistic", {"z": z, "a": act.sigmoid(z)}))
    assert (parts["z"].status, parts["z"].mistake) == ("incorrect", "no-bias")
    assert (parts["a"].status, parts["a"].score) == ("carried", 0.5)
    assert "Correct given your z = Xw + b" in parts["a"].message


def test_softmax_of_a_wrong_Z_is_carried_and_its_slips_named() -> None:
    inputs = bank.get("cls.softmax").inputs
    Z = inputs["X"] @ inputs["W"].T + inputs["b"]
    carried = _parts(judged("cls.softmax", {"Z": Z, "A": act.softmax(Z)}))
    assert carried["Z"].mistake == "weights-transposed"
    assert carried["A"].status == "carried"
    wrong_axis = _parts(judged("cls.softmax", {"Z": Z, "A": act.softmax(Z, axis=0)}))
    assert wrong_axis["A"].mistake == "softmax-wrong-axis"
    assert wrong_axis["A"].message.startswith("Given your Z = XW + b: Each row")


def test_the_means_follow_the_students_own_losses() -> None:
    inputs = bank.get("cls.loss").inputs
    y, p = inputs["y"], inputs["p"]
    bce10 = -(y * np.log10(p) + (1 - y) * np.log10(1 - p))
    answer = {
        "bce": bce10,
        "squared": (p - y) ** 2,
        "mean_bce": bce10.mean(),
        "mean_squared": ((p - y) ** 2).sum(),
        "accuracy": "(c)",
    }
    parts = _parts(judged("cls.loss", answer))
    assert parts["bce"].mistake == "log10"
    assert parts["mean_bce"].status == "carried"
    assert parts["mean_squared"].mistake == "sum-not-mean"
    assert parts["accuracy"].status == "correct"


def test_the_loss_means_are_the_reference_losses() -> None:
    question = bank.get("cls.loss")
    y, p = question.inputs["y"], question.inputs["p"]
    assert question.answer["mean_bce"] == pytest.approx(losses.binary_cross_entropy(p, y))
    assert question.answer["mean_squared"] == pytest.approx(losses.mse(p, y))


# --- the overflow-proof softmax ---------------------------------------------------------------


def stable(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def naive(z: np.ndarray) -> np.ndarray:
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


def whole_array(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def test_a_stable_softmax_passes_every_probe(tmp_path: Path) -> None:
    result = judged("cls.softmax.stable", stable, hidden=True, tmp=tmp_path)
    assert (result.parts[0].status, result.score) == ("correct", 1.5)


def test_an_overflowing_softmax_is_named_from_the_public_large_scores() -> None:
    """The prompt's own (1000, 1001) is a public probe: the classic unshifted softmax is
    named, with its catalogued credit, by the public checks as by the hidden ones."""
    for hidden in (False, True):
        verdict = judged("cls.softmax.stable", naive, hidden=hidden).parts[0]
        assert (verdict.status, verdict.mistake, verdict.score) == (
            "partial",
            "softmax-unshifted",
            0.5,
        )
        assert "subtract each row's largest score" in verdict.message
        assert "999" not in verdict.message  # hidden inputs stay hidden


def test_normalising_the_whole_matrix_is_named_and_earns_no_credit_from_vectors() -> None:
    """It passes every probe that is a vector (4 of 6): its credit is the catalogued
    third, not 4/6 of the part."""
    verdict = judged("cls.softmax.stable", whole_array, hidden=True).parts[0]
    assert (verdict.status, verdict.mistake) == ("partial", "softmax-whole-matrix")
    assert verdict.message.startswith("4 of 6 checks passed.")
    assert verdict.score == pytest.approx(0.5)


def test_a_softmax_that_breaks_on_matrices_is_named() -> None:
    def flat_only(z: np.ndarray) -> np.ndarray:
        return np.exp(z - max(z)) / np.exp(z - max(z)).sum()

    verdict = judged("cls.softmax.stable", flat_only).parts[0]
    assert "the rows of Z from cls.softmax: raised ValueError" in verdict.message


# --- confusion matrices ------------------------------------------------------------------------


def test_the_confusion_data_is_reproducible_and_sits_on_both_thresholds() -> None:
    y, p = data.confusion_example(data.CONFUSION_SEED)
    assert np.array_equal(y, data.CONFUSION_Y) and np.array_equal(p, data.CONFUSION_P)
    assert y.shape == p.shape == (40,)
    assert set(y.tolist()) == {0.0, 1.0}
    assert (p == 0.5).any() and (p == 0.3).any()  # so `>` and `>=` give different matrices


def test_confusion_matrices_by_hand_and_with_float_keys() -> None:
    y, p = data.CONFUSION_Y, data.CONFUSION_P

    def counts(t: float) -> list[list[int]]:
        predicted = p > t
        return [
            [int(np.sum((y == 0) & ~predicted)), int(np.sum((y == 0) & predicted))],
            [int(np.sum((y == 1) & ~predicted)), int(np.sum((y == 1) & predicted))],
        ]

    result = judged("cls.confusion", {0.5: counts(0.5), 0.3: counts(0.3)})
    assert result.score == 1


@pytest.mark.parametrize(
    ("matrix", "said"),
    [
        (lambda cm: cm / cm.sum(), "expected a whole number, got non-whole values"),
        (lambda cm: cm.ravel(), "got shape (4,), expected shape (2, 2)"),
        (lambda cm: "[[24, 3], [4, 9]]", "got a str"),
    ],
    ids=["normalised", "flat", "text"],
)
def test_confusion_bad_input(matrix, said) -> None:
    answer = {t: matrix(v) for t, v in bank.get("cls.confusion").answer.items()}
    verdict = judged("cls.confusion", answer).parts[0]
    assert verdict.status == "unusable" and said in verdict.message


def test_the_accuracy_choice_takes_letters_in_any_spelling() -> None:
    answer = dict(bank.get("cls.loss").answer)
    spellings = {" C ": "correct", "c)": "correct", "a": "incorrect", "f": "unusable"}
    for spelt, status in spellings.items():
        verdict = _parts(judged("cls.loss", {**answer, "accuracy": spelt}))["accuracy"]
        assert verdict.status == status, spelt
    assert "is not one of the options 'a', 'b', 'c', 'd', 'e'" in verdict.message


# --- the Keras questions, with stand-ins for trained models --------------------------------


class Dense:
    def __init__(self, units: int, activation: str) -> None:
        self.units, self.activation = units, activation

    def get_config(self) -> dict[str, Any]:
        return {"units": self.units, "activation": self.activation, "use_bias": True}


class SparseCategoricalCrossentropy:
    def __init__(self, from_logits: bool) -> None:
        self.from_logits = from_logits

    def get_config(self) -> dict[str, Any]:
        return {"name": "sparse_categorical_crossentropy", "from_logits": self.from_logits}


class Adam:
    pass


class History:
    def __init__(self, epochs: int = 12, asked: int = 100) -> None:
        self.history = {"loss": [0.2] * epochs, "val_loss": [0.2] * epochs}
        self.params = {"epochs": asked}


class Trained:
    """A stand-in for a trained Keras model whose predictions are given."""

    def __init__(self, layers: list[tuple[int, str]], loss: Any, outputs: np.ndarray) -> None:
        self.layers = [Dense(*layer) for layer in layers]
        self.loss, self.optimizer, self.history = loss, Adam(), History()
        self.outputs = outputs
        self.seen: tuple[int, ...] = ()

    def predict(self, features: np.ndarray, verbose: int = 1) -> np.ndarray:
        self.seen = features.shape
        return self.outputs


STROKE_LAYERS = [(32, "leaky_relu"), (16, "leaky_relu"), (1, "sigmoid")]


def _stroke_probabilities(signal: float) -> np.ndarray:
    """Probabilities of a stroke: `signal` of the true label plus noise, as a column."""
    y = bank.get("cls.binary").inputs["y_test"]
    noise = np.random.default_rng(0).uniform(0.0, 0.4, y.size)
    return (signal * y + noise).reshape(-1, 1)


def test_a_good_stroke_model_earns_full_marks(tmp_path: Path) -> None:
    model = Trained(STROKE_LAYERS, "binary_crossentropy", _stroke_probabilities(0.6))
    result = judged("cls.binary", model, tmp=tmp_path)
    assert result.score == 3, result.text()
    assert model.seen == (1022, 20)  # the stand-in's test rows, in the student's process


def test_a_stroke_model_that_guesses_fails_the_metrics_only() -> None:
    model = Trained(STROKE_LAYERS, "binary_crossentropy", _stroke_probabilities(0.0))
    verdict = judged("cls.binary", model).parts[0]
    # Guessing "no stroke" is right for 95% of the rows: accuracy alone cannot tell, the AUCs do.
    assert verdict.score == pytest.approx(2.0)  # layers, loss, early stopping and accuracy
    for said in ("test PR-AUC at least 0.15 (yours is", "test ROC AUC at least 0.8 (yours is"):
        assert said in verdict.message.partition("Met:")[0]


def test_a_stroke_model_with_a_linear_output_is_told_why() -> None:
    layers = [*STROKE_LAYERS[:2], (1, "linear")]
    logits = 5 * _stroke_probabilities(0.6) - 2.0
    verdict = judged("cls.binary", Trained(layers, "bce", logits)).parts[0]
    assert "(the model has Dense(32, leaky_relu) -> Dense(16, leaky_relu) -> Dense(1, linear))" in (
        verdict.message
    )
    assert "the predictions are not probabilities (some lie outside [0, 1])" in verdict.message


def _iris_outputs() -> np.ndarray:
    y = bank.get("cls.iris").inputs["y_test"]
    return np.eye(3)[y] * 0.7 + 0.1


def _names(rows: np.ndarray) -> dict[int, str]:
    return dict(enumerate(np.asarray(data.IRIS_CLASSES)[rows[:4].argmax(axis=1)]))


def test_a_good_iris_model_and_its_names_earn_full_marks() -> None:
    outputs = _iris_outputs()
    model = Trained([(30, "relu"), (3, "softmax")], "sparse_categorical_crossentropy", outputs)
    result = judged("cls.iris", {"model": model, "classes": _names(outputs)})
    assert result.score == 3, result.text()
    logits = Trained(
        [(30, "relu"), (3, "linear")], SparseCategoricalCrossentropy(True), np.log(outputs)
    )
    result = judged("cls.logits", {"model": logits, "classes": _names(np.log(outputs))})
    assert result.score == 2, result.text()


def test_a_softmax_output_with_from_logits_fails_the_logits_layers() -> None:
    outputs = _iris_outputs()
    double = Trained([(30, "relu"), (3, "softmax")], SparseCategoricalCrossentropy(True), outputs)
    verdict = _parts(judged("cls.logits", {"model": double, "classes": _names(outputs)}))["model"]
    assert verdict.score == pytest.approx(1.0)  # the loss and the accuracy, not the layers
    assert "(the model has Dense(30, relu) -> Dense(3, softmax))" in verdict.message


@pytest.mark.parametrize(
    ("classes", "status", "said"),
    [
        ({0: 2, 1: 2, 2: 1, 3: 1}, "unusable", "got a number: give one of the options"),
        (
            ["virginica", "virginica", "versicolor", "versicolor"],
            "unusable",
            "answer['classes'] should be a dict with key '0'; got a list",
        ),
        ({0: "Virginica ", 1: "virginica", 2: "versicolor", 3: "versicolor"}, "correct", "Correct"),
        ({0: "setosa"}, "incorrect", "Not the right option."),
    ],
    ids=["indices", "list", "spelling", "wrong"],
)
def test_iris_names_bad_input(classes, status, said) -> None:
    outputs = _iris_outputs()
    model = Trained([(30, "relu"), (3, "softmax")], "sparse_categorical_crossentropy", outputs)
    verdict = _parts(judged("cls.iris", {"model": model, "classes": classes}))["classes/0"]
    assert verdict.status == status and said in verdict.message
