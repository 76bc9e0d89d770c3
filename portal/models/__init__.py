"""All models, imported here so that Base.metadata knows every table."""

from portal.models.assistance import ApiToken, AssistanceRecord, ReferralUpdate
from portal.models.draft import RequestDraft
from portal.models.duplicate import DuplicateFlag
from portal.models.enums import (
    AssistanceKind,
    Category,
    CloseOutcome,
    CodePurpose,
    ContactPreference,
    DeclineReason,
    DuplicateReason,
    DuplicateStatus,
    HelpConfirmation,
    ImportStatus,
    MessageVisibility,
    NotificationChannel,
    NotificationStatus,
    PartnerKind,
    Priority,
    ReadmissionStatus,
    ReadmissionVulnerability,
    ReferralStatus,
    RequestStatus,
    Role,
    Sex,
    Urgency,
    Vulnerability,
)
from portal.models.event import Event
from portal.models.followup import FollowUp
from portal.models.message import Message
from portal.models.notification import Notification
from portal.models.partner import PartnerCoverage, PartnerOrganisation
from portal.models.readmission import ReadmissionCase, ReadmissionImport, ReadmissionImportRow
from portal.models.report import ReportTally
from portal.models.request import AssistanceRequest, DataVersion, Referral, RequestStatusCount
from portal.models.returnee import ReturneeProfile
from portal.models.suggestion import TranslationSuggestion
from portal.models.user import User, UserSession
from portal.models.verification import VerificationCode

__all__ = [
    "AssistanceKind",
    "ApiToken",
    "AssistanceRecord",
    "ReferralUpdate",
    "RequestDraft",
    "ReportTally",
    "AssistanceRequest",
    "Category",
    "CloseOutcome",
    "CodePurpose",
    "ContactPreference",
    "DeclineReason",
    "DuplicateFlag",
    "DuplicateReason",
    "DuplicateStatus",
    "Event",
    "FollowUp",
    "HelpConfirmation",
    "ImportStatus",
    "Message",
    "MessageVisibility",
    "Notification",
    "NotificationChannel",
    "NotificationStatus",
    "PartnerCoverage",
    "PartnerKind",
    "PartnerOrganisation",
    "Priority",
    "Referral",
    "RequestStatusCount",
    "DataVersion",
    "ReferralStatus",
    "RequestStatus",
    "ReturneeProfile",
    "Role",
    "Urgency",
    "User",
    "UserSession",
    "VerificationCode",
    "Vulnerability",
    "ReadmissionCase",
    "ReadmissionImport",
    "ReadmissionImportRow",
    "ReadmissionStatus",
    "ReadmissionVulnerability",
    "Sex",
    "TranslationSuggestion",
]
