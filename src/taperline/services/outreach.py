"""Reminders, missed-check-in outreach and the clinicians' daily digest, as durable jobs.

`plan_jobs` looks ahead and queues the jobs that will be due (idempotent: every job has a
dedupe key, so running it every minute from several workers queues each job once). The
handlers run inside the worker's transaction for the job (services/jobs.py has the guarantee).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from taperline.clock import Clock
from taperline.config import Settings
from taperline.db import partitions
from taperline.db.models import (
    Alert,
    CareRelationship,
    Clinic,
    ContactPreference,
    Notification,
    PersonStatus,
    PlanVersion,
    User,
)
from taperline.domain.access import Actor
from taperline.domain.calendar import due_on
from taperline.domain.outreach import days_without_checkin, local_instant, reminders_for_day, zone
from taperline.domain.types import Role
from taperline.notifier import Notifier, Outgoing
from taperline.schemas.plans import stored_content
from taperline.services import clinic_overview, jobs
from taperline.services.circle import forget_invite_link
from taperline.services.jobs import ClaimedJob
from taperline.services.notifications import (
    email_subject,
    email_text,
    notify,
    preferences_of,
)
from taperline.services.safety import raise_alert
from taperline.services.supporting import circle_to_tell

log = logging.getLogger("taperline.worker")

WORKER_ACTOR = Actor(label="worker", source="worker")
STALE = dt.timedelta(minutes=30)  # a reminder more than this late is not sent (worker was down)
MISSED_RULE = "outreach.missed_checkins"


@dataclass(frozen=True, slots=True)
class JobContext:
    notifier: Notifier
    settings: Settings
    # Read-only sessions (SQLite files) for long reads that should not hold the writer.
    readers: sessionmaker[Session] | None = None


# Planning ------------------------------------------------------------------------------------


def _local_days(now: dt.datetime, tz_name: str, horizon: dt.timedelta) -> list[dt.date]:
    tz = zone(tz_name)
    first = now.astimezone(tz).date()
    last = (now + horizon).astimezone(tz).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _at_local_hour(day: dt.date, hour: int, tz_name: str) -> dt.datetime:
    return local_instant(day, dt.time(hour), zone(tz_name))


def plan_jobs(
    session: Session,
    clock: Clock,
    *,
    horizon: dt.timedelta = dt.timedelta(hours=24),
    batch: int = 2000,
) -> int:
    """Queue reminders, missed-check-in checks and digests due between now and now+horizon.
    Commits after each batch of people (planning is idempotent, so a batch cut short by a crash
    is simply planned again). Returns how many jobs were added (0 when all were queued)."""
    now = clock.now()
    added = 0
    approved = (
        select(PlanVersion.person_id, sql_cast(PlanVersion.content, Text).label("content"))
        .where(PlanVersion.status == "approved")
        .subquery()
    )
    people = (
        select(
            User.id,
            User.timezone,
            approved.c.content,
            Clinic.checkin_due_hour,
            ContactPreference.reminders,
            ContactPreference.quiet_start,
            ContactPreference.quiet_end,
        )
        .join(approved, approved.c.person_id == User.id)
        .join(Clinic, Clinic.id == User.clinic_id)
        .outerjoin(ContactPreference, ContactPreference.user_id == User.id)
        .where(User.role == Role.PERSON.value, User.active.is_(True))
        .order_by(User.id)
    )
    last_id = 0
    while True:
        rows = session.execute(people.where(User.id > last_id).limit(batch)).all()
        if not rows:
            break
        last_id = rows[-1].id
        planned = [job for row in rows for job in _plan_person(now, horizon, row)]
        added += jobs.enqueue_many(session, clock, planned)
        session.commit()
    clinicians = session.execute(
        select(User.id, User.timezone, Clinic.digest_hour)
        .join(Clinic, Clinic.id == User.clinic_id)
        .where(User.role == Role.CLINICIAN.value, User.active.is_(True))
    ).all()
    digests = []
    for clinician in clinicians:
        for day in _local_days(now, clinician.timezone, horizon):
            at = _at_local_hour(day, clinician.digest_hour, clinician.timezone)
            if now - STALE <= at <= now + horizon:
                digests.append(
                    {
                        "kind": "digest",
                        "payload": {"clinician_id": clinician.id, "local_date": day.isoformat()},
                        "run_at": at,
                        "dedupe_key": f"digest:{clinician.id}:{day.isoformat()}",
                    }
                )
    added += jobs.enqueue_many(session, clock, digests)
    session.commit()
    return added


def _plan_person(now: dt.datetime, horizon: dt.timedelta, row: Any) -> list[dict[str, Any]]:
    planned: list[dict[str, Any]] = []
    content = stored_content(row.content)
    tz = zone(row.timezone)
    for day in _local_days(now, row.timezone, horizon):
        if row.reminders is not False:
            for reminder in reminders_for_day(
                due_on(content, day), day, tz, quiet_start=row.quiet_start, quiet_end=row.quiet_end
            ):
                if now - STALE <= reminder.send_at <= now + horizon:
                    planned.append(
                        {
                            "kind": "reminder",
                            "payload": {
                                "person_id": row.id,
                                "kind": reminder.kind,
                                "title": reminder.title,
                                "local_date": day.isoformat(),
                                "local_time": f"{reminder.local_time:%H:%M}",
                            },
                            "run_at": reminder.send_at,
                            "dedupe_key": f"reminder:{row.id}:{reminder.key}"[:200],
                        }
                    )
        check_at = _at_local_hour(day, row.checkin_due_hour, row.timezone)
        if now - STALE <= check_at <= now + horizon:
            planned.append(
                {
                    "kind": "missed_checkin",
                    "payload": {"person_id": row.id, "local_date": day.isoformat()},
                    "run_at": check_at,
                    "dedupe_key": f"missed:{row.id}:{day.isoformat()}",
                }
            )
    return planned


# Handlers ------------------------------------------------------------------------------------


def _checked_in(session: Session, person_id: int, day: dt.date) -> bool:
    last = session.scalar(
        select(PersonStatus.last_daily_checkin).where(PersonStatus.person_id == person_id)
    )
    return last is not None and last >= day


def handle_reminder(session: Session, clock: Clock, job: ClaimedJob, ctx: JobContext) -> None:  # noqa: ARG001
    person = session.get(User, int(job.payload["person_id"]))
    if person is None or not person.active or not preferences_of(session, person.id).reminders:
        return
    day = dt.date.fromisoformat(job.payload["local_date"])
    kind = job.payload["kind"]
    if kind in ("checkin", "questionnaire") and _checked_in(session, person.id, day):
        return  # already done: no reminder needed
    link = "/me/checkin" if kind in ("checkin", "questionnaire") else "/me/today"
    notify(
        session,
        clock,
        person,
        kind="reminder",
        title=f"Reminder: {job.payload['title']} at {job.payload['local_time']}",
        body=(
            f"It is time for: {job.payload['title']} ({job.payload['local_time']}). "
            "Open Taperline to see today's plan and log it."
        ),
        link=link,
    )


def handle_missed_checkin(
    session: Session,
    clock: Clock,
    job: ClaimedJob,
    ctx: JobContext,  # noqa: ARG001
) -> None:
    person = session.get(User, int(job.payload["person_id"]))
    if person is None or not person.active:
        return
    day = dt.date.fromisoformat(job.payload["local_date"])
    last = session.scalar(
        select(PersonStatus.last_daily_checkin).where(PersonStatus.person_id == person.id)
    )
    if last is not None and last >= day:
        return
    if preferences_of(session, person.id).reminders:
        notify(
            session,
            clock,
            person,
            kind="missed_checkin",
            title="We have not had your check-in today",
            body=(
                "Your daily check-in helps your care team see how you are doing. It takes a "
                'few minutes. If things are hard right now, use "I need help now".'
            ),
            link="/me/checkin",
        )
    approved_on = session.scalar(
        select(func.min(PlanVersion.approved_at)).where(
            PlanVersion.person_id == person.id, PlanVersion.approved_at.is_not(None)
        )
    )
    start = approved_on.date() if isinstance(approved_on, dt.datetime) else day
    missed = days_without_checkin(last, day + dt.timedelta(days=1), start)  # today counts
    threshold = person.clinic.missed_days_alert
    if missed < threshold:
        return
    alert_id = raise_alert(
        session,
        clock,
        WORKER_ACTOR,
        person,
        rule_id=MISSED_RULE,
        day=day,
        severity="warning",
        title=f"No check-in for {missed} days",
        clinician_message=(
            f"{person.display_name} has not checked in for {missed} days "
            f"(clinic threshold: {threshold}). Reach out to them today and record what you agree."
        ),
    )
    if alert_id is None:
        return
    for clinician in care_team(session, person.id):
        notify(
            session,
            clock,
            clinician,
            kind="alert",
            title=f"No check-in from {person.display_name} for {missed} days",
            body="Open the alert in Taperline and reach out to them today.",
            link="/alerts",
        )
    for supporter in circle_to_tell(session, person.id, about="missed"):
        notify(
            session,
            clock,
            supporter,
            kind="circle_missed",
            title=f"{person.display_name} has not checked in for a few days",
            body=(
                f"{person.display_name} asked Taperline to tell you when they miss check-ins "
                f"for several days ({missed} now). A kind message from you may help. Their "
                "care team knows too."
            ),
            link="/supporting",
        )


def care_team(session: Session, person_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(CareRelationship, CareRelationship.clinician_id == User.id)
            .where(
                CareRelationship.person_id == person_id,
                CareRelationship.ended_at.is_(None),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def handle_digest(session: Session, clock: Clock, job: ClaimedJob, ctx: JobContext) -> None:  # noqa: ARG001
    clinician = session.get(User, int(job.payload["clinician_id"]))
    if clinician is None or not clinician.active:
        return
    people = select(CareRelationship.person_id).where(
        CareRelationship.clinician_id == clinician.id, CareRelationship.ended_at.is_(None)
    )
    open_alerts = session.execute(
        select(Alert.severity, func.count())
        .where(Alert.person_id.in_(people), Alert.status == "open")
        .group_by(Alert.severity)
    ).all()
    counts = {severity: int(n) for severity, n in open_alerts}
    day = dt.date.fromisoformat(job.payload["local_date"])
    yesterday = day - dt.timedelta(days=1)
    not_checked_in = int(
        session.scalar(
            select(func.count())
            .select_from(CareRelationship)
            .outerjoin(PersonStatus, PersonStatus.person_id == CareRelationship.person_id)
            .where(
                CareRelationship.clinician_id == clinician.id,
                CareRelationship.ended_at.is_(None),
                and_(
                    (PersonStatus.last_daily_checkin.is_(None))
                    | (PersonStatus.last_daily_checkin < yesterday)
                ),
            )
        )
        or 0
    )
    body = (
        f"Open alerts: {counts.get('urgent', 0)} urgent, {counts.get('warning', 0)} warning. "
        f"People with no check-in since before {yesterday:%d %b}: {not_checked_in}. "
        "Open your caseload in Taperline to see who needs you first."
    )
    notify(
        session,
        clock,
        clinician,
        kind="digest",
        title=f"Your caseload on {day:%A %d %B}",
        body=body,
        link="/caseload",
    )


def handle_email(session: Session, clock: Clock, job: ClaimedJob, ctx: JobContext) -> None:  # noqa: ARG001
    notification = session.get(Notification, int(job.payload["notification_id"]))
    if notification is None:
        return
    user = session.get(User, notification.user_id)
    if user is None or not user.email or not user.active:
        return
    preferences = preferences_of(session, user.id)
    if not preferences.email:
        return  # opted out after the email was queued: honour it
    session.commit()  # end the read: SQLite must not hold its write lock while mail is sent
    ctx.notifier.send(
        Outgoing(
            to=user.email,
            subject=email_subject(notification, preferences.email_details),
            text=email_text(notification, user, preferences.email_details, ctx.settings.public_url),
            message_id=f"<job-{job.id}@taperline>",
        )
    )


def handle_invite_email(
    session: Session,
    clock: Clock,  # noqa: ARG001
    job: ClaimedJob,
    ctx: JobContext,
) -> None:
    """An email to someone without an account yet (an invitation): its text is in the job."""
    ctx.notifier.send(
        Outgoing(
            to=str(job.payload["to"]),
            subject=str(job.payload["subject"]),
            text=str(job.payload["text"]),
            message_id=f"<job-{job.id}@taperline>",
        )
    )
    if job.payload.get("forget_text"):  # the text holds a one-time link: keep no copy
        forget_invite_link(session, job.id, str(job.payload["to"]))


def handle_plan(session: Session, clock: Clock, job: ClaimedJob, ctx: JobContext) -> None:  # noqa: ARG001
    plan_jobs(session, clock)
    # and, once per planning period, every clinic's overview snapshot (its own job, so that a
    # slow or failing overview never holds up reminders)
    jobs.enqueue(session, clock, "overview", {}, dedupe_key=f"overview:{job.id}")
    keep_partitions(session, clock)


def keep_partitions(session: Session, clock: Clock) -> None:
    """The coming months' audit partitions (PostgreSQL; nothing on SQLite), made once a
    planning period finds one missing. A failure here (say, two workers making the same month
    at once) never holds up the reminders: it is logged, and the next period tries again."""
    if session.get_bind().dialect.name != "postgresql":
        return
    try:
        with session.begin_nested():
            made = partitions.ensure_ahead(session.connection(), clock.now())
    except SQLAlchemyError as error:
        log.warning("audit partitions not made this time: %s", str(error).splitlines()[0])
        return
    if made:
        log.info("audit partitions made: %s", ", ".join(made))


def handle_overview(session: Session, clock: Clock, job: ClaimedJob, ctx: JobContext) -> None:  # noqa: ARG001
    if ctx.readers is None:
        clinic_overview.refresh_all(session, clock.now())
        return
    with ctx.readers() as reading:
        clinic_overview.refresh_all(session, clock.now(), reading=reading)


HANDLERS = {
    "plan": handle_plan,
    "overview": handle_overview,
    "reminder": handle_reminder,
    "missed_checkin": handle_missed_checkin,
    "digest": handle_digest,
    "email": handle_email,
    "invite_email": handle_invite_email,
}
