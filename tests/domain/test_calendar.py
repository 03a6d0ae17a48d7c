"""What is due on a day: kratom doses from the taper, regimen items, check-ins, visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from taperline.domain.calendar import DueItem, due_on
from taperline.domain.plans import Activities, Monitoring, PlanContent
from taperline.domain.regimen import make_regimen_item
from taperline.domain.taper import DoseTime, Method, TaperParams
from taperline.domain.units import Amount

START = dt.date(2026, 3, 2)  # a Monday
MORNING, AFTERNOON, EVENING = dt.time(8), dt.time(14), dt.time(20)


def taper(
    *,
    current: str = "12",
    target: str = "0",
    step: str = "1",
    step_days: int = 14,
    smallest: str = "0.25",
    unit: str = "g",
    doses: tuple[DoseTime, ...] = (DoseTime(MORNING), DoseTime(AFTERNOON), DoseTime(EVENING)),
) -> TaperParams:
    return TaperParams(
        start=START,
        current=Amount.parse(current, unit),
        target=Amount.parse(target, unit),
        method=Method.FIXED,
        step=Decimal(step),
        step_days=step_days,
        smallest_step=Amount.parse(smallest, unit),
        doses=doses,
    )


def plan(params: TaperParams, form: str = "leaf_powder") -> PlanContent:
    return PlanContent(kratom_form=form, taper=params)


def doses(items: list[DueItem]) -> list[tuple[dt.time | None, str]]:
    return [(item.at, item.title) for item in items if item.kind == "dose"]


def test_before_the_taper_starts_the_current_amount_is_due_split_across_the_dose_times() -> None:
    due = due_on(plan(taper()), START - dt.timedelta(days=1))
    assert doses(due) == [
        (MORNING, "Kratom (leaf powder) 4 g"),
        (AFTERNOON, "Kratom (leaf powder) 4 g"),
        (EVENING, "Kratom (leaf powder) 4 g"),
    ]
    assert {item.detail for item in due if item.kind == "dose"} == {"before the taper: 12 g a day"}


def test_inside_the_taper_the_step_in_force_gives_each_dose() -> None:
    content = plan(taper())
    assert doses(due_on(content, START)) == [
        (MORNING, "Kratom (leaf powder) 3.75 g"),
        (AFTERNOON, "Kratom (leaf powder) 3.75 g"),
        (EVENING, "Kratom (leaf powder) 3.5 g"),
    ]
    # Day 15 is the first day of step 2 (10 g a day).
    second = due_on(content, START + dt.timedelta(days=14))
    assert doses(second) == [
        (MORNING, "Kratom (leaf powder) 3.5 g"),
        (AFTERNOON, "Kratom (leaf powder) 3.25 g"),
        (EVENING, "Kratom (leaf powder) 3.25 g"),
    ]
    assert {item.detail for item in second if item.kind == "dose"} == {"taper step 2: 10 g a day"}


def test_after_the_last_step_its_amount_holds() -> None:
    content = plan(taper(current="12", target="9"))  # three steps, then 9 g a day holds
    long_after = START + dt.timedelta(days=400)
    assert doses(due_on(content, long_after)) == [
        (MORNING, "Kratom (leaf powder) 3 g"),
        (AFTERNOON, "Kratom (leaf powder) 3 g"),
        (EVENING, "Kratom (leaf powder) 3 g"),
    ]


def test_a_zero_target_gives_no_kratom_dose_after_the_end() -> None:
    content = plan(taper())  # 12 steps of 14 days down to 0 g
    last_day_with_kratom = START + dt.timedelta(days=11 * 14 - 1)
    assert len(doses(due_on(content, last_day_with_kratom))) == 3
    for days in (11 * 14, 12 * 14, 1000):
        assert doses(due_on(content, START + dt.timedelta(days=days))) == []


def test_a_dose_time_whose_share_rounds_to_zero_is_left_out() -> None:
    # 1 g steps of 1 g: on 1 g a day only the first dose time gets anything.
    content = plan(taper(current="3", smallest="1", step="1"))
    last_step = START + dt.timedelta(days=28)
    assert doses(due_on(content, last_step)) == []  # 0 g
    assert doses(due_on(content, START + dt.timedelta(days=14))) == [
        (MORNING, "Kratom (leaf powder) 1 g")
    ]


def test_split_doses_are_shown_per_time_with_their_own_amount() -> None:
    # Twice as much in the morning as in the evening; 11 g is 44 quarter grams.
    params = taper(doses=(DoseTime(MORNING, share=2), DoseTime(EVENING, share=1)))
    assert doses(due_on(plan(params), START)) == [
        (MORNING, "Kratom (leaf powder) 7.25 g"),
        (EVENING, "Kratom (leaf powder) 3.75 g"),
    ]


def test_capsules_are_counted_in_capsules() -> None:
    params = taper(current="9", target="0", step="3", smallest="1", unit="capsules")
    assert doses(due_on(plan(params, form="capsules"), START)) == [
        (MORNING, "Kratom (capsules) 2 capsules"),
        (AFTERNOON, "Kratom (capsules) 2 capsules"),
        (EVENING, "Kratom (capsules) 2 capsules"),
    ]


def test_other_regimen_items_are_due_at_each_of_their_times_by_name_or_product() -> None:
    melatonin = make_regimen_item(
        category="melatonin",
        form=None,
        product="",
        amount_per_dose=Amount.parse("3", "mg"),
        times=[dt.time(21, 30)],
    )
    suboxone = make_regimen_item(
        category="moud",
        form="buprenorphine_naloxone",
        product="Suboxone 8 mg/2 mg film",
        amount_per_dose=Amount.parse("8", "mg"),
        times=[dt.time(20), dt.time(8)],
    )
    due = due_on(PlanContent(items=(melatonin, suboxone)), START)
    assert doses(due) == [
        (dt.time(8), "Suboxone 8 mg/2 mg film 8 mg"),
        (dt.time(20), "Suboxone 8 mg/2 mg film 8 mg"),
        (dt.time(21, 30), "Melatonin 3 mg"),
    ]


def test_without_a_taper_there_is_no_kratom_dose() -> None:
    assert doses(due_on(PlanContent(), START)) == []


def test_the_daily_checkin_is_due_every_day_at_its_time() -> None:
    content = PlanContent(monitoring=Monitoring(daily_checkin_time=dt.time(18, 30)))
    for days in range(10):
        due = due_on(content, START + dt.timedelta(days=days))
        assert [i for i in due if i.kind == "checkin"] == [
            DueItem("checkin", dt.time(18, 30), "Daily check-in")
        ]


def test_the_weekly_questionnaires_are_due_only_on_their_weekday() -> None:
    content = PlanContent(monitoring=Monitoring(weekly_questionnaires_day=3))  # Thursday
    for days in range(14):
        date = START + dt.timedelta(days=days)
        questionnaires = [i for i in due_on(content, date) if i.kind == "questionnaire"]
        if date.weekday() == 3:
            assert questionnaires == [
                DueItem("questionnaire", dt.time(9), "PHQ-9 and GAD-7 (weekly)")
            ]
        else:
            assert questionnaires == []


def test_visits_are_due_only_on_their_date_at_their_time() -> None:
    visit = dt.datetime(2026, 3, 4, 10, 30)
    content = PlanContent(monitoring=Monitoring(visits=(visit,)))
    for days in range(7):
        date = START + dt.timedelta(days=days)
        visits = [i for i in due_on(content, date) if i.kind == "visit"]
        if date == visit.date():
            assert visits == [DueItem("visit", dt.time(10, 30), "Clinic visit (COWS)")]
        else:
            assert visits == []


def test_activities_are_due_with_wake_time_timed_and_the_rest_all_day() -> None:
    content = PlanContent(
        activities=Activities(
            wake_time=dt.time(7),
            meditation_minutes_per_day=10,
            exercise_minutes_per_week=150,
            counseling_sessions_per_week=1,
            support_meetings_per_week=2,
        )
    )
    activities = [i for i in due_on(content, START) if i.kind == "activity"]
    assert activities == [
        DueItem("activity", dt.time(7), "Get up at 07:00"),
        DueItem("activity", None, "Counseling: 1 session", "this week's goal"),
        DueItem("activity", None, "Exercise: 150 minutes", "this week's goal"),
        DueItem("activity", None, "Meditation: 10 minutes"),
        DueItem("activity", None, "Support meetings: 2 meetings", "this week's goal"),
    ]


def test_activities_set_to_zero_are_not_due() -> None:
    assert [i for i in due_on(PlanContent(), START) if i.kind == "activity"] == []


def test_the_day_is_sorted_by_time_then_kind_with_all_day_items_last() -> None:
    melatonin = make_regimen_item(
        category="melatonin",
        form=None,
        product="",
        amount_per_dose=Amount.parse("3", "mg"),
        times=[dt.time(21, 30)],
    )
    content = PlanContent(
        items=(melatonin,),
        kratom_form="leaf_powder",
        taper=taper(),
        activities=Activities(wake_time=dt.time(7), meditation_minutes_per_day=10),
        monitoring=Monitoring(
            daily_checkin_time=dt.time(8),
            weekly_questionnaires_day=START.weekday(),
            visits=(dt.datetime.combine(START, dt.time(10)),),
        ),
    )
    assert [(i.at, i.kind, i.title) for i in due_on(content, START)] == [
        (dt.time(7), "activity", "Get up at 07:00"),
        (dt.time(8), "checkin", "Daily check-in"),
        (dt.time(8), "dose", "Kratom (leaf powder) 3.75 g"),
        (dt.time(8), "questionnaire", "PHQ-9 and GAD-7 (weekly)"),
        (dt.time(10), "visit", "Clinic visit (COWS)"),
        (dt.time(14), "dose", "Kratom (leaf powder) 3.75 g"),
        (dt.time(20), "dose", "Kratom (leaf powder) 3.5 g"),
        (dt.time(21, 30), "dose", "Melatonin 3 mg"),
        (None, "activity", "Meditation: 10 minutes"),
    ]
