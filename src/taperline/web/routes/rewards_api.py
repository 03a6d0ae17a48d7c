"""Rewards under /api/v1: a person's balance and ledger, the clinician's entries,
redemptions and corrections, and the clinic's programme. The services decide access."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from taperline.domain.rewards import (
    MAX_VALUE,
    Behaviour,
    Rule,
)
from taperline.services import rewards
from taperline.services.messages import my_handle
from taperline.services.reward_programme import ProgrammeView
from taperline.services.rewards import EntryView, RewardsView
from taperline.web.deps import ClockDep, SessionDep, ViewerDep, WriterDep
from taperline.web.routes.api_v1 import WRITES, companion_router

api_router = companion_router("rewards")
Handle = Annotated[str, Path(max_length=100, description="The person's handle")]


class RulePublic(BaseModel):
    behaviour: str = Field(description=", ".join(b.value for b in Behaviour))
    first: int = Field(description="What the first success earns (in the unit)")
    step: int = Field(default=0, description="How much more each success in a row earns")
    cap: int = Field(default=0, description="The most one success earns (0: no cap)")
    bonus_every: int = Field(default=0, description="A bonus every this many in a row (0: none)")
    bonus: int = Field(default=0)


class ProgrammePublic(BaseModel):
    id: int
    name: str
    unit: str = Field(description="points, voucher_cents or draws")
    unit_note: str
    rules: list[RulePublic]
    created_at: dt.datetime

    @classmethod
    def of(cls, p: ProgrammeView) -> ProgrammePublic:
        return cls(
            id=p.id,
            name=p.name,
            unit=p.unit.value,
            unit_note=p.unit_note,
            rules=[
                RulePublic(
                    behaviour=r.behaviour.value,
                    first=r.first,
                    step=r.step,
                    cap=r.cap,
                    bonus_every=r.bonus_every,
                    bonus=r.bonus,
                )  # fmt: skip
                for r in p.rules
            ],
            created_at=p.created_at,
        )


class ProgrammeInput(BaseModel):
    name: str = Field(max_length=400)
    unit: str = Field(max_length=20)
    unit_note: str = Field(default="", max_length=2000)
    rules: list[dict[str, Any]] = Field(max_length=10, description="RulePublic objects")


class ProgrammeAnswer(BaseModel):
    programme: ProgrammePublic | None


class EntryPublic(BaseModel):
    id: int
    kind: str = Field(description="earned, missed, redeemed or correction")
    behaviour: str | None
    date: dt.date
    streak: int
    amount: int = Field(description="In the programme's unit (cents for vouchers)")
    amount_text: str
    note: str
    by: str | None
    at: dt.datetime
    corrected: bool

    @classmethod
    def of(cls, e: EntryView) -> EntryPublic:
        return cls(
            id=e.id, kind=e.kind, behaviour=e.behaviour.value if e.behaviour else None,
            date=e.day, streak=e.streak, amount=e.amount, amount_text=e.amount_text,
            note=e.note, by=e.by, at=e.at, corrected=e.corrected,
        )  # fmt: skip


class ProgressPublic(BaseModel):
    behaviour: str
    label: str
    streak: int
    next_value: int
    next_text: str


class RewardsPublic(BaseModel):
    person: str
    enrolled: bool
    programme: ProgrammePublic | None
    balance: int
    balance_text: str
    progress: list[ProgressPublic]
    entries: list[EntryPublic]

    @classmethod
    def of(cls, v: RewardsView) -> RewardsPublic:
        return cls(
            person=v.person_handle,
            enrolled=v.enrolled,
            programme=ProgrammePublic.of(v.programme) if v.programme else None,
            balance=v.balance,
            balance_text=v.balance_text,
            progress=[
                ProgressPublic(
                    behaviour=p.behaviour.value,
                    label=p.label,
                    streak=p.streak,
                    next_value=p.next_value,
                    next_text=p.next_text,
                )  # fmt: skip
                for p in v.progress
            ],
            entries=[EntryPublic.of(e) for e in v.entries],
        )


class EventInput(BaseModel):
    behaviour: str = Field(max_length=40, description="counseling_session or negative_uds")
    date: dt.date
    met: bool = Field(description="true: attended / negative; false: missed / positive")
    note: str = Field(default="", max_length=2000)


class RedeemInput(BaseModel):
    amount: int = Field(ge=1, le=10 * MAX_VALUE)
    note: str = Field(max_length=2000, description="What was handed over")


class CorrectionInput(BaseModel):
    entry_id: int = Field(ge=1, le=2**31 - 1)
    note: str = Field(max_length=2000, description="Why")


class EnrolmentInput(BaseModel):
    enrolled: bool


@api_router.get("/me/rewards", response_model=RewardsPublic)
def my_rewards_api(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> RewardsPublic:
    """Your balance, your progress on each rewarded behaviour, and your ledger."""
    handle = my_handle(session, viewer.actor)
    return RewardsPublic.of(rewards.ledger(session, clock, viewer.actor, handle))


@api_router.get("/people/{handle}/rewards", response_model=RewardsPublic)
def person_rewards_api(
    handle: Handle, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> RewardsPublic:
    """A person's balance, progress and ledger (the person, or a clinician caring for them)."""
    return RewardsPublic.of(rewards.ledger(session, clock, viewer.actor, handle))


@api_router.put(
    "/people/{handle}/rewards/enrolment", response_model=RewardsPublic, dependencies=WRITES
)
def enrol_api(
    handle: Handle, body: EnrolmentInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> RewardsPublic:
    """Enrol a person you care for in the clinic's programme, or end it (the ledger stays)."""
    rewards.enrol(session, clock, viewer.actor, handle, on=body.enrolled)
    return RewardsPublic.of(rewards.ledger(session, clock, viewer.actor, handle))


@api_router.post(
    "/people/{handle}/rewards/events", status_code=201, response_model=EntryPublic,
    dependencies=WRITES,
)  # fmt: skip
def event_api(
    handle: Handle, body: EventInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> EntryPublic:
    """Enter a verified event: a counseling session attended or missed, a urine drug screen
    negative or positive/missed. In date order, once a day per behaviour."""
    return EntryPublic.of(
        rewards.record(
            session,
            clock,
            viewer.actor,
            handle,
            behaviour=body.behaviour,
            day=body.date,
            met=body.met,
            note=body.note,
        )  # fmt: skip
    )


@api_router.post(
    "/people/{handle}/rewards/redeem", status_code=201, response_model=EntryPublic,
    dependencies=WRITES,
)  # fmt: skip
def redeem_api(
    handle: Handle, body: RedeemInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> EntryPublic:
    """Redeem part of the balance (in the programme's unit), saying what was handed over."""
    return EntryPublic.of(
        rewards.redeem(session, clock, viewer.actor, handle, amount=body.amount, note=body.note)
    )


@api_router.post(
    "/people/{handle}/rewards/corrections", status_code=201, response_model=EntryPublic,
    dependencies=WRITES,
)  # fmt: skip
def correct_api(
    handle: Handle, body: CorrectionInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> EntryPublic:
    """Reverse a ledger line entered by mistake (the original stays, marked corrected)."""
    return EntryPublic.of(
        rewards.correct(
            session, clock, viewer.actor, handle, entry_id=body.entry_id, note=body.note
        )
    )


@api_router.get("/clinic/rewards", response_model=ProgrammeAnswer)
def programme_api(session: SessionDep, clock: ClockDep, viewer: ViewerDep) -> ProgrammeAnswer:
    """The clinic's current reward programme (its clinicians and admins)."""
    current = rewards.current_programme(session, clock, viewer.actor)
    return ProgrammeAnswer(programme=ProgrammePublic.of(current) if current else None)


@api_router.put("/clinic/rewards", response_model=ProgrammeAnswer, dependencies=WRITES)
def configure_api(
    body: ProgrammeInput, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> ProgrammeAnswer:
    """Set the clinic's programme: a new version that applies from now on."""
    rules: list[Rule] = [rewards.rule_from(raw, i) for i, raw in enumerate(body.rules)]
    saved = rewards.configure(
        session, clock, viewer.actor,
        name=body.name, unit=body.unit, unit_note=body.unit_note, rules=rules,
    )  # fmt: skip
    return ProgrammeAnswer(programme=ProgrammePublic.of(saved))
