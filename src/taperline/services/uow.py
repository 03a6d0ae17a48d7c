"""One transaction per use case: commit on success, roll back on any error.

A refusal is still audited: the denied work rolls back, then the refusal is written in a
transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import Clock
from taperline.services import audit
from taperline.services.authz import AccessDenied


@contextmanager
def unit_of_work(factory: sessionmaker[Session], clock: Clock) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        if session.in_transaction():  # commit() would begin one (and queue for SQLite's writer)
            session.commit()
    except AccessDenied as denied:
        session.rollback()
        with factory.begin() as audit_session:
            audit.record(
                audit_session,
                clock,
                denied.actor,
                str(denied.action),
                person_id=denied.person_id,
                resource_type="person" if denied.person_id else "clinic",
                resource_id=denied.person_id,
                outcome="denied",
            )
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
