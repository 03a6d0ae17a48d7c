"""Taper schedules, computed only from what a clinician entered. Pure.

The clinician gives the current daily amount, the target (zero or a maintenance amount), the
method (a percentage of the current amount per step, or a fixed amount per step), the step
length in days, the smallest measurable step (0.25 g of powder, one capsule) and how the day's
amount splits across doses. Taperline computes the dated steps:

- a cut is rounded *down* to a whole number of smallest steps, so rounding never makes a step
  larger than asked; the last step stops at the target, never below it;
- when a percentage step becomes smaller than the smallest measurable step, the schedule
  stops there and says so (a plateau), rather than inventing a bigger step;
- pauses hold the amount in force for a number of days and push later steps back;
- the schedule never increases the amount.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from taperline.domain.errors import InvalidInput
from taperline.domain.units import Amount, Dimension

MAX_STEPS = 520
EARLIEST_START = dt.date(2000, 1, 1)
LATEST_START = dt.date(2100, 12, 31)


class Method(StrEnum):
    PERCENT = "percent"  # `step` is a percentage of the current amount
    FIXED = "fixed"  # `step` is an amount, in the current amount's unit


@dataclass(frozen=True, slots=True)
class DoseTime:
    time: dt.time
    share: int = 1  # relative weight of this dose in the day's amount


@dataclass(frozen=True, slots=True)
class Pause:
    start: dt.date
    days: int


@dataclass(frozen=True, slots=True)
class TaperParams:
    start: dt.date  # the day the first reduced amount begins
    current: Amount  # the daily amount now
    target: Amount  # zero, or a maintenance amount
    method: Method
    step: Decimal  # percent, or an amount in `current`'s unit
    step_days: int
    smallest_step: Amount
    doses: tuple[DoseTime, ...]
    long_term_use: bool = True
    pauses: tuple[Pause, ...] = ()


@dataclass(frozen=True, slots=True)
class TaperStep:
    number: int
    start: dt.date
    end: dt.date  # inclusive
    daily: Amount
    before: Amount  # the daily amount in the step before
    doses: tuple[tuple[dt.time, Amount], ...]
    held_days: int = 0  # days added by pauses

    @property
    def cut(self) -> Amount:
        return Amount(self.before.value - self.daily.value, self.daily.unit)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True, slots=True)
class TaperSchedule:
    params: TaperParams
    steps: tuple[TaperStep, ...]
    reaches_target: bool
    notes: tuple[str, ...] = field(default=())

    def step_on(self, date: dt.date) -> TaperStep | None:
        """The step in force on `date`; after the last step, the last step's amount holds."""
        if not self.steps or date < self.steps[0].start:
            return None
        for step in self.steps:
            if step.start <= date <= step.end:
                return step
        return self.steps[-1]

    def daily_on(self, date: dt.date) -> Amount:
        """The planned daily amount on `date` (the current amount before the taper starts)."""
        step = self.step_on(date)
        return self.params.current if step is None else step.daily


def _quantum(params: TaperParams) -> Decimal:
    return params.smallest_step.to(params.current.unit).value


def validate(params: TaperParams) -> TaperParams:
    unit = params.current.unit
    for name, amount in (("target", params.target), ("smallest_step", params.smallest_step)):
        if amount.dimension is not params.current.dimension or (
            amount.dimension is not Dimension.MASS and amount.unit is not unit
        ):
            raise InvalidInput(
                name, f"must be in the same unit as the current amount ({unit.value})"
            )
    target = params.target.to(unit)
    quantum = _quantum(params)
    if quantum <= 0:
        raise InvalidInput("smallest_step", "must be more than zero")
    if quantum % Decimal("0.001") != 0:
        raise InvalidInput("smallest_step", "use at most three decimal places")
    if not EARLIEST_START <= params.start <= LATEST_START:
        raise InvalidInput("start", f"must be between {EARLIEST_START} and {LATEST_START}")
    if params.current.value <= 0:
        raise InvalidInput("current", "must be more than zero")
    if target.value >= params.current.value:
        raise InvalidInput("target", "must be below the current amount: a taper never increases")
    for name, value in (("current", params.current.value), ("target", target.value)):
        if value % quantum != 0:
            raise InvalidInput(
                name,
                f"{value.normalize():f} {unit.value} is not a whole number of "
                f"{quantum.normalize():f} {unit.value} steps",
            )
    if params.step <= 0:
        raise InvalidInput("step", "must be more than zero")
    if params.method is Method.PERCENT and params.step > 100:
        raise InvalidInput("step", "a percentage step cannot be more than 100")
    if params.method is Method.FIXED and params.step < quantum:
        raise InvalidInput(
            "step",
            f"is smaller than the smallest measurable step ({quantum.normalize():f} {unit.value})",
        )
    if not 1 <= params.step_days <= 365:
        raise InvalidInput("step_days", "must be between 1 and 365")
    if not params.doses:
        raise InvalidInput("doses", "give at least one dose time")
    times = [d.time for d in params.doses]
    if len(set(times)) != len(times):
        raise InvalidInput("doses", "the same time is listed twice")
    if any(d.share < 1 for d in params.doses):
        raise InvalidInput("doses", "each dose's share must be 1 or more")
    for pause in params.pauses:
        if not 1 <= pause.days <= 365:
            raise InvalidInput("pause.days", "must be between 1 and 365")
    return replace(
        params,
        target=target,
        smallest_step=Amount(quantum, unit),
        doses=tuple(sorted(params.doses, key=lambda d: d.time)),
        pauses=tuple(sorted(params.pauses, key=lambda p: p.start)),
    )


def split(
    daily: Amount, doses: tuple[DoseTime, ...], quantum: Decimal
) -> tuple[tuple[dt.time, Amount], ...]:
    """Share the day's amount across dose times in whole smallest steps (largest remainder)."""
    units = int(daily.value / quantum)
    weights = sum(d.share for d in doses)
    exact = [Decimal(units * d.share) / weights for d in doses]
    whole = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    order = sorted(range(len(doses)), key=lambda i: (-(exact[i] - whole[i]), i))
    for index in order[: units - sum(whole)]:
        whole[index] += 1
    return tuple(
        (dose.time, Amount((quantum * count).normalize() + Decimal(0), daily.unit))
        for dose, count in zip(doses, whole, strict=True)
    )


def build_schedule(params: TaperParams, *, with_doses: bool = True) -> TaperSchedule:
    """The dated steps. `with_doses=False` leaves each step's per-dose split empty (for callers
    that only need the dates and daily amounts, e.g. the clinic overview's phases)."""
    params = validate(params)
    unit = params.current.unit
    quantum = _quantum(params)
    target = params.target.value
    amount = params.current.value
    start = params.start
    steps: list[TaperStep] = []
    notes: list[str] = []
    pauses = list(params.pauses)
    while amount > target:
        if len(steps) >= MAX_STEPS:
            raise InvalidInput("step", f"the schedule would need more than {MAX_STEPS} steps")
        wanted = amount * params.step / 100 if params.method is Method.PERCENT else params.step
        cut = (wanted / quantum).to_integral_value(rounding=ROUND_FLOOR) * quantum
        if cut == 0:
            notes.append(
                f"From {amount.normalize():f} {unit.value} a {params.step.normalize():f}% step is "
                "smaller than the smallest measurable step "
                f"({quantum.normalize():f} {unit.value}), "
                "so the schedule stops here. To go further, choose a fixed step (each step larger "
                "than the guideline pace will need the clinician's acknowledgement)."
            )
            break
        new = max(target, amount - cut)
        steps.append(
            TaperStep(
                number=len(steps) + 1,
                start=start,
                end=start + dt.timedelta(days=params.step_days - 1),
                daily=Amount(new, unit),
                before=Amount(amount, unit),
                doses=split(Amount(new, unit), params.doses, quantum) if with_doses else (),
            )
        )
        amount = new
        start = start + dt.timedelta(days=params.step_days)
    steps = _apply_pauses(steps, pauses, params)
    if steps and steps[-1].daily.value == target:
        notes.append(
            f"Reaches {target.normalize():f} {unit.value} on {steps[-1].start.isoformat()}."
        )
    return TaperSchedule(
        params=params, steps=tuple(steps), reaches_target=amount == target, notes=tuple(notes)
    )


def _apply_pauses(
    steps: list[TaperStep], pauses: list[Pause], params: TaperParams
) -> list[TaperStep]:
    """A pause from day P for N days: no new cut begins in those N days. The step in force
    holds N days longer and every later step moves back N days. A pause before the first step
    simply delays the whole taper (the current amount holds)."""
    del params  # the pauses carry everything they need
    for pause in pauses:
        delta = dt.timedelta(days=pause.days)
        moved: list[TaperStep] = []
        for step in steps:
            if step.end < pause.start:
                moved.append(step)
            elif step.start < pause.start:  # the pause begins inside this step
                moved.append(
                    replace(step, end=step.end + delta, held_days=step.held_days + pause.days)
                )
            else:
                moved.append(replace(step, start=step.start + delta, end=step.end + delta))
        for index, step in enumerate(moved[:-1]):
            if (
                step.end == pause.start - dt.timedelta(days=1)
                and moved[index + 1].start == pause.start + delta
            ):
                # The pause starts on a step boundary: the earlier amount holds.
                moved[index] = replace(
                    step, end=step.end + delta, held_days=step.held_days + pause.days
                )
        steps = moved
    return steps
