"""Symbolic answers across the trust boundary, and their comparison.

- `to_tree` runs on the UNTRUSTED side (the student's kernel or the sandbox): it parses a
  string (here and only here), reduces a SymPy expression or a number to a JSON-able
  tree of whitelisted heads, and checks it exactly as the grader will.
- `from_tree` runs on the TRUSTED side: it rebuilds the expression node by node from
  SymPy classes after validating every head, numeral and symbol name. Nothing from the
  tree is ever passed to sympify, eval, parse_expr or lambdify.
- `equivalent` compares two expressions: at random points first (a NumPy walk over the
  expression), then, if they agree, by `sympy.simplify` under a time limit.

Tree heads: ["sym", name], ["int", digits], ["rat", p, q], ["float", decimal],
["add", *terms], ["mul", *factors], ["pow", base, exponent], and one-argument functions
["exp", x], ["log", x], ["tanh", x] plus the part's own (e.g. ["sigma", x]). e is
["exp", ["int", "1"]] and √x is ["pow", x, ["rat", "1", "2"]].
"""

from __future__ import annotations

import io
import keyword
import re
import time
import tokenize
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import sympy as sp
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

from grader.compare.notation import FUNCTIONS, expand_functions, substitute
from grader.compare.timelimit import TimeLimitExceeded, time_limit
from grader.question import Tolerance


class Expression(Protocol):
    """What of an `Expression` part (`grader.kinds.expression`) the rules here read."""

    name: str
    symbols: Mapping[str, tuple[float, float]]
    functions: tuple[str, ...]
    definitions: Mapping[str, Any]
    timeout: float


MAX_CHARS = 5000  # length of an answer string
MAX_OPERANDS = 400  # names and numbers in an answer string (SymPy's parser recurses on each)
MAX_NODES = 2000  # nodes in a tree
MAX_DEPTH = 100  # nesting of a tree
MAX_DIGITS = 60  # digits in one numeral
MAX_BITS = 1024  # size of any exact number met while rebuilding
MAX_EXPONENT = 100  # |exponent| of a power (powers of numbers are computed exactly)

POINTS = 20  # random test points
RTOL, ATOL = 1e-8, 1e-10  # agreement at a point: |s − e| <= RTOL |e| + ATOL max(1, max |e|)
SEED = 3143  # fixed: a grade must not depend on the run

_ELEMENTARY: dict[str, type[sp.Function]] = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh}
_INTEGER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")
_UNSIGNED = r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?"  # what Python reads as a decimal
_DECIMAL = re.compile("-?" + _UNSIGNED)
_OPERATORS = {"+", "-", "*", "/", "**", "^", "(", ")"}
_TYPOGRAPHY = str.maketrans({"−": "-", "×": "*", "·": "*"})
_ENDS_OPERAND = ("symbol", "number", ")")  # a token after which an operator must come
_STARTS_OPERAND = ("symbol", "number", "function", "(")

_TOO_BIG = f"The expression is too large (over {MAX_NODES} parts or {MAX_DEPTH} levels deep)."
_NUMBER_TOO_BIG = "A number in the expression is too large."


class SymbolicInputError(ValueError):
    """An expression that cannot be accepted; the message is one sentence for the student."""


@dataclass(frozen=True)
class Equivalence:
    """Whether a student's expression equals the expected one, how that was decided, and a
    note for the student (never containing the expected expression)."""

    equal: bool
    method: Literal["simplify", "numeric"]
    note: str = ""


# --- names a part allows ----------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    symbols: frozenset[str]  # base symbols and intermediates
    functions: dict[str, Callable[..., sp.Expr]]  # head -> SymPy function

    def describe(self) -> str:
        return (
            f"the allowed symbols are {', '.join(sorted(self.symbols))} and the allowed "
            f"functions {', '.join([*self.functions, 'sqrt'])}"
        )


def _names(part: Expression) -> _Names:
    """The part's symbol and function names, checked (a bad part is the author's error)."""
    symbols = frozenset(part.symbols) | frozenset(part.definitions)
    unknown = set(part.functions) - set(FUNCTIONS)
    if unknown:
        raise ValueError(
            f"{part.name}: unknown functions {sorted(unknown)}; known: {sorted(FUNCTIONS)}"
        )
    functions = {**_ELEMENTARY, **{f: FUNCTIONS[f] for f in part.functions}}
    for name in symbols:
        if not name.isidentifier() or keyword.iskeyword(name) or "__" in name:
            raise ValueError(f"{part.name}: {name!r} cannot be a symbol name")
        if name in functions or name == "sqrt":
            raise ValueError(f"{part.name}: symbol {name!r} clashes with a function name")
    return _Names(symbols, functions)


# --- untrusted side: answer -> tree -----------------------------------------------------


def to_tree(answer: Any, part: Expression) -> list:
    """The JSON-able tree of a student's answer (a SymPy expression, a number or a string),
    checked exactly as `from_tree` will check it. Raises SymbolicInputError."""
    names = _names(part)
    if isinstance(answer, str):
        expr = _parse(answer, names)
    elif isinstance(answer, bool | np.bool_):
        raise SymbolicInputError("An expression is expected, not True or False.")
    elif isinstance(answer, int | np.integer):
        expr = sp.Integer(int(answer))
    elif isinstance(answer, float | np.floating):
        expr = sp.Float(float(answer))
    elif isinstance(answer, sp.Basic):
        expr = answer
    else:
        raise SymbolicInputError(
            f"An expression must be a SymPy expression or a string, not {type(answer).__name__}."
        )
    tree = _Encoder(names).encode(expr, 0)
    _Builder(names).build(tree, 0)  # the grader's own checks, so the student meets them first
    return tree


def _tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    try:
        yield from tokenize.generate_tokens(io.StringIO(text).readline)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        raise SymbolicInputError(
            f"Could not read {text!r}: check that every '(' has its ')'."
        ) from None


def _not_called(name: str) -> SymbolicInputError:
    return SymbolicInputError(f"{name} is a function: write {name}(...).")


def _check_tokens(text: str, names: _Names) -> None:
    """Only names of the part, decimal numbers and arithmetic, each in a sensible place."""
    previous = None  # the last significant token, as (kind, string)
    operands = 0
    for token in _tokens(text):
        kind, string = token.type, token.string
        if kind in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER) or string.isspace():
            continue
        if kind == tokenize.NAME:
            if "__" in string:
                raise SymbolicInputError(f"Names with '__' such as {string!r} are not allowed.")
            if string in names.functions or string == "sqrt":
                kind_of = "function"
            elif string in names.symbols:
                kind_of = "symbol"
            else:
                hint = " (write exp(...) for e to a power)" if string == "e" else ""
                raise SymbolicInputError(
                    f"Unknown name {string!r}{hint}: {names.describe()} (names are case-sensitive)."
                )
        elif kind == tokenize.NUMBER:
            if not re.fullmatch(_UNSIGNED, string):
                raise SymbolicInputError(f"Write numbers in decimal, not {string!r}.")
            kind_of = "number"
        elif kind == tokenize.OP and string in _OPERATORS:
            kind_of = string
        elif kind == tokenize.OP and string == ".":
            raise SymbolicInputError("Attribute access with '.' is not allowed in an expression.")
        elif kind == tokenize.OP and string in ("=", "=="):
            raise SymbolicInputError("Give only the expression, without '=' or an equation.")
        elif kind == tokenize.STRING:
            raise SymbolicInputError("Quotes are not allowed inside an expression.")
        else:
            raise SymbolicInputError(
                f"The character {string!r} is not allowed: use numbers, the allowed names, "
                "+ - * / ** ^ and parentheses."
            )
        if previous and previous[0] == "function" and kind_of != "(":
            raise _not_called(previous[1])
        if previous and previous[0] in _ENDS_OPERAND and kind_of in _STARTS_OPERAND:
            raise SymbolicInputError(
                f"Write multiplication explicitly with '*' between {previous[1]!r} and {string!r}."
            )
        previous = (kind_of, string)
        operands += kind_of in ("symbol", "number")
        if operands > MAX_OPERANDS:
            raise SymbolicInputError(
                f"The expression is too large (over {MAX_OPERANDS} numbers and names)."
            )
    if previous and previous[0] == "function":
        raise _not_called(previous[1])


def _parse(text: str, names: _Names) -> sp.Expr:
    """Parse a student's string (untrusted side only), unevaluated so that nothing
    expensive (such as 9**9**9) is computed before the size checks."""
    if len(text) > MAX_CHARS:
        raise SymbolicInputError(f"The expression is too long (over {MAX_CHARS} characters).")
    text = text.translate(_TYPOGRAPHY).strip()
    if not text:
        raise SymbolicInputError("The expression is empty.")
    _check_tokens(text, names)
    local = {name: sp.Symbol(name) for name in names.symbols}
    local.update(names.functions, sqrt=sp.sqrt)
    builders = ("Add", "Mul", "Pow", "Integer", "Float", "Rational", "Symbol")
    global_dict: dict[str, Any] = {name: getattr(sp, name) for name in builders}
    global_dict["__builtins__"] = {}
    try:
        return parse_expr(
            text,
            local_dict=local,
            global_dict=global_dict,
            transformations=(*standard_transformations, convert_xor),
            evaluate=False,
        )
    except Exception as error:  # SyntaxError, TypeError, ... : all mean unreadable
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise SymbolicInputError(
            f"Could not read {shown!r} as an expression ({type(error).__name__})."
        ) from None


class _Encoder:
    """SymPy expression -> tree, refusing anything outside the whitelist."""

    def __init__(self, names: _Names) -> None:
        self.names = names
        self.nodes = 0

    def encode(self, e: Any, depth: int) -> list:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise SymbolicInputError(_TOO_BIG)
        if e in (sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise SymbolicInputError("The expression contains an undefined or infinite number.")
        if e is sp.E:
            return ["exp", ["int", "1"]]
        if isinstance(e, sp.Symbol):
            if e.name not in self.names.symbols:
                raise SymbolicInputError(f"Unknown symbol {e.name!r}: {self.names.describe()}.")
            return ["sym", e.name]
        if isinstance(e, sp.Rational):
            if max(e.p.bit_length(), e.q.bit_length()) > MAX_BITS:
                raise SymbolicInputError(_NUMBER_TOO_BIG)
            return ["int", str(e.p)] if e.q == 1 else ["rat", str(e.p), str(e.q)]
        if isinstance(e, sp.Float):
            value = float(e)
            if not np.isfinite(value):
                raise SymbolicInputError(_NUMBER_TOO_BIG)
            return ["float", repr(value)]
        head = {sp.Add: "add", sp.Mul: "mul", sp.Pow: "pow"}.get(type(e))
        if head is None and isinstance(e, sp.Function):
            head = self._function_head(e)
        if head is None:
            raise SymbolicInputError(self._refusal(e))
        return [head, *(self.encode(a, depth + 1) for a in e.args)]

    def _function_head(self, e: sp.Function) -> str:
        name = e.func.__name__
        if name not in self.names.functions:
            raise SymbolicInputError(
                f"The function {name} is not allowed here: {self.names.describe()}."
            )
        if len(e.args) != 1:
            raise SymbolicInputError(f"{name} takes one argument.")
        return name

    @staticmethod
    def _refusal(e: Any) -> str:
        if isinstance(e, sp.Derivative | sp.Integral | sp.Subs):
            return f"The answer is an unevaluated {type(e).__name__}: call .doit() on it first."
        if isinstance(e, sp.core.relational.Relational):
            return "Give only the expression, not an equation or inequality."
        if isinstance(e, sp.MatrixBase | sp.MatrixExpr):
            return "A single expression is expected, not a matrix."
        return (
            f"{type(e).__name__} is not allowed in an answer: use numbers, symbols, "
            "+ - * / and powers, and the allowed functions."
        )


# --- trusted side: tree -> expression ---------------------------------------------------


def from_tree(tree: Any, part: Expression) -> sp.Expr:
    """The SymPy expression of a tree, built from SymPy classes after checking every node
    (trusted side: never sympify/eval/parse). Raises SymbolicInputError."""
    return _Builder(_names(part)).build(tree, 0)


class _Builder:
    def __init__(self, names: _Names) -> None:
        self.names = names
        self.nodes = 0

    def build(self, node: Any, depth: int) -> sp.Expr:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise SymbolicInputError(_TOO_BIG)
        if not isinstance(node, list) or not node or not isinstance(node[0], str):
            raise SymbolicInputError("Malformed expression: a node is not [head, ...].")
        head, args = node[0], node[1:]
        if head in ("sym", "int", "float"):
            value = self._leaf(head, self._strings(head, args, 1)[0])
        elif head == "rat":
            p, q = (self._integer(s) for s in self._strings(head, args, 2))
            if q == 0:
                raise SymbolicInputError("Malformed expression: a fraction has denominator 0.")
            value = sp.Rational(p, q)
        elif head in ("add", "mul"):
            if not args:
                raise SymbolicInputError(f"Malformed expression: '{head}' without terms.")
            built = [self.build(a, depth + 1) for a in args]
            value = sp.Add(*built) if head == "add" else sp.Mul(*built)
        elif head == "pow":
            if len(args) != 2:
                raise SymbolicInputError("Malformed expression: 'pow' takes base and exponent.")
            base, exponent = (self.build(a, depth + 1) for a in args)
            self._check_exponent(exponent)
            if not float(exponent).is_integer():
                self._refuse_negative(base)
            value = sp.Pow(base, exponent)
        elif head in self.names.functions:
            if len(args) != 1:
                raise SymbolicInputError(f"Malformed expression: '{head}' takes one argument.")
            argument = self.build(args[0], depth + 1)
            if head == "log":
                self._refuse_negative(argument)
            value = self.names.functions[head](argument)
        else:
            raise SymbolicInputError(f"Malformed expression: unknown head {str(head)[:20]!r}.")
        self._check_number(value)
        return value

    @staticmethod
    def _strings(head: str, args: list, count: int) -> list[str]:
        if len(args) != count or not all(isinstance(a, str) for a in args):
            raise SymbolicInputError(f"Malformed expression: bad '{head}' node.")
        return args

    @staticmethod
    def _integer(digits: str) -> int:
        if not _INTEGER.fullmatch(digits):
            raise SymbolicInputError("Malformed expression: a bad integer.")
        return int(digits)

    def _leaf(self, head: str, text: str) -> sp.Expr:
        if head == "sym":
            if text not in self.names.symbols:
                raise SymbolicInputError(f"Unknown symbol {text[:40]!r}: {self.names.describe()}.")
            return sp.Symbol(text)
        if head == "int":
            return sp.Integer(self._integer(text))
        if (
            len(text) > MAX_DIGITS
            or not _DECIMAL.fullmatch(text)
            or not np.isfinite(value := float(text))
        ):
            raise SymbolicInputError("Malformed expression: a bad decimal number.")
        return sp.Float(value)

    @staticmethod
    def _check_exponent(exponent: sp.Expr) -> None:
        if (
            not exponent.is_Number
            or abs(exponent) > MAX_EXPONENT
            or (exponent.is_Rational and exponent.q > MAX_EXPONENT)
        ):
            raise SymbolicInputError(
                f"Powers need a numeric exponent of size at most {MAX_EXPONENT} "
                "(write exp(...) for e to a power)."
            )

    @staticmethod
    def _refuse_negative(x: sp.Expr) -> None:
        """Logs and fractional powers of negative numbers would be complex."""
        if x.is_extended_negative:
            raise SymbolicInputError("The expression takes a log or a root of a negative number.")

    @staticmethod
    def _check_number(value: sp.Expr) -> None:
        if value in (sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise SymbolicInputError(
                "The expression is undefined (a division by zero or the log of 0?)."
            )
        if value.is_Rational and max(value.p.bit_length(), value.q.bit_length()) > MAX_BITS:
            raise SymbolicInputError(_NUMBER_TOO_BIG)


# --- trusted side: equivalence ----------------------------------------------------------


def _prepare(expr: sp.Expr, part: Expression) -> sp.Expr:
    """Intermediates substituted, named functions written in exp, symbols by name (real)."""
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"{part.name}: expected a SymPy expression, not {type(expr).__name__}")
    expr = expand_functions(substitute(expr, part.definitions))
    unknown = {s.name for s in expr.free_symbols} - set(part.symbols)
    if unknown:
        raise ValueError(f"{part.name}: symbols {sorted(unknown)} have no interval to sample from")
    return expr.xreplace({s: sp.Symbol(s.name, real=True) for s in expr.free_symbols})


def _points(part: Expression) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    return {name: rng.uniform(lo, hi, POINTS) for name, (lo, hi) in sorted(part.symbols.items())}


def _evaluate(expr: sp.Expr, points: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The values of `expr` at the points, by walking its tree with NumPy (no lambdify: it
    execs generated code), and the largest |value| of any part of it at each point (what
    rounding errors scale with when large parts cancel)."""
    cache: dict[sp.Expr, np.ndarray] = {}
    peak = np.zeros(POINTS)

    def value(e: sp.Expr) -> np.ndarray:
        nonlocal peak
        if e in cache:
            return cache[e]
        if e.is_Symbol:
            result = points[e.name]
        elif e.is_Number or e.is_NumberSymbol:
            try:
                result = np.full(POINTS, float(e))
            except OverflowError:
                result = np.full(POINTS, np.inf if e > 0 else -np.inf)
        elif e.is_Add:
            result = np.sum([value(a) for a in e.args], axis=0)
        elif e.is_Mul:
            result = np.prod([value(a) for a in e.args], axis=0)
        elif e.is_Pow:
            result = np.power(value(e.base), value(e.exp))
        elif isinstance(e, sp.exp | sp.log | sp.tanh) and len(e.args) == 1:
            f = {sp.exp: np.exp, sp.log: np.log, sp.tanh: np.tanh}[e.func]
            result = f(value(e.args[0]))
        else:
            raise ValueError(f"cannot evaluate {type(e).__name__} numerically")
        cache[e] = result
        peak = np.fmax(peak, np.abs(result))
        return result

    with np.errstate(all="ignore"):
        return np.asarray(value(expr), dtype=np.float64), peak


#: The tolerance of an expression's values at the sample points, when sealed.
SEALED_TOL = Tolerance(rtol=1e-6, atol=1e-9)


def at_points(expr: sp.Expr, part: Expression) -> np.ndarray:
    """The values of `expr` (intermediates substituted) at the part's fixed sample points:
    what a sealed key holds of an expression (see `optigrade.assign.seal`)."""
    return _evaluate(_prepare(expr, part), _points(part))[0]


def _close(a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    return np.abs(a - b) <= RTOL * np.abs(b) + ATOL * scale


def _terms(e: sp.Expr) -> tuple[sp.Expr, ...]:
    """The terms of a sum, a leading number distributed over them: c (t1 + t2) -> c t1, c t2."""
    c, rest = e.as_coeff_Mul()
    return tuple(c * t for t in sp.Add.make_args(rest)) if rest.is_Add else sp.Add.make_args(e)


def _diagnose(
    s: sp.Expr,
    e: sp.Expr,
    sv: np.ndarray,
    ev: np.ndarray,
    points: dict[str, np.ndarray],
    scale: float,
) -> str:
    """What a wrong answer's values say about it (never the expected expression itself)."""
    d = sv - ev
    if _close(sv, -ev, scale).all():
        return "It has the opposite sign of the expected expression."
    nonzero = np.abs(ev) > 1e-6 * scale
    if nonzero.sum() >= 3:
        ratio = sv[nonzero] / ev[nonzero]
        if np.ptp(ratio) <= 1e-6 * np.abs(ratio).max():
            return "It is off by a constant factor: check the numbers that multiply it."
    if np.ptp(d) <= RTOL * np.abs(ev).max() + ATOL * scale:
        return "It differs from the expected expression by a constant."
    for term in _terms(e):
        if _close(d, -_evaluate(term, points)[0], scale).all():
            return "A term of the expected sum is missing."
    for term in _terms(s):
        if _close(d, _evaluate(term, points)[0], scale).all():
            return "It has a term that does not belong."
    return "It does not equal the expected expression at randomly chosen values of the symbols."


#: What the numbers say: "differ" decides; "close" accepts even without a proof;
#: "loose" (equal only within the rounding of large parts) and "unchecked" need a proof.
_Verdict = Literal["differ", "close", "loose", "unchecked"]


def _compare_numbers(
    s: sp.Expr, e: sp.Expr, points: dict[str, np.ndarray]
) -> tuple[_Verdict, str, int]:
    """(verdict, note, number of points checked) from the values at the random points
    where the expected expression is defined."""
    (sv, s_peak), (ev, e_peak) = _evaluate(s, points), _evaluate(e, points)
    defined = np.isfinite(ev)
    checked = int(defined.sum())
    if not checked:
        return "unchecked", "It could not be checked at random values: simplify it.", 0
    sv, ev, rounding = sv[defined], ev[defined], 1e-12 * (s_peak + e_peak)[defined]
    points = {name: v[defined] for name, v in points.items()}
    if not np.isfinite(sv).all():
        note = (
            "It is undefined or infinite at some values where the expected expression is not "
            "(a division by zero or the log of a negative number?)."
        )
        return "differ", note, checked
    scale = max(1.0, float(np.abs(ev).max()))
    if _close(sv, ev, scale).all():
        return "close", "", checked
    if (np.abs(sv - ev) <= RTOL * np.abs(ev) + ATOL * scale + rounding).all():
        note = "Its parts are too large to compare reliably at random values: simplify it."
        return "loose", note, checked
    return "differ", _diagnose(s, e, sv, ev, points, scale), checked


def _proved_equal(s: sp.Expr, e: sp.Expr, seconds: float) -> bool:
    """simplify(s − e) == 0 within `seconds` (False if it times out or fails)."""
    if seconds <= 0.01:
        return False
    try:
        with time_limit(seconds):
            return sp.simplify(s - e) == 0
    except TimeLimitExceeded:
        return False
    except Exception:  # SymPy can fail on odd inputs: not proved
        return False


def equivalent(student: sp.Expr, expected: sp.Expr, part: Expression) -> Equivalence:
    """Whether `student` equals `expected` for every value of the part's symbols.

    The values at POINTS random points decide a difference; agreement is then proved with
    simplify(s − e) == 0 if that finishes in the time left of `part.timeout`, else accepted
    on the numbers. Returns within about `part.timeout` seconds.
    """
    started = time.monotonic()
    try:
        with time_limit(part.timeout):
            s, e = _prepare(student, part), _prepare(expected, part)
            verdict, note, checked = _compare_numbers(s, e, _points(part))
    except TimeLimitExceeded:
        return Equivalence(
            False, "numeric", "The expression is too complex to check in time: simplify it."
        )
    if verdict == "differ":
        return Equivalence(False, "numeric", note)
    if _proved_equal(s, e, part.timeout - (time.monotonic() - started)):
        return Equivalence(True, "simplify")
    if verdict == "close":
        note = (
            f"Accepted: equal at {checked} random values of the symbols "
            f"(not proved symbolically within {part.timeout:g} s)."
        )
        return Equivalence(True, "numeric", note)
    return Equivalence(False, "numeric", note)
