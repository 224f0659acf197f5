"""Sealed values (grader.compare.sealed): every value within 0.3 of the tolerance matches
its seal, no value `close` refuses ever does (so a local "correct" is never contradicted
by the grader), and `near` tells a close miss from a wrong one, across magnitudes, signs,
regimes and tolerances; arrays, non-finite values, shapes, dtypes, exact values; the JSON
form holds nothing the value follows from and a malformed one is refused with a clear
message.

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
from grader.compare.sealed import (
    COST,
    INNER,
    Cost,
    K,
    Seal,
    matches,
    matches_exact,
    near,
    seal,
    seal_exact,
)
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
    top = 300 if tol.rtol else math.log10(tol.atol) + 9  # a billion absolute tolerances at most
    e = 10.0 ** rng.uniform(-12, min(top, 12), n) * rng.choice([-1.0, 1.0], n)
    e[rng.random(n) < 0.03] = 0.0
    if tol.atol and tol.rtol:
        c = tol.atol / tol.rtol
        e[: n // 5] = c * 10.0 ** rng.uniform(-1.5, 1.5, n // 5) * rng.choice([-1, 1], n // 5)
    if tol.rtol < 1e-8:  # float64 places a fine tolerance up to some magnitude only
        top = 12
    edges = [x for x in EDGES if abs(x) < 10.0**top]
    return np.concatenate([e, edges])


def tolerance_of(e: np.ndarray, tol: Tolerance) -> np.ndarray:
    return tol.atol + tol.rtol * np.abs(e)  # as `close` computes it


def extreme_accepted(e: np.ndarray, tol: Tolerance, up: bool, share: float = 1.0) -> np.ndarray:
    """The float farthest from e (above if `up`, else below) within `share` of the
    tolerance as `close` computes it (`share` 1: what `close` accepts)."""
    toward = np.inf if up else -np.inf
    bound = share * tolerance_of(e, tol)
    with np.errstate(over="ignore"):
        a = e + (1 if up else -1) * bound
    a = np.where(np.isfinite(a), a, np.sign(a) * np.finfo(float).max)

    def inside(x: np.ndarray) -> np.ndarray:
        return close(x, e, Tolerance(0.0, 0.0)) | (np.abs(x - e) <= bound)

    for _ in range(4):
        a = np.where(inside(a), a, np.nextafter(a, -toward))
    for _ in range(4):
        nxt = np.nextafter(a, toward)
        a = np.where(inside(nxt) & np.isfinite(nxt), nxt, a)
    assert inside(a).all()
    return a


def first_beyond(e: float, tol: Tolerance, up: bool) -> float | None:
    """The float nearest e that `close` refuses, if finite."""
    toward = math.inf if up else -math.inf
    a = float(extreme_accepted(np.array([e]), tol, up)[0])
    while math.isfinite(a) and close(np.array([a]), np.array([e]), tol).all():
        a = math.nextafter(a, toward)
    return a if math.isfinite(a) else None


def refused(a: np.ndarray, e: np.ndarray, tol: Tolerance) -> list[tuple[float, float]]:
    """Elements of `a` whose own seal refuses them (to say which, when an array fails)."""
    return [(x, y) for x, y in zip(a, e, strict=True) if not match(x, seal_of(y, tol), tol)]


# --- the two guarantees ---------------------------------------------------------------


@pytest.mark.parametrize("tol", TOLERANCES, ids=IDS)
def test_every_value_within_the_inner_share_of_the_tolerance_matches(tol: Tolerance) -> None:
    e = expected_values(tol, 400, seed=1)
    s = seal_of(e, tol)
    rng = np.random.default_rng(2)
    tau = INNER * tolerance_of(e, tol)
    with np.errstate(over="ignore", invalid="ignore"):
        candidates = [e, extreme_accepted(e, tol, True, INNER)]
        candidates += [extreme_accepted(e, tol, False, INNER)]
        candidates += [e + rng.uniform(-1, 1, e.size) * tau for _ in range(10)]
    tested = 0
    for a in candidates:
        a = np.where(np.abs(a - e) <= tau, a, e)  # keep what lies within the inner share
        tested += int(np.count_nonzero(a != e))
        assert match(a, s, tol), refused(a, e, tol)[:3]
    # most samples were other floats than e, where the tolerance holds other floats
    roomy = np.abs(np.nextafter(e, np.inf) - e) <= tau
    assert tested > 0.6 * np.count_nonzero(roomy) * len(candidates)


@pytest.mark.parametrize("tol", TOLERANCES, ids=IDS)
def test_no_value_the_grader_refuses_matches(tol: Tolerance) -> None:
    e = expected_values(tol, 100, seed=3)
    rng = np.random.default_rng(4)
    tau = tolerance_of(e, tol)
    checked = 0
    for x, t in zip(e, tau, strict=True):
        s = seal_of([x], tol)
        far = [first_beyond(x, tol, up) for up in (True, False)]
        with np.errstate(over="ignore"):  # some are past float64 near its edge
            far += [x + side * t * f for side in (1, -1) for f in (1.01, 1.5, 2, 3, 5, 8)]
            far += [x + side * t * (1 + rng.exponential()) for side in (1, -1)]
            far += [-x if x else 1.0, 10 * x + 1, 0.0 if x else 1e-300]
        for a in far:
            if a is None or not math.isfinite(a) or close(np.array([a]), np.array([x]), tol):
                continue
            checked += 1
            assert not match([a], s, tol), (x, a)
    assert checked > 10 * len(e)


@pytest.mark.parametrize("tol", TOLERANCES[:9], ids=IDS[:9])
def test_whatever_matches_the_grader_accepts(tol: Tolerance) -> None:
    """Values spread over two tolerances around the sealed one: each that matches is one
    `close` accepts; and most within the tolerance do match."""
    e = expected_values(tol, 40, seed=7)
    e = e[np.isfinite(e) & (np.abs(e) < 1e200)]
    rng = np.random.default_rng(8)
    s = seal_of(e, tol)
    tau = tolerance_of(e, tol)
    accepted = 0
    for _ in range(60):
        i = rng.integers(e.size)
        a = e.copy()
        a[i] = e[i] + rng.uniform(-2, 2) * tau[i]
        if match(a, s, tol):
            assert close(a, e, tol).all(), (e[i], a[i])
            accepted += 1
    assert accepted > 10


@pytest.mark.parametrize("tol", TOLERANCES[:9], ids=IDS[:9])
def test_near_tells_a_close_miss_from_a_wrong_value(tol: Tolerance) -> None:
    """A value within the tolerance that misses the cells is close (True); a value more
    than two tolerances off is not (False): what `near` says is what the grader does."""
    e = expected_values(tol, 30, seed=10)
    e = e[np.isfinite(e) & (np.abs(e) > 0) & (np.abs(e) < 1e200)][:20]
    said = {True: 0, False: 0}
    for x, t in zip(e, tolerance_of(e, tol), strict=True):
        pair = np.array([x, -2 * x])
        s = seal_of(pair, tol)
        for f in (0.5, 0.8, 0.95, -0.9, 2.5, -3.0, 8.0):
            a = pair.copy()
            a[0] = x + f * t
            if match(a, s, tol):
                continue
            found, tries = near(a, s, tol, SALT, LABEL, 16, cost=CHEAP)
            assert found is not None and tries <= 16
            assert found == bool(close(a, pair, tol).all()), (x, f)
            said[found] += 1
    assert said[True] > 10 and said[False] > 10


def test_near_gives_up_past_its_budget() -> None:
    tol = Tolerance()
    e = np.linspace(1.0, 2.0, 30)
    s = seal_of(e, tol)
    found, tries = near(e + 0.9 * tolerance_of(e, tol), s, tol, SALT, LABEL, 16, cost=CHEAP)
    assert (found, tries) == (None, 0)


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
        ({"v": 1}, "format 1, not 2: release the assignment again"),
        ({"v": True}, "format"),
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
    ],
    ids=str,
)
def test_a_tolerance_finer_than_float64_resolves_is_refused(e: Any, tol: Tolerance) -> None:
    with pytest.raises(ValueError, match=r"cannot seal element 1 "):
        seal_of(e, tol)


def test_a_tolerance_below_an_ulp_seals_the_value_alone() -> None:
    """2e-314 is subnormal: its ulp is 2.5e-10 of it, more than the tolerance, so the
    grader accepts it alone, and it alone matches."""
    tol = Tolerance(rtol=1e-10, atol=0)
    s = seal_of([0.0, 2e-314], tol)
    assert match([0.0, 2e-314], s, tol)
    assert not match([0.0, math.nextafter(2e-314, 1)], s, tol)
    assert not match([0.0, math.nextafter(2e-314, 0)], s, tol)


def test_only_real_numbers_are_sealed() -> None:
    with pytest.raises(ValueError, match="real numbers"):
        seal(np.array(["a"]), Tolerance(), SALT, LABEL, cost=CHEAP)


def test_production_cost() -> None:
    """One guess costs one scrypt call at n = 2**11, r = 12 (about 8 ms on the course's
    machine, see benchmarks/bench_sealed.py), within 16 MiB and with p = 1."""
    assert (COST.n, COST.r, COST.p) == (2**11, 12, 1)
    assert COST.memory == 3 * 2**20
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
