"""The course's data sets: constants, the lab's synthetic set, iris and the stroke stand-in."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from reference import data
from reference.activations import sigmoid


def test_reference_modules_import_numpy_only():
    modules = ["activations", "layers", "losses", "regression", "optimisers", "network", "data"]
    code = (
        "import sys\n"
        + "".join(f"import reference.{m}\n" for m in modules)
        + "heavy = {'pandas', 'sklearn', 'scipy', 'sympy', 'keras', 'jax', 'torch'}\n"
        + "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "array",
    [
        data.W_TRUE,
        data.SHOE_SIZES,
        data.HEIGHTS,
        data.LOGISTIC_X,
        data.LOGISTIC_Y,
        data.LECTURE_BGD.x,
        data.LECTURE_SGD.y,
        data.BACKPROP_D.x,
        data.W1_INIT,
        data.W2_TRUE,
    ],
)
def test_constants_are_read_only_columns_or_matrices(array):
    assert array.dtype == np.float64 and array.ndim == 2
    with pytest.raises(ValueError, match="read-only"):
        array[0, 0] = 99.0


def test_lab_observations_are_fresh_arrays():
    X, y = data.lab_observations()
    X[0, 0] = 99.0
    y[0, 0] = 99.0
    X2, y2 = data.lab_observations()
    assert X2[0, 0] == 1.0 and y2[0, 0] == pytest.approx(4.6)
    np.testing.assert_allclose(y2, X2 @ data.W_TRUE + data.B_TRUE)


def test_synthetic_321_is_what_the_lab_draws_without_global_state():
    saved = np.random.get_state()
    try:
        np.random.seed(0)
        lab_X = np.random.randn(10000, 3)
        np.random.seed(12345)
        before = np.random.get_state()[1].copy()
        X, y = data.synthetic_321()
        np.testing.assert_array_equal(np.random.get_state()[1], before)  # untouched
    finally:
        np.random.set_state(saved)
    np.testing.assert_array_equal(X, lab_X)
    # y as the lab builds it: each hidden neuron on its own column of weights
    hidden = np.concatenate(
        [sigmoid(X @ data.W1_TRUE[:, [0]]), sigmoid(X @ data.W1_TRUE[:, [1]])], axis=1
    )
    np.testing.assert_allclose(y, np.exp(hidden @ data.W2_TRUE), rtol=1e-14)
    assert y.shape == (10000, 1)


def test_321_weights():
    np.testing.assert_array_equal(data.W1_TRUE[:, 0], [0.25, 0.5, 0.75])
    np.testing.assert_array_equal(data.W1_TRUE[:, 1], [0.75, 0.5, 0.25])
    np.testing.assert_array_equal(data.W1_INIT[:, 0], [0.2, 0.6, 1.0])
    np.testing.assert_array_equal(data.W1_INIT[:, 1], [0.4, 0.8, 1.2])
    np.testing.assert_array_equal(data.W2_TRUE, [[2.0], [3.0]])
    np.testing.assert_array_equal(data.W2_INIT, [[1.0], [2.0]])


# --- iris ---------------------------------------------------------------------------------------


def test_shipped_iris_is_scikit_learns():
    raw, table = load_iris(), data.iris()
    assert list(table.columns) == [*data.IRIS_FEATURES, "target", "species"]
    np.testing.assert_array_equal(table[list(data.IRIS_FEATURES)].to_numpy(), raw.data)
    np.testing.assert_array_equal(table["target"].to_numpy(), raw.target)
    assert tuple(raw.target_names) == data.IRIS_CLASSES
    np.testing.assert_array_equal(table["species"], np.asarray(data.IRIS_CLASSES)[raw.target])


# --- the stroke stand-in ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def stroke() -> pd.DataFrame:
    return data.stroke()


def test_shipped_stroke_csv_is_a_fresh_generation(stroke):
    pd.testing.assert_frame_equal(stroke, data.make_stroke())


def test_make_stroke_depends_on_its_seed_only():
    pd.testing.assert_frame_equal(data.make_stroke(7, n=50), data.make_stroke(7, n=50))
    assert not data.make_stroke(7, n=50).equals(data.make_stroke(8, n=50))


def test_stroke_has_the_lectures_columns_and_values(stroke):
    assert list(stroke.columns) == [
        "id",
        "gender",
        "age",
        "hypertension",
        "heart_disease",
        "ever_married",
        "work_type",
        "Residence_type",
        "avg_glucose_level",
        "bmi",
        "smoking_status",
        "stroke",
    ]
    assert len(stroke) == 5110 and stroke["id"].is_unique
    assert set(stroke["gender"]) <= {"Male", "Female", "Other"}
    assert set(stroke["ever_married"]) == {"No", "Yes"}
    assert set(stroke["work_type"]) == {
        "children",
        "Govt_job",
        "Never_worked",
        "Private",
        "Self-employed",
    }
    assert set(stroke["Residence_type"]) == {"Rural", "Urban"}
    assert set(stroke["smoking_status"]) == {"formerly smoked", "never smoked", "smokes", "Unknown"}
    for flag in ("hypertension", "heart_disease", "stroke"):
        assert set(stroke[flag]) == {0, 1}
    assert 0 < stroke["bmi"].isna().mean() < 0.1  # some missing, as in the real set
    assert 0.04 < stroke["stroke"].mean() < 0.06  # about 5% strokes


def test_stroke_risk_rises_with_age_and_conditions(stroke):
    rate = stroke.groupby("hypertension")["stroke"].mean()
    assert rate[1] > 2 * rate[0]
    assert stroke.loc[stroke["stroke"] == 1, "age"].mean() > stroke["age"].mean() + 15


@pytest.fixture(scope="module")
def stroke_split():
    return data.stroke_splits()


def test_stroke_splits_like_the_lecture(stroke_split):
    X_train, X_val, X_test, y_train, y_val, y_test = stroke_split
    assert [len(f) for f in stroke_split] == [3066, 1022, 1022, 3066, 1022, 1022]
    assert X_train.shape[1] == X_val.shape[1] == X_test.shape[1] == 20
    assert list(X_train.columns[:2]) == ["gender_Female", "gender_Male"]
    assert list(y_train.columns) == ["stroke"]
    assert list(X_test.index) == list(range(1022))
    for X in (X_train, X_val, X_test):
        assert not X.isna().any().any()
    # scaled on the training rows only: mean 0 and sd 1 there
    np.testing.assert_allclose(X_train[list(data.STROKE_NUMERIC)].mean(), 0, atol=1e-12)
    np.testing.assert_allclose(X_train[list(data.STROKE_NUMERIC)].std(ddof=0), 1, rtol=1e-12)
    # stratified: every split has about 5% strokes
    for y in (y_train, y_val, y_test):
        assert 0.04 < y["stroke"].mean() < 0.06


def test_stroke_features_predict_strokes_usefully(stroke_split):
    # PR-AUC well above the 5% a constant guess gets (a small network does no worse).
    X_train, _, X_test, y_train, _, y_test = stroke_split
    model = LogisticRegression(max_iter=1000).fit(X_train, y_train["stroke"])
    pr_auc = average_precision_score(y_test["stroke"], model.predict_proba(X_test)[:, 1])
    assert pr_auc > 0.15
