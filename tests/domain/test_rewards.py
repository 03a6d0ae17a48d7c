"""The reward schedule: escalating values with a cap and a bonus, reset on a miss (and, for
check-ins, on a day without one); only verifiable behaviours; every bad rule named."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.rewards import (
    Behaviour,
    LastEvent,
    Rule,
    Unit,
    check_order,
    check_rules,
    describe,
    next_streak,
    parse_behaviour,
)

DAY = dt.date(2026, 3, 14)
# An escalating voucher schedule in cents (numbers chosen for the test, not from a paper).
ESCALATING = Rule(Behaviour.NEGATIVE_UDS, first=250, step=125, bonus_every=3, bonus=1000)


def test_values_escalate_with_a_bonus_every_third() -> None:
    values = [ESCALATING.value(n) for n in range(1, 7)]
    assert values == [250, 375, 500 + 1000, 625, 750, 875 + 1000]


def test_a_cap_holds_the_value() -> None:
    rule = Rule(Behaviour.COUNSELING, first=1, step=1, cap=3)
    assert [rule.value(n) for n in range(1, 6)] == [1, 2, 3, 3, 3]


def test_a_miss_resets_and_a_gap_resets_check_ins() -> None:
    met = LastEvent(day=DAY, met=True, streak=4)
    missed = LastEvent(day=DAY, met=False, streak=0)
    next_day = DAY + dt.timedelta(days=1)
    assert next_streak(Behaviour.NEGATIVE_UDS, met, DAY + dt.timedelta(days=3)) == 5
    assert next_streak(Behaviour.NEGATIVE_UDS, missed, next_day) == 1
    assert next_streak(Behaviour.CHECKIN_ON_TIME, met, next_day) == 5
    assert next_streak(Behaviour.CHECKIN_ON_TIME, met, DAY + dt.timedelta(days=2)) == 1
    assert next_streak(Behaviour.COUNSELING, None, DAY) == 1


@given(
    first=st.integers(1, 1000),
    step=st.integers(0, 500),
    streak=st.integers(1, 200),
)
def test_values_never_fall_while_the_streak_grows(first: int, step: int, streak: int) -> None:
    rule = Rule(Behaviour.COUNSELING, first=first, step=step)
    assert first <= rule.value(streak) <= rule.value(streak + 1)


@pytest.mark.parametrize("name", ["dose_taken", "dose_reduction", "taper_step", "kratom", ""])
def test_doses_and_reductions_are_never_rewardable(name: str) -> None:
    with pytest.raises(InvalidInput, match="never rewards a dose") as error:
        parse_behaviour(name)
    assert error.value.field == "behaviour"


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (Rule(Behaviour.COUNSELING, first=0), "rules[0].first"),
        (Rule(Behaviour.COUNSELING, first=5, cap=2), "rules[0].cap"),
        (Rule(Behaviour.COUNSELING, first=5, bonus=3), "rules[0].bonus_every"),
        (Rule(Behaviour.COUNSELING, first=5, step=-1), "rules[0].step"),
        (Rule(Behaviour.COUNSELING, first=5, step=10**9), "rules[0].step"),
    ],
)
def test_bad_rules_name_the_field(rule: Rule, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        check_rules([rule])
    assert error.value.field == field


def test_a_behaviour_listed_twice_or_no_rules_is_refused() -> None:
    rule = Rule(Behaviour.COUNSELING, first=5)
    with pytest.raises(InvalidInput, match="listed twice"):
        check_rules([rule, rule])
    with pytest.raises(InvalidInput, match="at least one"):
        check_rules([])


def test_events_go_in_date_order_once_a_day() -> None:
    last = LastEvent(day=DAY, met=True, streak=1)
    with pytest.raises(InvalidInput, match="before the last"):
        check_order(Behaviour.NEGATIVE_UDS, last, DAY - dt.timedelta(days=1))
    with pytest.raises(InvalidInput, match="already recorded"):
        check_order(Behaviour.NEGATIVE_UDS, last, DAY)
    check_order(Behaviour.NEGATIVE_UDS, last, DAY + dt.timedelta(days=1))


def test_amounts_in_words() -> None:
    assert describe(Unit.VOUCHER_CENTS, 1250) == "$12.50"
    assert describe(Unit.VOUCHER_CENTS, -5) == "-$0.05"
    assert describe(Unit.DRAWS, 1) == "1 draw" and describe(Unit.POINTS, 3) == "3 points"
