"""When to reach out: reminder instants in a person's own time zone, quiet hours, retry backoff,
missed check-ins. Pure: takes dates, times and zone names; returns instants and decisions."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from taperline.domain.calendar import DueItem
from taperline.domain.errors import InvalidInput

REMINDED_KINDS = ("dose", "checkin", "questionnaire", "visit")


def zone(name: str, *, field: str = "timezone") -> zoneinfo.ZoneInfo:
    """The IANA zone called `name`, or a clear refusal naming the field."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            field, f"'{name}' is not a time zone Taperline knows (use a name like Europe/Berlin)"
        ) from None


def local_instant(day: dt.date, at: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of wall time `at` on `day` in `tz`.

    A wall time that does not exist (the hour skipped when clocks go forward) is moved forward
    by the gap: 02:30 on a spring-forward night becomes 03:30. A wall time that happens twice
    (the hour repeated when clocks go back) means its first occurrence."""
    naive = dt.datetime.combine(day, at.replace(tzinfo=None))
    # PEP 495: fold=0 reads a skipped wall time with the offset in force before the gap, which
    # lands after the gap by its length, and a repeated one as its first occurrence.
    return naive.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)


def in_quiet_hours(at: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    """Whether local time `at` falls in [start, end), a window that may cross midnight."""
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def after_quiet_hours(
    instant: dt.datetime, tz: zoneinfo.ZoneInfo, start: dt.time | None, end: dt.time | None
) -> dt.datetime:
    """`instant`, or the end of the quiet hours it falls in (in the person's zone)."""
    local = instant.astimezone(tz)
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return instant
    assert end is not None  # in_quiet_hours is False without both ends
    wall = local.time().replace(tzinfo=None)
    # Past `end` the window must cross midnight (evening part): it ends tomorrow.
    day = local.date() + dt.timedelta(days=1) if wall >= end else local.date()
    return local_instant(day, end, tz)


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    kind: str  # as DueItem.kind
    title: str
    local_date: dt.date
    local_time: dt.time
    send_at: dt.datetime  # UTC

    @property
    def key(self) -> str:
        """Stable for the same reminder, however often the day is planned."""
        return f"{self.kind}:{self.local_date.isoformat()}T{self.local_time:%H:%M}:{self.title}"


def reminders_for_day(
    due: list[DueItem],
    day: dt.date,
    tz: zoneinfo.ZoneInfo,
    *,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
) -> list[PlannedReminder]:
    """One reminder per timed item due on `day` (doses, the check-in, questionnaires, visits),
    at its local time, moved past quiet hours. Two items at the same minute stay separate."""
    planned: list[PlannedReminder] = []
    for item in due:
        if item.at is None or item.kind not in REMINDED_KINDS:
            continue
        send_at = after_quiet_hours(local_instant(day, item.at, tz), tz, quiet_start, quiet_end)
        planned.append(PlannedReminder(item.kind, item.title, day, item.at, send_at))
    return planned


def retry_delay(attempts: int, *, base_seconds: int = 30, cap_seconds: int = 3600) -> dt.timedelta:
    """Exponential backoff after the `attempts`-th failure: 30 s, 60 s, 120 s … at most an hour."""
    exponent = max(0, attempts - 1)
    return dt.timedelta(seconds=min(cap_seconds, base_seconds * 2 ** min(exponent, 20)))


def days_without_checkin(last_checkin_day: dt.date | None, today: dt.date, since: dt.date) -> int:
    """Whole days before `today` with no check-in, counted from the later of the last check-in
    and `since` (the day monitoring started)."""
    start = max(last_checkin_day + dt.timedelta(days=1), since) if last_checkin_day else since
    return max(0, (today - start).days)
