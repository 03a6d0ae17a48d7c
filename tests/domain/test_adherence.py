"""Adherence reports, against plans and logs whose right answers are worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from taperline.domain.adherence import (
    DayLog,
    KratomStatus,
    MelatoninStatus,
    activities,
    kratom,
    magnesium_spacing,
    melatonin,
)
from taperline.domain.doses import DoseEntry, make_dose
from taperline.domain.errors import InvalidInput
from taperline.domain.plans import Activities, PlanContent
from taperline.domain.regimen import RegimenItem, make_regimen_item
from taperline.domain.safety.knowledge import Knowledge
from taperline.domain.taper import DoseTime, Method, TaperParams
from taperline.domain.units import Amount
from taperline.knowledge import load

MONDAY = dt.date(2026, 3, 2)  # the taper starts here


def day(offset: int) -> dt.date:
    return MONDAY + dt.timedelta(days=offset)


def at(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


def dose(
    category: str,
    amount: str,
    unit: str,
    on: dt.date,
    time: dt.time | None = None,
    *,
    form: str | None = None,
    product: str = "",
) -> DoseEntry:
    return make_dose(
        category=category,
        form=form,
        product=product,
        amount=Amount.parse(amount, unit),
        taken_on=on,
        taken_time=time,
    )


def powder(grams: str, on: dt.date, unit: str = "g") -> DoseEntry:
    return dose("kratom", grams, unit, on, form="leaf_powder")


def capsules(count: str, on: dt.date) -> DoseEntry:
    return dose("kratom", count, "capsules", on, form="capsules")


def checked_in(on: dt.date, *doses: DoseEntry, **extra: object) -> DayLog:
    return DayLog(date=on, checked_in=True, doses=doses, **extra)  # type: ignore[arg-type]


def logs(*days: DayLog) -> dict[dt.date, DayLog]:
    return {log.date: log for log in days}


def item(
    category: str,
    amount: str,
    unit: str,
    *times: dt.time,
    form: str | None = None,
    product: str = "",
) -> RegimenItem:
    return make_regimen_item(
        category=category,
        form=form,
        product=product,
        amount_per_dose=Amount.parse(amount, unit),
        times=list(times),
    )


# 6 g a day now; from Monday 2 March 2026 down 0.5 g a week: 5.5 g that week, 5 g the next.
POWDER_TAPER = PlanContent(
    kratom_form="leaf_powder",
    taper=TaperParams(
        start=MONDAY,
        current=Amount.parse("6", "g"),
        target=Amount.parse("0", "g"),
        method=Method.FIXED,
        step=Decimal("0.5"),
        step_days=7,
        smallest_step=Amount.parse("0.25", "g"),
        doses=(DoseTime(at(8)), DoseTime(at(20))),
    ),
)

# 8 capsules a day now; one capsule less each week: 7 capsules in the first week.
CAPSULE_TAPER = PlanContent(
    kratom_form="capsules",
    taper=TaperParams(
        start=MONDAY,
        current=Amount.parse("8", "capsules"),
        target=Amount.parse("0", "capsules"),
        method=Method.FIXED,
        step=Decimal(1),
        step_days=7,
        smallest_step=Amount.parse("1", "capsule"),
        doses=(DoseTime(at(8)),),
    ),
)


# --- Kratom ---------------------------------------------------------------------------------


def test_the_taper_target_is_the_days_scheduled_amount_and_milligrams_count_as_grams() -> None:
    report = kratom(
        POWDER_TAPER,
        logs(
            checked_in(day(-1), powder("6", day(-1))),
            checked_in(day(1), powder("3", day(1)), powder("2500", day(1), "mg")),
            checked_in(day(7), powder("5", day(7))),
        ),
        day(-1),
        day(7),
    )
    before, tuesday, next_monday = report.days[0], report.days[2], report.days[8]
    assert (str(before.target), str(before.logged), before.status) == ("6 g", "6 g", "on_target")
    assert (str(tuesday.target), str(tuesday.logged)) == ("5.5 g", "5.5 g")
    assert tuesday.status is KratomStatus.ON_TARGET
    assert tuesday.difference is not None and tuesday.difference.value == 0
    assert (str(next_monday.target), next_monday.status) == ("5 g", "on_target")
    assert report.smallest_step == Amount.parse("0.25", "g")


@pytest.mark.parametrize(
    ("grams", "status", "difference"),
    [
        ("5.75", "above", "+0.25 g"),
        ("5.51", "above", "+0.01 g"),
        ("5.5", "on_target", "±0 g"),  # exactly at target
        ("5.26", "on_target", "-0.24 g"),
        ("5.25", "below", "-0.25 g"),  # exactly target - smallest step
        ("3", "below", "-2.5 g"),
    ],
)
def test_on_target_is_a_band_one_smallest_step_wide_below_the_target(
    grams: str, status: str, difference: str
) -> None:
    [row] = kratom(
        POWDER_TAPER, logs(checked_in(day(2), powder(grams, day(2)))), day(2), day(2)
    ).days
    assert row.status == status
    assert str(row.difference) == difference


def test_a_day_without_a_check_in_is_unknown_never_zero() -> None:
    report = kratom(
        POWDER_TAPER,
        logs(
            DayLog(date=day(1), checked_in=False),
            # a dose logged for a day without a check-in does not make the day's total known
            DayLog(date=day(2), checked_in=False, doses=(powder("2", day(2)),)),
        ),
        day(0),
        day(2),
    )
    for row in report.days:
        assert row.status is KratomStatus.UNKNOWN
        assert row.logged is None
        assert row.difference is None
        assert str(row.target) == "5.5 g"
    assert "not known" in report.days[2].note
    assert report.counts[KratomStatus.UNKNOWN] == 3
    assert report.counts[KratomStatus.BELOW] == 0


def test_a_check_in_without_kratom_is_zero_kratom() -> None:
    [row] = kratom(POWDER_TAPER, logs(checked_in(day(3))), day(3), day(3)).days
    assert str(row.logged) == "0 g"
    assert str(row.difference) == "-5.5 g"
    assert row.status is KratomStatus.BELOW


def test_streaks_are_broken_by_an_unknown_day() -> None:
    on = [checked_in(day(n), powder("5.5", day(n))) for n in (0, 1, 3, 4, 5)]
    report = kratom(POWDER_TAPER, logs(*on), day(0), day(5))
    assert [r.status.value for r in report.days] == [
        "on_target",
        "on_target",
        "unknown",  # day 2: no check-in
        "on_target",
        "on_target",
        "on_target",
    ]
    assert (report.current_streak, report.longest_streak) == (3, 3)
    ending_unknown = kratom(POWDER_TAPER, logs(*on), day(0), day(6))
    assert (ending_unknown.current_streak, ending_unknown.longest_streak) == (0, 3)
    assert ending_unknown.counts == {
        KratomStatus.ON_TARGET: 5,
        KratomStatus.ABOVE: 0,
        KratomStatus.BELOW: 0,
        KratomStatus.UNKNOWN: 2,
        KratomStatus.NO_TARGET: 0,
        KratomStatus.NOT_COMPARABLE: 0,
    }


def test_an_above_or_below_day_breaks_a_streak_too() -> None:
    report = kratom(
        POWDER_TAPER,
        logs(
            checked_in(day(0), powder("5.5", day(0))),
            checked_in(day(1), powder("6", day(1))),
            checked_in(day(2), powder("5.5", day(2))),
        ),
        day(0),
        day(2),
    )
    assert (report.current_streak, report.longest_streak) == (1, 1)
    assert report.counts[KratomStatus.ABOVE] == 1


def test_a_capsule_taper_compares_capsules_with_capsules() -> None:
    report = kratom(
        CAPSULE_TAPER,
        logs(
            checked_in(day(0), capsules("4", day(0)), capsules("3", day(0))),
            checked_in(day(1), capsules("8", day(1))),
            checked_in(day(2), capsules("6", day(2))),  # 6 = 7 - one smallest step
        ),
        day(0),
        day(2),
    )
    assert [(str(r.logged), r.status.value) for r in report.days] == [
        ("7 capsules", "on_target"),
        ("8 capsules", "above"),
        ("6 capsules", "below"),
    ]
    assert str(report.days[1].difference) == "+1 capsule"


def test_capsules_against_a_gram_target_are_not_comparable() -> None:
    [row] = kratom(
        POWDER_TAPER,
        logs(checked_in(day(1), powder("3", day(1)), capsules("4", day(1)))),
        day(1),
        day(1),
    ).days
    assert row.status is KratomStatus.NOT_COMPARABLE
    assert row.logged is None and row.difference is None
    assert "4 capsules" in row.note


def test_grams_against_a_capsule_target_are_not_comparable() -> None:
    [row] = kratom(
        CAPSULE_TAPER, logs(checked_in(day(1), powder("5", day(1)))), day(1), day(1)
    ).days
    assert row.status is KratomStatus.NOT_COMPARABLE


def test_extract_grams_are_not_comparable_with_a_leaf_powder_target() -> None:
    extract = dose("kratom", "1", "g", day(1), form="extract")
    [row] = kratom(POWDER_TAPER, logs(checked_in(day(1), extract)), day(1), day(1)).days
    assert row.status is KratomStatus.NOT_COMPARABLE
    assert "extract" in row.note


def test_without_a_taper_the_target_is_the_plans_kratom_and_must_be_met_exactly() -> None:
    plan = PlanContent(items=(item("kratom", "2", "g", at(8), at(14), at(20), form="leaf_powder"),))
    report = kratom(
        plan,
        logs(
            checked_in(day(0), powder("6000", day(0), "mg")),
            checked_in(day(1), powder("5.75", day(1))),
            checked_in(day(2), powder("6.25", day(2))),
        ),
        day(0),
        day(2),
    )
    assert report.smallest_step is None
    assert [(str(r.target), r.status.value) for r in report.days] == [
        ("6 g", "on_target"),
        ("6 g", "below"),
        ("6 g", "above"),
    ]


def test_a_plan_without_kratom_has_no_target_but_still_shows_what_was_logged() -> None:
    report = kratom(
        PlanContent(),
        logs(checked_in(day(0), powder("2", day(0)), powder("500", day(0), "mg"))),
        day(0),
        day(1),
    )
    first, second = report.days
    assert (first.target, str(first.logged), first.status) == (None, "2.5 g", "no_target")
    assert (second.logged, second.status) == (None, "unknown")
    assert (report.current_streak, report.longest_streak) == (0, 0)


def test_a_plan_whose_kratom_items_do_not_add_up_is_not_comparable() -> None:
    plan = PlanContent(
        items=(
            item("kratom", "2", "g", at(8), form="leaf_powder"),
            item("kratom", "2", "capsules", at(20), form="capsules"),
        )
    )
    [row] = kratom(plan, logs(checked_in(day(0))), day(0), day(0)).days
    assert (row.target, row.status) == (None, "not_comparable")


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        kratom(POWDER_TAPER, {}, day(3), day(2))
    assert error.value.field == "end"


# --- Melatonin ------------------------------------------------------------------------------

MELATONIN_PLAN = PlanContent(items=(item("melatonin", "1", "mg", at(22)),))


def melatonin_dose(on: dt.date, time: dt.time | None) -> DoseEntry:
    return dose("melatonin", "1", "mg", on, time)


def test_melatonin_as_planned_off_time_not_taken_and_unknown() -> None:
    rows = melatonin(
        MELATONIN_PLAN,
        logs(
            checked_in(day(0), melatonin_dose(day(0), at(22, 30)), bedtime=at(23)),
            checked_in(day(1), melatonin_dose(day(1), at(20))),
            checked_in(day(2)),
        ),
        day(0),
        day(3),
    )
    assert [(r.status.value, r.taken) for r in rows] == [
        ("as_planned", True),
        ("off_time", True),
        ("not_taken", False),
        ("unknown", None),  # day 3: no check-in, nothing logged
    ]
    assert [r.minutes_from_plan for r in rows] == [30, -120, None, None]
    assert rows[0].times_taken == (at(22, 30),)
    assert rows[0].planned_times == (at(22),)
    assert rows[0].minutes_before_bedtime == 30
    assert rows[1].minutes_before_bedtime is None  # no bedtime that day


def test_the_tolerance_is_sixty_minutes_either_side_by_default() -> None:
    def status(time: dt.time, tolerance: int = 60) -> str:
        [row] = melatonin(
            MELATONIN_PLAN,
            logs(checked_in(day(0), melatonin_dose(day(0), time))),
            day(0),
            day(0),
            tolerance,
        )
        return row.status.value

    assert status(at(23)) == "as_planned"
    assert status(at(21)) == "as_planned"
    assert status(at(23, 1)) == "off_time"
    assert status(at(20, 59)) == "off_time"
    assert status(at(23, 10), tolerance=90) == "as_planned"
    with pytest.raises(InvalidInput):
        status(at(22), tolerance=-1)


def test_minutes_before_bedtime_handle_a_bedtime_after_midnight() -> None:
    [row] = melatonin(
        MELATONIN_PLAN,
        logs(checked_in(day(0), melatonin_dose(day(0), at(22, 30)), bedtime=at(0, 15))),
        day(0),
        day(0),
    )
    assert row.minutes_before_bedtime == 105


def test_a_dose_taken_after_bedtime_gives_negative_minutes() -> None:
    [row] = melatonin(
        MELATONIN_PLAN,
        logs(checked_in(day(0), melatonin_dose(day(0), at(23)), bedtime=at(22, 30))),
        day(0),
        day(0),
    )
    assert row.minutes_before_bedtime == -30


def test_a_day_sleepers_morning_bedtime_is_the_same_day() -> None:
    plan = PlanContent(items=(item("melatonin", "1", "mg", at(8, 30)),))
    [row] = melatonin(
        plan,
        logs(checked_in(day(0), melatonin_dose(day(0), at(8, 30)), bedtime=at(9))),
        day(0),
        day(0),
    )
    assert (row.status.value, row.minutes_before_bedtime) == ("as_planned", 30)


def test_a_planned_time_near_midnight_is_measured_round_the_clock() -> None:
    plan = PlanContent(items=(item("melatonin", "1", "mg", at(23, 30)),))
    [row] = melatonin(
        plan, logs(checked_in(day(0), melatonin_dose(day(0), at(0, 10)))), day(0), day(0)
    )
    assert (row.status.value, row.minutes_from_plan) == ("as_planned", 40)


def test_melatonin_taken_at_an_unrecorded_time_is_taken_but_its_timing_unknown() -> None:
    [row] = melatonin(
        MELATONIN_PLAN, logs(checked_in(day(0), melatonin_dose(day(0), None))), day(0), day(0)
    )
    assert (row.taken, row.status.value, row.times_taken) == (True, "unknown", ())


def test_melatonin_logged_without_a_check_in_still_counts_as_taken() -> None:
    log = DayLog(date=day(0), checked_in=False, doses=(melatonin_dose(day(0), at(22)),))
    [row] = melatonin(MELATONIN_PLAN, logs(log), day(0), day(0))
    assert (row.taken, row.status.value) == (True, "as_planned")


def test_a_plan_without_melatonin_gives_no_melatonin_rows() -> None:
    assert melatonin(POWDER_TAPER, {}, day(0), day(6)) == []


def test_the_melatonin_statuses_are_the_four_named() -> None:
    assert {s.value for s in MelatoninStatus} == {"as_planned", "off_time", "not_taken", "unknown"}


# --- Magnesium spacing ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load()


def magnesium(on: dt.date, time: dt.time | None) -> DoseEntry:
    return dose("magnesium", "200", "mg", on, time, form="glycinate")


def medicine(product: str, on: dt.date, time: dt.time | None) -> DoseEntry:
    return dose("other_medication", "1", "tablet", on, time, product=product)


def test_levothyroxine_fifteen_hours_before_evening_magnesium_is_well_spaced(
    knowledge: Knowledge,
) -> None:
    [check] = magnesium_spacing(
        PlanContent(),
        logs(
            checked_in(
                day(0), magnesium(day(0), at(22)), medicine("Levothyroxine 100", day(0), at(7))
            )
        ),
        day(0),
        day(0),
        knowledge,
    )
    assert (check.magnesium_time, check.other, check.other_time) == (
        at(22),
        "levothyroxine",
        at(7),
    )
    assert check.minutes_apart == -900
    assert check.hours_apart == Decimal(-15)  # negative: taken before the magnesium
    assert check.rule_id == "interaction.magnesium_levothyroxine"
    assert check.spacing == "take levothyroxine at least 4 hours before or after magnesium"
    assert (check.before_hours, check.after_hours) == (Decimal(4), Decimal(4))
    assert check.source == "logged"
    assert check.ok is True


def test_levothyroxine_two_hours_before_magnesium_is_too_close(knowledge: Knowledge) -> None:
    [check] = magnesium_spacing(
        PlanContent(),
        logs(checked_in(day(0), magnesium(day(0), at(22)), medicine("synthroid", day(0), at(20)))),
        day(0),
        day(0),
        knowledge,
    )
    assert (check.hours_apart, check.ok) == (Decimal(-2), False)


@pytest.mark.parametrize(
    ("magnesium_time", "doxycycline_time", "hours", "ok"),
    [
        (at(22), at(21), -1, False),  # needs 2 h before
        (at(22), at(20), -2, True),  # exactly 2 h before
        (at(8), at(13), 5, True),  # 4 h after is enough
        (at(8), at(12), 4, True),  # exactly 4 h after
        (at(8), at(11), 3, False),
    ],
)
def test_doxycycline_is_two_hours_before_or_four_hours_after_magnesium(
    knowledge: Knowledge,
    magnesium_time: dt.time,
    doxycycline_time: dt.time,
    hours: int,
    ok: bool,
) -> None:
    [check] = magnesium_spacing(
        PlanContent(),
        logs(
            checked_in(
                day(0),
                magnesium(day(0), magnesium_time),
                medicine("doxycycline hyclate", day(0), doxycycline_time),
            )
        ),
        day(0),
        day(0),
        knowledge,
    )
    assert check.rule_id == "interaction.magnesium_tetracycline"
    assert (check.hours_apart, check.ok) == (Decimal(hours), ok)


def test_the_plans_time_stands_in_for_a_medicine_not_logged_with_a_time(
    knowledge: Knowledge,
) -> None:
    plan = PlanContent(
        items=(item("other_medication", "100", "mcg", at(7), product="levothyroxine"),)
    )
    only_magnesium = logs(checked_in(day(0), magnesium(day(0), at(9))))
    [check] = magnesium_spacing(plan, only_magnesium, day(0), day(0), knowledge)
    assert (check.source, check.other_time, check.ok) == ("plan", at(7), False)

    logged_too = logs(
        checked_in(day(0), magnesium(day(0), at(9)), medicine("levothyroxine", day(0), at(5)))
    )
    [check] = magnesium_spacing(plan, logged_too, day(0), day(0), knowledge)
    assert (check.source, check.other_time, check.ok) == ("logged", at(5), True)


def test_magnesium_without_a_time_or_with_an_unrelated_medicine_gives_no_check(
    knowledge: Knowledge,
) -> None:
    report = magnesium_spacing(
        PlanContent(items=(item("melatonin", "1", "mg", at(22)),)),
        logs(
            checked_in(day(0), magnesium(day(0), None), medicine("levothyroxine", day(0), at(7))),
            checked_in(day(1), magnesium(day(1), at(22)), medicine("ibuprofen", day(1), at(21))),
        ),
        day(0),
        day(1),
        knowledge,
    )
    assert report == []


def test_every_magnesium_dose_is_checked_against_every_spaced_medicine(
    knowledge: Knowledge,
) -> None:
    report = magnesium_spacing(
        PlanContent(),
        logs(
            checked_in(
                day(0),
                magnesium(day(0), at(8)),
                magnesium(day(0), at(22)),
                medicine("levothyroxine", day(0), at(7)),
                medicine("ciprofloxacin", day(0), at(14)),
            )
        ),
        day(0),
        day(0),
        knowledge,
    )
    assert [(c.magnesium_time, c.other, c.hours_apart, c.ok) for c in report] == [
        (at(8), "levothyroxine", Decimal(-1), False),
        (at(8), "ciprofloxacin", Decimal(6), True),
        (at(22), "levothyroxine", Decimal(-15), True),
        (at(22), "ciprofloxacin", Decimal(-8), True),
    ]


# --- Activities -----------------------------------------------------------------------------

ACTIVE_PLAN = PlanContent(
    activities=Activities(
        exercise_minutes_per_week=150,
        meditation_minutes_per_day=10,
        counseling_sessions_per_week=1,
        support_meetings_per_week=2,
    )
)


def test_activities_are_counted_per_iso_week_with_unknown_days_left_unknown() -> None:
    week_one = [
        checked_in(day(2), activities={"exercise_minutes": 30, "meditation_minutes": 10}),
        checked_in(day(3)),
        # day 4 (Friday): no check-in
        checked_in(
            day(5),
            activities={"exercise_minutes": 45, "meditation_minutes": 15, "counseling": True},
        ),
        DayLog(date=day(6), checked_in=False),
    ]
    week_two = [
        checked_in(
            day(n),
            activities={"exercise_minutes": 30, "support_meeting": n in (8, 11)},
        )
        for n in range(7, 14)
    ]
    # Wednesday 4 March to Tuesday 17 March: 5 days, a whole week, then 2 days.
    first, second, third = activities(ACTIVE_PLAN, logs(*week_one, *week_two), day(2), day(15))

    assert (first.week_start, first.week_end) == (day(0), day(6))
    assert (first.days_in_range, first.days_reported, first.days_unknown) == (5, 3, 2)
    assert first.partial
    assert (first.exercise_minutes.done, first.exercise_minutes.target) == (75, 150)
    assert (first.meditation_minutes.done, first.meditation_minutes.target) == (25, 50)
    assert (first.counseling_sessions.done, first.counseling_sessions.target) == (1, 1)
    assert (first.support_meetings.done, first.support_meetings.target) == (0, 2)
    # Short of a target with unknown days: not known to be missed.
    assert first.exercise_minutes.met(first.days_unknown) is None
    assert first.counseling_sessions.met(first.days_unknown) is True

    assert (second.days_in_range, second.days_reported, second.days_unknown) == (7, 7, 0)
    assert not second.partial
    assert (second.exercise_minutes.done, second.exercise_minutes.met(0)) == (210, True)
    assert (second.meditation_minutes.done, second.meditation_minutes.target) == (0, 70)
    assert second.meditation_minutes.met(0) is False
    assert (second.support_meetings.done, second.counseling_sessions.done) == (2, 0)

    assert (third.week_start, third.days_in_range, third.days_unknown) == (day(14), 2, 2)
    assert (third.exercise_minutes.done, third.meditation_minutes.target) == (0, 20)


def test_activities_on_a_day_without_a_check_in_are_not_counted() -> None:
    stray = DayLog(date=day(0), checked_in=False, activities={"exercise_minutes": 60})
    [week] = activities(ACTIVE_PLAN, logs(stray), day(0), day(6))
    assert (week.days_reported, week.days_unknown, week.exercise_minutes.done) == (0, 7, 0)
