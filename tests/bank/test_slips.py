"""The misconception catalogue: every mistake of the bank is one of its slips, each slip is
said once (one hint, one description) and used somewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from string import Formatter

import pytest

from grader.compare.state import DETECTED
from grader.question import Mistake
from optigrade import bank
from optigrade.bank import mistakes as m
from optigrade.bank.slips import SLIPS


def _mistakes() -> Iterator[tuple[str, str, Mistake]]:
    for question in bank.all_questions():
        for part in question.parts:
            for mistake in part.mistakes:
                yield question.id, part.name, mistake


def _filled(hint: str) -> re.Pattern[str]:
    """What the hint reads with any values in its parameters."""
    pieces = [
        re.escape(literal) + ("" if name is None else ".+?")
        for literal, name, _, _ in Formatter().parse(hint)
    ]
    return re.compile("".join(pieces))


def test_every_mistake_of_the_bank_names_a_slip_and_says_its_hint() -> None:
    found = list(_mistakes())
    assert len(found) > 300
    for qid, part, mistake in found:
        assert mistake.key in SLIPS, (qid, part, mistake.key)
        assert _filled(SLIPS[mistake.key].hint).fullmatch(mistake.hint), (qid, part, mistake.key)


def test_no_two_slips_share_a_hint_or_a_description() -> None:
    hints = [s.hint for s in SLIPS.values()]
    descriptions = [s.description for s in SLIPS.values()]
    assert len(set(hints)) == len(hints)
    assert len(set(descriptions)) == len(descriptions)


def test_every_slip_is_diagnosed_by_some_question() -> None:
    """Or by the grader itself, in any question: the slips of shared state."""
    used = {mistake.key for _, _, mistake in _mistakes()}
    assert set(SLIPS) - used == set(DETECTED)
    assert {key: (SLIPS[key].hint, SLIPS[key].description) for key in DETECTED} == {
        key: (slip.hint, slip.description) for key, slip in DETECTED.items()
    }


@pytest.mark.parametrize("key", list(SLIPS))
def test_a_slip_is_keyed_by_its_own_key_and_described_in_one_line(key: str) -> None:
    slip = SLIPS[key]
    assert slip.key == key
    assert "\n" not in slip.description and len(slip.description) <= 100
    assert slip.description.endswith(".") and slip.description[0].isupper()
    assert "\n" not in slip.hint


def test_the_synonyms_of_one_misconception_are_one_slip() -> None:
    """The slip a whole class makes is counted across questions: the factor 2 of a squared
    error is dropped under one key on gradients, steps and symbolic derivatives alike."""
    where = {(qid, mistake.key) for qid, _, mistake in _mistakes()}
    factor_2 = {qid for qid, key in where if key == "factor-2"}
    assert {"opt.lecture.sgd", "opt.1", "om.grad", "om.gd", "bp.1", "bp.sym.deltas"} <= factor_2
    hints = {mistake.hint for _, _, mistake in _mistakes() if mistake.key == "factor-2"}
    assert hints == {SLIPS["factor-2"].hint}


def test_a_hint_with_parameters_is_filled_by_its_question() -> None:
    said = [slip.hint for _, _, slip in _mistakes() if slip.key == "threshold-inclusive"]
    assert said == [SLIPS["threshold-inclusive"].said(threshold=t) for t in ("0.5", "0.3")]
    assert "p > 0.3" in said[1] and "{" not in said[1]


def test_a_slip_refuses_missing_or_unknown_parameters() -> None:
    with pytest.raises(ValueError, match=r"'threshold-inclusive' takes hint parameters"):
        SLIPS["threshold-inclusive"].said()
    with pytest.raises(ValueError, match=r"got \['t'\]"):
        SLIPS["factor-2"].said(t=1)


def test_a_mistake_of_an_uncatalogued_slip_is_refused() -> None:
    with pytest.raises(KeyError, match="'factor-2-dropped' is not a slip"):
        m.slip("factor-2-dropped", lambda inputs, prior: 0.0)
