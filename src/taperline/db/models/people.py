"""Clinics, accounts, care relationships and each person's safety profile."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from taperline.db.base import Base, Created, UTCDateTime


class Clinic(Base):
    __tablename__ = "clinics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="US")
    # Outreach, set by the clinic (local hours of each person; see docs/support.md).
    checkin_due_hour: Mapped[int] = mapped_column(default=21)
    missed_days_alert: Mapped[int] = mapped_column(default=3)
    digest_hour: Mapped[int] = mapped_column(default=7)
    # What erasing a person keeps: "keep-deidentified" (the records of care, de-identified) or
    # "delete" (the records of care too). See docs/operations.md.
    retention: Mapped[str] = mapped_column(String(20), default="keep-deidentified")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class User(Base):
    """An account: a person in recovery, a clinician or a clinic admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(
        ForeignKey("clinics.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    invite_hash: Mapped[str | None] = mapped_column(String(64))
    invite_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    clinic: Mapped[Clinic] = relationship(lazy="joined", innerjoin=True)


class CareRelationship(Base, Created):
    """A clinician looks after a person. Ended relationships are kept, with who ended them."""

    __tablename__ = "care_relationships"
    __table_args__ = (
        Index("ix_care_relationships_person_clinician", "person_id", "clinician_id"),
        Index("ix_care_relationships_clinician_person", "clinician_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))


class PersonCondition(Base, Created):
    __tablename__ = "person_conditions"
    __table_args__ = (UniqueConstraint("person_id", "condition"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    condition: Mapped[str] = mapped_column(String(40))


class Medication(Base, Created):
    """A medication the person takes, as told by the person or their clinician."""

    __tablename__ = "medications"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))
    amount_thousandths: Mapped[int | None] = mapped_column(BigInteger)
    unit: Mapped[str | None] = mapped_column(String(10))
    schedule: Mapped[str] = mapped_column(String(200), default="")
    prescribed: Mapped[bool] = mapped_column(Boolean, default=True)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    stopped_on: Mapped[dt.date | None] = mapped_column(Date)
