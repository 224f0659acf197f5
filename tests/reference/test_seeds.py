"""Every figure the course material prints, reproduced by `reference` to its printed precision.

Seed files (in shared/seeds/): 000 = the optimisation lecture, 001 = the classification
and optimisation lecture, 002 = its notes version, 003 = the lab sheet (forward pass,
gradient descent, backpropagation), 004 = the optimisers slides.
"""

from __future__ import annotations

import numpy as np
import pytest

from reference import data, network, optimisers, regression
from reference.activations import sigmoid, softmax
from reference.layers import dense


def sig3(values: np.ndarray) -> np.ndarray:
    """Values as NumPy prints them with 3 significant figures (e.g. 9.82e-01)."""
    return np.vectorize(lambda v: float(f"{v:.2e}"))(values)


# --- forward pass -----------------------------------------------------------------------


def test_forward_pass_example():
    # 003: X = [[1, 2], [3, -1]], w = [[2], [-1]], b = [[1], [1]] prints X @ w + b = [[1], [8]].
    z = dense([[1, 2], [3, -1]], [[2], [-1]], [[1], [1]])
    np.testing.assert_array_equal(z, [[1], [8]])


def test_logistic_example_z():
    # 000, 001, 002: z = Xw + b with w = (1, 2), b = -10 prints (-5, 1, 7).
    z = dense(data.LOGISTIC_X, [[1], [2]], -10)
    np.testing.assert_array_equal(z, [[-5], [1], [7]])


def test_logistic_example_sigmoid():
    # 000, 001, 002: 1 / (1 + exp(-z)) prints [[0.01], [0.73], [1.  ]].
    a = sigmoid(dense(data.LOGISTIC_X, [[1], [2]], -10))
    np.testing.assert_array_equal(np.round(a, 2), [[0.01], [0.73], [1.0]])


def test_softmax_example_z():
    # 000, 001, 002: Z = XW + b with W = [[1, 3], [2, 4]], b = (-10, -20).
    Z = dense(data.LOGISTIC_X, [[1, 3], [2, 4]], [-10, -20])
    np.testing.assert_array_equal(Z, [[-5, -9], [1, 5], [7, 19]])


def test_softmax_example_rows():
    # 000, 001, 002: the row-wise softmax of Z prints to 3 significant figures.
    A = softmax(dense(data.LOGISTIC_X, [[1, 3], [2, 4]], [-10, -20]))
    np.testing.assert_array_equal(
        sig3(A), [[9.82e-01, 1.80e-02], [1.80e-02, 9.82e-01], [6.14e-06, 1.00e00]]
    )


def test_softmax_of_5_minus1_6():
    # 001: Keras prints softmax(5, -1, 6) rounded to 3 dp as (0.2690, 0.0010, 0.7310).
    s = softmax([5.0, -1.0, 6.0])
    np.testing.assert_array_equal(np.round(s, 3), [0.269, 0.001, 0.731])
    # 001's NumPy line rounds the same vector to 3 dp but shows (0.27, 0.01, 0.73): a
    # transcription slip. The middle value is 0.000666: 0.001 at 3 dp, 0.0 at 2 dp.
    assert s[1] == pytest.approx(0.000666, abs=5e-7)
    assert round(s[1], 2) == 0.0


# --- the lecture's SGD example ----------------------------------------------------------


@pytest.fixture(scope="module")
def lecture_sgd() -> regression.Trajectory:
    points = data.LECTURE_SGD
    return regression.sgd(points.x, points.y, [[0.0]], 0.0, eta=0.01, order=[0, 1])


def test_lecture_sgd_first_loss(lecture_sgd):
    # 000, 001, 002: with theta0 = (0, 0) and (x, y) = (5, 5), Loss_i = (0 - 5)^2 = 25.
    assert lecture_sgd.losses[0] == 25.0


def test_lecture_sgd_first_gradient(lecture_sgd):
    # 000, 001, 002: the gradient is (-50, -10).
    np.testing.assert_allclose(lecture_sgd.grads[0], [-50, -10], rtol=1e-12)


def test_lecture_sgd_theta1(lecture_sgd):
    # 000, 001, 002: theta1 = (0.5, 0.1).
    np.testing.assert_allclose(lecture_sgd.thetas[1], [0.5, 0.1], rtol=1e-12)


def test_lecture_sgd_second_gradient(lecture_sgd):
    # 000, 001, 002: at theta1 with (x, y) = (9, 17), the gradient is (-223.2, -24.8).
    np.testing.assert_allclose(lecture_sgd.grads[1], [-223.2, -24.8], rtol=1e-12)


def test_lecture_sgd_theta2(lecture_sgd):
    # 000, 001, 002: theta2 = (2.732, 0.348).
    np.testing.assert_allclose(lecture_sgd.thetas[2], [2.732, 0.348], rtol=1e-12)


# --- the lecture's BGD example ----------------------------------------------------------
#
# The slides print y as (0.99, 3.00, 5.01) but computed with more decimals: their table
# shows loss 9.02 and dL/dw -12.02 for x = 2, which y = 3.00 cannot give ((0 - 3)^2 = 9).
# The exercises use the printed y exactly. `SLIDE_Y` is one y that prints as the slides'
# and reproduces every figure of both tables, which shows the gaps come from y alone.

SLIDE_TABLE_1 = [[0, 0.98, -1.98, -1.98], [0, 9.02, -12.02, -6.01], [0, 25.15, -30.09, -10.03]]
SLIDE_TABLE_2 = [[2.07, 1.17, 2.16, 2.16], [3.54, 0.29, 2.14, 1.07], [5.01, 0.00, -0.04, -0.01]]
SLIDE_Y = [0.988, 3.004, 5.0146]


def bgd_table(y, t: int) -> np.ndarray:
    """The slide's table at theta_t: per row y_hat, loss, dL/dw, dL/db."""
    x = data.LECTURE_BGD.x
    run = regression.batch_gd(x, y, [[0.0]], 0.0, eta=0.1, iterations=2)
    w, b = run.w(t), run.b(t)
    rows = []
    for x_i, y_i in zip(x, np.reshape(y, -1), strict=True):
        y_hat = float(dense([x_i], w, b)[0, 0])
        dw, db = regression.squared_error_gradients(x_i, y_i, w, b)
        rows.append([y_hat, (y_hat - y_i) ** 2, dw[0, 0], db])
    return np.array(rows)


@pytest.fixture(scope="module")
def lecture_bgd() -> regression.Trajectory:
    points = data.LECTURE_BGD
    return regression.batch_gd(points.x, points.y, [[0.0]], 0.0, eta=0.1, iterations=2)


def test_lecture_bgd_printed_y():
    # 000, 001, 002: the table prints y = (0.99, 3.00, 5.01); so does SLIDE_Y.
    np.testing.assert_array_equal(np.round(SLIDE_Y, 2), [0.99, 3.00, 5.01])
    np.testing.assert_array_equal(data.LECTURE_BGD.y, [[0.99], [3.00], [5.01]])


def test_lecture_bgd_first_table():
    # 000, 001, 002: the first table (2 dp) comes out of the slides' unprinted y; with the
    # printed y exactly, rows 2 and 3 give loss 9.00 and 25.10, dL/dw -12.00 and -30.06,
    # dL/db -6.00 and -10.02 (row 1 agrees).
    np.testing.assert_array_equal(np.round(bgd_table(SLIDE_Y, 0), 2) + 0.0, SLIDE_TABLE_1)
    exact = [[0, 0.98, -1.98, -1.98], [0, 9.00, -12.00, -6.00], [0, 25.10, -30.06, -10.02]]
    np.testing.assert_array_equal(np.round(bgd_table(data.LECTURE_BGD.y, 0), 2) + 0.0, exact)


def test_lecture_bgd_first_gradient(lecture_bgd):
    # 000, 001, 002: the slides print the gradient (-14.69, -6.0); with y exactly
    # (0.99, 3.00, 5.01) it is (-1.98 - 12 - 30.06) / 3 = -14.68 and -18 / 3 = -6.0.
    np.testing.assert_allclose(lecture_bgd.grads[0], [-14.68, -6.0], rtol=1e-12)
    slide = regression.batch_gd(data.LECTURE_BGD.x, SLIDE_Y, [[0.0]], 0.0, 0.1, 1)
    np.testing.assert_array_equal(np.round(slide.grads[0], 2) + 0.0, [-14.69, -6.0])


def test_lecture_bgd_theta1(lecture_bgd):
    # 000, 001, 002: theta1 = (1.47, 0.6) at 2 dp (exactly (1.468, 0.6)).
    np.testing.assert_array_equal(np.round(lecture_bgd.thetas[1], 2), [1.47, 0.6])


def test_lecture_bgd_second_table():
    # 000, 001, 002: the second table (2 dp); with the printed y exactly, row 1's loss is
    # 1.16 (not 1.17) and row 3's y_hat 5.00 (not 5.01).
    np.testing.assert_array_equal(np.round(bgd_table(SLIDE_Y, 1), 2) + 0.0, SLIDE_TABLE_2)
    exact = [[2.07, 1.16, 2.16, 2.16], [3.54, 0.29, 2.14, 1.07], [5.00, 0.00, -0.04, -0.01]]
    np.testing.assert_array_equal(np.round(bgd_table(data.LECTURE_BGD.y, 1), 2) + 0.0, exact)


def test_lecture_bgd_second_gradient(lecture_bgd):
    # 000, 001, 002: the second gradient prints (1.42, 1.07).
    np.testing.assert_array_equal(np.round(lecture_bgd.grads[1], 2), [1.42, 1.07])


def test_lecture_bgd_theta2(lecture_bgd):
    # 000, 001, 002: theta2 prints (1.33, 0.49).
    np.testing.assert_array_equal(np.round(lecture_bgd.thetas[2], 2), [1.33, 0.49])


# --- the lab's mini-batch example -------------------------------------------------------


def test_lab_observations_y():
    # 003: y = X w_true + b_true prints these 12 values.
    X, y = data.lab_observations()
    printed = [4.6, 6.1, 3.1, 1.6, 6.1, 1.6, 4.6, -2.15, 2.65, 4.6, 1.6, 0.1]
    np.testing.assert_allclose(y, np.reshape(printed, (12, 1)), rtol=0, atol=1e-12)
    assert X.shape == (12, 2)


def test_lab_minibatch_gradient():
    # 003: on rows 1-3 with w0 = (1, 1), b0 = 0: dw = (-6.000, -4.267), db = -3.200, printed
    # by NumPy as [[-6.], [-4.26666667]] and -3.1999999999999993.
    X, y = data.lab_observations()
    dw, db = regression.mse_gradients(X[:3], y[:3], [[1.0], [1.0]], 0.0)
    np.testing.assert_allclose(dw, [[-6.0], [-4.26666667]], rtol=0, atol=5e-9)
    assert db == pytest.approx(-3.2, abs=1e-12)


def test_lab_minibatch_step():
    # 003: with eta = 0.1, w1 = (1.600, 1.427), b1 = 0.320 (printed [[1.6], [1.42666667]],
    # 0.31999999999999995).
    X, y = data.lab_observations()
    run = regression.batch_gd(X[:3], y[:3], [[1.0], [1.0]], 0.0, eta=0.1, iterations=1)
    np.testing.assert_allclose(run.w(1), [[1.6], [1.42666667]], rtol=0, atol=5e-9)
    assert run.b(1) == pytest.approx(0.32, abs=1e-12)


def test_lab_fit_converges_to_true_weights():
    # 003 prints w = (1.4999547, 1.49966414), b = 0.10065 from lr_gradient_descent(X, y,
    # batch_size=3, max_iter=1000); that run shuffled with NumPy's unseeded global state,
    # so its digits cannot be reproduced. What it shows can: the fit reaches w_true, b_true.
    X, y = data.lab_observations()
    w, b = regression.lr_gradient_descent(
        X, y, batch_size=3, max_iter=1000, rng=np.random.default_rng(3143)
    )
    np.testing.assert_allclose(w, data.W_TRUE, rtol=0, atol=1e-3)
    assert b == pytest.approx(data.B_TRUE, abs=1e-3)


def test_backprop_data_set_is_linear():
    # 003: the data set D = {(2, 7), (3, 10), (5, 16)} follows y = 3x + 1.
    np.testing.assert_array_equal(data.BACKPROP_D.y, 3 * data.BACKPROP_D.x + 1)


# --- the lab's 3-2-1 network --------------------------------------------------------------


def test_321_final_weights():
    # 003: 5000 iterations of batch gradient descent with eta = 0.0005 from the initial
    # weights print W1 columns (0.24985576, 0.5000211, 0.75018656) and (0.74987578,
    # 0.49998626, 0.25009692), W2 = (1.99874327, 3.00125615): 8 decimals.
    X, y = data.synthetic_321()
    W1, W2, _ = network.train_321(X, y, data.W1_INIT, data.W2_INIT, eta=0.0005, iterations=5000)
    printed_W1 = [[0.24985576, 0.74987578], [0.5000211, 0.49998626], [0.75018656, 0.25009692]]
    np.testing.assert_array_equal(np.round(W1, 8), printed_W1)
    np.testing.assert_array_equal(np.round(W2, 8), [[1.99874327], [3.00125615]])


# --- the optimisers slides ---------------------------------------------------------------


def test_ssr_gradients_as_the_slides_expand_them():
    # 004: d/dintercept = -2(1.1 - (0.6 slope + intercept)) - 2(1.2 - ...) - 2(2.1 - ...)
    # and d/dslope = -1.2(1.1 - ...) - 1.6(1.2 - ...) - 2.2(2.1 - ...), at the start
    # slope = 1, intercept = 0.
    slope, intercept = 1.0, 0.0
    u = [1.1 - (0.6 * slope + intercept), 1.2 - (0.8 * slope + intercept)]
    u.append(2.1 - (1.1 * slope + intercept))
    d_slope = -1.2 * u[0] - 1.6 * u[1] - 2.2 * u[2]
    d_intercept = -2 * u[0] - 2 * u[1] - 2 * u[2]
    got = regression.ssr_gradients(data.SHOE_SIZES, data.HEIGHTS, slope, intercept)
    np.testing.assert_allclose(got, [d_slope, d_intercept], rtol=1e-12)


def test_ewa_first_value():
    # 004: with V0 = 0 and beta = 0.9, V1 = 0.1 theta1, and the corrected V1 / (1 - beta)
    # is theta1 itself.
    theta = np.array([7.0, 3.0, 5.0])
    assert optimisers.ewa(theta, 0.9)[0] == pytest.approx(0.1 * 7.0, rel=1e-12)
    assert optimisers.ewa(theta, 0.9, bias_correction=True)[0] == pytest.approx(7.0, rel=1e-12)


def test_ewa_weights_of_v100():
    # 004: V100 = 0.1 theta100 + 0.09 theta99 + 0.081 theta98 + 0.729 V97.
    np.testing.assert_allclose(optimisers.ewa_weights(0.9, 3), [0.1, 0.09, 0.081, 0.729])


# --- iris -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def iris_split():
    return data.iris_splits()


def test_iris_first_rows_and_classes():
    # 001: features row 0 = (5.1, 3.5, 1.4, 0.2), row 149 = (5.9, 3.0, 5.1, 1.8); target
    # names (setosa, versicolor, virginica), 50 of each; rows 0, 30, 60 are setosa,
    # setosa, versicolor.
    table = data.iris()
    features = table[list(data.IRIS_FEATURES)].to_numpy()
    np.testing.assert_array_equal(features[0], [5.1, 3.5, 1.4, 0.2])
    np.testing.assert_array_equal(features[149], [5.9, 3.0, 5.1, 1.8])
    assert data.IRIS_CLASSES == ("setosa", "versicolor", "virginica")
    assert table["target"].value_counts().to_dict() == {0: 50, 1: 50, 2: 50}
    assert list(table["species"][[0, 30, 60]]) == ["setosa", "setosa", "versicolor"]


def test_iris_train_rows(iris_split):
    # 001: X_train has 112 rows whose index labels start 53, 58, 95 and end 145, 87, 131;
    # row 53 is (5.5, 2.3, 4.0, 1.3).
    X_train, _, y_train, _ = iris_split
    assert X_train.shape == (112, 4) and y_train.shape == (112, 1)
    assert list(X_train.index[:3]) == [53, 58, 95]
    assert list(X_train.index[-3:]) == [145, 87, 131]
    np.testing.assert_array_equal(X_train.iloc[0], [5.5, 2.3, 4.0, 1.3])


def test_iris_test_rows(iris_split):
    # 001: X_test.shape, y_test.shape = (38, 4), (38, 1); y_test[:4] = 2, 2, 1, 1.
    _, X_test, _, y_test = iris_split
    assert X_test.shape == (38, 4) and y_test.shape == (38, 1)
    np.testing.assert_array_equal(y_test[:4], [[2], [2], [1], [1]])
