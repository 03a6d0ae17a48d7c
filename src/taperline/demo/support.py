"""The demo's support network: circles (two supporters who joined, one invitation waiting)
and conversations with the care team."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.config import Settings
from taperline.demo.history import _as
from taperline.services import people

DEMO_PASSWORD = "taperline-demo"  # noqa: S105 - printed by `taperline serve --demo`; demo data only


# (person, clinician, subject, [(who, hours before now, text)]): "p" the person, "c" the clinician
MESSAGES = (
    (
        "alex",
        "cleo",
        "Evening cravings",
        [
            ("p", 50, "The evenings are the hardest since the last step down. Is that expected?"),
            (
                "c",
                47,
                "Yes, many people find the evening the hardest for a week or two after a "
                "step. Your plan keeps the evening dose the same; let's look at your "
                "check-ins together on Thursday.",
            ),
            ("p", 3, "Thanks. Walking after dinner helps a bit. See you Thursday."),
        ],
    ),
    (
        "harper",
        "sam",
        "Sleep diary question",
        [("p", 5, "Do I count the time I lie awake before getting up as 'awake in bed'?")],
    ),
)


def _seed_messages(session: Session, clock: Clock) -> None:
    """A few conversations: one the clinician answered (with a new reply waiting for them), and
    one not yet read."""
    from taperline.clock import FixedClock
    from taperline.services import messages

    for person_handle, clinician_handle, subject, lines in MESSAGES:
        person = _as(people.find_user(session, person_handle))
        clinician = _as(people.find_user(session, clinician_handle))
        thread_id: int | None = None
        for who, hours, text in lines:
            at = FixedClock(clock.now() - dt.timedelta(hours=hours))
            actor = person if who == "p" else clinician
            if thread_id is None:
                thread_id = messages.start_thread(
                    session, at, actor, person_handle, subject, text
                ).thread_id
            else:
                messages.open_thread(session, at, actor, thread_id)  # they read it first
                messages.reply(session, at, actor, thread_id, text)


# (person, supporter handle or None for an invitation not yet accepted, name, relation, shares)
CIRCLES = (
    ("alex", "kit", "Kit Jordan", "friend", ("checkins", "trend", "alerts", "missed", "sos")),
    ("harper", "morgan", "Morgan Wells", "sponsor", ("checkins", "sos")),
    ("blair", None, "Robin Blair", "family", ("checkins", "sos")),
)


def _seed_circles(session: Session, clock: Clock) -> None:
    """Support circles: two supporters who joined (they log in with the demo password) and one
    invitation still waiting."""
    from taperline.db.models import Job
    from taperline.domain.circle import parse_shares
    from taperline.services import circle

    settings = Settings()
    for person_handle, supporter, name, relation, shares in CIRCLES:
        person = people.find_user(session, person_handle)
        address = f"{supporter or name.split()[0].lower()}@example.org"
        sent = circle.invite(
            session, clock, settings, _as(person), person_handle,
            email=address, name=name, relation=relation, shares=parse_shares(shares),
        )  # fmt: skip
        if supporter is None:
            continue
        circle.join(
            session, clock, settings, sent.link.rsplit("/", 1)[1], handle=supporter,
            display_name=name, password=DEMO_PASSWORD, confirm=DEMO_PASSWORD, source="demo",
        )  # fmt: skip
        # Joined already: the invitation email has nothing left to do.
        session.execute(
            update(Job)
            .where(Job.dedupe_key == f"invite:circle:{sent.member.id}")
            .values(state="done", payload={"to": address, "sent": False})
        )


# The demo clinic's programme: the clinic's own choice of numbers, for the demonstration (the
# shape, not the amounts, follows the published escalating-voucher schedules).
DEMO_RULES = (
    ("checkin_on_time", {"first": 10, "step": 5, "cap": 50}),
    ("negative_uds", {"first": 100, "step": 50, "cap": 1000, "bonus_every": 3, "bonus": 200}),
    ("counseling_session", {"first": 50, "step": 25, "cap": 200}),
)
# (person, weeks of history, screen results oldest first: True negative, False positive/missed)
REWARDED = (("alex", (True, True, True, False, True, True)), ("gray", (True, True)))


def _seed_rewards(session: Session, clock: Clock) -> None:
    """A reward programme (vouchers, in cents), two people enrolled, and their history:
    weekly screens and sessions entered by Dr. Park, and the check-ins of the last two weeks,
    each earned through the service as of its own day; one voucher redeemed."""
    from taperline.clock import FixedClock
    from taperline.db.models import Checkin
    from taperline.services import rewards

    cleo = people.find_user(session, "cleo")
    staff = _as(cleo)
    rules = [
        rewards.rule_from({"behaviour": b} | numbers, i)
        for i, (b, numbers) in enumerate(DEMO_RULES)
    ]
    rewards.configure(
        session, clock, staff, name="Recovery vouchers", unit="voucher_cents",
        unit_note="Vouchers for groceries, transport or phone credit, from the front desk",
        rules=rules,
    )  # fmt: skip
    for handle, screens in REWARDED:
        person = people.find_user(session, handle)
        today = people.local_today(person, clock)
        start = today - dt.timedelta(weeks=len(screens))
        rewards.enrol(
            session,
            FixedClock(clock.now() - dt.timedelta(weeks=len(screens))),
            staff,
            handle,
            on=True,
        )
        for week, negative in enumerate(screens):
            day = start + dt.timedelta(weeks=week, days=1)
            at = FixedClock(clock.now() - (today - day))
            rewards.record(
                session, at, staff, handle, behaviour="negative_uds", day=day, met=negative,
                note="" if negative else "Positive for opioids; talked it through",
            )  # fmt: skip
            rewards.record(
                session, at, staff, handle, behaviour="counseling_session", day=day, met=True
            )
        daily = session.execute(
            select(Checkin.id, Checkin.checkin_date)
            .where(
                Checkin.person_id == person.id,
                Checkin.kind == "daily",
                Checkin.checkin_date > today - dt.timedelta(days=14),
            )
            .order_by(Checkin.checkin_date, Checkin.id)
        ).all()
        for checkin_id, day in daily:
            at = FixedClock(clock.now() - (today - day))
            rewards.on_checkin(
                session, at, _as(person), person,
                checkin_id=checkin_id, checkin_date=day, kind="daily",
            )  # fmt: skip
    rewards.redeem(session, clock, staff, "alex", amount=500, note="Bus pass top-up")
