"""A person's data rights on the real database: the export holds everything about them (and
no secrets); erasure leaves nothing personal anywhere — name, email, handle and free text are
searched for in every column of every table — while the de-identified records of care stay."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import JSON, String, Text, func, select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.config import Settings
from taperline.db.base import Base
from taperline.db.models import Checkin, User
from taperline.domain.access import Actor
from taperline.domain.circle import Shares
from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role
from taperline.services import circle, data_rights, messages, people
from taperline.services.authz import AccessDenied
from tests.actors import cast
from tests.factories import actor_for, checkin_data, make_user, submit

SETTINGS = Settings(database_url="sqlite://", password_time_cost=1, password_memory_kib=8)
NAME, EMAIL, HANDLE = "Rosalind Quimby", "rosalind.quimby@example.org", "rquimby"
NOTE = "Argued with my sister Henrietta about the Tuesday rent"
MESSAGE = "Henrietta drove me to the Larkspur clinic today"


def _everything(session: Session) -> list[tuple[str, str, str]]:
    """Every (table, column, text) in the database, JSON included."""
    found = []
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON):
                continue
            for value in session.scalars(select(column)):
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found.append((table.name, column.name, text))
    return found


@pytest.fixture
def person(session: Session, clock: FixedClock) -> User:
    cast_ = cast(session, clock)
    user = make_user(session, clock, cast_.pat.clinic, HANDLE, Role.PERSON, clinicians=("cleo",))
    user.display_name = NAME
    user.email = EMAIL
    cast_.cleo.email = "cleo@example.org"
    actor = actor_for(user)
    submit(session, clock, actor, HANDLE, checkin_data(clock.today(), note=NOTE))
    messages.start_thread(session, clock, actor, HANDLE, "Getting there", MESSAGE)
    messages.start_thread(session, clock, actor, HANDLE, "Night", "I want to die some nights")
    circle.invite(
        session, clock, SETTINGS, actor, HANDLE, email="henrietta.q@example.org",
        name="Henrietta", relation="family", shares=Shares(),
    )  # fmt: skip
    people.add_medication(
        session, clock, Actor.operator("t"), HANDLE, name="Suboxone", category="moud", amount=None
    )
    session.flush()
    return user


def test_the_export_holds_everything_and_no_secret(
    session: Session, clock: FixedClock, person: User
) -> None:
    person.password_hash = "argon2-secret-hash"
    document = data_rights.export(session, clock, actor_for(person), HANDLE)
    text = json.dumps(document)
    for expected in (NAME, EMAIL, NOTE, MESSAGE, "Henrietta", "Suboxone"):
        assert expected in text
    assert "argon2-secret-hash" not in text and "password_hash" not in text
    assert {"users", "checkins", "instrument_responses", "messages", "circle_members"} <= set(
        document["tables"]
    )
    assert document["tables"]["users"][0]["handle"] == HANDLE


def test_only_the_person_or_the_operator_exports(
    session: Session, clock: FixedClock, person: User
) -> None:
    cleo = session.scalars(select(User).where(User.handle == "cleo")).one()
    with pytest.raises(AccessDenied):
        data_rights.export(session, clock, actor_for(cleo), HANDLE)
    assert data_rights.export(session, clock, Actor.operator("t"), HANDLE)["person"] == HANDLE


def test_erasure_leaves_nothing_personal_anywhere(
    session: Session, clock: FixedClock, person: User
) -> None:
    ada = session.scalars(select(User).where(User.handle == "ada")).one()
    before = _everything(session)
    assert any(NAME in t for *_, t in before) and any(MESSAGE in t for *_, t in before)
    done = data_rights.erase(session, clock, actor_for(ada), HANDLE)
    assert done.rows_scrubbed > 0
    after = _everything(session)
    secrets = (NAME, EMAIL, HANDLE, NOTE, MESSAGE, "Henrietta", "henrietta.q@example.org")
    leaks = [
        (table, column, text[:80])
        for table, column, text in after
        for secret in secrets
        if secret.lower() in text.lower()
    ]
    assert leaks == []
    # The records of care stay, de-identified: the check-in and its scores are still there.
    kept = session.scalar(select(func.count(Checkin.id)).where(Checkin.person_id == person.id))
    assert kept == 1
    assert person.handle == f"erased-{person.id}" and not person.active
    actions = [t for table, column, t in after if table == "audit_events" and column == "action"]
    assert "person.erase" in actions


@pytest.mark.parametrize("who", ["cleo", "pat", "olga"])
def test_only_a_clinic_admin_erases(
    session: Session, clock: FixedClock, person: User, who: str
) -> None:
    actor = actor_for(session.scalars(select(User).where(User.handle == who)).one())
    with pytest.raises(AccessDenied):
        data_rights.erase(session, clock, actor, HANDLE)
    assert person.display_name == NAME


def _rows_about(session: Session, person_id: int) -> dict[str, int]:
    from taperline.db.models import Alert, Message, MessageThread, PlanVersion

    counts = {}
    for model in (Checkin, Alert, MessageThread, PlanVersion):
        column = model.__table__.c.person_id
        counts[model.__tablename__] = session.scalar(
            select(func.count()).where(column == person_id)
        )
    threads = select(MessageThread.id).where(MessageThread.person_id == person_id)
    counts["messages"] = session.scalar(select(func.count()).where(Message.thread_id.in_(threads)))
    return counts


def test_a_clinic_that_deletes_on_erasure_keeps_nothing_but_the_audit_log(
    session: Session, clock: FixedClock, person: User
) -> None:
    ada = session.scalars(select(User).where(User.handle == "ada")).one()
    pat = session.scalars(select(User).where(User.handle == "pat")).one()
    submit(session, clock, actor_for(pat), "pat", checkin_data(clock.today()))
    cleo = session.scalars(select(User).where(User.handle == "cleo")).one()
    with pytest.raises(AccessDenied):  # a clinician cannot change the clinic's retention
        data_rights.set_retention(session, clock, actor_for(cleo), str(ada.clinic_id), "delete")
    with pytest.raises(InvalidInput) as refused:
        data_rights.set_retention(session, clock, actor_for(ada), str(ada.clinic_id), "forever")
    assert refused.value.field == "retention"
    data_rights.set_retention(session, clock, actor_for(ada), str(ada.clinic_id), "delete")
    before = _rows_about(session, person.id)
    assert before["checkins"] == 1 and before["message_threads"] == 2 and before["messages"] == 2
    done = data_rights.erase(session, clock, actor_for(ada), HANDLE)
    assert done.retention == "delete" and done.rows_deleted > sum(before.values())
    assert set(_rows_about(session, person.id).values()) == {0}
    held = data_rights._held(session, person.id)
    assert set(held) == {"users", "audit_events"}  # the tombstone and the audit log only
    assert person.handle == f"erased-{person.id}" and person.display_name == "Erased person"
    # Someone else's record is untouched, and the audit log keeps the erasure.
    assert session.scalar(select(func.count(Checkin.id)).where(Checkin.person_id == pat.id)) == 1
    after = _everything(session)
    assert not any(NAME.lower() in t.lower() or NOTE.lower() in t.lower() for *_, t in after)
    actions = [t for table, column, t in after if table == "audit_events" and column == "action"]
    assert "person.erase" in actions and "clinic.retention" in actions
