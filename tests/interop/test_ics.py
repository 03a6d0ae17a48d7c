"""The iCalendar export, read back event by event with icalendar itself."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event

from taperline.domain.errors import InvalidInput
from taperline.domain.plans import Monitoring, PlanContent
from taperline.domain.regimen import make_regimen_item
from taperline.domain.taper import DoseTime, Method, TaperParams, TaperSchedule, build_schedule
from taperline.domain.units import Amount
from taperline.interop.ics import build_calendar

NEW_YORK = "America/New_York"
TZ = ZoneInfo(NEW_YORK)
START = dt.date(2026, 1, 7)  # a Wednesday
GENERATED = dt.datetime(2026, 1, 2, 15, 30, tzinfo=dt.UTC)
TIMES = (dt.time(8), dt.time(14), dt.time(20))
VISIT = dt.datetime(2026, 4, 1, 10, 0)
EST, EDT = dt.timedelta(hours=-5), dt.timedelta(hours=-4)


def taper(
    *,
    start: dt.date = START,
    current: str = "12",
    target: str = "0",
    smallest: str = "0.25",
    step_days: int = 14,
) -> TaperParams:
    return TaperParams(
        start=start,
        current=Amount.parse(current, "g"),
        target=Amount.parse(target, "g"),
        method=Method.FIXED,
        step=Decimal(1),
        step_days=step_days,
        smallest_step=Amount.parse(smallest, "g"),
        doses=tuple(DoseTime(t) for t in TIMES),
    )


def content(params: TaperParams | None = None, visits: tuple[dt.datetime, ...] = ()) -> PlanContent:
    melatonin = make_regimen_item(
        category="melatonin",
        form=None,
        product="",
        amount_per_dose=Amount.parse("3", "mg"),
        times=[dt.time(21, 30)],
    )
    return PlanContent(
        items=(melatonin,),
        kratom_form="leaf_powder" if params else None,
        taper=params,
        monitoring=Monitoring(visits=visits),
    )


def export(
    plan: PlanContent,
    *,
    person_name: str = "Sam Rivera",
    generated_at: dt.datetime = GENERATED,
    horizon_days: int = 365,
) -> Calendar:
    """Build the file, then read it back the way a calendar app would."""
    ics = build_calendar(
        person_name=person_name,
        timezone=NEW_YORK,
        content=plan,
        generated_at=generated_at,
        horizon_days=horizon_days,
    )
    return Calendar.from_ical(ics)


def events(cal: Calendar) -> dict[str, Event]:
    found = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert len(found) == len(cal.walk("VEVENT")), "UIDs must be unique"
    return found


def kind(uid: str) -> str:
    for prefix in ("taper-step", "dose-step", "dose-hold", "item", "checkin", "questionnaires"):
        if uid.startswith(prefix):
            return prefix
    return uid.split("-", 1)[0]


def start_of(event: Event) -> dt.datetime:
    value = event.decoded("dtstart")
    assert isinstance(value, dt.datetime)
    return value


def count_of(event: Event) -> int:
    counts = event["rrule"]["COUNT"]
    assert len(counts) == 1
    return int(counts[0])


@pytest.fixture
def schedule() -> TaperSchedule:
    return build_schedule(taper())


@pytest.fixture
def cal() -> Calendar:
    return export(content(taper(), visits=(VISIT,)))


def test_the_calendar_names_the_person_the_product_and_the_time_zone(cal: Calendar) -> None:
    assert str(cal["prodid"]) == "-//Taperline//Taperline//EN"
    assert str(cal["version"]) == "2.0"
    assert str(cal["x-wr-calname"]) == "Taperline: Sam Rivera"
    assert str(cal["x-wr-timezone"]) == NEW_YORK


def test_a_vtimezone_for_the_persons_time_zone_is_included(cal: Calendar) -> None:
    zones = cal.walk("VTIMEZONE")
    assert [str(z["tzid"]) for z in zones] == [NEW_YORK]
    # The file's own rules carry the 2026 changes, for apps that do not know IANA names.
    daylight = {z.decoded("dtstart"): z.decoded("tzoffsetto") for z in zones[0].walk("DAYLIGHT")}
    standard = {z.decoded("dtstart"): z.decoded("tzoffsetto") for z in zones[0].walk("STANDARD")}
    assert daylight[dt.datetime(2026, 3, 8, 3)] == EDT
    assert standard[dt.datetime(2026, 11, 1, 2)] == EST


def test_the_export_has_one_event_of_each_kind_as_planned(
    cal: Calendar, schedule: TaperSchedule
) -> None:
    assert len(schedule.steps) == 12  # 12 g down to 0 g in 1 g steps
    counts = Counter(kind(uid) for uid in events(cal))
    assert counts == {
        "taper-step": 12,
        "dose-step": 11 * 3,  # the last step is 0 g: no dose events
        "item": 1,
        "checkin": 1,
        "questionnaires": 1,
        "visit": 1,
    }


def test_every_taper_step_is_an_all_day_event_over_its_dates(
    cal: Calendar, schedule: TaperSchedule
) -> None:
    found = events(cal)
    for step in schedule.steps:
        event = found[f"taper-step-{step.number}@taperline"]
        assert event.decoded("dtstart") == step.start
        assert not isinstance(event.decoded("dtstart"), dt.datetime)
        assert event.decoded("dtend") == step.end + dt.timedelta(days=1)
        assert str(event["summary"]) == f"Taper step {step.number}: {step.daily} a day"
    first = found["taper-step-1@taperline"]
    assert str(first["summary"]) == "Taper step 1: 11 g a day"
    assert (first.decoded("dtstart"), first.decoded("dtend")) == (
        dt.date(2026, 1, 7),
        dt.date(2026, 1, 21),
    )
    assert "08:00 3.75 g, 14:00 3.75 g, 20:00 3.5 g" in str(first["description"])
    assert str(found["taper-step-12@taperline"]["summary"]) == "Taper step 12: 0 g a day"


def test_every_dose_is_a_daily_event_for_exactly_its_steps_days(
    cal: Calendar, schedule: TaperSchedule
) -> None:
    found = events(cal)
    checked = 0
    for step in schedule.steps:
        for time, amount in step.doses:
            uid = f"dose-step-{step.number}-{time:%H%M}@taperline"
            if amount.value == 0:
                assert uid not in found
                continue
            event = found[uid]
            start = start_of(event)
            assert start == dt.datetime.combine(step.start, time, tzinfo=TZ)
            assert start.tzinfo is not None
            assert str(start.tzinfo) == NEW_YORK
            assert event["dtstart"].params["TZID"] == NEW_YORK
            assert event["rrule"]["FREQ"] == ["DAILY"]
            assert count_of(event) == step.days == 14
            assert event.decoded("duration") == dt.timedelta(minutes=10)
            assert str(event["summary"]) == f"Kratom {amount}"
            checked += 1
    assert checked == 33


def test_dose_summaries_carry_the_exact_amounts(cal: Calendar) -> None:
    found = events(cal)
    summaries = {
        step: [str(found[f"dose-step-{step}-{t:%H%M}@taperline"]["summary"]) for t in TIMES]
        for step in (1, 2, 3, 11)
    }
    assert summaries == {
        1: ["Kratom 3.75 g", "Kratom 3.75 g", "Kratom 3.5 g"],
        2: ["Kratom 3.5 g", "Kratom 3.25 g", "Kratom 3.25 g"],
        3: ["Kratom 3 g", "Kratom 3 g", "Kratom 3 g"],
        11: ["Kratom 0.5 g", "Kratom 0.25 g", "Kratom 0.25 g"],
    }


def test_a_dose_time_with_nothing_to_take_gets_no_event() -> None:
    found = events(export(content(taper(current="3", smallest="1"))))
    # 2 g (1 g, 1 g, 0 g), then 1 g (1 g, 0 g, 0 g), then 0 g.
    assert sorted(uid for uid in found if uid.startswith("dose-")) == [
        "dose-step-1-0800@taperline",
        "dose-step-1-1400@taperline",
        "dose-step-2-0800@taperline",
    ]


def test_every_event_is_stamped_with_the_generation_time(cal: Calendar) -> None:
    for event in events(cal).values():
        assert event.decoded("dtstamp") == GENERATED


def test_uids_are_stable_when_the_plan_is_exported_again(cal: Calendar) -> None:
    later = export(
        content(taper(), visits=(VISIT,)), generated_at=GENERATED + dt.timedelta(days=30)
    )
    assert set(events(later)) == set(events(cal))


def test_a_regimen_item_repeats_daily_from_the_taper_start_for_the_horizon(
    cal: Calendar,
) -> None:
    event = events(cal)["item-melatonin-2130@taperline"]
    assert str(event["summary"]) == "Melatonin 3 mg"
    assert start_of(event) == dt.datetime(2026, 1, 7, 21, 30, tzinfo=TZ)
    assert event["rrule"]["FREQ"] == ["DAILY"]
    assert count_of(event) == 365


def test_the_daily_checkin_repeats_daily_for_the_horizon() -> None:
    event = events(export(content(taper()), horizon_days=90))["checkin@taperline"]
    assert str(event["summary"]) == "Daily check-in"
    assert start_of(event) == dt.datetime(2026, 1, 7, 9, 0, tzinfo=TZ)
    assert event.decoded("duration") == dt.timedelta(minutes=5)
    assert event["rrule"]["FREQ"] == ["DAILY"]
    assert count_of(event) == 90


def test_the_weekly_questionnaires_start_on_the_first_such_weekday(cal: Calendar) -> None:
    event = events(cal)["questionnaires@taperline"]
    assert str(event["summary"]) == "PHQ-9 and GAD-7 (weekly)"
    # The taper starts on Wednesday 7 January; the first Monday after is 12 January.
    assert start_of(event) == dt.datetime(2026, 1, 12, 9, 0, tzinfo=TZ)
    assert event["rrule"]["FREQ"] == ["WEEKLY"]
    assert event["rrule"]["BYDAY"] == ["MO"]
    assert count_of(event) == 365 // 7


def test_the_weekly_questionnaires_follow_the_chosen_weekday() -> None:
    plan = PlanContent(monitoring=Monitoring(weekly_questionnaires_day=2))  # Wednesday
    event = events(export(plan, generated_at=dt.datetime(2026, 1, 7, 14, tzinfo=dt.UTC)))[
        "questionnaires@taperline"
    ]
    assert event["rrule"]["BYDAY"] == ["WE"]
    assert start_of(event).date() == dt.date(2026, 1, 7)  # on the start date itself


def test_a_visit_is_one_thirty_minute_event(cal: Calendar) -> None:
    event = events(cal)["visit-20260401T1000@taperline"]
    assert str(event["summary"]) == "Clinic visit"
    assert start_of(event) == dt.datetime(2026, 4, 1, 10, 0, tzinfo=TZ)
    assert start_of(event).utcoffset() == EDT
    assert event.decoded("duration") == dt.timedelta(minutes=30)
    assert "rrule" not in event


def test_without_a_taper_daily_events_start_on_the_local_date_of_generation() -> None:
    # 03:00 UTC on 10 March is still 9 March in New York.
    found = events(export(content(), generated_at=dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC)))
    assert not any(uid.startswith(("taper-", "dose-")) for uid in found)
    assert start_of(found["checkin@taperline"]).date() == dt.date(2026, 3, 9)
    assert start_of(found["item-melatonin-2130@taperline"]).date() == dt.date(2026, 3, 9)


def test_a_maintenance_target_keeps_its_doses_after_the_last_step() -> None:
    params = taper(current="12", target="10")  # 11 g, then 10 g from day 15
    found = events(export(content(params), horizon_days=60))
    hold = found["dose-hold-0800@taperline"]
    assert str(hold["summary"]) == "Kratom 3.5 g"
    assert start_of(hold) == dt.datetime.combine(START + dt.timedelta(days=28), dt.time(8), TZ)
    assert count_of(hold) == 60 - 28


@pytest.mark.parametrize(
    ("start", "change", "before", "after"),
    [
        (dt.date(2026, 2, 23), dt.date(2026, 3, 8), EST, EDT),  # US daylight saving starts
        (dt.date(2026, 10, 19), dt.date(2026, 11, 1), EDT, EST),  # and ends
    ],
)
def test_doses_stay_at_the_same_wall_clock_time_across_daylight_saving_changes(
    start: dt.date, change: dt.date, before: dt.timedelta, after: dt.timedelta
) -> None:
    schedule = build_schedule(taper(start=start, step_days=7))
    found = events(export(content(taper(start=start, step_days=7))))
    for step in schedule.steps[:4]:
        event = found[f"dose-step-{step.number}-0800@taperline"]
        first = start_of(event)
        assert (first.date(), first.time()) == (step.start, dt.time(8))
        assert first.utcoffset() == (before if step.start < change else after)
        # Every day of the step, the dose is at 08:00 local; the UTC offset follows the clock.
        occurrences = list(rrulestr(event["rrule"].to_ical().decode(), dtstart=first))
        assert len(occurrences) == step.days
        for day in occurrences:
            assert day.time() == dt.time(8)
            assert day.utcoffset() == (before if day.date() < change else after)
    # One step straddles the change: 08:00 EST is 13:00 UTC, 08:00 EDT is 12:00 UTC.
    straddling = next(s for s in schedule.steps if s.start < change <= s.end)
    event = found[f"dose-step-{straddling.number}-0800@taperline"]
    utc = [
        d.astimezone(dt.UTC).hour
        for d in rrulestr(event["rrule"].to_ical().decode(), dtstart=start_of(event))
    ]
    assert set(utc) == {13, 12}


def test_the_person_name_is_escaped_and_read_back_intact() -> None:
    cal = export(content(), person_name='Rivera, Sam; "Sammy"')
    assert str(cal["x-wr-calname"]) == 'Taperline: Rivera, Sam; "Sammy"'


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "America", "../etc/passwd"])
def test_an_unknown_time_zone_is_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidInput) as error:
        build_calendar(person_name="Sam", timezone=name, content=content(), generated_at=GENERATED)
    assert error.value.field == "timezone"


def test_a_naive_generation_time_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        build_calendar(
            person_name="Sam",
            timezone=NEW_YORK,
            content=content(),
            generated_at=dt.datetime(2026, 1, 2, 15, 30),
        )
    assert error.value.field == "generated_at"
