"""A person's plan as an iCalendar file (RFC 5545), for their own calendar app.

See docs/decisions/0006-calendar.md. In short:

- each taper step is one all-day event, and each dose time of a step is one event that
  repeats daily for exactly the step's days (RRULE COUNT), so a calendar shows every dose
  without the file listing thousands of events;
- timed events carry the person's time zone (TZID, with a VTIMEZONE), so an 08:00 dose stays
  08:00 on the wall clock across daylight-saving changes;
- every event has a stable UID built from what it is (step number, time of day), never from
  when the file was made, so importing a newer file updates events rather than duplicating
  them.

The caller passes the time the file is made (`generated_at`, for DTSTAMP); nothing here reads
the clock.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any

from icalendar import Calendar, Event

from taperline.domain.calendar import (
    CHECKIN_TITLE,
    QUESTIONNAIRES_TITLE,
    item_title,
    kratom_form_name,
)
from taperline.domain.errors import InvalidInput
from taperline.domain.plans import PlanContent
from taperline.domain.regimen import RegimenItem
from taperline.domain.taper import TaperSchedule, TaperStep

PRODID = "-//Taperline//Taperline//EN"
UID_DOMAIN = "taperline"
MAX_HORIZON_DAYS = 3660

DOSE_MINUTES = 10
CHECKIN_MINUTES = 5
QUESTIONNAIRE_MINUTES = 15
VISIT_MINUTES = 30


def build_calendar(
    *,
    person_name: str,
    timezone: str,
    content: PlanContent,
    generated_at: dt.datetime,
    horizon_days: int = 365,
) -> bytes:
    """The plan as iCalendar bytes: taper steps, doses, regimen items, check-ins, visits.

    Recurring events that are not bounded by the taper (regimen items, check-ins, the weekly
    questionnaires) run for `horizon_days` from the taper start, or from `generated_at`'s
    local date when the plan has no taper.
    """
    zone = _zone(timezone)
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise InvalidInput("generated_at", "must be a timezone-aware datetime")
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise InvalidInput("horizon_days", f"must be between 1 and {MAX_HORIZON_DAYS}")
    stamp = generated_at.astimezone(dt.UTC)
    builder = _Builder(zone=zone, stamp=stamp)

    schedule = content.schedule()
    start = schedule.params.start if schedule is not None else stamp.astimezone(zone).date()
    horizon_end = start + dt.timedelta(days=horizon_days - 1)

    if schedule is not None:
        _add_taper(builder, schedule, content.kratom_form, horizon_end)
    _add_items(builder, content.items, start, horizon_days)
    _add_monitoring(builder, content, start, horizon_days)

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Taperline: {person_name}")
    cal.add("x-wr-timezone", timezone)
    for event in builder.events:
        cal.add_component(event)
    first, last = builder.span(start, horizon_end)
    cal.add_missing_timezones(
        first_date=first - dt.timedelta(days=1), last_date=last + dt.timedelta(days=1)
    )
    ical: bytes = cal.to_ical()
    return ical


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            "timezone", f"'{name}' is not an IANA time zone (e.g. America/New_York)"
        ) from None


class _Builder:
    """Collects events, keeps their UIDs unique and remembers the dates they cover."""

    def __init__(self, *, zone: zoneinfo.ZoneInfo, stamp: dt.datetime) -> None:
        self.zone = zone
        self.stamp = stamp
        self.events: list[Event] = []
        self._uids: set[str] = set()
        self._dates: list[dt.date] = []

    def at(self, date: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(date, time.replace(tzinfo=None), tzinfo=self.zone)

    def add(
        self,
        key: str,
        *,
        summary: str,
        start: dt.date | dt.datetime,
        end: dt.date | None = None,
        minutes: int | None = None,
        rrule: dict[str, Any] | None = None,
        description: str = "",
        last: dt.date | None = None,
    ) -> None:
        event = Event()
        event.add("uid", self._uid(key))
        event.add("dtstamp", self.stamp)
        event.add("summary", summary)
        event.add("dtstart", start)
        if end is not None:
            event.add("dtend", end)
            event.add("transp", "TRANSPARENT")  # an all-day note does not make the day busy
        if minutes is not None:
            event.add("duration", dt.timedelta(minutes=minutes))
        if rrule is not None:
            event.add("rrule", rrule)
        if description:
            event.add("description", description)
        self.events.append(event)
        first = start.date() if isinstance(start, dt.datetime) else start
        self._dates += [first, last or end or first]

    def span(self, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
        dates = [start, end, *self._dates]
        return min(dates), max(dates)

    def _uid(self, key: str) -> str:
        uid, number = f"{key}@{UID_DOMAIN}", 1
        while uid in self._uids:  # two items that slug alike, two visits in one minute
            number += 1
            uid = f"{key}-{number}@{UID_DOMAIN}"
        self._uids.add(uid)
        return uid


def _add_taper(
    builder: _Builder, schedule: TaperSchedule, form: str | None, horizon_end: dt.date
) -> None:
    form_name = kratom_form_name(form)
    for step in schedule.steps:
        builder.add(
            f"taper-step-{step.number}",
            summary=f"Taper step {step.number}: {step.daily} a day",
            start=step.start,
            end=step.end + dt.timedelta(days=1),
            description=_step_description(step, form_name),
        )
        for time, amount in step.doses:
            if amount.value == 0:
                continue
            builder.add(
                f"dose-step-{step.number}-{time:%H%M}",
                summary=f"Kratom {amount}",
                start=builder.at(step.start, time),
                minutes=DOSE_MINUTES,
                rrule={"FREQ": "DAILY", "COUNT": step.days},
                description=f"Kratom {form_name}, taper step {step.number} ({step.daily} a day).",
                last=step.end,
            )
    if not schedule.steps:
        return
    # After the last step its amount holds (a maintenance target, or a plateau).
    last = schedule.steps[-1]
    hold_start = last.end + dt.timedelta(days=1)
    hold_days = (horizon_end - hold_start).days + 1
    if hold_days < 1:
        return
    for time, amount in last.doses:
        if amount.value == 0:
            continue
        builder.add(
            f"dose-hold-{time:%H%M}",
            summary=f"Kratom {amount}",
            start=builder.at(hold_start, time),
            minutes=DOSE_MINUTES,
            rrule={"FREQ": "DAILY", "COUNT": hold_days},
            description=(
                f"Kratom {form_name}: after the taper, the amount of step {last.number} "
                f"({last.daily} a day) holds."
            ),
            last=horizon_end,
        )


def _step_description(step: TaperStep, form_name: str) -> str:
    doses = ", ".join(f"{time:%H:%M} {amount}" for time, amount in step.doses if amount.value)
    lines = [
        f"Kratom {form_name}: {step.daily} a day, down {step.cut} from {step.before} a day.",
        f"Doses: {doses}." if doses else "No kratom doses.",
        f"{step.days} days, {step.start.isoformat()} to {step.end.isoformat()}.",
    ]
    if step.held_days:
        lines.append(f"Includes {step.held_days} held days (a pause in the taper).")
    return "\n".join(lines)


def _add_items(
    builder: _Builder, items: tuple[RegimenItem, ...], start: dt.date, horizon_days: int
) -> None:
    last = start + dt.timedelta(days=horizon_days - 1)
    for item in items:
        slug = _slug(item.product or " ".join(filter(None, (item.category.value, item.form))))
        for time in item.times:
            builder.add(
                f"item-{slug}-{time:%H%M}",
                summary=item_title(item),
                start=builder.at(start, time),
                minutes=DOSE_MINUTES,
                rrule={"FREQ": "DAILY", "COUNT": horizon_days},
                last=last,
            )


def _add_monitoring(
    builder: _Builder, content: PlanContent, start: dt.date, horizon_days: int
) -> None:
    monitoring = content.monitoring
    last = start + dt.timedelta(days=horizon_days - 1)
    builder.add(
        "checkin",
        summary=CHECKIN_TITLE,
        start=builder.at(start, monitoring.daily_checkin_time),
        minutes=CHECKIN_MINUTES,
        rrule={"FREQ": "DAILY", "COUNT": horizon_days},
        description="Craving, withdrawal (SOWS) and sleep diary in Taperline.",
        last=last,
    )
    weeks = horizon_days // 7
    if weeks >= 1:
        weekday = monitoring.weekly_questionnaires_day
        first = start + dt.timedelta(days=(weekday - start.weekday()) % 7)
        builder.add(
            "questionnaires",
            summary=QUESTIONNAIRES_TITLE,
            start=builder.at(first, monitoring.daily_checkin_time),
            minutes=QUESTIONNAIRE_MINUTES,
            rrule={"FREQ": "WEEKLY", "BYDAY": _BYDAY[weekday], "COUNT": weeks},
            description="Depression (PHQ-9) and anxiety (GAD-7) questionnaires in Taperline.",
            last=first + dt.timedelta(weeks=weeks - 1),
        )
    for visit in sorted(monitoring.visits, key=lambda v: v.replace(tzinfo=None)):
        local = visit.astimezone(builder.zone) if visit.tzinfo else visit
        builder.add(
            f"visit-{local:%Y%m%dT%H%M}",
            summary="Clinic visit",
            start=builder.at(local.date(), local.time()),
            minutes=VISIT_MINUTES,
            description="Withdrawal is rated at the visit (COWS).",
        )


_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"
