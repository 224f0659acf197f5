"""grader.compare.symbolic: strings and SymPy answers to trees (untrusted side), trees back
to expressions (trusted side), and equivalence with useful notes."""

from __future__ import annotations

import json
import sys

import pytest
import sympy as sp
import sympy.parsing.sympy_parser

from grader.compare import symbolic as S
from grader.compare.timelimit import time_limit
from grader.kinds import Expression
from reference import symbolic as R

LINEAR = R.linear_mse()
NET = R.network_321()

LINEAR_GRADIENT = "2/3*(x1*(w*x1 + b - y1) + x2*(w*x2 + b - y2) + x3*(w*x3 + b - y3))"
DELTA1 = "2*(y_hat - y)*exp(z2)*v1*sigma(z11)*(1 - sigma(z11))"


def linear_part(timeout: float = 2.0, interval: tuple[float, float] = (-2.0, 2.0)) -> Expression:
    return Expression(
        "dL_dw",
        1,
        lambda inputs, prior: LINEAR["dL_dw"],
        symbols={name: interval for name in LINEAR.symbols},
        definitions=LINEAR.definitions,
        timeout=timeout,
    )


def delta_part() -> Expression:
    symbols = {name: (-1.0, 1.0) for name in NET.symbols}
    symbols["y"] = (0.5, 3.0)
    return Expression(
        "delta1_1",
        1,
        lambda inputs, prior: NET["delta1_1"],
        symbols=symbols,
        functions=("sigma",),
        definitions=NET.definitions,
    )


def check(answer: object, part: Expression, expected: sp.Expr) -> S.Equivalence:
    """The whole trip: to_tree (student), JSON, from_tree and equivalent (grader)."""
    tree = json.loads(json.dumps(S.to_tree(answer, part)))
    return S.equivalent(S.from_tree(tree, part), expected, part)


# --- equivalent forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        LINEAR_GRADIENT,
        "2/3*(w*x1^2 + w*x2^2 + w*x3^2 + b*(x1 + x2 + x3) - x1*y1 - x2*y2 - x3*y3)",  # expanded
        "(2/3)*(x1*(y_hat1 - y1) + x2*(y_hat2 - y2) + x3*(y_hat3 - y3))",  # intermediates
        "0.6666666666666666*(x1*(y_hat1 - y1) + x2*(y_hat2 - y2) + x3*(y_hat3 - y3))",  # float
    ],
)
def test_equivalent_forms_of_the_linear_gradient_pass(answer: str) -> None:
    result = check(answer, linear_part(), LINEAR["dL_dw"])
    assert result.equal, result


@pytest.mark.parametrize(
    "answer",
    [
        DELTA1,
        "2*(exp(z2) - y)*exp(z2)*v1*sigma(z11)*(1 - sigma(z11))",
        "2*(y_hat - y)*y_hat*v1/(1 + exp(-z11))*(1 - 1/(1 + exp(-z11)))",  # σ written out
        "2*(exp(z2) - y)*exp(z2)*v1*exp(-z11)/(1 + exp(-z11))^2",  # σ' written out
        "2*v1*(exp(v1*sigma(z11) + v2*sigma(z12)) - y)*exp(z2)*sigma(z11)*(1 - sigma(z11))",
    ],
)
def test_equivalent_forms_of_the_hidden_delta_pass(answer: str) -> None:
    result = check(answer, delta_part(), NET["delta1_1"])
    assert result.equal, result
    assert result.method == "simplify"


def test_sympy_answers_are_accepted_with_their_own_symbols_and_sigma() -> None:
    v1, y, z2, z11 = sp.symbols("v1 y z2 z11", real=True)  # assumptions do not matter
    sigma = sp.Function("sigma")  # a student's own undefined sigma counts by name
    answer = 2 * (sp.exp(z2) - y) * sp.exp(z2) * v1 * sigma(z11) * (1 - sigma(z11))
    assert check(answer, delta_part(), NET["delta1_1"]).equal
    assert check(NET["delta1_1"], delta_part(), NET["delta1_1"]).equal


def test_a_number_answer_is_compared_as_a_constant() -> None:
    part = Expression("c", 1, lambda i, p: sp.Rational(1, 4), symbols={"z": (-1.0, 1.0)})
    assert check(0.25, part, sp.Rational(1, 4)).equal
    assert check(1, part, sp.Integer(1)).method == "simplify"
    assert not check(0.3, part, sp.Rational(1, 4)).equal


# --- wrong answers and their notes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "note"),
    [
        ("2*(y - y_hat)*exp(z2)*v1*sigma(z11)*(1 - sigma(z11))", "opposite sign"),
        ("(y_hat - y)*exp(z2)*v1*sigma(z11)*(1 - sigma(z11))", "constant factor"),
        ("2*(y_hat - y)*exp(z2)*v2*sigma(z11)*(1 - sigma(z11))", "does not equal"),
    ],
)
def test_wrong_deltas_fail_with_a_note(answer: str, note: str) -> None:
    result = check(answer, delta_part(), NET["delta1_1"])
    assert not result.equal
    assert note in result.note


@pytest.mark.parametrize(
    ("answer", "note"),
    [
        ("2/3*(x1*(y_hat1 - y1) + x2*(y_hat2 - y2))", "term of the expected sum is missing"),
        ("2/3*(x1*(y_hat1 - y1) + x2*(y_hat2 - y2) + x3*(y_hat3 - y3) + b)", "does not belong"),
        (LINEAR_GRADIENT + " + 1", "by a constant"),
    ],
)
def test_wrong_linear_gradients_fail_with_a_note(answer: str, note: str) -> None:
    result = check(answer, linear_part(), LINEAR["dL_dw"])
    assert not result.equal
    assert note in result.note
    assert "x1" not in result.note  # notes never show the expected expression


def test_undefined_at_test_points_is_said() -> None:
    result = check("log(w - 10)", linear_part(), LINEAR["dL_dw"])
    assert not result.equal
    assert "undefined" in result.note


def test_large_cancelling_parts_need_a_proof() -> None:
    """(w² + 2wb + b²)^50 − (w + b)^100 is 0 but its parts reach 1e60: equal only when
    simplify proves it, never on rounded numbers alone."""
    zero = "(w^2 + 2*w*b + b^2)^50 - (w + b)^100"
    part = linear_part(interval=(1.0, 2.0))  # w + b >= 2: the parts are large everywhere
    right = check(f"{zero} + {LINEAR_GRADIENT}", part, LINEAR["dL_dw"])
    assert (right.equal, right.method) == (True, "simplify")
    wrong = check(f"{zero} + {LINEAR_GRADIENT} + 1/10^6", part, LINEAR["dL_dw"])
    assert not wrong.equal
    assert "too large to compare" in wrong.note


def test_a_pathological_expression_returns_within_the_time_limit(monkeypatch) -> None:
    """A simplify that does not finish (this degree-30 zero takes SymPy minutes, or less
    once its cache holds the expansions: so it is made to spin here) is stopped at the
    part's limit, and the answer accepted on the numbers, with a note saying so. The
    outer limit turns a hang into a failure."""
    zero = (
        "((x1 + x2)*(x3 + w) + b*y1 + y2*y3)^30 - (x1*x3 + x1*w + x2*x3 + x2*w + b*y1 + y2*y3)^30"
    )
    spun = []

    def endless(expr: sp.Expr) -> sp.Expr:
        spun.append(expr)
        while True:
            pass

    monkeypatch.setattr(S.sp, "simplify", endless)
    part = linear_part(timeout=1.0, interval=(-0.5, 0.5))
    with time_limit(30):
        result = check(f"{zero} + {LINEAR_GRADIENT}", part, LINEAR["dL_dw"])
    assert spun  # it was tried, and stopped
    assert (result.equal, result.method) == (True, "numeric")
    assert "random values" in result.note


# --- refused strings (untrusted side) -------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("2*(y_hat - y", "every '\\(' has its '\\)'"),
        ("2 *", "Could not read"),
        ("", "empty"),
        ("W11*x1", "Unknown name 'W11'.*allowed symbols are v1, v2, w11"),
        ("sin(z11)", "Unknown name 'sin'.*allowed functions exp, log, tanh, sigma, sqrt"),
        ("e^z2", "write exp\\(...\\) for e to a power"),
        ("z11.__class__", "Attribute access"),
        ("().__class__.__bases__", "Attribute access"),
        ("__import__('os').system('true')", "Names with '__'"),
        ("z11 = 3", "without '='"),
        ("'z11'", "Quotes"),
        ("z11[0]", "character '\\['"),
        ("lambda: 1", "Unknown name 'lambda'"),
        ("2z11", "Write multiplication explicitly"),
        ("v1(z11 + 1)", "Write multiplication explicitly"),
        ("sigma*z11", "sigma is a function"),
        ("0x10*z11", "in decimal"),
        ("z11**z12", "numeric exponent"),
        ("9**9**9**9", "numeric exponent"),
        ("log(-1)", "log or a root of a negative number"),
        ("(-8)^(1/3)", "log or a root of a negative number"),
        ("1/(z11 - z11)", "undefined"),
        ("+".join(["1"] * (S.MAX_OPERANDS + 1)), "too large"),
        ("z11" + " " * S.MAX_CHARS, "too long"),
    ],
)
def test_bad_strings_get_specific_messages(answer: str, message: str) -> None:
    with pytest.raises(S.SymbolicInputError, match=message):
        S.to_tree(answer, delta_part())


def test_sigma_is_refused_where_the_part_does_not_allow_it() -> None:
    with pytest.raises(S.SymbolicInputError, match="Unknown name 'sigma'"):
        S.to_tree("sigma(w)", linear_part())
    with pytest.raises(S.SymbolicInputError, match="function sigma is not allowed"):
        S.to_tree(R.sigma(sp.Symbol("w")), linear_part())


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (sp.Derivative(sp.Symbol("z11") ** 2, sp.Symbol("z11")), "call .doit"),
        (sp.Eq(sp.Symbol("z11"), 1), "not an equation"),
        (sp.ImmutableMatrix([sp.Symbol("z11")]), "not a matrix"),
        (sp.sin(sp.Symbol("z11")), "function sin is not allowed"),
        (sp.pi * sp.Symbol("z11"), "Pi is not allowed"),
        (sp.Symbol("q"), "Unknown symbol 'q'"),
        (sp.Integer(2) ** 2000, "too large"),
        (sp.Mul(*(sp.Symbol("z11") + i for i in range(1, S.MAX_NODES // 3 + 2))), "too large"),
        (float("nan"), "undefined or infinite"),
        (True, "not True or False"),
        ([1, 2], "not list"),
    ],
)
def test_bad_objects_get_specific_messages(answer: object, message: str) -> None:
    with pytest.raises(S.SymbolicInputError, match=message):
        S.to_tree(answer, delta_part())


# --- forged trees (trusted side) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (["call", ["sym", "z11"]], "unknown head 'call'"),
        (["sigma", ["sym", "w"]], "unknown head 'sigma'"),  # not allowed by the linear part
        (["sym", "__import__('os')"], "Unknown symbol"),
        (["sym", "q"], "Unknown symbol 'q'"),
        (["int", "1e5"], "bad integer"),
        (["int", "١٢"], "bad integer"),  # digits Python's int() would accept
        (["int", "9" * (S.MAX_DIGITS + 1)], "bad integer"),
        (["float", "nan"], "bad decimal"),
        (["float", "1e999"], "bad decimal"),
        (["float", "1_000"], "bad decimal"),
        (["rat", "1", "0"], "denominator 0"),
        (["int", 5], "bad 'int' node"),
        (["pow", ["sym", "w"]], "base and exponent"),
        (["pow", ["sym", "w"], ["sym", "b"]], "numeric exponent"),
        (["pow", ["int", "2"], ["pow", ["int", "10"], ["int", "50"]]], "numeric exponent"),
        (["pow", ["pow", ["int", "10"], ["int", "99"]], ["int", "99"]], "too large"),
        (["exp", ["sym", "w"], ["sym", "b"]], "one argument"),
        (["add"], "without terms"),
        ("w", "not \\[head"),
        ({"head": "sym"}, "not \\[head"),
        ([], "not \\[head"),
        ([["sym", "w"]], "not \\[head"),
    ],
)
def test_forged_trees_are_refused(tree: object, message: str) -> None:
    with pytest.raises(S.SymbolicInputError, match=message):
        S.from_tree(tree, linear_part())


def test_deep_and_wide_trees_are_refused() -> None:
    deep: list = ["sym", "w"]
    for _ in range(S.MAX_DEPTH + 1):
        deep = ["exp", deep]
    with pytest.raises(S.SymbolicInputError, match="too large"):
        S.from_tree(deep, linear_part())
    wide = ["add", *([["sym", "w"]] * (S.MAX_NODES + 1))]
    with pytest.raises(S.SymbolicInputError, match="too large"):
        S.from_tree(wide, linear_part())


def test_the_trusted_side_never_parses_or_lambdifies(monkeypatch: pytest.MonkeyPatch) -> None:
    tree = json.loads(json.dumps(S.to_tree(DELTA1, delta_part())))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the trusted side must not parse or compile expressions")

    for name in ("parse_expr", "eval_expr", "stringify_expr"):
        monkeypatch.setattr(sympy.parsing.sympy_parser, name, refuse)
    monkeypatch.setattr(sp, "lambdify", refuse)
    monkeypatch.setattr(sys.modules["sympy.utilities.lambdify"], "lambdify", refuse)
    expr = S.from_tree(tree, delta_part())
    assert S.equivalent(expr, NET["delta1_1"], delta_part()).equal
    with pytest.raises(S.SymbolicInputError):  # a string in a symbol's place stays a name
        S.from_tree(["sym", "exp(1)"], delta_part())


def test_trees_are_plain_json_of_whitelisted_heads() -> None:
    tree = S.to_tree("sqrt(x1) + 0.5*exp(-z11)/3 + sigma(z12)^2", delta_part())
    heads = set()

    def walk(node: list) -> None:
        heads.add(node[0])
        for child in node[1:]:
            if isinstance(child, list):
                walk(child)
            else:
                assert isinstance(child, str)

    walk(tree)
    assert heads <= {"add", "mul", "pow", "sym", "int", "rat", "float", "exp", "sigma"}
    assert {"pow", "rat", "float", "sigma", "exp"} <= heads
    assert json.loads(json.dumps(tree)) == tree


@pytest.mark.parametrize(
    ("symbols", "functions", "message"),
    [
        ({"w": (0.0, 1.0)}, ("relu",), "unknown functions \\['relu'\\]"),
        ({"exp": (0.0, 1.0)}, (), "clashes with a function name"),
        ({"x.y": (0.0, 1.0)}, (), "cannot be a symbol name"),
    ],
)
def test_badly_authored_parts_fail_loudly(symbols: dict, functions: tuple, message: str) -> None:
    part = Expression("p", 1, lambda i, p: sp.Integer(0), symbols=symbols, functions=functions)
    with pytest.raises(ValueError, match=message):
        S.to_tree("1", part)


def test_expected_symbols_need_intervals() -> None:
    part = Expression("p", 1, lambda i, p: sp.Integer(0), symbols={"w": (0.0, 1.0)})
    with pytest.raises(ValueError, match="no interval"):
        S.equivalent(sp.Symbol("w"), sp.Symbol("q"), part)
