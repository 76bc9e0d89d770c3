"""Closed lists of the domain, each with a translated label.

Values are stored as strings; templates use `.label`, never the raw value.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext


class LabelledEnum(enum.StrEnum):
    """A str enum whose members carry a lazily translated label."""

    @property
    def label(self) -> str:
        return str(self._labels()[self])

    @classmethod
    def _labels(cls) -> dict:
        raise NotImplementedError

    @classmethod
    def choices(cls, members=None) -> list:
        """Choices for a WTForms select or radio field, labelled in the current language."""
        from wtforms.fields.choices import SelectChoice

        return [SelectChoice(m.value, m.label) for m in (members or cls)]

    def __str__(self) -> str:
        return self.value


class Role(LabelledEnum):
    RETURNEE = "returnee"
    SOCIAL_WORKER = "social_worker"
    PARTNER = "partner"
    ADMIN = "admin"

    @classmethod
    def _labels(cls):
        return {
            cls.RETURNEE: _l("Returnee"),
            cls.SOCIAL_WORKER: _l("Social worker"),
            cls.PARTNER: _l("Partner staff"),
            cls.ADMIN: _l("Administrator"),
        }

    @property
    def is_staff(self) -> bool:
        return self in (Role.SOCIAL_WORKER, Role.ADMIN)


class Category(LabelledEnum):
    HOUSING = "housing"
    EMPLOYMENT = "employment"
    DOCUMENTATION = "documentation"

    @classmethod
    def _labels(cls):
        return {
            cls.HOUSING: _l("Housing"),
            cls.EMPLOYMENT: _l("Employment"),
            cls.DOCUMENTATION: _l("Documents"),
        }


class RequestStatus(LabelledEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    NEEDS_INFO = "needs_info"
    REFERRED = "referred"
    IN_PROGRESS = "in_progress"
    ASSISTANCE_PROVIDED = "assistance_provided"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @classmethod
    def _labels(cls):
        return {
            cls.SUBMITTED: pgettext("request status", "Submitted"),
            cls.IN_REVIEW: pgettext("request status", "Under review"),
            cls.NEEDS_INFO: pgettext("request status", "More information needed"),
            cls.REFERRED: pgettext("request status", "Referred to a partner"),
            cls.IN_PROGRESS: pgettext("request status", "In progress"),
            cls.ASSISTANCE_PROVIDED: pgettext("request status", "Assistance provided"),
            cls.CLOSED: pgettext("request status", "Closed"),
            cls.WITHDRAWN: pgettext("request status", "Withdrawn"),
        }

    @property
    def is_open(self) -> bool:
        return self not in (RequestStatus.CLOSED, RequestStatus.WITHDRAWN)

    @classmethod
    def open_statuses(cls) -> list[RequestStatus]:
        return [s for s in cls if s.is_open]


class Priority(LabelledEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @classmethod
    def _labels(cls):
        return {
            cls.LOW: pgettext("priority", "Low"),
            cls.NORMAL: pgettext("priority", "Normal"),
            cls.HIGH: pgettext("priority", "High"),
            cls.URGENT: pgettext("priority", "Urgent"),
        }

    @property
    def rank(self) -> int:
        return {"low": 0, "normal": 1, "high": 2, "urgent": 3}[self.value]


class Urgency(LabelledEnum):
    TODAY = "today"
    THIS_WEEK = "this_week"
    THIS_MONTH = "this_month"

    @classmethod
    def _labels(cls):
        return {
            cls.TODAY: _l("Today"),
            cls.THIS_WEEK: _l("This week"),
            cls.THIS_MONTH: _l("This month"),
        }


class ReferralStatus(LabelledEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {
            cls.PENDING: pgettext("referral status", "Awaiting reply"),
            cls.ACCEPTED: pgettext("referral status", "Accepted"),
            cls.DECLINED: pgettext("referral status", "Declined"),
            cls.COMPLETED: pgettext("referral status", "Completed"),
            cls.CANCELLED: pgettext("referral status", "Cancelled"),
        }

    @property
    def is_open(self) -> bool:
        return self in (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)


class DeclineReason(LabelledEnum):
    NO_CAPACITY = "no_capacity"
    OUTSIDE_AREA = "outside_area"
    NOT_OUR_KIND = "not_our_kind"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            cls.NO_CAPACITY: _l("No capacity"),
            cls.OUTSIDE_AREA: _l("Outside our area"),
            cls.NOT_OUR_KIND: _l("Not our kind of help"),
            cls.OTHER: _l("Other reason"),
        }


class CloseOutcome(LabelledEnum):
    HELP_GIVEN = "help_given"
    DUPLICATE = "duplicate"
    NOT_ELIGIBLE = "not_eligible"
    UNREACHABLE = "unreachable"
    WITHDRAWN = "withdrawn"

    @classmethod
    def _labels(cls):
        return {
            cls.HELP_GIVEN: _l("Help given"),
            cls.DUPLICATE: _l("Duplicate request"),
            cls.NOT_ELIGIBLE: _l("Not eligible"),
            cls.UNREACHABLE: _l("Could not reach the person"),
            cls.WITHDRAWN: _l("Withdrawn by the person"),
        }


class PartnerKind(LabelledEnum):
    NGO = "ngo"
    STATE_AGENCY = "state_agency"
    INTERNATIONAL = "international"

    @classmethod
    def _labels(cls):
        return {
            cls.NGO: _l("Non-governmental organisation"),
            cls.STATE_AGENCY: _l("State agency"),
            cls.INTERNATIONAL: _l("International organisation"),
        }


class MessageVisibility(LabelledEnum):
    SHARED = "shared"
    INTERNAL = "internal"

    @classmethod
    def _labels(cls):
        return {
            cls.SHARED: _l("Shared with the returnee"),
            cls.INTERNAL: _l("Internal note"),
        }


class ContactPreference(LabelledEnum):
    PHONE_CALL = "phone_call"
    SMS = "sms"
    EMAIL = "email"
    PORTAL = "portal"

    @classmethod
    def _labels(cls):
        return {
            cls.PHONE_CALL: _l("Phone call"),
            cls.SMS: _l("SMS"),
            cls.EMAIL: _l("Email"),
            cls.PORTAL: _l("Messages in this portal"),
        }


class Vulnerability(LabelledEnum):
    DISABILITY = "disability"
    CHRONIC_ILLNESS = "chronic_illness"
    PREGNANT = "pregnant"
    SINGLE_PARENT = "single_parent"
    OLDER_PERSON = "older_person"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"
    TRAFFICKING_SURVIVOR = "trafficking_survivor"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"

    @classmethod
    def _labels(cls):
        return {
            cls.DISABILITY: _l("Disability"),
            cls.CHRONIC_ILLNESS: _l("Serious or long-term illness"),
            cls.PREGNANT: _l("Pregnancy"),
            cls.SINGLE_PARENT: _l("Single parent with children"),
            cls.OLDER_PERSON: _l("Older person (over 60)"),
            cls.UNACCOMPANIED_MINOR: _l("Child without parents"),
            cls.TRAFFICKING_SURVIVOR: _l("Survivor of human trafficking"),
            cls.PREFER_NOT_TO_SAY: _l("I prefer not to say"),
        }


class NotificationChannel(LabelledEnum):
    SMS = "sms"
    EMAIL = "email"
    PORTAL = "portal"

    @classmethod
    def _labels(cls):
        return {
            cls.SMS: _l("SMS"),
            cls.EMAIL: _l("Email"),
            cls.PORTAL: _l("In the portal"),
        }


class NotificationStatus(LabelledEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"

    @classmethod
    def _labels(cls):
        return {
            cls.PENDING: pgettext("notification", "Pending"),
            cls.SENT: pgettext("notification", "Sent"),
            cls.FAILED: pgettext("notification", "Failed"),
        }


class ReadmissionStatus(LabelledEnum):
    RECEIVED = "received"
    INVITED = "invited"
    CLAIMED = "claimed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"

    @classmethod
    def _labels(cls):
        return {
            cls.RECEIVED: pgettext("readmission status", "Received"),
            cls.INVITED: pgettext("readmission status", "Invited"),
            cls.CLAIMED: pgettext("readmission status", "Claimed"),
            cls.EXPIRED: pgettext("readmission status", "Invitation expired"),
            cls.WITHDRAWN: pgettext("readmission status", "Withdrawn"),
        }


class ReadmissionVulnerability(LabelledEnum):
    """What the readmission case management system knows of a person's needs (a closed list)."""

    MINOR = "minor"
    FAMILY_WITH_CHILDREN = "family_with_children"
    DISABILITY = "disability"
    MEDICAL_NEED = "medical_need"
    ELDERLY = "elderly"
    TRAFFICKING_VICTIM = "trafficking_victim"

    @classmethod
    def _labels(cls):
        return {
            cls.MINOR: _l("Minor"),
            cls.FAMILY_WITH_CHILDREN: _l("Family with children"),
            cls.DISABILITY: _l("Disability"),
            cls.MEDICAL_NEED: _l("Medical need"),
            cls.ELDERLY: _l("Elderly person"),
            cls.TRAFFICKING_VICTIM: _l("Victim of trafficking"),
        }

    @property
    def raises_priority(self) -> bool:
        return self in (
            ReadmissionVulnerability.MINOR,
            ReadmissionVulnerability.FAMILY_WITH_CHILDREN,
        )


class Sex(LabelledEnum):
    FEMALE = "female"
    MALE = "male"

    @classmethod
    def _labels(cls):
        return {cls.FEMALE: _l("Female"), cls.MALE: _l("Male")}
