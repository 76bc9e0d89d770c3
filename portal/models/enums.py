"""Closed lists of the domain, each with a translated label.

Values are stored as strings; templates use `.label`, never the raw value.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from portal.i18n import current_locale, locale_key, pgettext

_LABEL_CACHE: dict[tuple[type, tuple], dict] = {}


class LabelledEnum(enum.StrEnum):
    """A str enum whose members carry a lazily translated label."""

    @property
    def label(self) -> str:
        locale = current_locale()
        if locale is None:  # no request or app: nothing to cache by
            return str(self._labels()[self])
        key = (type(self), locale_key(locale))
        labels = _LABEL_CACHE.get(key)
        if labels is None:
            # Building every label of the enum costs a pgettext per member; a queue page asks
            # for hundreds of labels, so each (enum, language) is translated once per process
            # (the catalogues are compiled at start and never reloaded while it runs).
            labels = _LABEL_CACHE[key] = {m: str(v) for m, v in self._labels().items()}
        return labels[self]

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
    # Help was recorded, and the person did not confirm it within 14 days.
    NOT_CONFIRMED = "not_confirmed"

    @classmethod
    def _labels(cls):
        return {
            cls.HELP_GIVEN: _l("Help given"),
            cls.DUPLICATE: _l("Duplicate request"),
            cls.NOT_ELIGIBLE: _l("Not eligible"),
            cls.UNREACHABLE: _l("Could not reach the person"),
            cls.WITHDRAWN: _l("Withdrawn by the person"),
            cls.NOT_CONFIRMED: _l("Help given, not confirmed by the person"),
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


class AssistanceKind(LabelledEnum):
    """Kinds of assistance; `for_category` gives the ones that fit a request."""

    # housing
    TEMPORARY_SHELTER = "temporary_shelter"
    RENT_SUPPORT = "rent_support"
    HOME_REPAIR = "home_repair"
    HOUSEHOLD_ITEMS = "household_items"
    # employment
    JOB_PLACEMENT = "job_placement"
    JOB_COUNSELLING = "job_counselling"
    VOCATIONAL_TRAINING = "vocational_training"
    BUSINESS_GRANT = "business_grant"
    # documentation
    DOCUMENT_FEES = "document_fees"
    LEGAL_ADVICE = "legal_advice"
    ACCOMPANIMENT = "accompaniment"
    TRANSLATION = "translation"
    # any kind of help
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            cls.TEMPORARY_SHELTER: _l("Temporary shelter"),
            cls.RENT_SUPPORT: _l("Help with rent"),
            cls.HOME_REPAIR: _l("Home repair"),
            cls.HOUSEHOLD_ITEMS: _l("Furniture and household items"),
            cls.JOB_PLACEMENT: _l("Job placement"),
            cls.JOB_COUNSELLING: _l("Job counselling"),
            cls.VOCATIONAL_TRAINING: _l("Vocational training"),
            cls.BUSINESS_GRANT: _l("Small business grant"),
            cls.DOCUMENT_FEES: _l("Document fees paid"),
            cls.LEGAL_ADVICE: _l("Legal advice"),
            cls.ACCOMPANIMENT: _l("Accompanied to the office"),
            cls.TRANSLATION: _l("Translation and notarisation"),
            cls.OTHER: _l("Other assistance"),
        }

    @classmethod
    def for_category(cls, category: Category) -> list[AssistanceKind]:
        return [*KINDS_BY_CATEGORY[Category(category)], cls.OTHER]


K = AssistanceKind
KINDS_BY_CATEGORY: dict[Category, list[AssistanceKind]] = {
    Category.HOUSING: [K.TEMPORARY_SHELTER, K.RENT_SUPPORT, K.HOME_REPAIR, K.HOUSEHOLD_ITEMS],
    Category.EMPLOYMENT: [
        K.JOB_PLACEMENT,
        K.JOB_COUNSELLING,
        K.VOCATIONAL_TRAINING,
        K.BUSINESS_GRANT,
    ],
    Category.DOCUMENTATION: [K.DOCUMENT_FEES, K.LEGAL_ADVICE, K.ACCOMPANIMENT, K.TRANSLATION],
}


class EventKind(LabelledEnum):
    """Every kind of Event the portal writes, with a label for timelines and the audit trail."""

    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    REVIEW_STARTED = "review_started"
    INFO_REQUESTED = "info_requested"
    INFO_GIVEN = "info_given"
    REFERRED = "referred"
    REFERRAL_ACCEPTED = "referral_accepted"
    REFERRAL_RETURNED = "referral_returned"
    REFERRAL_UPDATE = "referral_update"
    ASSISTANCE_RECORDED = "assistance_recorded"
    ASSISTANCE_PROVIDED = "assistance_provided"
    CLOSED = "closed"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"
    PRIORITY_SET = "priority_set"
    MESSAGE_ADDED = "message_added"
    NOTE_ADDED = "note_added"
    CONSENT_GIVEN = "consent_given"
    PROFILE_UPDATED = "profile_updated"
    USER_CREATED = "user_created"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
    PARTNER_CREATED = "partner_created"
    PARTNER_UPDATED = "partner_updated"
    API_TOKEN_CREATED = "api_token_created"  # noqa: S105
    API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105
    ASSISTED_RESET_CODE_ISSUED = "assisted_reset_code_issued"
    CASES_EXPORTED = "cases_exported"
    HELP_CONFIRMATION = "help_confirmation"
    PARTNER_DEACTIVATED = "partner_deactivated"
    PASSWORD_RESET = "password_reset"  # noqa: S105
    PASSWORD_RESET_STARTED = "password_reset_started"  # noqa: S105
    PHONE_CHANGED = "phone_changed"
    PHONE_VERIFIED = "phone_verified"
    READMISSION_CLAIMED = "readmission_claimed"
    READMISSION_EXPIRED = "readmission_expired"
    READMISSION_INVITED = "readmission_invited"
    READMISSION_RECEIVED = "readmission_received"
    READMISSION_UPDATED = "readmission_updated"
    READMISSION_VIEWED = "readmission_viewed"
    TEAM_LEAD_SET = "team_lead_set"
    FOLLOWUP_ANSWERED = "followup_answered"
    FOLLOWUP_INVITED = "followup_invited"
    NOTIFICATION_CHANNELS_SET = "notification_channels_set"
    NOTIFICATION_RETRIED = "notification_retried"
    READMISSION_LIST_VIEWED = "readmission_list_viewed"
    READMISSION_WITHDRAWN = "readmission_withdrawn"
    TRANSLATION_SUGGESTED = "translation_suggested"
    VIEWED_REQUEST = "viewed_request"
    VIEWED_REFERRAL = "viewed_referral"
    VIEWED_API_REFERRAL = "viewed_api_referral"
    VIEWED_EXPORT = "viewed_export"
    VIEWED_SEARCH = "viewed_search"
    ACCOUNT_DELETED = "account_deleted"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    DUPLICATE_LINKED = "duplicate_linked"
    DUPLICATE_DISMISSED = "duplicate_dismissed"
    DUPLICATE_REOPENED = "duplicate_reopened"
    VIEWED_DUPLICATE = "viewed_duplicate"
    VIEWED_ACCOUNT = "viewed_account"
    VIEWED_READMISSION_CASE = "viewed_readmission_case"

    @classmethod
    def _labels(cls):
        return {
            cls.SUBMITTED: pgettext("event", "Request submitted"),
            cls.ASSIGNED: pgettext("event", "Assigned"),
            cls.REVIEW_STARTED: pgettext("event", "Review started"),
            cls.INFO_REQUESTED: pgettext("event", "More information asked for"),
            cls.INFO_GIVEN: pgettext("event", "Information given"),
            cls.REFERRED: pgettext("event", "Referred to a partner"),
            cls.REFERRAL_ACCEPTED: pgettext("event", "Referral accepted"),
            cls.REFERRAL_RETURNED: pgettext("event", "Referral came back"),
            cls.REFERRAL_UPDATE: pgettext("event", "Progress update from the partner"),
            cls.ASSISTANCE_RECORDED: pgettext("event", "Assistance recorded"),
            cls.ASSISTANCE_PROVIDED: pgettext("event", "Referral completed"),
            cls.CLOSED: pgettext("event", "Request closed"),
            cls.REOPENED: pgettext("event", "Request reopened"),
            cls.WITHDRAWN: pgettext("event", "Request withdrawn"),
            cls.PRIORITY_SET: pgettext("event", "Priority changed"),
            cls.MESSAGE_ADDED: pgettext("event", "Message"),
            cls.NOTE_ADDED: pgettext("event", "Internal note"),
            cls.CONSENT_GIVEN: pgettext("event", "Consent given"),
            cls.PROFILE_UPDATED: pgettext("event", "Profile updated"),
            cls.USER_CREATED: pgettext("event", "Account created"),
            cls.PASSWORD_CHANGED: pgettext("event", "Password changed"),
            cls.PARTNER_CREATED: pgettext("event", "Partner organisation added"),
            cls.PARTNER_UPDATED: pgettext("event", "Partner organisation changed"),
            cls.API_TOKEN_CREATED: pgettext("event", "API token created"),
            cls.API_TOKEN_REVOKED: pgettext("event", "API token revoked"),
            cls.ASSISTED_RESET_CODE_ISSUED: pgettext(
                "event", "Password code issued by a social worker"
            ),
            cls.CASES_EXPORTED: pgettext("event", "Case list exported"),
            cls.HELP_CONFIRMATION: pgettext("event", "The person answered about the help"),
            cls.PARTNER_DEACTIVATED: pgettext("event", "Partner organisation deactivated"),
            cls.PASSWORD_RESET: pgettext("event", "Password reset"),
            cls.PASSWORD_RESET_STARTED: pgettext("event", "Password reset started"),
            cls.PHONE_CHANGED: pgettext("event", "Phone number changed"),
            cls.PHONE_VERIFIED: pgettext("event", "Phone number confirmed"),
            cls.READMISSION_CLAIMED: pgettext("event", "Invitation claimed"),
            cls.READMISSION_EXPIRED: pgettext("event", "Invitation expired"),
            cls.READMISSION_INVITED: pgettext("event", "Invitation sent"),
            cls.READMISSION_RECEIVED: pgettext("event", "Readmission case received"),
            cls.READMISSION_UPDATED: pgettext("event", "Readmission case updated"),
            cls.READMISSION_VIEWED: pgettext("event", "Readmission case viewed"),
            cls.TEAM_LEAD_SET: pgettext("event", "Team lead changed"),
            cls.FOLLOWUP_ANSWERED: pgettext("event", "Follow-up answered"),
            cls.FOLLOWUP_INVITED: pgettext("event", "Follow-up sent"),
            cls.NOTIFICATION_CHANNELS_SET: pgettext("event", "Notification settings changed"),
            cls.NOTIFICATION_RETRIED: pgettext("event", "Notice sent again"),
            cls.READMISSION_LIST_VIEWED: pgettext("event", "Readmission list viewed"),
            cls.READMISSION_WITHDRAWN: pgettext("event", "Readmission case withdrawn"),
            cls.TRANSLATION_SUGGESTED: pgettext("event", "Translation suggested"),
            cls.VIEWED_REQUEST: pgettext("event", "Request viewed"),
            cls.VIEWED_REFERRAL: pgettext("event", "Referral viewed"),
            cls.VIEWED_API_REFERRAL: pgettext("event", "Referral read through the API"),
            cls.VIEWED_EXPORT: pgettext("event", "Data exported"),
            cls.VIEWED_SEARCH: pgettext("event", "Found in a search"),
            cls.ACCOUNT_DELETED: pgettext("event", "Account deleted"),
            cls.CONSENT_WITHDRAWN: pgettext("event", "Consent withdrawn"),
            cls.DUPLICATE_LINKED: pgettext("event", "Marked as the same person"),
            cls.DUPLICATE_DISMISSED: pgettext("event", "Marked as different people"),
            cls.DUPLICATE_REOPENED: pgettext("event", "Decision about a possible duplicate undone"),
            cls.VIEWED_DUPLICATE: pgettext("event", "Shown as a possible duplicate"),
            cls.VIEWED_ACCOUNT: pgettext("event", "Account viewed"),
            cls.VIEWED_READMISSION_CASE: pgettext("event", "Readmission case viewed"),
        }

    @classmethod
    def label_of(cls, kind: str | None) -> str:
        """The label of a stored kind; a kind this version does not know gets a neutral word."""
        try:
            return cls(kind).label
        except ValueError:
            return pgettext("event", "Change")


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


class ImportStatus(LabelledEnum):
    """A CSV upload of readmission cases, checked and saved by a background job."""

    VALIDATING = "validating"
    PREVIEWED = "previewed"
    SAVING = "saving"
    DONE = "done"
    FAILED = "failed"

    @property
    def is_running(self) -> bool:
        return self in (ImportStatus.VALIDATING, ImportStatus.SAVING)

    @classmethod
    def _labels(cls):
        return {
            cls.VALIDATING: pgettext("import status", "Checking the rows"),
            cls.PREVIEWED: pgettext("import status", "Checked, not saved yet"),
            cls.SAVING: pgettext("import status", "Saving"),
            cls.DONE: pgettext("import status", "Saved"),
            cls.FAILED: pgettext("import status", "Failed"),
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


class HelpConfirmation(LabelledEnum):
    """The returnee's answer to "did you receive the help?" once a partner recorded it."""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"

    @classmethod
    def _labels(cls):
        return {
            cls.YES: pgettext("help received", "Yes"),
            cls.PARTLY: pgettext("help received", "Partly"),
            cls.NO: pgettext("help received", "No"),
        }


class CodePurpose(enum.StrEnum):
    """What a one-time code or link proves (never shown to people: no label)."""

    REGISTER = "register"
    PHONE_CHANGE = "phone_change"
    RESET = "reset"
    ASSISTED_RESET = "assisted_reset"
    RESET_LINK = "reset_link"


class DuplicateReason(LabelledEnum):
    """Why two returnee accounts may be one person (services/duplicates.py decides)."""

    SAME_NAME_BIRTH_DATE = "same_name_birth_date"
    SAME_PHONE = "same_phone"
    SIMILAR_NAME_BIRTH_DATE = "similar_name_birth_date"

    @classmethod
    def _labels(cls):
        return {
            cls.SAME_NAME_BIRTH_DATE: _l("The same name and date of birth"),
            cls.SAME_PHONE: _l("The same phone number"),
            cls.SIMILAR_NAME_BIRTH_DATE: _l("A similar name and the same date of birth"),
        }


class DuplicateStatus(LabelledEnum):
    OPEN = "open"
    LINKED = "linked"
    DISMISSED = "dismissed"

    @classmethod
    def _labels(cls):
        return {
            cls.OPEN: _l("Not decided yet"),
            cls.LINKED: _l("The same person"),
            cls.DISMISSED: _l("Different people"),
        }
