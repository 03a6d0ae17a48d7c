"""Accounts: passwords (argon2id), lockout, invites, sessions, API tokens, optional TOTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.config import Settings
from taperline.db.models import ApiToken, CareRelationship, User, WebSession
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput, NotFound
from taperline.domain.types import Role
from taperline.services import audit
from taperline.services.authz import require
from taperline.services.people import find_user

MIN_PASSWORD = 10
INVITE_DAYS = 7


class LoginFailed(InvalidInput):
    """Wrong handle or password, or a locked account; one message for all, on purpose."""

    def __init__(self, problem: str = "the handle or password is not right") -> None:
        super().__init__("login", problem)


def hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.password_time_cost,
        memory_cost=settings.password_memory_kib,
        parallelism=1,
    )


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password", f"use at least {MIN_PASSWORD} characters")
    if len(password) > 200:
        raise InvalidInput("password", "use at most 200 characters")


def set_password(
    session: Session, clock: Clock, settings: Settings, user: User, password: str, actor: Actor
) -> None:
    check_password_rules(password)
    user.password_hash = hasher(settings).hash(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(
        session,
        clock,
        actor,
        "account.password",
        resource_type="user",
        resource_id=user.id,
        person_id=user.id if user.role == Role.PERSON else None,
    )


def authenticate(
    session: Session, clock: Clock, settings: Settings, handle: str, password: str, source: str
) -> User:
    """The user for a correct handle and password; counts failures and locks the account."""
    user = session.scalar(select(User).where(User.handle == handle.strip().lower()))
    now = clock.now()
    label = f"login:{handle.strip().lower()[:40]}"
    if user is None or not user.active or user.password_hash is None:
        hasher(settings).hash("timing-equaliser")  # similar work whether or not the user exists
        _login_denied(session, clock, Actor(label=label, source=source))
        raise LoginFailed()
    actor = Actor(
        label=label, source=source, user_id=user.id, role=Role(user.role), clinic_id=user.clinic_id
    )
    if user.locked_until is not None and user.locked_until > now:
        _login_denied(session, clock, actor, {"reason": "locked"})
        raise LoginFailed(
            f"too many failed attempts: try again after {settings.login_lock_minutes} minutes"
        )
    try:
        hasher(settings).verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
            user.failed_logins = 0
        locked = user.locked_until is not None and user.locked_until > now
        _login_denied(session, clock, actor, {"locked": locked})
        raise LoginFailed() from None
    user.failed_logins = 0
    user.locked_until = None
    if hasher(settings).check_needs_rehash(user.password_hash):
        user.password_hash = hasher(settings).hash(password)
    audit.record(session, clock, actor, "account.login", resource_type="user", resource_id=user.id)
    return user


def _login_denied(
    session: Session, clock: Clock, actor: Actor, detail: dict[str, object] | None = None
) -> None:
    """Audit a refused login: of the actor's account, or (no user id) of an unknown handle."""
    audit.record(
        session,
        clock,
        actor,
        "account.login",
        resource_type="user",
        resource_id=actor.user_id,
        outcome="denied",
        detail=detail,
    )


# -- sessions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # goes in the cookie; only its hash is stored
    csrf_token: str


def start_session(
    session: Session, clock: Clock, settings: Settings, user: User, ip: str
) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=clock.now(),
            expires_at=clock.now() + dt.timedelta(hours=settings.session_hours),
            second_factor_done=user.totp_secret is None,
            ip=ip[:64],
        )
    )
    session.flush()
    return NewSession(token=token, csrf_token=csrf)


@dataclass(frozen=True, slots=True)
class Holder:
    """The active account behind a login cookie or an API token, as one read found it."""

    user_id: int
    handle: str
    role: Role
    clinic_id: int
    totp_on: bool


_HOLDER_COLUMNS = (User.id, User.handle, User.role, User.clinic_id, User.totp_secret.is_not(None))
_SESSION_HOLDER = (
    select(*_HOLDER_COLUMNS, WebSession.csrf_token)
    .join(WebSession, WebSession.user_id == User.id)
    .where(
        WebSession.token_hash == bindparam("digest"),
        WebSession.expires_at > bindparam("now"),
        WebSession.second_factor_done.is_(True),
        User.active.is_(True),
    )
)


def session_holder(session: Session, clock: Clock, token: str) -> tuple[Holder, str] | None:
    """Who holds this login cookie, with the session's CSRF token; None when it is unknown,
    expired, waiting for its second factor, or its account is deactivated. Reads only."""
    row = session.execute(_SESSION_HOLDER, {"digest": digest(token), "now": clock.now()}).first()
    if row is None:
        return None
    user_id, handle, role, clinic_id, totp_on, csrf_token = row
    return Holder(user_id, handle, Role(role), clinic_id, bool(totp_on)), csrf_token


def end_session(session: Session, token: str) -> None:
    found = session.scalar(select(WebSession).where(WebSession.token_hash == digest(token)))
    if found is not None:
        session.delete(found)


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


# -- second factor (clinicians, optional) -------------------------------------------------


def new_totp_secret(actor: Actor) -> tuple[str, str]:
    """A fresh secret and its otpauth:// URI for an authenticator app. Nothing is stored until
    a code from it is confirmed, so nobody can lock themselves out by starting enrolment."""
    if actor.role is not Role.CLINICIAN:
        raise InvalidInput("totp", "a second factor is offered to clinicians")
    secret = pyotp.random_base32()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=actor.label, issuer_name="Taperline")


def confirm_totp(session: Session, clock: Clock, actor: Actor, secret: str, code: str) -> None:
    """Turn the second factor on once the person proves their app shows the right code."""
    if actor.role is not Role.CLINICIAN or actor.user_id is None:
        raise InvalidInput("totp", "a second factor is offered to clinicians")
    secret = secret.strip().upper()
    try:
        valid = pyotp.TOTP(secret).verify(code.strip(), for_time=clock.now(), valid_window=1)
    except (ValueError, TypeError):
        raise InvalidInput("secret", "is not a valid authenticator secret") from None
    if not valid:
        raise InvalidInput("code", "does not match; use the current 6-digit code from your app")
    user = session.get(User, actor.user_id)
    assert user is not None
    user.totp_secret = secret
    audit.record(
        session, clock, actor, "account.totp_enable", resource_type="user", resource_id=user.id
    )


def verify_totp(user: User, code: str, clock: Clock) -> bool:
    if user.totp_secret is None:
        return True
    return bool(
        pyotp.TOTP(user.totp_secret).verify(code.strip(), for_time=clock.now(), valid_window=1)
    )


# -- invites -----------------------------------------------------------------------------


def invite(session: Session, clock: Clock, actor: Actor, handle: str) -> str:
    """A one-time code the person uses to set their own password (valid for 7 days)."""
    person = find_user(session, handle)
    require(
        session,
        actor,
        Action.ACCOUNT_CREATE,
        clinic_id=person.clinic_id,
        new_role=Role(person.role),
    )
    code = "-".join(secrets.token_hex(2) for _ in range(4))
    person.invite_hash = digest(code)
    person.invite_expires_at = clock.now() + dt.timedelta(days=INVITE_DAYS)
    audit.record(
        session,
        clock,
        actor,
        "account.invite",
        resource_type="user",
        resource_id=person.id,
        person_id=person.id if person.role == Role.PERSON else None,
    )
    return code


def accept_invite(
    session: Session, clock: Clock, settings: Settings, code: str, password: str, source: str
) -> User:
    user = session.scalar(select(User).where(User.invite_hash == digest(code.strip().lower())))
    if user is None or user.invite_expires_at is None or user.invite_expires_at <= clock.now():
        raise InvalidInput(
            "code",
            "this invitation code is not valid or has expired; ask your clinic for a new one",
        )
    actor = Actor(
        label=f"user:{user.handle}",
        source=source,
        user_id=user.id,
        role=Role(user.role),
        clinic_id=user.clinic_id,
    )
    set_password(session, clock, settings, user, password, actor)
    user.invite_hash = None
    user.invite_expires_at = None
    return user


# -- API tokens --------------------------------------------------------------------------


def create_token(session: Session, clock: Clock, actor: Actor, name: str) -> str:
    if actor.user_id is None:
        raise InvalidInput("token", "API tokens belong to a user: use --as HANDLE")
    if not name.strip():
        raise InvalidInput("name", "give the token a name you will recognise")
    token = "tl_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=actor.user_id,
            name=name.strip()[:100],
            token_hash=digest(token),
            created_at=clock.now(),
        )
    )
    audit.record(
        session,
        clock,
        actor,
        "account.token_create",
        resource_type="api_token",
        detail={"name": name.strip()[:100]},
    )
    return token


@dataclass(frozen=True, slots=True)
class TokenView:
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def list_tokens(session: Session, clock: Clock, actor: Actor) -> list[TokenView]:
    """The acting user's own API tokens, newest first (never the tokens themselves)."""
    if actor.user_id is None:
        raise InvalidInput("token", "API tokens belong to a user: use --as HANDLE")
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id.desc())
    )
    views = [TokenView(t.id, t.name, t.created_at, t.last_used_at, t.revoked_at) for t in rows]
    audit.record(session, clock, actor, "account.token_list", resource_type="api_token")
    return views


def revoke_token(session: Session, clock: Clock, actor: Actor, token_id: int) -> None:
    """Revoke one of the acting user's own tokens; it stops working at once."""
    found = session.get(ApiToken, token_id)
    if found is None or actor.user_id is None or found.user_id != actor.user_id:
        raise NotFound(f"you have no API token number {token_id}")
    if found.revoked_at is None:
        found.revoked_at = clock.now()
        audit.record(
            session,
            clock,
            actor,
            "account.token_revoke",
            resource_type="api_token",
            resource_id=found.id,
        )


def change_password(
    session: Session,
    clock: Clock,
    settings: Settings,
    actor: Actor,
    current: str,
    new: str,
    confirm: str,
) -> None:
    """Change one's own password: the current one first, then the new one twice."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or user.password_hash is None:
        raise InvalidInput("current_password", "this account has no password to change")
    try:
        hasher(settings).verify(user.password_hash, current)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise InvalidInput("current_password", "is not your current password") from None
    if new != confirm:
        raise InvalidInput("confirm", "does not match the new password")
    set_password(session, clock, settings, user, new, actor)


TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)


_TOKEN_HOLDER = (
    select(*_HOLDER_COLUMNS, ApiToken.id, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)


@dataclass(frozen=True, slots=True)
class TokenUse:
    """An API token's holder, and the token's id when its last use should be written."""

    holder: Holder
    stale_token_id: int | None


def token_holder(session: Session, clock: Clock, token: str) -> TokenUse | None:
    """Who holds this API token; None when it is unknown, revoked, or its account is
    deactivated. Reads only: `touch_token` records the use when `stale_token_id` is set."""
    row = session.execute(_TOKEN_HOLDER, {"digest": digest(token)}).first()
    if row is None:
        return None
    user_id, handle, role, clinic_id, totp_on, token_id, last_used_at = row
    stale = last_used_at is None or clock.now() - last_used_at >= TOKEN_USE_RESOLUTION
    return TokenUse(
        Holder(user_id, handle, Role(role), clinic_id, bool(totp_on)),
        token_id if stale else None,
    )


def touch_token(session: Session, clock: Clock, token_id: int) -> None:
    """Record that a token was used now (to the minute: not one UPDATE per API call)."""
    session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=clock.now())
    )


# -- consent -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessEntry:
    clinician: str
    name: str
    since: dt.datetime


def who_has_access(session: Session, clock: Clock, actor: Actor, handle: str) -> list[AccessEntry]:
    person = find_user(session, handle)
    require(session, actor, Action.PERSON_READ, person=person)
    rows = session.execute(
        select(User.handle, User.display_name, CareRelationship.created_at)
        .join(CareRelationship, CareRelationship.clinician_id == User.id)
        .where(CareRelationship.person_id == person.id, CareRelationship.ended_at.is_(None))
        .order_by(User.handle)
    )
    audit.record(
        session,
        clock,
        actor,
        "consent.read",
        person_id=person.id,
        resource_type="care_relationship",
    )
    return [AccessEntry(h, n, since) for h, n, since in rows]


def revoke_access(session: Session, clock: Clock, actor: Actor, clinician_handle: str) -> None:
    """A person ends a clinician's access to their record. The record stays."""
    if actor.role is not Role.PERSON or actor.user_id is None:
        raise InvalidInput("clinician", "only the person whose record it is can revoke access")
    clinician = find_user(session, clinician_handle, field="clinician")
    relationship = session.scalar(
        select(CareRelationship).where(
            CareRelationship.person_id == actor.user_id,
            CareRelationship.clinician_id == clinician.id,
            CareRelationship.ended_at.is_(None),
        )
    )
    if relationship is None:
        raise NotFound(f"clinician: {clinician_handle} does not have access to your record")
    relationship.ended_at = clock.now()
    relationship.ended_by_id = actor.user_id
    audit.record(
        session,
        clock,
        actor,
        "consent.revoke",
        person_id=actor.user_id,
        resource_type="care_relationship",
        resource_id=relationship.id,
        detail={"clinician": clinician.handle},
    )
