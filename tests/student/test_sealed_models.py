"""A trained Keras model's local check (the sealed key has no value for it): the grader's
own criteria, its metrics measured on rows the student has, so that a student learns
before submitting whether the layers, the compilation, early stopping and the metrics
are right. The trusted grader agrees on the structure and measures on held-out rows.

Keras runs in a child process (this file run as a script) with KERAS_BACKEND=jax."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IRIS_CLASSES = {0: "versicolor", 1: "setosa", 2: "virginica", 3: "virginica"}


def _child() -> dict:
    """Every model the tests need, checked locally and by the trusted grader."""
    import keras
    import numpy as np

    from grader.engine import encode, grade
    from grader.student import sealedkey
    from optigrade import bank
    from reference import data
    from reference import keras_models as km

    key = sealedkey.SealedKey.read(ROOT / "release/classification/classification.sealed.json")
    X_train, X_val, _, y_train, y_val, _ = data.stroke_splits()
    stop = keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    trained = km.binary_classifier(20)
    trained.fit(
        X_train, y_train, validation_data=(X_val, y_val), epochs=100, callbacks=[stop], verbose=0
    )
    untrained = km.binary_classifier(20)
    keras.utils.set_random_seed(0)
    narrow = keras.Sequential([keras.Input((20,)), keras.layers.Dense(1, "sigmoid")])
    history = km.binary_classifier(20).fit(X_train, y_train, epochs=1, verbose=0)
    Xi, _, yi, _ = data.iris_splits()
    iris = km.iris_classifier()
    iris.fit(Xi, yi, epochs=500, validation_split=0.25, verbose=0)
    logits = km.iris_logits_classifier()
    logits.fit(Xi, yi, epochs=500, validation_split=0.25, verbose=0)
    cases = {
        "binary": ("cls.binary", trained),
        "untrained": ("cls.binary", untrained),
        "narrow, not compiled": ("cls.binary", narrow),
        "history": ("cls.binary", history),
        "array": ("cls.binary", np.ones((3, 1))),
        "iris": ("cls.iris", {"model": iris, "classes": IRIS_CLASSES}),
        "logits": ("cls.logits", {"model": logits, "classes": IRIS_CLASSES}),
        "softmax for logits": ("cls.logits", {"model": iris, "classes": IRIS_CLASSES}),
    }
    found = {}
    for name, (qid, answer) in cases.items():
        q = bank.get(qid)
        local, trusted = sealedkey.check(key, qid, answer), grade(q, encode(q, answer))
        found[name] = {
            "local": [local.parts[0].status, local.parts[0].score, local.parts[0].message],
            "trusted": [trusted.parts[0].status, trusted.parts[0].message],
        }
    return found


@pytest.fixture(scope="module")
def checked() -> dict:
    run = subprocess.run(
        [sys.executable, __file__],
        env={**os.environ, "KERAS_BACKEND": "jax"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", ["binary", "iris", "logits"])
def test_the_solution_s_model_passes_every_criterion_locally_as_in_the_grader(checked, case):
    (status, score, message), (trusted, _) = checked[case]["local"], checked[case]["trusted"]
    assert (status, trusted) == ("correct", "correct"), message
    assert score > 0 and "checks passed" in message
    rows = "validation rows, X_val and y_val" if case == "binary" else "training rows, X_train"
    assert f"Measured here on the {rows}" in message


def test_the_metrics_are_measured_on_the_public_rows_not_the_test_rows(checked):
    local, trusted = checked["binary"]["local"][2], checked["binary"]["trusted"][1]
    assert "validation PR-AUC at least 0.15 (yours is" in local
    assert "test PR-AUC at least 0.15 (yours is" in trusted and "validation PR-AUC" not in trusted


def test_an_untrained_model_is_told_what_it_misses(checked):
    status, score, message = checked["untrained"]["local"]
    assert status == "partial" and 0 < score < 3
    assert "Not met:" in message and "no training history" in message
    assert checked["untrained"]["trusted"][0] == "partial"


def test_wrong_layers_and_no_compile_are_named_as_by_the_grader(checked):
    status, _, message = checked["narrow, not compiled"]["local"]
    assert status in ("partial", "incorrect")
    assert "the model has Dense(1, sigmoid)" in message
    assert "the model was not compiled" in message
    assert "the model has Dense(1, sigmoid)" in checked["narrow, not compiled"]["trusted"][1]


def test_what_is_not_a_model_gets_the_grader_s_message(checked):
    assert "got the History that fit() returns" in checked["history"]["local"][2]
    assert checked["history"]["local"][1] == 0
    assert checked["array"]["local"][0] == "unusable" or checked["array"]["local"][1] == 0
    assert "a trained Keras model" in checked["array"]["local"][2]


def test_softmax_where_logits_are_asked_fails_the_structure_locally(checked):
    status, _, message = checked["softmax for logits"]["local"]
    assert status == "partial"
    assert "the model has Dense(30, relu) -> Dense(3, softmax)" in message
    assert "from_logits is False" in message


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ["KERAS_BACKEND"] = "jax"
    found = _child()
    print(json.dumps(found))
