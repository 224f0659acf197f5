"""reference.symbolic: every SymPy derivative agrees with its NumPy form in `reference`
at random points, and with the closed form the course writes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from reference import activations as act
from reference import network, regression
from reference import symbolic as sym

rng = np.random.default_rng(2024)


def value(expr: sp.Expr, point: dict[sp.Symbol, float]) -> float:
    return float(sym.expand_functions(expr).evalf(subs=point))


def is_zero(expr: sp.Expr) -> bool:
    return sp.simplify(sym.expand_functions(expr)) == 0


# --- the sigmoid as a SymPy function -------------------------------------------------------


def test_sigma_derivative_is_the_derivative_of_its_formula() -> None:
    z = sp.Symbol("z")
    assert is_zero(sp.diff(sym.sigma(z), z) - sp.diff(sym.sigma.formula(z), z))
    assert sym.sigma(z).rewrite(sp.exp) == 1 / (1 + sp.exp(-z))


def test_expand_functions_also_expands_an_undefined_sigma() -> None:
    z = sp.Symbol("z")
    assert sym.expand_functions(sp.Function("sigma")(2 * z)) == 1 / (1 + sp.exp(-2 * z))


def test_substitute_follows_nested_definitions_and_refuses_cycles() -> None:
    a, b, c = sp.symbols("a b c")
    assert sym.substitute(a + 1, {"a": 2 * b, "b": c**2}) == 2 * c**2 + 1
    with pytest.raises(ValueError, match="cycle"):
        sym.substitute(a, {"a": b + 1, "b": a + 1})


# --- linear regression ---------------------------------------------------------------------


def test_linear_mse_gradients_match_regression_mse_gradients() -> None:
    d = sym.linear_mse()
    s = d.symbols
    for _ in range(5):
        x, y, (w, b) = rng.normal(size=3), rng.normal(size=3), rng.normal(size=2)
        point = {s["w"]: w, s["b"]: b}
        point.update({s[f"x{i + 1}"]: x[i] for i in range(3)})
        point.update({s[f"y{i + 1}"]: y[i] for i in range(3)})
        dw, db = regression.mse_gradients(x.reshape(3, 1), y.reshape(3, 1), [[w]], b)
        assert value(d["dL_dw"], point) == pytest.approx(dw[0, 0], rel=1e-12)
        assert value(d["dL_db"], point) == pytest.approx(db, rel=1e-12)
        assert value(d["L"], point) == pytest.approx(
            regression.mse_loss(x.reshape(3, 1), y.reshape(3, 1), [[w]], b), rel=1e-12
        )


def test_linear_mse_gradient_is_the_slides_sum() -> None:
    d = sym.linear_mse()
    s = d.symbols
    residuals = [sp.Symbol(f"y_hat{i}") - s[f"y{i}"] for i in (1, 2, 3)]
    slides_w = sp.Rational(2, 3) * sum(r * s[f"x{i}"] for i, r in enumerate(residuals, 1))
    slides_b = sp.Rational(2, 3) * sum(residuals)
    assert is_zero(d["dL_dw"] - sym.substitute(slides_w, d.definitions))
    assert is_zero(d["dL_db"] - sym.substitute(slides_b, d.definitions))


# --- activations -----------------------------------------------------------------------------


def test_activation_derivatives_match_numpy_and_closed_forms() -> None:
    d = sym.activations()
    z = d.symbols["z"]
    assert is_zero(d["sigmoid_prime"] - sym.sigma(z) * (1 - sym.sigma(z)))
    assert is_zero(d["tanh_prime"] - (1 - sp.tanh(z) ** 2))
    for zi in rng.normal(scale=3, size=8):
        assert value(d["sigmoid"], {z: zi}) == pytest.approx(act.sigmoid(zi), rel=1e-12)
        assert value(d["sigmoid_prime"], {z: zi}) == pytest.approx(act.sigmoid_prime(zi), rel=1e-12)
        assert value(d["tanh_prime"], {z: zi}) == pytest.approx(act.tanh_prime(zi), rel=1e-12)


@pytest.mark.parametrize("k", [2, 3])
def test_softmax_jacobian_matches_numpy_and_closed_form(k: int) -> None:
    d = sym.softmax(k)
    z = [d.symbols[f"z{i}"] for i in range(1, k + 1)]
    s = [d[f"s{i}"] for i in range(1, k + 1)]
    for i in range(k):
        for j in range(k):
            closed = s[i] * (int(i == j) - s[j])
            assert is_zero(d[f"ds{i + 1}_dz{j + 1}"] - closed)
    for _ in range(3):
        zs = rng.normal(scale=2, size=k)
        J = np.array(
            [
                [value(d[f"ds{i}_dz{j}"], dict(zip(z, zs, strict=True))) for j in range(1, k + 1)]
                for i in range(1, k + 1)
            ]
        )
        np.testing.assert_allclose(J, act.softmax_jacobian(zs), rtol=1e-12, atol=1e-15)


def test_softmax_cross_entropy_gradient_is_s_minus_y_for_one_hot_y() -> None:
    k = 3
    d = sym.softmax(k)
    y = [d.symbols[f"y{i}"] for i in range(1, k + 1)]
    z = [d.symbols[f"z{i}"] for i in range(1, k + 1)]
    for c in range(k):
        one_hot = {yi: int(i == c) for i, yi in enumerate(y)}
        for j in range(k):
            gradient = d[f"dL_dz{j + 1}"].subs(one_hot)
            assert is_zero(gradient - (d[f"s{j + 1}"] - one_hot[y[j]]))
        zs = rng.normal(size=k)
        numeric = [
            value(d[f"dL_dz{j}"].subs(one_hot), dict(zip(z, zs, strict=True))) for j in (1, 2, 3)
        ]
        np.testing.assert_allclose(numeric, act.softmax(zs) - np.eye(k)[c], rtol=1e-12, atol=1e-15)


# --- the 3-2-1 network ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def net() -> sym.Derivation:
    return sym.network_321()


def _observation(
    net: sym.Derivation,
) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random observation and weights, as a SymPy substitution and as NumPy arrays."""
    x, W1, W2 = rng.normal(size=(1, 3)), rng.normal(scale=0.5, size=(3, 2)), rng.normal(size=(2, 1))
    y = rng.uniform(0.5, 3.0, size=(1, 1))
    s = net.symbols
    point = {s[f"x{i + 1}"]: x[0, i] for i in range(3)}
    point.update({s[f"w{i + 1}{j + 1}"]: W1[i, j] for i in range(3) for j in range(2)})
    point.update({s["v1"]: W2[0, 0], s["v2"]: W2[1, 0], s["y"]: y[0, 0]})
    return point, x, y, W1, W2


def test_network_deltas_and_gradients_match_reference_network(net: sym.Derivation) -> None:
    for _ in range(4):
        point, x, y, W1, W2 = _observation(net)
        g = network.backward(x, y, W1, W2)
        assert value(net.in_base("delta2"), point) == pytest.approx(g.delta2[0, 0], rel=1e-10)
        for j in range(2):
            delta = value(net.in_base(f"delta1_{j + 1}"), point)
            assert delta == pytest.approx(g.delta1[0, j], rel=1e-10)
            assert value(net[f"dL_dv{j + 1}"], point) == pytest.approx(g.dW2[j, 0], rel=1e-10)
            for i in range(3):
                dw = value(net[f"dL_dw{i + 1}{j + 1}"], point)
                assert dw == pytest.approx(g.dW1[i, j], rel=1e-10)
        y_hat = network.forward(x, W1, W2).y_hat[0, 0]
        assert value(net.in_base("L"), point) == pytest.approx((y_hat - y[0, 0]) ** 2, rel=1e-10)


def test_network_deltas_follow_the_chain_rule(net: sym.Derivation) -> None:
    """δ2 = 2(ŷ − y) e^z2, δ1_j = v_j δ2 σ'(z1_j), ∂L/∂w_ij = δ1_j x_i, ∂L/∂v_j = δ2 σ(z1_j)."""
    s, z2, y_hat = net.symbols, sp.Symbol("z2"), sp.Symbol("y_hat")
    assert is_zero(net["delta2"] - 2 * (sp.exp(z2) - s["y"]) * sp.exp(z2))
    assert is_zero(
        net.in_base("delta2") - sym.substitute(2 * (y_hat - s["y"]) * sp.exp(z2), net.definitions)
    )
    for j in (1, 2):
        z1j = sp.Symbol(f"z1{j}")
        chain = s[f"v{j}"] * net["delta2"] * sym.sigma(z1j) * (1 - sym.sigma(z1j))
        assert is_zero(net[f"delta1_{j}"] - chain)
        delta1 = net.in_base(f"delta1_{j}")
        for i in (1, 2, 3):
            assert is_zero(net[f"dL_dw{i}{j}"] - delta1 * s[f"x{i}"])
        hidden = sym.substitute(sym.sigma(z1j), net.definitions)
        assert is_zero(net[f"dL_dv{j}"] - net.in_base("delta2") * hidden)


def test_network_symbols_are_the_documented_names(net: sym.Derivation) -> None:
    names = {"x1", "x2", "x3", "v1", "v2", "y"} | {f"w{i}{j}" for i in (1, 2, 3) for j in (1, 2)}
    assert set(net.symbols) == names
    assert set(net.definitions) == {"z11", "z12", "z2", "y_hat"}
    for name in ("delta2", "delta1_1", "delta1_2"):
        assert {str(s) for s in net.in_base(name).free_symbols} <= names
