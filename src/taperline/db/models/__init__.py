"""All tables, imported here so Alembic and the tests see the whole metadata."""

from taperline.db.models.accounts import ApiToken, WebSession
from taperline.db.models.audit import AuditEvent
from taperline.db.models.checkins import Checkin, DoseLog, InstrumentResponse
from taperline.db.models.circle import CircleMember, Message, MessageRead, MessageThread
from taperline.db.models.engagement import ContactPreference, Job, Notification
from taperline.db.models.people import CareRelationship, Clinic, Medication, PersonCondition, User
from taperline.db.models.plans import PlanVersion
from taperline.db.models.rewards import RewardEnrolment, RewardEntry, RewardProgramme
from taperline.db.models.safety import Alert, Finding
from taperline.db.models.status import LatestScore, OverviewSnapshot, PersonStatus

__all__ = [
    "Alert",
    "ApiToken",
    "AuditEvent",
    "CareRelationship",
    "CircleMember",
    "Checkin",
    "Clinic",
    "ContactPreference",
    "DoseLog",
    "Finding",
    "InstrumentResponse",
    "Job",
    "LatestScore",
    "Medication",
    "Message",
    "MessageRead",
    "MessageThread",
    "Notification",
    "OverviewSnapshot",
    "PersonCondition",
    "PersonStatus",
    "PlanVersion",
    "RewardEnrolment",
    "RewardEntry",
    "RewardProgramme",
    "User",
    "WebSession",
]
