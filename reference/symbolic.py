"""SymPy derivations of the course's derivatives, each beside the expression it differentiates.

Every derivative here is computed by `sympy.diff` from its loss or activation, never typed
in; the tests check each one against the NumPy form elsewhere in `reference`. Imported
only when used: `import reference` does not import SymPy.

Symbol names (the exercises tell students to write their answers in these):

- linear regression over n = 3 observations: ``w``, ``b``, ``x1 x2 x3``, ``y1 y2 y3``;
  intermediates ``y_hat1 y_hat2 y_hat3`` (ŷ_i = w x_i + b).
- activations: ``z``; softmax over k classes: ``z1 .. zk``, one-hot ``y1 .. yk``;
  intermediates ``s1 .. sk`` (s_i = softmax_i(z)).
- the 3-2-1 network: inputs ``x1 x2 x3``, W1 entries ``w11 .. w32`` (w_ij joins input i to
  hidden node j), W2 entries ``v1 v2``, target ``y``; intermediates ``z11 z12`` (hidden
  pre-activations), ``z2`` (output pre-activation) and ``y_hat`` (= e^z2).
- functions: ``exp``, ``log``, ``sqrt``, ``tanh`` and ``sigma`` (the sigmoid σ).

Symbols carry no assumptions: `grader.compare.symbolic` rebuilds students' answers from
names alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

# The notation answers are written in belongs to the student's side (it holds no answer);
# re-exported here, where the derivations are written in it.
from grader.compare.notation import FUNCTIONS as FUNCTIONS
from grader.compare.notation import expand_functions as expand_functions
from grader.compare.notation import sigma, substitute


@dataclass(frozen=True)
class Derivation:
    """Expressions derived from one model: by name, with their base symbols and the
    intermediate symbols (name -> definition) they may be written in."""

    symbols: Mapping[str, sp.Symbol]
    expressions: Mapping[str, sp.Expr]
    definitions: Mapping[str, sp.Expr] = field(default_factory=dict)

    def __getitem__(self, name: str) -> sp.Expr:
        return self.expressions[name]

    def in_base(self, name: str) -> sp.Expr:
        """Expression `name` in the base symbols only."""
        return substitute(self.expressions[name], self.definitions)


def _numbered(stem: str, n: int) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(f"{stem}{i}") for i in range(1, n + 1))


# --- linear regression -------------------------------------------------------------------


def linear_mse(n: int = 3) -> Derivation:
    """L = (1/n) Σ (w x_i + b − y_i)², with ∂L/∂w = (2/n) Σ (ŷ_i − y_i) x_i and
    ∂L/∂b = (2/n) Σ (ŷ_i − y_i) derived from it (names: L, dL_dw, dL_db)."""
    w, b = sp.symbols("w b")
    x, y = _numbered("x", n), _numbered("y", n)
    y_hat = [w * xi + b for xi in x]
    L = sp.Rational(1, n) * sp.Add(*((yh - yi) ** 2 for yh, yi in zip(y_hat, y, strict=True)))
    symbols = {s.name: s for s in (w, b, *x, *y)}
    definitions = {f"y_hat{i}": yh for i, yh in enumerate(y_hat, start=1)}
    return Derivation(
        symbols, {"L": L, "dL_dw": sp.diff(L, w), "dL_db": sp.diff(L, b)}, definitions
    )


# --- activations ---------------------------------------------------------------------------


def activations() -> Derivation:
    """σ(z) = 1/(1 + e^(−z)) and tanh(z), with σ'(z) and tanh'(z) derived from them
    (names: sigmoid, sigmoid_prime, tanh, tanh_prime)."""
    z = sp.Symbol("z")
    forward = {"sigmoid": sigma.formula(z), "tanh": sp.tanh(z)}
    derivatives = {f"{name}_prime": sp.diff(a, z) for name, a in forward.items()}
    return Derivation({"z": z}, {**forward, **derivatives})


def softmax(k: int = 3) -> Derivation:
    """s_i = e^(z_i) / Σ_j e^(z_j), its Jacobian ∂s_i/∂z_j (= s_i (δ_ij − s_j)) and the
    cross-entropy L = −Σ y_i log s_i with ∂L/∂z_j (= s_j − y_j for one-hot y), all derived
    (names: s{i}, ds{i}_dz{j}, L, dL_dz{j}; intermediates s{i})."""
    z, y = _numbered("z", k), _numbered("y", k)
    total = sp.Add(*(sp.exp(zj) for zj in z))
    s = [sp.exp(zi) / total for zi in z]
    L = -sp.Add(*(yi * sp.log(si) for yi, si in zip(y, s, strict=True)))
    expressions = {f"s{i}": si for i, si in enumerate(s, start=1)}
    for i, si in enumerate(s, start=1):
        for j, zj in enumerate(z, start=1):
            expressions[f"ds{i}_dz{j}"] = sp.diff(si, zj)
    expressions["L"] = L
    for j, zj in enumerate(z, start=1):
        expressions[f"dL_dz{j}"] = sp.diff(L, zj)
    symbols = {v.name: v for v in (*z, *y)}
    return Derivation(symbols, expressions, {f"s{i}": si for i, si in enumerate(s, start=1)})


# --- the 3-2-1 network ---------------------------------------------------------------------


def network_321() -> Derivation:
    """The lab's network for one observation: z1_j = Σ_i x_i w_ij, a1_j = σ(z1_j),
    z2 = v1 a1_1 + v2 a1_2, ŷ = e^z2, L = (ŷ − y)².

    Derived: δ2 = ∂L/∂z2 = 2(ŷ − y) e^z2, δ1_j = ∂L/∂z1_j = v_j δ2 σ'(z1_j) (names delta2,
    delta1_1, delta1_2, written in the intermediates z11, z12, z2), and the gradients
    dL_dw{i}{j} = ∂L/∂w_ij and dL_dv{j} = ∂L/∂v_j (in the base symbols).
    """
    x = _numbered("x", 3)
    W1 = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"w{i + 1}{j + 1}"))
    v = _numbered("v", 2)
    y = sp.Symbol("y")
    z11, z12, z2 = sp.symbols("z11 z12 z2")

    z1_of_x = sp.Matrix([x]) @ W1  # (1, 2): the hidden pre-activations
    z2_of_z1 = v[0] * sigma(z11) + v[1] * sigma(z12)
    definitions = {"z11": z1_of_x[0], "z12": z1_of_x[1], "z2": z2_of_z1, "y_hat": sp.exp(z2)}

    def loss(z_2: sp.Expr) -> sp.Expr:
        """L = (e^z2 − y)²."""
        return (sp.exp(z_2) - y) ** 2

    expressions = {"L": loss(z2), "delta2": sp.diff(loss(z2), z2)}
    for j, z1j in enumerate((z11, z12), start=1):
        # Differentiate through z2 written in z11, z12, then name z2 again.
        expressions[f"delta1_{j}"] = sp.diff(loss(z2_of_z1), z1j).subs(z2_of_z1, z2)

    L = substitute(loss(z2), definitions)
    for i in range(3):
        for j in range(2):
            expressions[f"dL_dw{i + 1}{j + 1}"] = sp.diff(L, W1[i, j])
    for j, vj in enumerate(v, start=1):
        expressions[f"dL_dv{j}"] = sp.diff(L, vj)

    symbols = {s.name: s for s in (*x, *W1, *v, y)}
    return Derivation(symbols, expressions, definitions)
