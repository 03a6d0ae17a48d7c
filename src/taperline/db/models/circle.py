"""The support circle and secure messages: who supports a person and what they may see, and
the threads between a person and their care team."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from taperline.db.base import Base, UTCDateTime


class CircleMember(Base):
    """One supporter of one person: invited by email, then joined with a supporter account.

    What the supporter sees is the `share_*` switches, changed by the person at any time.
    Ended memberships are kept (who ended them, when); an ended member sees nothing."""

    __tablename__ = "circle_members"
    __table_args__ = (
        Index("ix_circle_members_person", "person_id"),
        Index("ix_circle_members_supporter", "supporter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    supporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))  # what the person calls them
    relation: Mapped[str] = mapped_column(String(20))
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    share_checkins: Mapped[bool] = mapped_column(Boolean, default=True)
    share_trend: Mapped[bool] = mapped_column(Boolean, default=False)
    share_alerts: Mapped[bool] = mapped_column(Boolean, default=False)
    share_scores: Mapped[bool] = mapped_column(Boolean, default=False)
    share_missed: Mapped[bool] = mapped_column(Boolean, default=False)
    share_sos: Mapped[bool] = mapped_column(Boolean, default=True)


class MessageThread(Base):
    """A conversation between one person and their care team."""

    __tablename__ = "message_threads"
    __table_args__ = (Index("ix_message_threads_person_last", "person_id", "last_message_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    subject: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    last_message_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread_id", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_threads.id", ondelete="RESTRICT"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="RESTRICT"))


class MessageRead(Base):
    """How far one account has read one thread: the read receipt."""

    __tablename__ = "message_reads"

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("message_threads.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_id: Mapped[int] = mapped_column()
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
