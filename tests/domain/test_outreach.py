"""Reminder instants in two time zones across both DST changes, quiet hours, backoff."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taperline.domain.calendar import DueItem
from taperline.domain.errors import InvalidInput
from taperline.domain.outreach import (
    after_quiet_hours,
    days_without_checkin,
    in_quiet_hours,
    local_instant,
    reminders_for_day,
    retry_delay,
    zone,
)

NEW_YORK = zone("America/New_York")  # 2026: forward 8 March 02:00, back 1 November 02:00
BERLIN = zone("Europe/Berlin")  # 2026: forward 29 March 02:00, back 25 October 03:00


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("tz", "day", "at", "expected"),
    [
        # An ordinary day: the wall time at the zone's offset.
        (NEW_YORK, dt.date(2026, 3, 7), dt.time(8, 0), utc(2026, 3, 7, 13, 0)),
        (NEW_YORK, dt.date(2026, 3, 9), dt.time(8, 0), utc(2026, 3, 9, 12, 0)),
        (BERLIN, dt.date(2026, 3, 28), dt.time(8, 0), utc(2026, 3, 28, 7, 0)),
        (BERLIN, dt.date(2026, 3, 30), dt.time(8, 0), utc(2026, 3, 30, 6, 0)),
        # The gap: 02:30 does not exist; it is sent at 03:30, the length of the gap later.
        (NEW_YORK, dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7, 30)),
        (BERLIN, dt.date(2026, 3, 29), dt.time(2, 30), utc(2026, 3, 29, 1, 30)),
        # The fold: 01:30 (New York) and 02:30 (Berlin) happen twice; the first one counts.
        (NEW_YORK, dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30)),
        (BERLIN, dt.date(2026, 10, 25), dt.time(2, 30), utc(2026, 10, 25, 0, 30)),
    ],
)
def test_local_instants_across_dst(
    tz: object, day: dt.date, at: dt.time, expected: dt.datetime
) -> None:
    assert local_instant(day, at, tz) == expected  # type: ignore[arg-type]


def test_the_gap_time_is_at_the_new_offset_and_the_fold_time_once() -> None:
    sent = local_instant(dt.date(2026, 3, 8), dt.time(2, 30), NEW_YORK).astimezone(NEW_YORK)
    assert (sent.hour, sent.minute, sent.utcoffset()) == (3, 30, dt.timedelta(hours=-4))
    due = [DueItem("dose", dt.time(1, 30), "Kratom 2 g")]
    fold_day = reminders_for_day(due, dt.date(2026, 11, 1), NEW_YORK)
    assert [r.send_at for r in fold_day] == [utc(2026, 11, 1, 5, 30)]  # one reminder, not two


def test_unknown_time_zone_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        zone("Mars/Olympus_Mons")
    assert refused.value.field == "timezone" and "Mars/Olympus_Mons" in refused.value.problem


def test_quiet_hours_across_midnight_move_a_reminder_to_their_end() -> None:
    start, end = dt.time(22, 0), dt.time(7, 0)
    assert in_quiet_hours(dt.time(23, 0), start, end)
    assert in_quiet_hours(dt.time(6, 59), start, end)
    assert not in_quiet_hours(dt.time(7, 0), start, end)
    assert not in_quiet_hours(dt.time(21, 59), start, end)
    evening = local_instant(dt.date(2026, 3, 7), dt.time(23, 0), NEW_YORK)
    assert after_quiet_hours(evening, NEW_YORK, start, end) == local_instant(
        dt.date(2026, 3, 8), dt.time(7, 0), NEW_YORK
    )
    early = local_instant(dt.date(2026, 3, 8), dt.time(5, 0), NEW_YORK)
    assert after_quiet_hours(early, NEW_YORK, start, end) == utc(2026, 3, 8, 11, 0)
    day = local_instant(dt.date(2026, 3, 8), dt.time(12, 0), NEW_YORK)
    assert after_quiet_hours(day, NEW_YORK, start, end) == day
    assert after_quiet_hours(day, NEW_YORK, None, None) == day


def test_reminders_for_a_day_keep_timed_items_and_skip_untimed_and_activities() -> None:
    due = [
        DueItem("dose", dt.time(8, 0), "Kratom (leaf powder) 3 g"),
        DueItem("dose", dt.time(8, 0), "Magnesium 200 mg"),
        DueItem("checkin", dt.time(9, 0), "Daily check-in"),
        DueItem("activity", dt.time(7, 0), "Get up at 07:00"),
        DueItem("activity", None, "Meditation: 10 minutes"),
    ]
    planned = reminders_for_day(due, dt.date(2026, 3, 9), NEW_YORK)
    assert [(r.kind, r.title, r.send_at) for r in planned] == [
        ("dose", "Kratom (leaf powder) 3 g", utc(2026, 3, 9, 12, 0)),
        ("dose", "Magnesium 200 mg", utc(2026, 3, 9, 12, 0)),
        ("checkin", "Daily check-in", utc(2026, 3, 9, 13, 0)),
    ]
    assert len({r.key for r in planned}) == 3


@given(st.integers(min_value=1, max_value=200))
def test_retry_delay_grows_and_is_capped(attempts: int) -> None:
    delay = retry_delay(attempts)
    assert dt.timedelta(seconds=30) <= delay <= dt.timedelta(hours=1)
    assert retry_delay(attempts + 1) >= delay


def test_days_without_checkin() -> None:
    today = dt.date(2026, 3, 14)
    assert days_without_checkin(dt.date(2026, 3, 13), today, dt.date(2026, 3, 1)) == 0
    assert days_without_checkin(dt.date(2026, 3, 10), today, dt.date(2026, 3, 1)) == 3
    assert days_without_checkin(None, today, dt.date(2026, 3, 12)) == 2
