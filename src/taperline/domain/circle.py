"""The support circle, as pure rules: who may be invited, what each switch shares, and what a
supporter is shown from the facts the service gathers.

A supporter never sees doses, notes or messages. Everything else is off unless the person
switched it on for that supporter; see docs/support.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from taperline.domain.errors import InvalidInput

MAX_SUPPORTERS = 5  # members at once (invited or joined) per person
INVITE_DAYS = 7
TREND_DAYS = 7  # the craving trend compares the last 7 days with the 7 before
TREND_STEP = 1.0  # points on the 0-10 craving scale that count as a change (display only)


class Relation(StrEnum):
    FAMILY = "family"
    FRIEND = "friend"
    PARTNER = "partner"
    SPONSOR = "sponsor"
    PEER_WORKER = "peer_worker"
    OTHER = "other"


RELATION_NAMES = {
    Relation.FAMILY: "Family",
    Relation.FRIEND: "Friend",
    Relation.PARTNER: "Partner",
    Relation.SPONSOR: "Sponsor",
    Relation.PEER_WORKER: "Peer support worker",
    Relation.OTHER: "Other",
}


@dataclass(frozen=True, slots=True)
class Shares:
    """What one supporter may see or hear about. Defaults: whether you checked in, and SOS."""

    checkins: bool = True  # checked in today, and the streak of days in a row
    trend: bool = False  # whether craving is easing, steady or harder (words, no numbers)
    alerts: bool = False  # whether your care team has an open alert about you (yes or no)
    scores: bool = False  # your latest questionnaire scores and what they mean
    missed: bool = False  # a nudge when you have missed check-ins for several days
    sos: bool = True  # a message when you press SOS

    def on(self) -> tuple[str, ...]:
        return tuple(name for name in SHARE_NAMES if getattr(self, name))


SHARE_NAMES = ("checkins", "trend", "alerts", "scores", "missed", "sos")
SHARE_LABELS = {
    "checkins": "Whether I checked in today, and my streak",
    "trend": "Whether my craving is easing or getting harder (no numbers)",
    "alerts": "Whether my care team has an open alert about me (yes or no)",
    "scores": "My latest questionnaire scores",
    "missed": "A nudge to them when I miss check-ins for several days",
    "sos": "A message to them when I press SOS",
}


def parse_shares(chosen: Iterable[str]) -> Shares:
    names = set(chosen)
    unknown = names - set(SHARE_NAMES)
    if unknown:
        raise InvalidInput(
            "share",
            f"unknown choice(s) {', '.join(sorted(unknown))}; use {', '.join(SHARE_NAMES)}",
        )
    return Shares(**{name: name in names for name in SHARE_NAMES})


def check_invite(
    *,
    email: str,
    name: str,
    person_email: str | None,
    current: Sequence[str],
) -> None:
    """Refuse an invitation that cannot work. `current`: the emails of members not ended."""
    if not name.strip():
        raise InvalidInput("name", "say who this is, for example 'Mum' or 'Sam (sponsor)'")
    if len(name.strip()) > 200:
        raise InvalidInput("name", "use at most 200 characters")
    if person_email and email == person_email.lower():
        raise InvalidInput("email", "that is your own address; invite someone who supports you")
    if email in current:
        raise InvalidInput(
            "email", f"{email} is already in your circle (invited or joined); end it first"
        )
    if len(current) >= MAX_SUPPORTERS:
        raise InvalidInput(
            "email",
            f"your circle already has {MAX_SUPPORTERS} people; end one before inviting another",
        )


def streak(days: Iterable[dt.date], today: dt.date) -> int:
    """Days in a row with a check-in, ending today (or yesterday, if today has none yet)."""
    have = set(days)
    day = today if today in have else today - dt.timedelta(days=1)
    count = 0
    while day in have:
        count += 1
        day -= dt.timedelta(days=1)
    return count


class Trend(StrEnum):
    EASING = "easing"
    STEADY = "steady"
    HARDER = "harder"
    UNKNOWN = "unknown"  # fewer than 3 check-ins with a craving rating in either week


TREND_WORDS = {
    Trend.EASING: "Craving has been easing this week, compared with the week before.",
    Trend.STEADY: "Craving has been about the same this week as the week before.",
    Trend.HARDER: "Craving has been harder this week than the week before.",
    Trend.UNKNOWN: "Not enough check-ins in the last two weeks to say how craving is going.",
}


def craving_trend(ratings: Iterable[tuple[dt.date, int]], today: dt.date) -> Trend:
    """Mean craving of the last TREND_DAYS days against the TREND_DAYS before."""
    recent: list[int] = []
    before: list[int] = []
    for day, value in ratings:
        age = (today - day).days
        if 0 <= age < TREND_DAYS:
            recent.append(value)
        elif TREND_DAYS <= age < 2 * TREND_DAYS:
            before.append(value)
    if len(recent) < 3 or len(before) < 3:
        return Trend.UNKNOWN
    change = sum(recent) / len(recent) - sum(before) / len(before)
    if change <= -TREND_STEP:
        return Trend.EASING
    if change >= TREND_STEP:
        return Trend.HARDER
    return Trend.STEADY


@dataclass(frozen=True, slots=True)
class ScoreLine:
    instrument: str
    title: str
    total: int | None
    band: str | None
    day: dt.date


@dataclass(frozen=True, slots=True)
class SharedView:
    """What one supporter sees of one person: None where not shared."""

    person_handle: str
    person_name: str
    relation: str
    shares: Shares
    checked_in_today: bool | None
    streak: int | None
    trend: Trend | None
    open_alerts: bool | None
    scores: tuple[ScoreLine, ...] | None


def shared_view(
    *,
    handle: str,
    name: str,
    relation: str,
    shares: Shares,
    today: dt.date,
    checkin_days: Sequence[dt.date],
    cravings: Sequence[tuple[dt.date, int]],
    open_alerts: bool,
    scores: Sequence[ScoreLine],
) -> SharedView:
    """Apply the switches: nothing not shared leaves this function."""
    return SharedView(
        person_handle=handle,
        person_name=name,
        relation=relation,
        shares=shares,
        checked_in_today=(today in set(checkin_days)) if shares.checkins else None,
        streak=streak(checkin_days, today) if shares.checkins else None,
        trend=craving_trend(cravings, today) if shares.trend else None,
        open_alerts=open_alerts if shares.alerts else None,
        scores=tuple(scores) if shares.scores else None,
    )
