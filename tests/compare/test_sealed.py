"""Sealed values (grader.compare.sealed): every value `close` accepts matches its seal,
no value more than 4 tolerances away ever does, across magnitudes, signs, regimes and
tolerances; arrays, non-finite values, shapes, dtypes, exact values; the JSON form holds
nothing the value follows from and a malformed one is refused with a clear message.

Property tests use fixed seeds and a cheap scrypt cost (the production cost has a test
of its own), so some 80 000 cases take a few seconds."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from grader.compare.diagnose import close
from grader.compare.sealed import COST, Cost, K, Seal, matches, matches_exact, seal, seal_exact
from grader.question import Tolerance

CHEAP = Cost(n=2, r=1)
SALT = b"test-course-salt"
LABEL = "syn.q/part"

TOLERANCES = [
    Tolerance(),  # rtol 1e-6, atol 1e-9: atol-dominated below 1e-3, rtol-dominated above
    Tolerance(rtol=1e-5, atol=1e-8),  # float32-like
    Tolerance(rtol=1e-5, atol=1e-7),
    Tolerance(rtol=1e-3, atol=1e-6),
    Tolerance(rtol=1e-6, atol=1.0),  # atol-dominated up to 1e6
    Tolerance(rtol=0.05, atol=1e-3),  # a loose one
    Tolerance(rtol=1e-10, atol=1e-13),  # a fine one, near what float64 can resolve
    Tolerance(rtol=1e-6, atol=0.0),  # purely relative
    Tolerance(rtol=0.0, atol=5e-4),  # rtol = 0 parts, as in the bank
    Tolerance(rtol=0.0, atol=1e-2),
    Tolerance(rtol=0.0, atol=1e-9),
    Tolerance(rtol=0.0, atol=0.5),  # integer-like
]
IDS = [f"rtol={t.rtol:g},atol={t.atol:g}" for t in TOLERANCES]
EDGES = [0.0, -0.0, 5e-324, -1e-310, 1e-300, 1.0, -1.0, 1e300, -1.7e308]


def seal_of(e: Any, tol: Tolerance, label: str = LABEL) -> Seal:
    return seal(np.asarray(e, dtype=float), tol, SALT, label, cost=CHEAP)


def match(a: Any, s: Seal, tol: Tolerance, label: str = LABEL) -> bool:
    return matches(a, s, tol, SALT, label, cost=CHEAP)


def expected_values(tol: Tolerance, n: int, seed: int) -> np.ndarray:
    """Magnitudes 1e-12..1e12 log-uniform, both signs, zeros, values near the point
    c = atol/rtol where the two regimes meet, and the edges of float64."""
    rng = np.random.default_rng(seed)
    e = 10.0 ** rng.uniform(-12, 12, n) * rng.choice([-1.0, 1.0], n)
    e[rng.random(n) < 0.03] = 0.0
    if tol.atol and tol.rtol:
        c = tol.atol / tol.rtol
        e[: n // 5] = c * 10.0 ** rng.uniform(-1.5, 1.5, n // 5) * rng.choice([-1, 1], n // 5)
    return np.concatenate([e, EDGES])


def tolerance_of(e: np.ndarray, tol: Tolerance) -> np.ndarray:
    return tol.atol + tol.rtol * np.abs(e)  # as `close` computes it


def extreme_accepted(e: np.ndarray, tol: Tolerance, up: bool) -> np.ndarray:
    """The float farthest from e (above if `up`, else below) that `close` accepts."""
    toward = np.inf if up else -np.inf
    with np.errstate(over="ignore"):
        a = e + (1 if up else -1) * tolerance_of(e, tol)
    a = np.where(np.isfinite(a), a, np.sign(a) * np.finfo(float).max)
    for _ in range(4):
        a = np.where(close(a, e, tol), a, np.nextafter(a, -toward))
    for _ in range(4):
        nxt = np.nextafter(a, toward)
        a = np.where(close(nxt, e, tol) & np.isfinite(nxt), nxt, a)
    assert close(a, e, tol).all()
    return a


def first_beyond(e: float, tol: Tolerance, up: bool) -> float | None:
    """The float nearest e that is more than 4 tolerances from it (exactly), if finite."""
    four = 4 * Fraction(float(tolerance_of(np.float64(e), tol)))
    toward = math.inf if up else -math.inf
    with np.errstate(over="ignore"):
        a = float(e + (4 if up else -4) * tolerance_of(np.float64(e), tol))
    while math.isfinite(a) and abs(Fraction(a) - Fraction(e)) <= four:
        a = math.nextafter(a, toward)
    while True:
        back = math.nextafter(a, -toward)
        if not math.isfinite(back) or abs(Fraction(back) - Fraction(e)) <= four:
            break
        a = back
    return a if math.isfinite(a) else None


def refused(a: np.ndarray, e: np.ndarray, tol: Tolerance) -> list[tuple[float, float]]:
    """Elements of `a` whose own seal refuses them (to say which, when an array fails)."""
    return [(x, y) for x, y in zip(a, e, strict=True) if not match(x, seal_of(y, tol), tol)]


# --- the two guarantees ---------------------------------------------------------------


@pytest.mark.parametrize("tol", TOLERANCES, ids=IDS)
def test_every_value_within_tolerance_matches(tol: Tolerance) -> None:
    e = expected_values(tol, 400, seed=1)
    s = seal_of(e, tol)
    rng = np.random.default_rng(2)
    tau = tolerance_of(e, tol)
    with np.errstate(over="ignore", invalid="ignore"):
        candidates = [e, e + tau, e - tau, extreme_accepted(e, tol, True)]
        candidates += [extreme_accepted(e, tol, False)]
        candidates += [e + rng.uniform(-1, 1, e.size) * tau for _ in range(10)]
    tested = 0
    for a in candidates:
        a = np.where(close(a, e, tol), a, e)  # keep what `close` accepts
        tested += int(np.count_nonzero(a != e))
        assert match(a, s, tol), refused(a, e, tol)[:3]
    # most samples were other floats than e, where the tolerance holds other floats
    roomy = close(np.nextafter(e, np.inf), e, tol) | close(np.nextafter(e, -np.inf), e, tol)
    assert tested > 0.7 * np.count_nonzero(roomy) * len(candidates)


@pytest.mark.parametrize("tol", TOLERANCES, ids=IDS)
def test_no_value_beyond_four_tolerances_matches(tol: Tolerance) -> None:
    e = expected_values(tol, 100, seed=3)
    rng = np.random.default_rng(4)
    tau = tolerance_of(e, tol)
    checked = 0
    for x, t in zip(e, tau, strict=True):
        s = seal_of([x], tol)
        far = [first_beyond(x, tol, up) for up in (True, False)]
        with np.errstate(over="ignore"):  # some are past float64 near its edge
            far += [x + side * 4 * t * (1 + rng.exponential()) for side in (1, -1)]
            far += [-x if x else 1.0, 10 * x + 1, 0.0 if x else 1e-300]
        for a in far:
            if a is None or not math.isfinite(a) or abs(Fraction(a) - Fraction(x)) <= 4 * t:
                continue
            checked += 1
            assert not match([a], s, tol), (x, a)
    assert checked > 5 * len(e)


def test_a_wrong_element_fails_the_whole_array() -> None:
    tol = Tolerance()
    rng = np.random.default_rng(5)
    e = rng.normal(0, 10, (10, 3))
    s = seal_of(e, tol)
    assert s.shape == (10, 3)
    assert match(e + 0.5 * tolerance_of(e, tol), s, tol)
    for i in np.ndindex(e.shape):
        a = e.copy()
        a[i] += 5 * tolerance_of(e[i], tol)
        assert not match(a, s, tol), i


# --- non-finite values, shapes, dtypes --------------------------------------------------


@pytest.mark.parametrize("tol", [Tolerance(), Tolerance(rtol=0, atol=1e-3)], ids=str)
def test_nan_and_infinities_match_only_themselves(tol: Tolerance) -> None:
    e = np.array([np.nan, np.inf, -np.inf, 1.0])
    s = seal_of(e, tol)
    assert match(e.copy(), s, tol)
    for i, wrong in [(0, np.inf), (0, 1.0), (1, np.nan), (1, 1e308), (2, np.inf), (3, np.nan)]:
        a = e.copy()
        a[i] = wrong
        assert not match(a, s, tol), (i, wrong)
    s1 = seal_of([1.0], tol)
    for wrong in (np.nan, np.inf, -np.inf):
        assert not match([wrong], s1, tol)


def test_shape_must_be_the_sealed_one() -> None:
    tol = Tolerance()
    s = seal_of([[1.0], [2.0]], tol)
    assert match([[1.0], [2.0]], s, tol)  # lists read as arrays
    for other in ([1.0, 2.0], [[1.0, 2.0]], [[[1.0], [2.0]]], 1.0, [[1.0], [2.0], [3.0]]):
        assert not match(other, s, tol), other
    scalar = seal_of(3.5, tol)
    assert scalar.shape == ()
    assert match(3.5, scalar, tol)
    assert match(np.float64(3.5), scalar, tol)
    assert not match([3.5], scalar, tol)
    assert match(np.zeros((0, 3)), seal_of(np.zeros((0, 3)), tol), tol)


def test_other_dtypes_match_by_value() -> None:
    e = np.array([0.1, -2.5e-3, 12345.678])
    s = seal_of(e, Tolerance())
    assert close(e.astype(np.float32).astype(float), e, Tolerance()).all()
    assert match(e.astype(np.float32), s, Tolerance())
    counts = Tolerance(rtol=0, atol=0.5)
    whole = seal_of([3.0, -2.0, 7.0], counts)
    for ints in (np.array([3, -2, 7]), np.array([3, -2, 7], dtype=np.int8), [3, -2, 7]):
        assert match(ints, whole, counts)
    assert match(np.array([True, False]), seal_of([1.0, 0.0], counts), counts)
    mixed = np.array([1.5, 2, Fraction(1, 2)], dtype=object)
    assert match(mixed, seal_of([1.5, 2.0, 0.5], counts), counts)


class Hostile:
    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise RuntimeError("student code")


@pytest.mark.parametrize(
    "value",
    [
        "1.5",
        ["1.5", "2"],
        np.array(["1.5", "2"]),
        np.array(["1.5", 2.0], dtype=object),
        np.array([1.5 + 0j, 2.0]),
        None,
        {"a": 1.5},
        [1.5, [2.0]],
        Hostile(),
        np.array([10**400, 2], dtype=object),
        np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
        [1e308 * 10, -1e308],
        [5e-324, -5e-324],
        [1e300, 2.0],
    ],
    ids=repr,
)
def test_any_other_value_is_false_without_raising(value: Any) -> None:
    tol = Tolerance()
    s = seal_of([1.5, 2.0], tol)
    assert match(value, s, tol) is False


def test_a_scalar_too_large_for_float64_is_false() -> None:
    s = seal_of(2.0, Tolerance())
    assert not match(10**400, s, Tolerance())
    assert not match(np.longdouble("1e4000"), s, Tolerance())


# --- what a seal depends on and holds ---------------------------------------------------


def test_seals_are_deterministic_and_bound_to_salt_label_tolerance() -> None:
    tol = Tolerance()
    e = np.array([1.25, -3.0])
    s = seal_of(e, tol)
    assert seal_of(e, tol) == s
    assert not match(e, s, tol, label="syn.q/other")
    assert not matches(e, s, tol, b"another-course", LABEL, cost=CHEAP)
    assert not matches(e, s, tol, SALT, LABEL, cost=Cost(n=4, r=1))
    assert not match(e, s, Tolerance(rtol=1e-5, atol=1e-9))


def json_values(x: Any) -> list[Any]:
    if isinstance(x, dict):
        return [v for item in x.values() for v in json_values(item)]
    if isinstance(x, list):
        return [v for item in x for v in json_values(item)]
    return [x]


def test_stored_data_tells_nothing_of_the_magnitude() -> None:
    """Two arrays 18 orders of magnitude apart at the same tolerance: the same shape, grid
    indices from the same small set spread over it, and no float in the JSON."""
    tol = Tolerance()
    rng = np.random.default_rng(6)
    small = rng.uniform(1, 10, 400) * 1e-9
    large = rng.uniform(1, 10, 400) * 1e9
    grids = []
    for e in (small, large):
        data = json.loads(json.dumps(seal_of(e, tol).to_json()))
        values = json_values(data)
        assert not any(isinstance(v, float) for v in values)
        assert data["shape"] == [400]
        grids.append(np.frombuffer(Seal.from_json(data).grids, dtype=np.uint8))
    assert set(grids[0]) == set(grids[1]) == set(range(K))


def test_json_round_trip() -> None:
    tol = Tolerance()
    e = np.array([[1.0, np.nan], [-np.inf, 2.5e-7]])
    for s in (seal_of(e, tol), seal_exact("adam", SALT, LABEL, cost=CHEAP)):
        again = Seal.from_json(json.loads(json.dumps(s.to_json())))
        assert again == s
    assert match(e, Seal.from_json(seal_of(e, tol).to_json()), tol)


def valid_json() -> dict[str, Any]:
    return dict(seal_of([[1.0, 2.0, 3.0]], Tolerance()).to_json())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": 2}, "version"),
        ({"v": True}, "version"),
        ({"kind": "float"}, "kind"),
        ({"kind": ["numeric"]}, "kind"),
        ({"shape": "1,3"}, "shape"),
        ({"shape": [1, -3]}, "size"),
        ({"shape": [1, True, 3]}, "size"),
        ({"shape": [1, 3.0]}, "size"),
        ({"shape": [10**12]}, "size"),
        ({"shape": [2**20, 2**20]}, "elements"),
        ({"shape": [1] * 33}, "shape"),
        ({"shape": [1, 4]}, "grids for shape"),
        ({"grids": "!!!!"}, "base64"),
        ({"grids": 5}, "base64"),
        ({"grids": "A" * (4 * 2**20)}, "base64 string"),
        ({"grids": "CAAA"}, "grid index"),  # bytes 8, 0, 0
        ({"digest": "XYZ"}, "digest"),
        ({"digest": "A" * 32}, "digest"),
        ({"digest": "0" * 31}, "digest"),
        ({"digest": 5}, "digest"),
        ({"kind": "exact"}, "exact seal"),
        ({"extra": 1}, "keys"),
    ],
    ids=repr,
)
def test_malformed_json_is_refused(change: dict[str, Any], message: str) -> None:
    data = {**valid_json(), **change}
    with pytest.raises(ValueError, match=message):
        Seal.from_json(data)


@pytest.mark.parametrize("data", [None, [], "seal", {"v": 1}], ids=repr)
def test_json_that_is_no_seal_is_refused(data: Any) -> None:
    with pytest.raises(ValueError, match="sealed value"):
        Seal.from_json(data)


# --- exact values -------------------------------------------------------------------------


def test_sealed_texts_match_exactly() -> None:
    s = seal_exact("momentum", SALT, LABEL, cost=CHEAP)
    assert matches_exact("momentum", s, SALT, LABEL, cost=CHEAP)
    for other in ("Momentum", "momentum ", "adam", "", 3, None, ["momentum"], "m" * 10**6):
        assert not matches_exact(other, s, SALT, LABEL, cost=CHEAP), other
    assert not matches_exact("momentum", s, SALT, "syn.q/other", cost=CHEAP)


def test_sealed_integers_match_by_value() -> None:
    s = seal_exact(3, SALT, LABEL, cost=CHEAP)
    for same in (3, np.int64(3), 3.0, np.float32(3.0), np.array(3)):
        assert matches_exact(same, s, SALT, LABEL, cost=CHEAP), same
    for other in (4, -3, 3.5, "3", True, 10**5000, math.inf, math.nan, np.array([3])):
        assert not matches_exact(other, s, SALT, LABEL, cost=CHEAP), other
    assert not matches_exact(True, seal_exact(1, SALT, LABEL, cost=CHEAP), SALT, LABEL, cost=CHEAP)
    assert not matches_exact(3, seal_exact("3", SALT, LABEL, cost=CHEAP), SALT, LABEL, cost=CHEAP)


def test_exact_and_numeric_seals_do_not_mix() -> None:
    numeric, exact = seal_of(3.0, Tolerance()), seal_exact(3, SALT, LABEL, cost=CHEAP)
    assert not matches_exact(3, numeric, SALT, LABEL, cost=CHEAP)
    assert not match(3.0, exact, Tolerance())


@pytest.mark.parametrize("value", [3.5, None, True, [3], "x" * 5000], ids=repr)
def test_seal_exact_refuses_what_it_cannot_seal(value: Any) -> None:
    with pytest.raises(ValueError, match="exactly"):
        seal_exact(value, SALT, LABEL, cost=CHEAP)


# --- refusals on the instructor's side, and the production cost ------------------------------


@pytest.mark.parametrize(
    ("tol", "message"),
    [
        (Tolerance(rtol=0.5, atol=0), "above"),
        (Tolerance(rtol=-1e-6), ">= 0"),
        (Tolerance(atol=math.nan), "finite"),
        (Tolerance(rtol=0, atol=1e308), "out of float range"),
        (Tolerance(rtol=1e-10, atol=1e300), "out of float range"),
    ],
    ids=str,
)
def test_tolerances_that_cannot_be_sealed(tol: Tolerance, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        seal_of([1.0], tol)


@pytest.mark.parametrize(
    ("e", "tol"),
    [
        ([[0.0, 1.0]], Tolerance(rtol=1e-15, atol=1e-300)),  # a few ulps
        ([[0.0, 2e-314]], Tolerance(rtol=1e-10, atol=0)),  # subnormal: ulps of 2.5e-10
    ],
    ids=str,
)
def test_a_tolerance_finer_than_float64_resolves_is_refused(e: Any, tol: Tolerance) -> None:
    with pytest.raises(ValueError, match=r"cannot seal element \(0, 1\)"):
        seal_of(e, tol)


def test_only_real_numbers_are_sealed() -> None:
    with pytest.raises(ValueError, match="real numbers"):
        seal(np.array(["a"]), Tolerance(), SALT, LABEL, cost=CHEAP)


def test_production_cost() -> None:
    """One guess costs one scrypt call at n = 2**11, r = 9 (8-9 ms on the course's
    machine, see benchmarks/bench_sealed.py), within 16 MiB and with p = 1."""
    assert (COST.n, COST.r, COST.p) == (2**11, 9, 1)
    assert COST.memory == 9 * 2**18
    for bad in ({"n": 3, "r": 8}, {"n": 2**12, "r": 8, "p": 2}, {"n": 2**15, "r": 8}):
        with pytest.raises(ValueError, match="scrypt"):
            Cost(**bad)


def test_a_value_sealed_on_another_seals_grids_is_found_with_one_digest() -> None:
    """seal_on: a mistake sealed on the expected value's grids is recognised from the
    answer's one digest; other values are not."""
    from grader.compare.sealed import digest_on, seal_on

    tol = Tolerance()
    expected = np.array([[1.5], [-2.25]])
    mistake = expected * 2
    base = seal(expected, tol, SALT, LABEL, cost=CHEAP)
    other = seal_on(mistake, base, tol, SALT, LABEL, cost=CHEAP)
    assert other.grids == base.grids and other.digest != base.digest
    assert digest_on(mistake, base, tol, SALT, LABEL, cost=CHEAP) == other.digest
    assert digest_on(expected * (1 + 1e-9), base, tol, SALT, LABEL, cost=CHEAP) == base.digest
    assert digest_on(expected * 3, base, tol, SALT, LABEL, cost=CHEAP) not in (
        base.digest,
        other.digest,
    )
    assert digest_on(np.ones(3), base, tol, SALT, LABEL, cost=CHEAP) is None
    with pytest.raises(ValueError, match="shape"):
        seal_on(np.ones(3), base, tol, SALT, LABEL, cost=CHEAP)
