"""Every data set of the course, in one place.

Small examples are module constants: read-only float64 arrays (column vectors are
(n, 1), as everywhere in the course), grouped in frozen `Points` where x and y belong
together. Larger sets are built by functions that return fresh arrays or DataFrames.
Randomness is explicit: a fixed seed for the lab's synthetic data (drawn as NumPy's
legacy global generator would, without touching it) and a `numpy.random.Generator`
for the stroke stand-in.

pandas and scikit-learn are imported inside the functions that need them, so
`import reference.data` imports NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference.activations import sigmoid

if TYPE_CHECKING:
    import pandas as pd

Array = NDArray[np.float64]

DATA_DIR = Path(__file__).parent / "data"


def _frozen(values: ArrayLike, column: bool = False) -> Array:
    """A read-only float64 copy (a column (n, 1) if asked), so a constant cannot drift."""
    a = np.array(values, dtype=np.float64)
    if column:
        a = a.reshape(-1, 1)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Points:
    """Observations (x_i, y_i) of a one-feature example, as columns x (n, 1) and y (n, 1)."""

    x: Array
    y: Array

    @classmethod
    def of(cls, x: ArrayLike, y: ArrayLike) -> Points:
        return cls(_frozen(x, column=True), _frozen(y, column=True))


# --- the lectures' worked examples ------------------------------------------------------

#: The lecture's SGD example, in the order it picks them: (x=5, y=5), then (x=9, y=17).
LECTURE_SGD = Points.of([5, 9], [5, 17])

#: The lecture's BGD example. The slides print y to 2 decimals but computed with more;
#: these are the printed values, which the exercises use exactly.
LECTURE_BGD = Points.of([1, 2, 3], [0.99, 3.00, 5.01])

#: The optimisers slides' example: shoe sizes SS and heights H, H_pred = slope SS + intercept.
SHOE_SIZES = _frozen([0.6, 0.8, 1.1], column=True)
HEIGHTS = _frozen([1.1, 1.2, 2.1], column=True)

#: The backpropagation lab's data set D = {(2, 7), (3, 10), (5, 16)} (y = 3x + 1).
BACKPROP_D = Points.of([2, 3, 5], [7, 10, 16])

#: The logistic-regression example of the classification lecture.
LOGISTIC_X = _frozen([[1, 2], [3, 4], [5, 6]])
LOGISTIC_Y = _frozen([0, 1, 1], column=True)


# --- the optimisation lab's 12 observations --------------------------------------------

W_TRUE = _frozen([[1.5], [1.5]])
B_TRUE = 0.1

_LAB_X = _frozen(
    [
        [1, 2],
        [3, 1],
        [1, 1],
        [0, 1],
        [2, 2],
        [-2, 3],
        [1, 2],
        [-1, -0.5],
        [0.5, 1.2],
        [2, 1],
        [-2, 3],
        [-1, 1],
    ]
)


def lab_observations() -> tuple[Array, Array]:
    """The lab's X (12, 2) and y = X w_true + b_true (12, 1), as fresh arrays."""
    X = _LAB_X.copy()
    return X, X @ W_TRUE + B_TRUE


# --- the backpropagation lab's 3-2-1 network ---------------------------------------------

W1_TRUE = _frozen([[0.25, 0.75], [0.5, 0.5], [0.75, 0.25]])
W2_TRUE = _frozen([[2.0], [3.0]])
W1_INIT = _frozen([[0.2, 0.4], [0.6, 0.8], [1.0, 1.2]])
W2_INIT = _frozen([[1.0], [2.0]])


def synthetic_321(n: int = 10_000, seed: int = 0) -> tuple[Array, Array]:
    """X ~ N(0, 1) of shape (n, 3) and y = exp(σ(X W1_true) W2_true) of shape (n, 1).

    X is what the lab draws after `np.random.seed(0)`: a private `RandomState(0)` gives
    the same numbers without touching NumPy's global generator.
    """
    X = np.random.RandomState(seed).randn(n, 3)
    return X, np.exp(sigmoid(X @ W1_TRUE) @ W2_TRUE)


# --- iris ------------------------------------------------------------------------------

IRIS_FEATURES = ("SepalLength", "SepalWidth", "PetalLength", "PetalWidth")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def iris() -> pd.DataFrame:
    """The 150 iris flowers: the four measurements, `target` (0, 1, 2) and `species`."""
    import pandas as pd

    return pd.read_csv(DATA_DIR / "iris.csv")


def iris_splits() -> tuple[pd.DataFrame, pd.DataFrame, NDArray[np.int64], NDArray[np.int64]]:
    """X_train (112), X_test (38), y_train, y_test as the lecture splits them:
    `train_test_split(features, target, random_state=24)`, target a column (n, 1)."""
    from sklearn.model_selection import train_test_split

    data = iris()
    features = data[list(IRIS_FEATURES)]
    target = data["target"].to_numpy().reshape(-1, 1)
    X_train, X_test, y_train, y_test = train_test_split(features, target, random_state=24)
    return X_train, X_test, y_train, y_test


# --- the stroke stand-in -----------------------------------------------------------------

STROKE_SEED = 3143
STROKE_ROWS = 5110
STROKE_NUMERIC = ("age", "avg_glucose_level", "bmi")
STROKE_BINARY = ("hypertension", "heart_disease")
STROKE_CATEGORICAL = ("gender", "ever_married", "work_type", "Residence_type", "smoking_status")


def make_stroke(seed: int = STROKE_SEED, n: int = STROKE_ROWS) -> pd.DataFrame:
    """A synthetic stand-in for the lecture's stroke data (the real set is not available
    offline): the same 12 raw columns, about 5% strokes, with the risk of a stroke rising
    with age, hypertension, heart disease and glucose level."""
    import pandas as pd

    rng = np.random.default_rng(seed)

    def bernoulli(p: Array) -> NDArray[np.int64]:
        return (rng.random(n) < p).astype(np.int64)

    def choice(options: list[str], p: list[float]) -> NDArray[np.str_]:
        return rng.choice(np.array(options), size=n, p=p)

    # Ages like the real set's: whole years, babies' ages in fractions of a year.
    raw_age = rng.uniform(0.08, 82.0, n)
    age = np.where(raw_age < 2, np.round(raw_age, 2), np.round(raw_age))
    child = age < 18
    gender = choice(["Female", "Male"], [0.59, 0.41])  # the real set's one "Other" left out
    hypertension = bernoulli(sigmoid(-5.2 + 0.055 * age))
    heart_disease = bernoulli(sigmoid(-6.7 + 0.065 * age + 0.5 * (gender == "Male")))
    ever_married = np.where(child | (rng.random(n) < 0.16), "No", "Yes")
    adult_work = choice(
        ["Private", "Self-employed", "Govt_job", "Never_worked"], [0.66, 0.19, 0.145, 0.005]
    )
    work_type = np.where(age < 16, "children", adult_work)  # the slides misspell "Govt_job"
    residence = choice(["Urban", "Rural"], [0.51, 0.49])
    diabetic = bernoulli(sigmoid(-3.6 + 0.035 * age)).astype(bool)
    glucose = np.where(diabetic, rng.normal(205.0, 35.0, n), rng.normal(92.0, 18.0, n))
    glucose = np.round(np.clip(glucose, 55.0, 272.0), 2)
    bmi = 18.0 + 14.0 * np.minimum(age, 40.0) / 40.0 + rng.normal(0.0, 6.5, n)
    bmi = np.round(np.clip(bmi, 10.3, 97.6), 1)
    bmi[rng.random(n) < 0.04] = np.nan
    adult_smoking = choice(
        ["never smoked", "Unknown", "formerly smoked", "smokes"], [0.40, 0.20, 0.22, 0.18]
    )
    smoking = np.where(child & (rng.random(n) < 0.9), "Unknown", adult_smoking)
    logit = (
        -7.75
        + 0.078 * age
        + 0.7 * hypertension
        + 0.6 * heart_disease
        + 0.008 * (glucose - 100.0)
        + 0.3 * (smoking == "smokes")
    )
    stroke = bernoulli(sigmoid(logit))
    ids = rng.choice(np.arange(1, 73_000), size=n, replace=False)
    return pd.DataFrame(
        {
            "id": ids,
            "gender": gender,
            "age": age,
            "hypertension": hypertension,
            "heart_disease": heart_disease,
            "ever_married": ever_married,
            "work_type": work_type,
            "Residence_type": residence,
            "avg_glucose_level": glucose,
            "bmi": bmi,
            "smoking_status": smoking,
            "stroke": stroke,
        }
    )


def stroke() -> pd.DataFrame:
    """The stroke stand-in as shipped (reference/data/stroke.csv, written by `make_stroke`)."""
    import pandas as pd

    return pd.read_csv(DATA_DIR / "stroke.csv")


def stroke_splits(
    data: pd.DataFrame | None = None, random_state: int = 42
) -> tuple[pd.DataFrame, ...]:
    """X_train, X_val, X_test, y_train, y_val, y_test: 60/20/20%, stratified on `stroke`.

    Preprocessing is fitted on the training rows only: one-hot categories, median-imputed
    and standardised numbers, 0/1 flags passed through (20 columns, as in the lecture).
    Rows are renumbered from 0, like the lecture's frames read back from CSV.
    """
    from sklearn.compose import make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    data = stroke() if data is None else data
    features, target = data.drop(columns=["id", "stroke"]), data[["stroke"]]
    X_main, X_test, y_main, y_test = train_test_split(
        features, target, test_size=0.2, random_state=random_state, stratify=target
    )
    X_train, X_val, y_train, y_val = train_test_split(
        X_main, y_main, test_size=0.25, random_state=random_state, stratify=y_main
    )
    transform = make_column_transformer(
        (OneHotEncoder(sparse_output=False, handle_unknown="ignore"), list(STROKE_CATEGORICAL)),
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), list(STROKE_NUMERIC)),
        ("passthrough", list(STROKE_BINARY)),
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    transform.fit(X_train)
    Xs = [transform.transform(X).astype(np.float64) for X in (X_train, X_val, X_test)]
    return tuple(frame.reset_index(drop=True) for frame in (*Xs, y_train, y_val, y_test))


# --- the classification lab's confusion matrices -------------------------------------------

#: The first seed of `confusion_example` whose rounded probabilities include both
#: thresholds of the exercise, 0.5 and 0.3, exactly: there `p > t` and `p >= t` differ.
CONFUSION_SEED = 27


def confusion_example(seed: int = CONFUSION_SEED, n: int = 40) -> tuple[Array, Array]:
    """Labels y (n,), about 30% ones, and a classifier's probabilities p (n,):
    p = σ(N(2y − 1, 1.2²)) rounded to 2 decimals, higher for the ones, with overlap."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.float64)
    p = np.round(sigmoid(rng.normal(2.0 * y - 1.0, 1.2)), 2)
    return _frozen(y), _frozen(p)


#: The exercise's labels and probabilities (40 rows).
CONFUSION_Y, CONFUSION_P = confusion_example()


def _write_shipped_csvs() -> None:
    """Write reference/data/iris.csv (from scikit-learn's copy) and stroke.csv."""
    import pandas as pd
    from sklearn.datasets import load_iris

    raw = load_iris()
    table = pd.DataFrame(raw.data, columns=list(IRIS_FEATURES))
    table["target"] = raw.target
    table["species"] = np.asarray(IRIS_CLASSES)[raw.target]
    table.to_csv(DATA_DIR / "iris.csv", index=False)
    make_stroke().to_csv(DATA_DIR / "stroke.csv", index=False)


if __name__ == "__main__":
    _write_shipped_csvs()
