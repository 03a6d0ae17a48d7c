"""Per-process caches of figures derived from stored rows, keyed by exactly what they were
derived from (the caseload's risk signals and plan columns).

A key names its inputs: for rows that are only ever added (check-ins, doses), a person, a day,
how many rows the window holds and the newest one's id. A new or back-filled row changes the
key, and an old entry is simply never asked for again. Each database (engine) has its own
caches, bounded, the oldest entries going first.

Only what a committed transaction saw is kept: a figure computed from rows that were then
rolled back could match rows written later under the same ids. So a writing session's
figures are kept when it commits; a read-only session's (`db.engine.reader_sessions`, read as
one snapshot) saw committed rows only, and its figures are kept at once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable, Iterable
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from taperline.db.engine import READ_ONLY

_PENDING = "taperline.derived_pending"


class DerivedCache:
    """A bounded map from a key to what was derived from it; thread-safe puts."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._found: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        return self._found.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._found[key] = value
            while len(self._found) > self._size:
                del self._found[next(iter(self._found))]


_CACHES: weakref.WeakKeyDictionary[Engine, dict[str, DerivedCache]] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(session: Session, name: str, size: int) -> DerivedCache | None:
    """The session's database's cache called `name`, or None when the session does not own
    its transaction (joined to an outer one, as in tests, which may roll back what it saw)."""
    bind = session.bind
    if not isinstance(bind, Engine):
        return None
    with _CACHES_LOCK:
        named = _CACHES.setdefault(bind, {})
        found = named.get(name)
        if found is None:
            found = named[name] = DerivedCache(size)
    return found


def keep(session: Session, cache: DerivedCache, items: Iterable[tuple[Hashable, Any]]) -> None:
    """Keep what `session` derived: now for a read-only session, else when it commits."""
    if session.info.get(READ_ONLY):
        for key, value in items:
            cache.put(key, value)
        return
    pending = session.info.setdefault(_PENDING, [])
    pending.extend((cache, key, value) for key, value in items)


@event.listens_for(Session, "after_commit")
def _keep_pending(session: Session) -> None:
    for cache, key, value in session.info.pop(_PENDING, ()):
        cache.put(key, value)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
