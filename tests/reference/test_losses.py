"""Loss values: hand-checkable cases, scikit-learn's metrics, stability and bad shapes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss, mean_squared_error

from reference import losses
from reference.activations import sigmoid, softmax


def test_squared_error_family_by_hand():
    y_hat, y = np.array([[1.0], [2.0], [4.0]]), np.array([[0.0], [2.0], [1.0]])
    np.testing.assert_array_equal(losses.squared_error(y_hat, y), [[1.0], [0.0], [9.0]])
    assert losses.ssr(y_hat, y) == 10.0
    assert losses.mse(y_hat, y) == pytest.approx(10 / 3)
    np.testing.assert_array_equal(losses.ssr_grad(y_hat, y), [[2.0], [0.0], [6.0]])
    np.testing.assert_allclose(losses.mse_grad(y_hat, y), [[2 / 3], [0.0], [2.0]])


def test_mse_matches_scikit_learn():
    rng = np.random.default_rng(0)
    y_hat, y = rng.normal(size=(20, 1)), rng.normal(size=(20, 1))
    assert losses.mse(y_hat, y) == pytest.approx(mean_squared_error(y, y_hat), rel=1e-12)


def test_binary_cross_entropy_matches_scikit_learn():
    rng = np.random.default_rng(1)
    p, y = rng.uniform(0.01, 0.99, (30, 1)), rng.integers(0, 2, (30, 1)).astype(float)
    expected = log_loss(y.ravel(), p.ravel(), labels=[0, 1])
    assert losses.binary_cross_entropy(p, y) == pytest.approx(expected, rel=1e-12)


def test_binary_cross_entropy_by_hand():
    # −mean[log 0.8 + log(1 − 0.4)] for y = (1, 0)
    expected = -(np.log(0.8) + np.log(0.6)) / 2
    assert losses.binary_cross_entropy([0.8, 0.4], [1.0, 0.0]) == pytest.approx(expected)


def test_binary_cross_entropy_takes_0_log_0_as_0():
    # A certain and right prediction costs nothing: no NaN from 0 log 0.
    assert losses.binary_cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert losses.binary_cross_entropy([0.0], [1.0]) == np.inf


def test_bce_from_logits_equals_bce_of_sigmoid():
    z = np.linspace(-8, 8, 17).reshape(-1, 1)
    y = (np.arange(17) % 2).astype(float).reshape(-1, 1)
    assert losses.bce_from_logits(z, y) == pytest.approx(
        losses.binary_cross_entropy(sigmoid(z), y), rel=1e-12
    )


def test_bce_from_logits_is_stable_for_huge_logits():
    # log(1 + e^1000) would overflow; the loss is 1000 for a wrong confident logit.
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
        assert losses.bce_from_logits([1000.0, -1000.0], [0.0, 1.0]) == pytest.approx(1000.0)
        assert losses.bce_from_logits([1000.0, -1000.0], [1.0, 0.0]) == 0.0
        np.testing.assert_allclose(losses.bce_logits_grad([1000.0], [0.0]), [1.0])


def test_categorical_cross_entropy_matches_scikit_learn():
    rng = np.random.default_rng(2)
    P, labels = rng.dirichlet(np.ones(3), size=12), rng.integers(0, 3, 12)
    expected = log_loss(labels, P, labels=[0, 1, 2])
    Y = losses.one_hot(labels, 3)
    assert losses.categorical_cross_entropy(P, Y) == pytest.approx(expected, rel=1e-12)
    assert losses.sparse_categorical_cross_entropy(P, labels) == pytest.approx(expected, rel=1e-12)


def test_sparse_labels_may_be_a_column():
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    expected = -(np.log(0.7) + np.log(0.8)) / 2
    assert losses.sparse_categorical_cross_entropy(P, [[0], [2]]) == pytest.approx(expected)


def test_one_hot():
    np.testing.assert_array_equal(losses.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="integers"):
        losses.one_hot([0.0, 1.0], 2)


def test_softmax_cross_entropy_equals_cce_of_softmax():
    rng = np.random.default_rng(3)
    Z, Y = rng.normal(0, 3, (6, 4)), losses.one_hot(rng.integers(0, 4, 6), 4)
    assert losses.softmax_cross_entropy(Z, Y) == pytest.approx(
        losses.categorical_cross_entropy(softmax(Z), Y), rel=1e-12
    )
    np.testing.assert_allclose(losses.softmax_cross_entropy_grad(Z, Y), (softmax(Z) - Y) / 6)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is fine
        Z, Y = np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([[0.0, 1.0], [0.0, 1.0]])
        assert losses.softmax_cross_entropy(Z, Y) == pytest.approx(500.0)
        np.testing.assert_allclose(
            losses.softmax_cross_entropy_grad(Z, Y), [[0.5, -0.5], [0.0, 0.0]]
        )


@pytest.mark.parametrize(
    "loss",
    [losses.mse, losses.mse_grad, losses.ssr, losses.binary_cross_entropy, losses.bce_grad],
)
def test_shape_mismatch_is_refused(loss):
    # (n,) against (n, 1) would broadcast to (n, n) and give a wrong number silently.
    with pytest.raises(ValueError, match=r"differ in shape"):
        loss(np.full(3, 0.5), np.full((3, 1), 0.5))
