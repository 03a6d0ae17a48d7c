from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taperline.domain.errors import InvalidInput
from taperline.domain.safety.plan_review import review_schedule
from taperline.domain.taper import DoseTime, Method, Pause, TaperParams, build_schedule
from taperline.domain.units import Amount
from taperline.knowledge import load

START = dt.date(2026, 3, 16)
THREE = (DoseTime(dt.time(8)), DoseTime(dt.time(14)), DoseTime(dt.time(20)))


def params(**overrides: object) -> TaperParams:
    base = TaperParams(
        start=START,
        current=Amount.parse("12", "g"),
        target=Amount.parse("0", "g"),
        method=Method.FIXED,
        step=Decimal(1),
        step_days=14,
        smallest_step=Amount.parse("0.25", "g"),
        doses=THREE,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def amounts(schedule: object) -> list[str]:
    return [str(step.daily) for step in schedule.steps]  # type: ignore[attr-defined]


def test_fixed_steps_reach_zero_on_dated_steps() -> None:
    schedule = build_schedule(params())
    assert amounts(schedule) == [f"{n} g" for n in range(11, -1, -1)]
    assert schedule.reaches_target
    assert [(s.start, s.end) for s in schedule.steps[:2]] == [
        (START, dt.date(2026, 3, 29)),
        (dt.date(2026, 3, 30), dt.date(2026, 4, 12)),
    ]
    assert schedule.daily_on(START - dt.timedelta(days=1)) == Amount.parse("12", "g")
    assert str(schedule.daily_on(dt.date(2026, 4, 1))) == "10 g"
    assert str(schedule.daily_on(dt.date(2027, 1, 1))) == "0 g"


def test_percentage_steps_round_down_to_quarter_grams_and_plateau_honestly() -> None:
    schedule = build_schedule(params(method=Method.PERCENT, step=Decimal(10)))
    assert amounts(schedule)[:5] == ["11 g", "10 g", "9 g", "8.25 g", "7.5 g"]
    assert amounts(schedule)[-1] == "2.25 g"
    assert not schedule.reaches_target
    assert "smaller than the smallest measurable step (0.25 g)" in schedule.notes[0]


def test_capsules_taper_in_whole_capsules_split_across_doses() -> None:
    schedule = build_schedule(
        params(
            current=Amount.parse("12", "capsules"),
            target=Amount.parse("0", "capsules"),
            smallest_step=Amount.parse("1", "capsule"),
            step_days=7,
            doses=(DoseTime(dt.time(8)), DoseTime(dt.time(20))),
        )
    )
    first = schedule.steps[0]
    assert str(first.daily) == "11 capsules"
    assert [str(a) for _, a in first.doses] == ["6 capsules", "5 capsules"]
    percent = build_schedule(replace(schedule.params, method=Method.PERCENT, step=Decimal(10)))
    # 10% of 12 and of 11 round down to 1 capsule, 10% of 10 is exactly 1; 10% of 9 rounds to 0.
    assert amounts(percent) == ["11 capsules", "10 capsules", "9 capsules"]
    assert not percent.reaches_target


def test_a_maintenance_target_is_never_undershot() -> None:
    schedule = build_schedule(
        params(current=Amount.parse("10", "g"), target=Amount.parse("4", "g"), step=Decimal("2.5"))
    )
    assert amounts(schedule) == ["7.5 g", "5 g", "4 g"]
    assert str(schedule.steps[-1].cut) == "1 g"  # smaller than asked, never larger
    assert str(schedule.daily_on(dt.date(2030, 1, 1))) == "4 g"


def test_weighted_doses_split_by_their_shares() -> None:
    schedule = build_schedule(params(doses=(DoseTime(dt.time(8), 1), DoseTime(dt.time(20), 2))))
    assert [str(a) for _, a in schedule.steps[0].doses] == ["3.75 g", "7.25 g"]


def test_a_pause_inside_a_step_holds_it_and_moves_later_steps_back() -> None:
    schedule = build_schedule(params(pauses=(Pause(dt.date(2026, 3, 20), 7),)))
    first, second = schedule.steps[:2]
    assert (first.end, first.held_days) == (dt.date(2026, 4, 5), 7)
    assert second.start == dt.date(2026, 4, 6)
    assert schedule.steps[-1].start == build_schedule(params()).steps[-1].start + dt.timedelta(
        days=7
    )


def test_a_pause_on_a_step_boundary_holds_the_earlier_amount() -> None:
    schedule = build_schedule(params(pauses=(Pause(dt.date(2026, 3, 30), 14),)))
    assert (str(schedule.steps[0].daily), schedule.steps[0].end) == ("11 g", dt.date(2026, 4, 12))
    assert (str(schedule.steps[1].daily), schedule.steps[1].start) == ("10 g", dt.date(2026, 4, 13))


def test_a_pause_before_the_taper_delays_it() -> None:
    schedule = build_schedule(params(pauses=(Pause(dt.date(2026, 3, 1), 10),)))
    assert schedule.steps[0].start == START + dt.timedelta(days=10)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"target": Amount.parse("12", "g")}, "target"),
        ({"target": Amount.parse("14", "g")}, "target"),
        ({"current": Amount.parse("12.1", "g")}, "current"),
        ({"target": Amount.parse("2", "capsules")}, "target"),
        ({"smallest_step": Amount.parse("1", "capsule")}, "smallest_step"),
        ({"method": Method.PERCENT, "step": Decimal(120)}, "step"),
        ({"step": Decimal("0.1")}, "step"),
        ({"step_days": 0}, "step_days"),
        ({"doses": (DoseTime(dt.time(8)), DoseTime(dt.time(8)))}, "doses"),
        ({"doses": ()}, "doses"),
    ],
)
def test_bad_parameters_name_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        build_schedule(params(**overrides))
    assert error.value.field == field


def test_milligrams_and_grams_mix_exactly() -> None:
    schedule = build_schedule(
        params(
            current=Amount.parse("3000", "mg"),
            smallest_step=Amount.parse("0.25", "g"),
            step=Decimal(500),
        )
    )
    assert amounts(schedule)[:2] == ["2500 mg", "2000 mg"]


def test_the_review_flags_fast_steps_and_an_abrupt_stop_but_not_the_last_smallest_step() -> None:
    knowledge = load()
    fast = review_schedule(
        build_schedule(params(current=Amount.parse("2", "g"), step=Decimal(1), step_days=7)),
        knowledge,
    )
    assert [sorted(f.rule_id for f in r.findings) for r in fast] == [
        ["taper.too_fast"],
        ["taper.abrupt_stop"],
    ]
    gentle = review_schedule(
        build_schedule(
            params(
                current=Amount.parse("1", "g"),
                step=Decimal("0.25"),
                step_days=60,
                long_term_use=False,
            )
        ),
        knowledge,
    )
    assert [r.step.daily.value for r in gentle] == [
        Decimal("0.75"),
        Decimal("0.5"),
        Decimal("0.25"),
        Decimal(0),
    ]
    assert gentle[-1].findings == ()  # 0.25 g → 0: the final measurable step is not abrupt
    short = review_schedule(
        build_schedule(params(long_term_use=False, step=Decimal(1), step_days=7)), knowledge
    )
    assert short[0].findings == ()  # 1 g a week is under 10% of the starting 12 g a week
    assert any(f.rule_id == "taper.too_fast" for r in short for f in r.findings)  # later, below 30%


@settings(max_examples=200, deadline=None)
@given(
    current_units=st.integers(2, 200),
    target_units=st.integers(0, 100),
    method=st.sampled_from(list(Method)),
    step=st.integers(1, 60),
    quantum=st.sampled_from(["0.25", "0.5", "1"]),
    shares=st.lists(st.integers(1, 4), min_size=1, max_size=4),
)
def test_rounding_never_makes_a_step_larger_than_asked(
    current_units: int,
    target_units: int,
    method: Method,
    step: int,
    quantum: str,
    shares: list[int],
) -> None:
    q = Decimal(quantum)
    if target_units >= current_units:
        return
    p = params(
        current=Amount(q * current_units, Amount.parse("1", "g").unit),
        target=Amount(q * target_units, Amount.parse("1", "g").unit),
        method=method,
        step=Decimal(step) if method is Method.PERCENT else q * step,
        smallest_step=Amount(q, Amount.parse("1", "g").unit),
        doses=tuple(DoseTime(dt.time(6 + 3 * i), share) for i, share in enumerate(shares)),
    )
    schedule = build_schedule(p)
    previous = p.current.value
    for s in schedule.steps:
        asked = previous * p.step / 100 if method is Method.PERCENT else p.step
        assert 0 < s.cut.value <= asked
        assert s.cut.value % q == 0 and s.daily.value >= p.target.value
        assert sum(a.value for _, a in s.doses) == s.daily.value
        assert all(a.value % q == 0 for _, a in s.doses)
        previous = s.daily.value
