"""The clinic overview's snapshot on the real database: when it is read, when it is worked out
again, and that the real worker keeps it fresh."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.db.engine import reader_sessions
from taperline.db.models import AuditEvent, Job, OverviewSnapshot
from taperline.domain.progress import overview
from taperline.services import clinic_overview
from taperline.services.clinic_overview import OVERVIEW_FRESH
from taperline.services.outreach import JobContext
from taperline.services.uow import unit_of_work
from tests.actors import cast
from tests.factories import actor_for
from tests.services.test_outreach import worker
from tests.services.test_progress import fill


def sows_people_of(result: overview.Overview) -> int:
    [sows, _] = result.changes
    return sows.people


def sows_people(found: clinic_overview.ClinicOverview) -> int:
    return sows_people_of(found.overview)


def test_a_fresh_snapshot_is_shown_and_an_old_one_is_worked_out_again(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    fill(session, clock, "pat", 20)
    first = clinic_overview.clinic_overview(session, clock, cleo)
    assert first.as_of == clock.now() and sows_people(first) == 1
    kept = session.get(OverviewSnapshot, people.cleo.clinic_id)
    assert kept is not None and overview.from_content(kept.content) == first.overview

    fill(session, clock, "quinn", 20)  # quinn's first fortnight, after the snapshot
    clock.advance(OVERVIEW_FRESH - dt.timedelta(seconds=1))
    again = clinic_overview.clinic_overview(session, clock, cleo)
    assert again.as_of == first.as_of and again.overview == first.overview

    clock.advance(dt.timedelta(seconds=1))  # now exactly OVERVIEW_FRESH old: too old
    later = clinic_overview.clinic_overview(session, clock, cleo)
    assert later.as_of == clock.now() and sows_people(later) == 2
    # every view is audited, with the time its figures are from
    details = [
        e.detail["as_of"]
        for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "clinic.overview").order_by(AuditEvent.id)
        )
    ]
    assert details == [first.as_of.isoformat(), first.as_of.isoformat(), later.as_of.isoformat()]


def test_a_snapshot_from_the_day_before_is_not_shown_however_young(
    session: Session, clock: FixedClock
) -> None:
    people = cast(session, clock)
    cleo = actor_for(people.cleo)
    clock.instant = dt.datetime(2026, 3, 14, 23, 58, tzinfo=dt.UTC)
    fill(session, clock, "pat", 20)
    before = clinic_overview.clinic_overview(session, clock, cleo)
    clock.advance(dt.timedelta(minutes=4))  # 00:02 on the 15th
    after = clinic_overview.clinic_overview(session, clock, cleo)
    assert before.today == dt.date(2026, 3, 14) and after.today == dt.date(2026, 3, 15)
    assert after.as_of == clock.now()


def test_the_overview_is_worked_out_without_waiting_for_or_blocking_the_writer(
    migrated: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with unit_of_work(sessions, clock) as session:
        people = cast(session, clock)
        fill(session, clock, "pat", 20)
    url = migrated.url.render_as_string(hide_password=False)
    # SQLite: read-only connections with a short busy timeout, so that a read that needed the
    # write lock would fail within 0.2 s. PostgreSQL readers never wait for writers.
    readers = reader_sessions(url, sqlite_busy_timeout_ms=200) or sessions
    writer = sessions()
    try:
        fill(writer, clock, "quinn", 20)  # holds the write lock, its check-ins not committed
        with readers() as reading:
            during = clinic_overview.compute(reading, people.cleo.clinic_id, clock.now())
        writer.commit()
    finally:
        writer.close()
    assert sows_people_of(during) == 1  # pat only: what was committed when the read began
    with readers() as reading:
        after = clinic_overview.compute(reading, people.cleo.clinic_id, clock.now())
    assert sows_people_of(after) == 2


@pytest.mark.parametrize("with_readers", [False, True], ids=["one session", "read-only reads"])
def test_the_worker_refreshes_every_clinics_snapshot_once_per_planning_period(
    migrated: Engine, sessions: sessionmaker[Session], clock: FixedClock, with_readers: bool
) -> None:
    with unit_of_work(sessions, clock) as session:
        people = cast(session, clock)
        fill(session, clock, "pat", 20)
        harbor, far = people.cleo.clinic_id, people.olga.clinic_id
    runner = worker(sessions, clock, port=1)  # no mail is due: nothing connects
    if with_readers:
        url = migrated.url.render_as_string(hide_password=False)
        readers = reader_sessions(url) or sessions
        runner.context = JobContext(runner.context.notifier, runner.context.settings, readers)
    runner.run_until_idle()
    with sessions() as session:
        kept = {s.clinic_id: s for s in session.scalars(select(OverviewSnapshot))}
        assert set(kept) >= {harbor, far}
        assert all(s.computed_at == clock.now() for s in kept.values())
        assert overview.from_content(kept[harbor].content).people == 2
        refreshes = session.scalars(select(Job).where(Job.kind == "overview")).all()
        assert [job.state for job in refreshes] == ["done"]

    # a page view within the period reads the worker's snapshot without computing it again
    clock.advance(dt.timedelta(minutes=5))
    with unit_of_work(sessions, clock) as session:
        shown = clinic_overview.clinic_overview(session, clock, actor_for(people.cleo))
    assert shown.as_of == clock.now() - dt.timedelta(minutes=5) and shown.overview.people == 2

    # the next planning period queues (and runs) one more refresh, and only one
    clock.advance(runner.plan_every)
    runner.run_until_idle()
    runner.run_until_idle()
    with sessions() as session:
        states = session.scalars(select(Job.state).where(Job.kind == "overview")).all()
        assert states == ["done", "done"]
        snapshot = session.get(OverviewSnapshot, harbor)
        assert snapshot is not None and snapshot.computed_at == clock.now()
