"""Who holds a login cookie or an API token: one read each, on the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import FixedClock
from taperline.config import Settings
from taperline.db.models import ApiToken, AuditEvent, User
from taperline.domain.types import Role
from taperline.services import accounts
from tests.factories import actor_for, make_clinic, make_user


def test_a_token_names_its_holder_and_its_use_is_written_once_a_minute(
    session: Session, clock: FixedClock
) -> None:
    clinic = make_clinic(session, clock)
    cleo = make_user(session, clock, clinic, "cleo", Role.CLINICIAN)
    token = accounts.create_token(session, clock, actor_for(cleo), "script")
    session.flush()

    use = accounts.token_holder(session, clock, token)
    assert use is not None
    assert use.holder == accounts.Holder(cleo.id, "cleo", Role.CLINICIAN, clinic.id, False)
    assert use.stale_token_id is not None  # never used: its first use is written
    accounts.touch_token(session, clock, use.stale_token_id)
    stored = session.scalars(select(ApiToken.last_used_at)).one()
    assert stored == clock.now()

    soon = FixedClock(clock.now() + dt.timedelta(seconds=59))
    again = accounts.token_holder(session, soon, token)
    assert again is not None and again.stale_token_id is None  # no UPDATE within the minute
    later = accounts.token_holder(session, FixedClock(clock.now() + dt.timedelta(minutes=1)), token)
    assert later is not None and later.stale_token_id == use.stale_token_id

    assert accounts.token_holder(session, clock, token + "x") is None
    accounts.revoke_token(session, clock, actor_for(cleo), use.stale_token_id)
    assert accounts.token_holder(session, clock, token) is None


def test_a_deactivated_account_holds_nothing(session: Session, clock: FixedClock) -> None:
    clinic = make_clinic(session, clock)
    sam = make_user(session, clock, clinic, "sam", Role.PERSON)
    token = accounts.create_token(session, clock, actor_for(sam), "phone")
    login = accounts.start_session(session, clock, Settings(), sam, "127.0.0.1")
    session.flush()
    assert accounts.token_holder(session, clock, token) is not None
    assert accounts.session_holder(session, clock, login.token) is not None

    session.get_one(User, sam.id).active = False
    session.flush()
    assert accounts.token_holder(session, clock, token) is None
    assert accounts.session_holder(session, clock, login.token) is None


def test_a_login_cookie_holds_until_it_expires_and_only_after_the_second_factor(
    session: Session, clock: FixedClock
) -> None:
    clinic = make_clinic(session, clock)
    sam = make_user(session, clock, clinic, "sam", Role.PERSON)
    settings = Settings()
    login = accounts.start_session(session, clock, settings, sam, "127.0.0.1")
    session.flush()

    found = accounts.session_holder(session, clock, login.token)
    assert found == (
        accounts.Holder(sam.id, "sam", Role.PERSON, clinic.id, False),
        login.csrf_token,
    )
    lasts = dt.timedelta(hours=settings.session_hours)
    just_before = FixedClock(clock.now() + lasts - dt.timedelta(seconds=1))
    assert accounts.session_holder(session, just_before, login.token) is not None
    assert accounts.session_holder(session, FixedClock(clock.now() + lasts), login.token) is None
    assert accounts.session_holder(session, clock, "not-a-login") is None

    cleo = make_user(session, clock, clinic, "cleo", Role.CLINICIAN)
    cleo.totp_secret = "JBSWY3DPEHPK3PXP"
    halfway = accounts.start_session(session, clock, settings, cleo, "127.0.0.1")
    session.flush()
    assert accounts.session_holder(session, clock, halfway.token) is None  # code not given yet


def test_every_refused_login_is_audited_with_why(session: Session, clock: FixedClock) -> None:
    settings = Settings(password_time_cost=1, password_memory_kib=8, login_max_failures=2)
    clinic = make_clinic(session, clock)
    sam = make_user(session, clock, clinic, "sam", Role.PERSON)
    accounts.set_password(session, clock, settings, sam, "a long enough passphrase", actor_for(sam))
    for handle, password in [
        ("nobody", "a long enough passphrase"),  # no such account
        ("sam", "wrong"),  # a first failure
        ("sam", "wrong"),  # the second: the account locks
        ("sam", "a long enough passphrase"),  # right, but locked
    ]:
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(session, clock, settings, handle, password, "127.0.0.1")
    refused = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "account.login", AuditEvent.outcome == "denied")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_label, e.resource_type, e.resource_id, e.detail) for e in refused] == [
        ("login:nobody", "user", None, {}),
        ("login:sam", "user", str(sam.id), {"locked": False}),
        ("login:sam", "user", str(sam.id), {"locked": True}),
        ("login:sam", "user", str(sam.id), {"reason": "locked"}),
    ]
