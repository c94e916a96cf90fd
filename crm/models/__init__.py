"""All models, imported here so that metadata (and Alembic) sees every table."""

from crm.models.base import Base, StrEnum, UTCDateTime, utcnow
from crm.models.events import (
    Attendance,
    Event,
    EventKind,
    EventParticipant,
    EventStatus,
    OurRole,
    ParticipantRole,
    event_subitems,
)
from crm.models.followups import FollowUp, FollowUpStatus, Reminder, ReminderStatus
from crm.models.framework import CommitmentItem, Framework
from crm.models.outreach import (
    Channel,
    Direction,
    Material,
    MaterialKind,
    Outcome,
    Outreach,
    outreach_materials,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)
from crm.models.privacy import AuditEntry, ConsentPurpose, ConsentRecord, ConsentStatus
from crm.models.register import (
    LawfulBasis,
    LinkType,
    Organisation,
    OrganisationKind,
    OrganisationLink,
    OtherCategory,
    Person,
    PolicyBodyType,
    PolicyLevel,
    Position,
    PositionRole,
    SizeClass,
    ValueChainRole,
    organisation_tags,
    person_tags,
)
from crm.models.targets import Target, TargetMetric
from crm.models.users import LoginFailure, Role, User
from crm.models.vocab import Country, Language, Tag

__all__ = [
    "Attendance", "AuditEntry", "Base", "Channel", "CommitmentItem", "ConsentPurpose",
    "ConsentRecord", "ConsentStatus", "Country", "Direction", "Event", "EventKind",
    "EventParticipant", "EventStatus", "FollowUp", "FollowUpStatus", "Framework", "Language",
    "LawfulBasis", "LinkType", "LoginFailure", "Material", "MaterialKind", "Organisation",
    "OrganisationKind", "OrganisationLink", "OtherCategory", "OurRole", "Outcome", "Outreach",
    "ParticipantRole", "Person", "PolicyBodyType", "PolicyLevel", "Position", "PositionRole",
    "Reminder", "ReminderStatus", "Role", "SizeClass", "StrEnum", "Tag", "Target",
    "TargetMetric", "UTCDateTime", "User", "ValueChainRole", "event_subitems",
    "organisation_tags", "outreach_materials", "outreach_organisations", "outreach_people",
    "outreach_subitems", "person_tags", "utcnow",
]
