"""Contingency-management rewards: the clinic's programme, who is enrolled, and the
append-only ledger of what each person earned and redeemed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from taperline.db.base import Base, JSONType, UTCDateTime


class RewardProgramme(Base):
    """One version of a clinic's reward programme. Changing it adds a version and retires the
    old one; ledger rows name the version they were earned under."""

    __tablename__ = "reward_programmes"
    __table_args__ = (Index("ix_reward_programmes_clinic", "clinic_id", "retired_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))  # points, voucher_cents, draws
    unit_note: Mapped[str] = mapped_column(String(500), default="")  # what a unit buys
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RewardEnrolment(Base):
    """A person takes part in their clinic's programme from `started_at` until `ended_at`."""

    __tablename__ = "reward_enrolments"
    __table_args__ = (Index("ix_reward_enrolments_person", "person_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class RewardEntry(Base):
    """One line of a person's ledger, never changed or deleted: `earned` (amount > 0) or
    `missed` (0, resets the streak) for a behaviour on a day, `redeemed` (< 0), or a
    `correction` that reverses an earlier line (`reverses_id`)."""

    __tablename__ = "reward_entries"
    __table_args__ = (
        Index("ix_reward_entries_person", "person_id", "id"),
        # One event per behaviour and day: the streak, and a replayed check-in, rely on it.
        Index(
            "uq_reward_entries_event",
            "person_id",
            "behaviour",
            "event_day",
            unique=True,
            sqlite_where=text("behaviour IS NOT NULL"),
            postgresql_where=text("behaviour IS NOT NULL"),
        ),
        Index("uq_reward_entries_reverses", "reverses_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("reward_programmes.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(20))  # earned, missed, redeemed, correction
    behaviour: Mapped[str | None] = mapped_column(String(40))
    event_day: Mapped[dt.date] = mapped_column(Date)
    streak: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="RESTRICT"))
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("reward_entries.id", ondelete="RESTRICT")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
