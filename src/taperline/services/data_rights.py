"""A person's data rights: everything held about them as one JSON document, and erasure.

Both walk the schema instead of listing tables by hand, so a new table is covered the day it
is added: the person's rows are those of `users` with their id, every table with a
`person_id` or `user_id` pointing at them, and every row that points at one of those (the
answers and doses of a check-in, the messages of a thread, …). Secrets (password and token
hashes, TOTP seeds) are never exported.

Erasure removes the person: their name, email and handle everywhere they
appear (also in other people's notifications, alerts and the audit log), every free text they
or others wrote about them, their sessions, tokens, supporters and contact settings. What
happens to the records of care (check-ins and scores, doses, plans, alerts, rewards) is the
clinic's retention setting: "keep-deidentified" (the default) keeps them with the person's id,
which no longer leads to anyone; "delete" deletes them too, every row the export would have
listed, leaving only the account's tombstone. Either way the audit log keeps its rows,
pseudonymised, and the erasure itself is audited."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, Table, Text, delete, func, or_, select, update
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.base import Base
from taperline.db.models import (
    ApiToken,
    Checkin,
    CircleMember,
    Clinic,
    ContactPreference,
    Message,
    MessageThread,
    Notification,
    RewardEntry,
    User,
    WebSession,
)
from taperline.domain.access import Action, Actor
from taperline.domain.errors import InvalidInput
from taperline.domain.types import Role
from taperline.services import audit, fhir
from taperline.services.authz import AccessDenied, require
from taperline.services.people import find_clinic, find_user

KEEP_DEIDENTIFIED, DELETE = "keep-deidentified", "delete"
RETENTIONS = (KEEP_DEIDENTIFIED, DELETE)
SECRET_COLUMNS = {"password_hash", "totp_secret", "invite_hash", "token_hash", "csrf_token"}
SECRET_TABLES = {"web_sessions", "api_tokens"}
ERASED = "[erased]"


def _owner_columns(table: Table) -> list[str]:
    return [
        column.name
        for column in table.columns
        if column.name in ("person_id", "user_id")
        and any(fk.column.table.name == "users" for fk in column.foreign_keys)
    ]


def _held(session: Session, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row about the person, by table: owned rows, then rows pointing at them."""
    tables = Base.metadata.tables
    found: dict[str, dict[Any, dict[str, Any]]] = {}
    users = tables["users"]
    found["users"] = {
        person_id: dict(
            session.execute(select(users).where(users.c.id == person_id)).one()._mapping
        )
    }
    for table in tables.values():
        owners = _owner_columns(table)
        if not owners or table.name in SECRET_TABLES:
            continue
        condition = or_(*(table.c[name] == person_id for name in owners))
        rows = session.execute(select(table).where(condition)).all()
        if rows:
            found[table.name] = {_key(table, r._mapping): dict(r._mapping) for r in rows}
    changed = True
    while changed:  # rows pointing at rows already found (check-in answers, thread messages)
        changed = False
        for table in tables.values():
            if table.name in ("users", "audit_events", *SECRET_TABLES):
                continue
            for column in table.columns:
                for fk in column.foreign_keys:
                    parent = fk.column.table.name
                    if parent == "users" or parent not in found or parent == table.name:
                        continue
                    ids = [row[fk.column.name] for row in found[parent].values()]
                    for chunk in _chunks(ids, 500):
                        for r in session.execute(select(table).where(column.in_(chunk))):
                            key = _key(table, r._mapping)
                            bucket = found.setdefault(table.name, {})
                            if key not in bucket:
                                bucket[key] = dict(r._mapping)
                                changed = True
    return {name: list(rows.values()) for name, rows in sorted(found.items())}


def _key(table: Table, row: Any) -> Any:
    columns = list(table.primary_key.columns) or list(table.columns)
    return tuple(row[c.name] for c in columns)


def _chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def export(session: Session, clock: Clock, actor: Actor, handle: str) -> dict[str, Any]:
    """Everything Taperline holds about a person (the person themself, or the operator)."""
    person = find_user(session, handle)
    if not (actor.is_operator or actor.user_id == person.id):
        raise AccessDenied(actor, Action.PERSON_READ, person.id)
    held = _held(session, person.id)
    tables = {
        name: [{k: _plain(v) for k, v in row.items() if k not in SECRET_COLUMNS} for row in rows]
        for name, rows in held.items()
    }
    audit.record(
        session,
        clock,
        actor,
        "person.export",
        person_id=person.id,
        resource_type="person",
        resource_id=person.id,
        detail={"tables": len(tables), "rows": sum(len(r) for r in tables.values())},
    )
    return {
        "format": "taperline-person-export/1",
        "exported_at": clock.now().isoformat(),
        "person": person.handle,
        "note": (
            "Everything Taperline holds about you, one list per table, and your record as a "
            "FHIR R4B Bundle (for other care). Passwords, second-factor secrets and login "
            "tokens are never exported. Your printable report is at /me/progress."
        ),
        "tables": tables,
        "fhir": fhir.export_person(session, clock, actor, handle),
    }


def archive(session: Session, clock: Clock, actor: Actor, handle: str) -> tuple[str, bytes]:
    """The export, the FHIR Bundle and the person's printable progress report (PDF), as one
    zip file: its name and its bytes."""
    import json
    import zipfile
    from io import BytesIO

    from taperline.reports import printable
    from taperline.services import progress

    document = export(session, clock, actor, handle)
    bundle = document.pop("fhir")
    report = printable.build(
        progress.report_data(session, clock, actor, handle, kind="progress"), "pdf"
    )
    day = clock.today().isoformat()
    name = f"taperline-{document['person']}-{day}"
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as files:
        files.writestr(f"{name}/README.txt", _ARCHIVE_README)
        files.writestr(f"{name}/data.json", json.dumps(document, ensure_ascii=False, indent=1))
        files.writestr(f"{name}/fhir-bundle.json", json.dumps(bundle, ensure_ascii=False))
        files.writestr(f"{name}/progress-report.pdf", report)
    return f"{name}.zip", buffer.getvalue()


_ARCHIVE_README = """Everything Taperline holds about you.

data.json            every row about you, one list per table (no passwords or login secrets)
fhir-bundle.json     your record as a FHIR R4B Bundle, which other care (an EHR, a clinic) reads
progress-report.pdf  your printable progress report of the last 90 days
"""


@dataclass(frozen=True, slots=True)
class Erased:
    person_id: int
    rows_scrubbed: int
    rows_deleted: int
    retention: str = KEEP_DEIDENTIFIED


def set_retention(
    session: Session, clock: Clock, actor: Actor, clinic_ref: str | None, retention: str
) -> Clinic:
    """Set what erasing a person of the clinic keeps (its admin, or the operator)."""
    clinic = find_clinic(session, clinic_ref)
    if not actor.is_operator and not (actor.role is Role.ADMIN and actor.clinic_id == clinic.id):
        raise AccessDenied(actor, Action.CLINIC_CREATE, None)
    value = retention.strip().lower()
    if value not in RETENTIONS:
        raise InvalidInput(
            "retention", f"'{retention}' is not a setting (use {' or '.join(RETENTIONS)})"
        )
    before = clinic.retention
    clinic.retention = value
    session.flush()
    audit.record(
        session, clock, actor, "clinic.retention", resource_type="clinic",
        resource_id=clinic.id, detail={"from": before, "to": value},
    )  # fmt: skip
    return clinic


def _delete_records(session: Session, person_id: int) -> int:
    """Delete every row the export lists except the account itself (kept as a tombstone, so
    that the audit log's person ids stay valid), children before parents."""
    held = _held(session, person_id)
    deleted = 0
    for table in reversed(Base.metadata.sorted_tables):
        if table.name in ("users", "audit_events") or table.name not in held:
            continue
        keys = list(table.primary_key.columns)
        for row in held[table.name]:
            result = session.execute(delete(table).where(*(k == row[k.name] for k in keys)))
            deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


def _identifiers(person: User) -> list[str]:
    return [s for s in (person.display_name, person.email, person.handle) if s and len(s) >= 3]


def _free_texts(session: Session, person_id: int) -> list[str]:
    """Free text the person or others wrote about them, to be removed wherever it appears."""
    texts = list(session.scalars(select(Checkin.note).where(Checkin.person_id == person_id)))
    threads = select(MessageThread.id).where(MessageThread.person_id == person_id)
    texts += list(session.scalars(select(Message.body).where(Message.thread_id.in_(threads))))
    texts += list(
        session.scalars(select(MessageThread.subject).where(MessageThread.person_id == person_id))
    )
    texts += list(
        session.scalars(select(RewardEntry.note).where(RewardEntry.person_id == person_id))
    )
    members = session.execute(
        select(CircleMember.name, CircleMember.email).where(CircleMember.person_id == person_id)
    ).all()
    texts += [value for row in members for value in row]
    return sorted({t.strip() for t in texts if t and len(t.strip()) >= 3}, key=len, reverse=True)


def _pattern(values: list[str]) -> re.Pattern[str]:
    return re.compile(
        "|".join(rf"(?<![\w@.]){re.escape(v)}(?![\w@])" for v in values), re.IGNORECASE
    )


def erase(session: Session, clock: Clock, actor: Actor, handle: str) -> Erased:
    """Erase a person (a clinic admin of their clinic, or the operator): see the module."""
    person = find_user(session, handle)
    if person.role != Role.PERSON:
        raise InvalidInput("person", f"'{person.handle}' is not a person in recovery")
    if not actor.is_operator:
        require(session, actor, Action.ACCOUNT_CREATE, person=person, new_role=Role.PERSON)
        if actor.role is not Role.ADMIN:
            raise AccessDenied(actor, Action.ACCOUNT_CREATE, person.id)
    secrets = _identifiers(person) + _free_texts(session, person.id)
    pattern = _pattern(secrets)
    scrubbed = 0
    for table in Base.metadata.tables.values():
        textual = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not textual:
            continue
        keys = list(table.primary_key.columns)
        for column in textual:
            haystack = (
                func.lower(column.cast(Text))
                if isinstance(column.type, JSON)
                else func.lower(column)
            )
            condition = None
            for value in secrets:
                like = haystack.contains(value.lower(), autoescape=True)
                condition = like if condition is None else condition | like
            if condition is None:
                continue
            for row in session.execute(select(*keys, column).where(condition)).all():
                old = row[-1]
                new = _scrub(old, pattern)
                if new == old:
                    continue
                session.execute(
                    update(table)
                    .where(*(k == row[i] for i, k in enumerate(keys)))
                    .values({column.name: new})
                )
                scrubbed += 1
    deleted = 0
    owned = (
        (WebSession.__table__.c.user_id, WebSession),
        (ApiToken.__table__.c.user_id, ApiToken),
        (ContactPreference.__table__.c.user_id, ContactPreference),
        (Notification.__table__.c.user_id, Notification),
        (CircleMember.__table__.c.person_id, CircleMember),
    )
    for owner, model in owned:
        result = session.execute(delete(model).where(owner == person.id))
        deleted += int(getattr(result, "rowcount", 0) or 0)
    session.execute(update(Checkin).where(Checkin.person_id == person.id).values(note=""))
    threads = select(MessageThread.id).where(MessageThread.person_id == person.id)
    session.execute(update(Message).where(Message.thread_id.in_(threads)).values(body=ERASED))
    session.execute(
        update(MessageThread).where(MessageThread.person_id == person.id).values(subject=ERASED)
    )
    session.execute(update(RewardEntry).where(RewardEntry.person_id == person.id).values(note=""))
    clinic = session.get(Clinic, person.clinic_id)
    policy = clinic.retention if clinic is not None else KEEP_DEIDENTIFIED
    if policy == DELETE:
        session.flush()
        deleted += _delete_records(session, person.id)
    person.handle = f"erased-{person.id}"
    person.display_name = "Erased person"
    person.email = None
    person.password_hash = None
    person.totp_secret = None
    person.invite_hash = None
    person.active = False
    session.flush()
    audit.record(
        session,
        clock,
        actor,
        "person.erase",
        person_id=person.id,
        resource_type="person",
        resource_id=person.id,
        detail={"rows_scrubbed": scrubbed, "rows_deleted": deleted, "retention": policy},
    )
    return Erased(person.id, scrubbed, deleted, policy)


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """`value` with every identifying string replaced, inside JSON structures too."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {_scrub(k, pattern): _scrub(v, pattern) for k, v in value.items()}
    return value
