"""Rewards on the web (the API is in rewards_api): /me/rewards (a person's balance, progress and
ledger), /people/{handle}/rewards (their clinician enrols, enters sessions and screens,
redeems and corrects), /clinic/rewards (the clinic's programme). The services decide access."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from taperline.domain.errors import InvalidInput
from taperline.domain.rewards import (
    BEHAVIOUR_LABELS,
    CLINICIAN_ENTERED,
    MAX_VALUE,
    MISS_LABELS,
    UNIT_LABELS,
    Behaviour,
)
from taperline.knowledge import load
from taperline.services import evidence, rewards
from taperline.services.messages import my_handle
from taperline.web.deps import ClockDep, SessionDep, Viewer, ViewerDep, WriterDep
from taperline.web.templating import render

router = APIRouter(include_in_schema=False)

Handle = Annotated[str, Path(max_length=100, description="The person's handle")]
Note = Annotated[str, Form(max_length=2000)]
Number = Annotated[str, Form(max_length=20)]
CLAIM = "rewards-for-verified-behaviour-help"


def _sentence(error: InvalidInput) -> str:
    return f"{error.problem[:1].upper()}{error.problem[1:]}."


def _ledger_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    handle: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    view = rewards.ledger(session, clock, viewer.actor, handle)
    return render(
        request,
        "rewards/ledger.html",
        viewer,
        status_code=status_code,
        view=view,
        own=view.person_handle == viewer.handle,
        labels=BEHAVIOUR_LABELS,
        miss_labels=MISS_LABELS,
        entered=CLINICIAN_ENTERED,
        today=clock.now().date(),
        claim=evidence.library().get(CLAIM),
        references=load().references,
        **context,
    )


@router.get("/me/rewards", response_class=HTMLResponse)
def my_rewards(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    return _ledger_page(request, session, clock, viewer, my_handle(session, viewer.actor))


@router.get("/people/{handle}/rewards", response_class=HTMLResponse)
def person_rewards(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep, handle: Handle
) -> HTMLResponse:
    return _ledger_page(request, session, clock, viewer, handle)


def _whole(value: str, field: str) -> int:
    text = value.strip()
    if not text.isdigit():
        raise InvalidInput(field, "must be a whole number, 0 or more")
    return int(text)


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("date", "give the date as YYYY-MM-DD") from None


@router.post("/people/{handle}/rewards/enrolment", response_class=HTMLResponse)
def enrol_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    handle: Handle,
    on: Annotated[str, Form(max_length=5)] = "yes",
) -> HTMLResponse:
    try:
        rewards.enrol(session, clock, viewer.actor, handle, on=on == "yes")
    except InvalidInput as error:
        session.rollback()
        return _ledger_page(request, session, clock, viewer, handle, 422, error=_sentence(error))
    done = "Enrolled." if on == "yes" else "Enrolment ended; the ledger is kept."
    return _ledger_page(request, session, clock, viewer, handle, done=done)


@router.post("/people/{handle}/rewards/events", response_class=HTMLResponse)
def event_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    handle: Handle,
    behaviour: Annotated[str, Form(max_length=40)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    outcome: Annotated[str, Form(max_length=10)] = "",
    note: Note = "",
) -> HTMLResponse:
    try:
        if outcome not in ("met", "missed"):
            raise InvalidInput("outcome", "choose whether it was met or missed")
        entry = rewards.record(
            session, clock, viewer.actor, handle,
            behaviour=behaviour, day=_day(date), met=outcome == "met", note=note,
        )  # fmt: skip
    except InvalidInput as error:
        session.rollback()
        return _ledger_page(
            request, session, clock, viewer, handle, 422,
            error=_sentence(error), field=error.field,
        )  # fmt: skip
    done = (
        f"Saved: {entry.amount_text} earned ({entry.streak} in a row)."
        if entry.kind == "earned"
        else "Saved: the streak starts again from the next success."
    )
    return _ledger_page(request, session, clock, viewer, handle, done=done)


@router.post("/people/{handle}/rewards/redeem", response_class=HTMLResponse)
def redeem_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    handle: Handle,
    amount: Number = "",
    note: Note = "",
) -> HTMLResponse:
    try:
        entry = rewards.redeem(
            session, clock, viewer.actor, handle, amount=_whole(amount, "amount"), note=note
        )
    except InvalidInput as error:
        session.rollback()
        return _ledger_page(
            request, session, clock, viewer, handle, 422,
            redeem_error=_sentence(error), field=error.field,
        )  # fmt: skip
    return _ledger_page(
        request, session, clock, viewer, handle, done=f"Redeemed {entry.amount_text[1:]}."
    )


@router.post("/people/{handle}/rewards/{entry_id}/correct", response_class=HTMLResponse)
def correct_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: WriterDep,
    handle: Handle,
    entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    note: Note = "",
) -> HTMLResponse:
    try:
        rewards.correct(session, clock, viewer.actor, handle, entry_id=entry_id, note=note)
    except InvalidInput as error:
        session.rollback()
        return _ledger_page(request, session, clock, viewer, handle, 422, error=_sentence(error))
    return _ledger_page(
        request, session, clock, viewer, handle, done=f"Entry {entry_id} corrected."
    )


# -- the clinic's programme ------------------------------------------------------------------


def _programme_page(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    viewer: Viewer,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "rewards/programme.html",
        viewer,
        status_code=status_code,
        programme=rewards.current_programme(session, clock, viewer.actor),
        behaviours=list(Behaviour),
        labels=BEHAVIOUR_LABELS,
        units=UNIT_LABELS,
        max_value=MAX_VALUE,
        **context,
    )


FIELD_LABELS = {
    "first": "the first value",
    "step": "the step",
    "cap": "the limit",
    "bonus_every": "the bonus interval",
    "bonus": "the bonus",
}


def _where(error: InvalidInput, chosen: list[Behaviour]) -> str:
    """'Negative urine drug screen, the bonus: ' for an error in rules[i].bonus."""
    head, _, name = error.field.partition(".")
    if not head.startswith("rules[") or not name:
        return ""
    index = int(head[6:-1])
    if index >= len(chosen):
        return ""
    return f"{BEHAVIOUR_LABELS[chosen[index]]}, {FIELD_LABELS.get(name, name)}: "


@router.get("/clinic/rewards", response_class=HTMLResponse)
def programme_page(
    request: Request, session: SessionDep, clock: ClockDep, viewer: ViewerDep
) -> HTMLResponse:
    return _programme_page(request, session, clock, viewer)


@router.post("/clinic/rewards", response_class=HTMLResponse)
async def programme_save(
    request: Request, session: SessionDep, clock: ClockDep, viewer: WriterDep
) -> HTMLResponse:
    form = await request.form()

    def text(key: str, limit: int = 600) -> str:
        value = form.get(key, "")
        return value[:limit] if isinstance(value, str) else ""

    chosen = [b for b in Behaviour if text(f"{b.value}.on") == "yes"]
    try:
        rules = [
            rewards.rule_from(
                {"behaviour": b.value}
                | {
                    k: text(f"{b.value}.{k}", 20)
                    for k in ("first", "step", "cap", "bonus_every", "bonus")
                },
                index,
            )
            for index, b in enumerate(chosen)
        ]
        programme = rewards.configure(
            session, clock, viewer.actor,
            name=text("name"), unit=text("unit", 20), unit_note=text("unit_note"), rules=rules,
        )  # fmt: skip
    except InvalidInput as error:
        session.rollback()
        return _programme_page(
            request,
            session,
            clock,
            viewer,
            422,
            error=_where(error, chosen) + _sentence(error),
            field=error.field,
        )
    return _programme_page(
        request, session, clock, viewer, done=f"Saved: “{programme.name}” applies from now on."
    )
