"""Reminders, missed-check-in outreach, digests and emails, run by the real worker against the
real database and a real SMTP server."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import FixedClock
from taperline.config import Settings
from taperline.db.models import Alert, AuditEvent, Job, Notification, User
from taperline.notifier import SmtpNotifier
from taperline.services import jobs, notifications, outreach, plans
from taperline.services.notifications import Preferences
from taperline.services.outreach import JobContext
from taperline.services.uow import unit_of_work
from taperline.worker import Worker
from tests.actors import cast
from tests.factories import OPERATOR, actor_for, checkin_data, submit
from tests.services.test_plans import plan
from tests.smtp import free_port, smtp_server

START = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)  # Saturday, 11:00 in New York


def world(sessions: sessionmaker[Session], clock: FixedClock) -> None:
    """Pat (New York) with an approved plan from Cleo; both have email addresses."""
    with unit_of_work(sessions, clock) as session:
        people = cast(session, clock)
        people.pat.email = "pat@example.org"
        people.cleo.email = "cleo@example.org"
        cleo = actor_for(people.cleo)
        plans.draft(session, clock, cleo, "pat", plan())
        plans.approve(session, clock, cleo, "pat", 1, [])


def worker(sessions: sessionmaker[Session], clock: FixedClock, port: int) -> Worker:
    settings = Settings(public_url="https://taperline.example.org")
    notifier = SmtpNotifier("127.0.0.1", port, "Taperline <t@example.org>", timeout=2)
    return Worker(sessions, clock, JobContext(notifier, settings), worker_id="test-worker")


def reminder_jobs(session: Session) -> list[tuple[str, dt.datetime]]:
    rows = session.execute(select(Job.payload, Job.run_at).where(Job.kind == "reminder"))
    return sorted((f"{p['local_date']} {p['local_time']} {p['kind']}", at) for p, at in rows)


def test_the_day_is_planned_in_the_persons_zone_once_however_often_it_runs(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    world(sessions, clock)
    with sessions() as session:
        first = outreach.plan_jobs(session, clock)
        again = outreach.plan_jobs(session, clock)
        session.commit()
        planned = reminder_jobs(session)
    assert first > 0 and again == 0
    # 11:00 in New York: the morning of the 14th is past (not sent late), the evening and the
    # next morning are ahead; 20:00 EDT is 00:00 UTC (clocks went forward on 8 March).
    assert planned == [
        ("2026-03-14 20:00 dose", dt.datetime(2026, 3, 15, 0, 0, tzinfo=dt.UTC)),
        ("2026-03-14 21:30 dose", dt.datetime(2026, 3, 15, 1, 30, tzinfo=dt.UTC)),
        ("2026-03-15 08:00 dose", dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)),
        ("2026-03-15 09:00 checkin", dt.datetime(2026, 3, 15, 13, 0, tzinfo=dt.UTC)),
    ]


def test_due_reminders_reach_the_app_and_the_mailbox_without_health_detail(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    world(sessions, clock)
    with smtp_server() as (inbox, port):
        runner = worker(sessions, clock, port)
        # the planning job and the overview refresh it queues; nothing else due yet
        assert runner.run_until_idle().done == 2
        clock.instant = dt.datetime(2026, 3, 15, 0, 1, tzinfo=dt.UTC)  # 20:01 in New York
        tally = runner.run_until_idle()
        # planning again, its overview refresh, the reminder, its email
        assert tally.done == 4 and tally.retried == 0
    with sessions() as session:
        pat = session.scalars(select(User).where(User.handle == "pat")).one()
        shown = session.scalars(select(Notification).where(Notification.user_id == pat.id)).all()
    assert [n.title for n in shown] == ["Reminder: Kratom (leaf powder) 3 g at 20:00"]
    [mail] = inbox.to("pat@example.org")
    text = mail.get_content()
    assert mail["Subject"] == "You have a new message in Taperline"
    assert "Kratom" not in text and "3 g" not in text
    assert "https://taperline.example.org/me/today" in text


def test_an_opted_in_person_gets_the_message_itself_and_quiet_hours_hold_it(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    world(sessions, clock)
    with unit_of_work(sessions, clock) as session:
        pat = session.scalars(select(User).where(User.handle == "pat")).one()
        notifications.set_preferences(
            session,
            clock,
            actor_for(pat),
            "pat",
            Preferences(email_details=True, quiet_start=dt.time(21, 0), quiet_end=dt.time(7, 0)),
        )
    with smtp_server() as (inbox, port):
        runner = worker(sessions, clock, port)
        runner.run_until_idle()
        with sessions() as session:  # 20:00 is before quiet hours; 21:30 melatonin is inside
            assert [r for r, _ in reminder_jobs(session)][:2] == [
                "2026-03-14 20:00 dose",
                "2026-03-14 21:30 dose",
            ]
            melatonin = session.scalars(
                select(Job.run_at).where(Job.dedupe_key.like("reminder:%:dose:2026-03-14T21:30%"))
            ).one()
        assert melatonin == dt.datetime(
            2026, 3, 15, 11, 0, tzinfo=dt.UTC
        )  # 07:00 EDT on the 15th is 11:00 UTC
        clock.instant = dt.datetime(2026, 3, 15, 0, 1, tzinfo=dt.UTC)
        runner.run_until_idle()
        [mail] = inbox.to("pat@example.org")
        assert mail["Subject"] == "Reminder: Kratom (leaf powder) 3 g at 20:00"
        assert "Kratom (leaf powder) 3 g" in mail.get_content()


def test_a_check_in_reminder_is_not_sent_once_the_person_has_checked_in(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    world(sessions, clock)
    with smtp_server() as (inbox, port):
        runner = worker(sessions, clock, port)
        runner.run_until_idle()
        clock.instant = dt.datetime(2026, 3, 15, 12, 30, tzinfo=dt.UTC)  # 08:30 on the 15th
        with unit_of_work(sessions, clock) as session:
            submit(session, clock, OPERATOR, "pat", checkin_data(dt.date(2026, 3, 15)))
        clock.instant = dt.datetime(2026, 3, 15, 13, 5, tzinfo=dt.UTC)  # past 09:00
        runner.run_until_idle()
    with sessions() as session:
        titles = session.scalars(select(Notification.title).order_by(Notification.id)).all()
    assert not any("check-in" in title for title in titles)


def test_missed_check_ins_remind_the_person_then_alert_the_care_team(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    world(sessions, clock)
    with smtp_server() as (inbox, port):
        runner = worker(sessions, clock, port)
        for day in range(3):  # 21:05 New York on the 14th, 15th, 16th: no check-in at all
            clock.instant = dt.datetime(2026, 3, 15, 1, 5, tzinfo=dt.UTC) + dt.timedelta(days=day)
            runner.run_until_idle()
    with sessions() as session:
        alerts = session.scalars(select(Alert)).all()
        pat_told = session.scalar(select(func.count()).where(Notification.kind == "missed_checkin"))
        raised = session.scalars(select(AuditEvent).where(AuditEvent.action == "alert.raise")).all()
    # The plan was approved on the 14th: by the 16th three days have passed with no check-in.
    assert [(a.rule_id, a.severity, a.title) for a in alerts] == [
        ("outreach.missed_checkins", "warning", "No check-in for 3 days")
    ]
    assert pat_told == 3 and len(raised) == 1 and raised[0].actor_label == "worker"
    assert len(inbox.to("cleo@example.org")) >= 1


def test_email_down_is_retried_later_and_sent_once_when_it_is_back(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    world(sessions, clock)
    port = free_port()  # nothing listens here yet
    runner = worker(sessions, clock, port)
    runner.run_until_idle()
    clock.instant = dt.datetime(2026, 3, 15, 0, 1, tzinfo=dt.UTC)
    first = runner.run_until_idle()
    # planning, its overview refresh, the reminder; its email waits
    assert first.done == 3 and first.retried == 1
    with sessions() as session:
        email_job = session.scalars(select(Job).where(Job.kind == "email")).one()
        assert email_job.state == "queued" and email_job.attempts == 1
        assert "127.0.0.1" in (email_job.last_error or "")
        assert email_job.run_at == clock.instant + dt.timedelta(seconds=30)
    with smtp_server(port) as (inbox, _):
        assert runner.run_until_idle().done == 0  # not before its backoff
        clock.instant += dt.timedelta(seconds=31)
        assert runner.run_until_idle().done == 1
        runner.run_until_idle()
    assert len(inbox.to("pat@example.org")) == 1


def test_concurrent_workers_never_claim_the_same_job(sessions: sessionmaker[Session]) -> None:
    clock = FixedClock(START)
    with unit_of_work(sessions, clock) as session:
        for n in range(200):
            jobs.enqueue(session, clock, "noop", {"n": n})
    claimed: list[list[int]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def take(slot: int) -> None:
        barrier.wait()
        while True:
            with sessions() as session:
                batch = jobs.claim(session, clock.now(), f"w{slot}", limit=7)
            if not batch:
                return
            claimed[slot].extend(job.id for job in batch)

    threads = [threading.Thread(target=take, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [job for slot in claimed for job in slot]
    assert len(every) == 200 and len(set(every)) == 200


def test_an_expired_lease_is_claimed_again_and_a_finished_job_never(
    sessions: sessionmaker[Session],
) -> None:
    clock = FixedClock(START)
    with unit_of_work(sessions, clock) as session:
        assert jobs.enqueue(session, clock, "noop", {}, dedupe_key="once")
        assert not jobs.enqueue(session, clock, "noop", {}, dedupe_key="once")
    with sessions() as session:
        [job] = jobs.claim(session, clock.now(), "crashed")
        assert jobs.claim(session, clock.now(), "other") == []  # leased
        clock.instant += jobs.LEASE + dt.timedelta(seconds=1)
        [again] = jobs.claim(session, clock.now(), "other")
        assert again.id == job.id and again.attempts == 2
        assert not jobs.finish(session, clock, job, "crashed")  # the old lease is void
        assert jobs.finish(session, clock, again, "other")
        session.commit()
        clock.instant += jobs.LEASE * 2
        assert jobs.claim(session, clock.now(), "third") == []


def test_the_circle_gets_its_invitation_by_email_and_a_nudge_only_if_pat_agreed(
    sessions: sessionmaker[Session],
) -> None:
    from taperline.domain.circle import Shares
    from taperline.services import circle

    clock = FixedClock(START)
    world(sessions, clock)
    settings = Settings(public_url="https://taperline.example.org")
    tokens = {}
    with unit_of_work(sessions, clock) as session:
        pat = actor_for(session.scalars(select(User).where(User.handle == "pat")).one())
        for handle, missed in (("mum", True), ("dad", False)):
            sent = circle.invite(
                session, clock, settings, pat, "pat", email=f"{handle}@example.org",
                name=handle.title(), relation="family", shares=Shares(missed=missed),
            )  # fmt: skip
            tokens[handle] = sent.link.rsplit("/", 1)[1]
    with smtp_server() as (inbox, port):
        runner = worker(sessions, clock, port)
        runner.run_until_idle()
        [invitation] = inbox.to("mum@example.org")
        link = f"https://taperline.example.org/circle/join/{tokens['mum']}"
        assert link in invitation.get_content()
        with unit_of_work(sessions, clock) as session:
            for handle, token in tokens.items():
                circle.join(
                    session, clock, settings, token, handle=handle, display_name=handle,
                    password="a long enough password", confirm="a long enough password",
                    source="test",
                )  # fmt: skip
        for day in range(3):
            clock.instant = dt.datetime(2026, 3, 15, 1, 5, tzinfo=dt.UTC) + dt.timedelta(days=day)
            runner.run_until_idle()
    with sessions() as session:
        nudged = session.execute(
            select(User.handle)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.kind == "circle_missed")
        ).all()
        sent_jobs = session.scalars(select(Job.payload).where(Job.kind == "invite_email")).all()
    assert [h for (h,) in nudged] == ["mum"]
    assert all("text" not in payload for payload in sent_jobs)  # the one-time link is not kept
