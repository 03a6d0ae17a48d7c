"""Contingency management: rewards for verifiable behaviours, on an escalating schedule that
resets when the behaviour is missed.

The schedule follows the shape of published protocols: Higgins et al. 1994 (vouchers whose
value rises with each consecutive drug-free specimen, with a bonus for every third, and falls
back to the starting value after a positive or missed one) and Petry's prize-bowl method (the
number of draws rises with consecutive successes and a lapse resets it). The clinic sets every
number; Taperline only applies the schedule it was given, and rewards nothing but the
behaviours below. It never rewards a dose taken, or a dose reduction: those are the
clinician's plan, not a behaviour to buy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from taperline.domain.errors import InvalidInput


class Behaviour(StrEnum):
    CHECKIN_ON_TIME = "checkin_on_time"  # a daily check-in sent on the day it is about
    COUNSELING = "counseling_session"  # a counseling session attended, entered by a clinician
    NEGATIVE_UDS = "negative_uds"  # a negative urine drug screen, entered by a clinician


BEHAVIOUR_LABELS = {
    Behaviour.CHECKIN_ON_TIME: "Daily check-in sent on the day",
    Behaviour.COUNSELING: "Counseling session attended",
    Behaviour.NEGATIVE_UDS: "Negative urine drug screen",
}
# Entered by a clinician (the check-in one is earned by checking in).
CLINICIAN_ENTERED = (Behaviour.COUNSELING, Behaviour.NEGATIVE_UDS)
MISS_LABELS = {
    Behaviour.CHECKIN_ON_TIME: "a day without a check-in",
    Behaviour.COUNSELING: "a missed session",
    Behaviour.NEGATIVE_UDS: "a positive or missed screen",
}


class Unit(StrEnum):
    POINTS = "points"
    VOUCHER_CENTS = "voucher_cents"  # money-value vouchers, counted in cents
    DRAWS = "draws"  # prize-bowl draws


UNIT_LABELS = {Unit.POINTS: "points", Unit.VOUCHER_CENTS: "voucher value", Unit.DRAWS: "draws"}
MAX_VALUE = 100_000  # per award, in the unit: a typing slip guard, not a clinical limit
MAX_NOTE = 500
NOT_REWARDABLE = (
    "only verifiable behaviours can be rewarded ({choices}). Taperline never rewards a dose "
    "taken or a dose reduction"
)


@dataclass(frozen=True, slots=True)
class Rule:
    """What one behaviour earns: `first` the first time, `step` more each consecutive time up to
    `cap`, plus `bonus` every `bonus_every` in a row (0: no bonus)."""

    behaviour: Behaviour
    first: int
    step: int = 0
    cap: int = 0  # 0: first + step grows without a cap other than MAX_VALUE
    bonus_every: int = 0
    bonus: int = 0

    def value(self, streak: int) -> int:
        """The amount earned by the `streak`-th consecutive success (streak ≥ 1)."""
        if streak < 1:
            return 0
        grown = self.first + self.step * (streak - 1)
        if self.cap:
            grown = min(grown, self.cap)
        extra = self.bonus if self.bonus_every and streak % self.bonus_every == 0 else 0
        return min(grown + extra, MAX_VALUE)


def parse_behaviour(value: str, *, field: str = "behaviour") -> Behaviour:
    try:
        return Behaviour(value.strip().lower())
    except ValueError:
        choices = ", ".join(b.value for b in Behaviour)
        raise InvalidInput(field, NOT_REWARDABLE.format(choices=choices)) from None


def parse_unit(value: str) -> Unit:
    try:
        return Unit(value.strip().lower())
    except ValueError:
        raise InvalidInput("unit", f"choose one of {', '.join(u.value for u in Unit)}") from None


def check_rule(rule: Rule, index: int) -> Rule:
    where = f"rules[{index}]"
    for name in ("first", "step", "cap", "bonus_every", "bonus"):
        number = getattr(rule, name)
        if not isinstance(number, int) or isinstance(number, bool):
            raise InvalidInput(f"{where}.{name}", "must be a whole number")
        if number < 0 or number > MAX_VALUE:
            raise InvalidInput(f"{where}.{name}", f"must be between 0 and {MAX_VALUE}")
    if rule.first < 1:
        raise InvalidInput(f"{where}.first", "must be at least 1: the first success earns it")
    if rule.cap and rule.cap < rule.first:
        raise InvalidInput(f"{where}.cap", f"is below the first value ({rule.first})")
    if rule.bonus and not rule.bonus_every:
        raise InvalidInput(f"{where}.bonus_every", "say after how many in a row the bonus comes")
    return rule


def check_rules(rules: list[Rule]) -> tuple[Rule, ...]:
    if not rules:
        raise InvalidInput("rules", "give at least one behaviour to reward")
    seen: set[Behaviour] = set()
    for index, rule in enumerate(rules):
        check_rule(rule, index)
        if rule.behaviour in seen:
            raise InvalidInput(f"rules[{index}].behaviour", f"{rule.behaviour} is listed twice")
        seen.add(rule.behaviour)
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class LastEvent:
    """The latest recorded (not corrected away) event for one behaviour."""

    day: dt.date
    met: bool
    streak: int


def next_streak(behaviour: Behaviour, last: LastEvent | None, day: dt.date) -> int:
    """The streak a success on `day` makes. A miss resets it; for check-ins, so does a day
    with no check-in (the gap is the miss)."""
    if last is None or not last.met:
        return 1
    if behaviour is Behaviour.CHECKIN_ON_TIME and (day - last.day).days != 1:
        return 1
    return last.streak + 1


def check_order(behaviour: Behaviour, last: LastEvent | None, day: dt.date) -> None:
    """Events for a behaviour are entered in date order, once per day: the streak depends on it."""
    if last is None:
        return
    if day < last.day:
        raise InvalidInput(
            "date",
            f"is before the last {BEHAVIOUR_LABELS[behaviour].lower()} entry ({last.day}); "
            "enter events in date order",
        )
    if day == last.day:
        raise InvalidInput(
            "date", f"{BEHAVIOUR_LABELS[behaviour].lower()} is already recorded for {day}"
        )


def check_note(note: str, *, required: bool) -> str:
    cleaned = " ".join(note.split())
    if required and not cleaned:
        raise InvalidInput("note", "say what this is for (for example what was redeemed)")
    if len(cleaned) > MAX_NOTE:
        raise InvalidInput("note", f"keep it to {MAX_NOTE} characters")
    return cleaned


def check_redeem(amount: int, balance: int) -> int:
    if amount < 1:
        raise InvalidInput("amount", "must be at least 1")
    if amount > balance:
        raise InvalidInput("amount", f"is more than the balance ({balance})")
    return amount


def describe(unit: Unit, amount: int) -> str:
    """An amount in words: '$2.50 in vouchers', '3 draws', '10 points'."""
    if unit is Unit.VOUCHER_CENTS:
        sign = "-" if amount < 0 else ""
        return f"{sign}${abs(amount) // 100}.{abs(amount) % 100:02d}"
    word = "draw" if unit is Unit.DRAWS else "point"
    return f"{amount} {word}{'' if abs(amount) == 1 else 's'}"
