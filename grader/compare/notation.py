"""The notation of symbolic answers, shared by students' answers and the course's derivations.

Named functions an `Expression` part may allow (σ, written ``sigma``), how they are written
out in exp, and how intermediate symbols are replaced by their definitions. It holds no
answer: `grader.compare.symbolic` parses and compares students' expressions with it on
the student's side, and `reference.symbolic` derives the course's expressions in it.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp


class sigma(sp.Function):  # lower case: the name students write
    """σ(z) = 1 / (1 + e^(−z)), with σ'(z) = σ(z)(1 − σ(z))."""

    nargs = 1

    @staticmethod
    def formula(z: sp.Expr) -> sp.Expr:
        """σ(z) written out: 1 / (1 + e^(−z))."""
        return 1 / (1 + sp.exp(-z))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigma(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return sigma.formula(z)


#: Named functions an `Expression` part may allow beyond exp, log, sqrt and tanh.
FUNCTIONS: dict[str, type[sp.Function]] = {"sigma": sigma}


def expand_functions(expr: sp.Expr) -> sp.Expr:
    """`expr` with every named function (e.g. σ) written out in exp (by name, so an
    `sp.Function("sigma")` counts too)."""
    return expr.replace(
        lambda e: isinstance(e, sp.Function) and e.func.__name__ in FUNCTIONS,
        lambda e: FUNCTIONS[e.func.__name__].formula(*e.args),
    )


def substitute(expr: sp.Expr, definitions: Mapping[str, sp.Expr]) -> sp.Expr:
    """`expr` with every intermediate symbol replaced by its definition, repeatedly, until
    only base symbols remain (definitions may use other intermediates, e.g. ŷ = e^z2)."""
    for _ in range(len(definitions) + 1):
        found = {s: definitions[s.name] for s in expr.free_symbols if s.name in definitions}
        if not found:
            return expr
        expr = expr.xreplace(found)
    raise ValueError(f"the definitions of {sorted(definitions)} refer to each other in a cycle")
