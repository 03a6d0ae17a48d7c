"""What a supporter sees of the people they support: only what each person shares, read
afresh on every view and audited; and who in a circle is told of an SOS or missed check-ins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from taperline.clock import Clock
from taperline.db.models import (
    Alert,
    Checkin,
    CircleMember,
    InstrumentResponse,
    LatestScore,
    User,
)
from taperline.domain.access import Action, Actor
from taperline.domain.circle import (
    RELATION_NAMES,
    TREND_DAYS,
    Relation,
    ScoreLine,
    SharedView,
    shared_view,
)
from taperline.domain.instruments import registry
from taperline.domain.types import Role
from taperline.services import audit
from taperline.services.authz import AccessDenied, require
from taperline.services.circle import shares_of
from taperline.services.people import local_today

# -- what a supporter sees ------------------------------------------------------------------


def supporting(session: Session, clock: Clock, actor: Actor) -> list[SharedView]:
    """For a supporter: each person whose circle they are in, with only what is shared."""
    if actor.role is not Role.SUPPORTER or actor.user_id is None:
        raise AccessDenied(actor, Action.SUPPORT_VIEW, None)  # only supporters support anyone
    rows = session.execute(
        select(CircleMember, User)
        .join(User, User.id == CircleMember.person_id)
        .where(
            CircleMember.supporter_id == actor.user_id,
            CircleMember.ended_at.is_(None),
            CircleMember.accepted_at.is_not(None),
        )
        .order_by(User.display_name)
    ).all()
    views = []
    for member, person in rows:
        require(session, actor, Action.SUPPORT_VIEW, person=person)
        views.append(_shared(session, clock, member, person))
        audit.record(
            session,
            clock,
            actor,
            "support.view",
            person_id=person.id,
            resource_type="circle_member",
            resource_id=member.id,
            detail={"shares": list(shares_of(member).on())},
        )
    return views


def _shared(session: Session, clock: Clock, member: CircleMember, person: User) -> SharedView:
    shares = shares_of(member)
    today = local_today(person, clock)
    since = today - dt.timedelta(days=max(2 * TREND_DAYS, 60))
    days: list[dt.date] = []
    cravings: list[tuple[dt.date, int]] = []
    if shares.checkins:
        days = list(
            session.scalars(
                select(Checkin.checkin_date)
                .where(
                    Checkin.person_id == person.id,
                    Checkin.kind == "daily",
                    Checkin.checkin_date >= since,
                )
                .distinct()
            )
        )
    if shares.trend:
        cravings = [
            (day, int(total or 0))
            for day, total in session.execute(
                select(Checkin.checkin_date, InstrumentResponse.total)
                .join(InstrumentResponse, InstrumentResponse.checkin_id == Checkin.id)
                .where(
                    Checkin.person_id == person.id,
                    Checkin.checkin_date >= today - dt.timedelta(days=2 * TREND_DAYS),
                    InstrumentResponse.instrument_id == "craving",
                    InstrumentResponse.total.is_not(None),
                )
            )
        ]
    open_alerts = bool(
        shares.alerts
        and session.scalar(
            select(Alert.id).where(Alert.person_id == person.id, Alert.status != "resolved")
        )
    )
    scores: list[ScoreLine] = []
    if shares.scores:
        for row in session.scalars(
            select(LatestScore)
            .where(LatestScore.person_id == person.id)
            .order_by(LatestScore.instrument_id)
        ):
            instrument = registry.INSTRUMENTS.get(row.instrument_id)
            title = instrument.name if instrument else row.instrument_id
            line = ScoreLine(row.instrument_id, title, row.total, row.band, row.checkin_date)
            scores.append(line)
    return shared_view(
        handle=person.handle,
        name=person.display_name,
        relation=RELATION_NAMES.get(Relation(member.relation), member.relation),
        shares=shares,
        today=today,
        checkin_days=days,
        cravings=cravings,
        open_alerts=open_alerts,
        scores=scores,
    )


def circle_to_tell(session: Session, person_id: int, *, about: str) -> list[User]:
    """Joined, active supporters who agreed to hear `about` ('sos' or 'missed')."""
    column = {"sos": CircleMember.share_sos, "missed": CircleMember.share_missed}[about]
    return list(
        session.scalars(
            select(User)
            .join(CircleMember, CircleMember.supporter_id == User.id)
            .where(
                CircleMember.person_id == person_id,
                CircleMember.ended_at.is_(None),
                CircleMember.accepted_at.is_not(None),
                column.is_(True),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )
