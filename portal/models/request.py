from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    select,
    text,
)
from sqlalchemy.orm import Mapped, attributes, mapped_column, object_session, relationship
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import (
    Category,
    CloseOutcome,
    DeclineReason,
    HelpConfirmation,
    Priority,
    ReferralStatus,
    RequestStatus,
    Urgency,
)
from portal.models.user import User
from portal.names import NAME_KEY_LENGTH, SORT_KEY_LENGTH, sort_key, stored_name_key

# The open statuses as SQL, for partial indexes (the migration that made one keeps its copy).
OPEN_ONLY = "status IN ({})".format(
    ", ".join(f"'{s.value}'" for s in RequestStatus.open_statuses())
)

if TYPE_CHECKING:
    from portal.models.partner import PartnerOrganisation

# Crockford base32: no I, L, O, U, so a code read aloud on the phone is not misheard.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_reference() -> str:
    """A short, random, non-sequential reference such as 7K3M-Q9TX."""
    chars = "".join(secrets.choice(CROCKFORD) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def normalise_reference(text: str) -> str:
    """Accept what a person types or says: lower case, spaces, O for 0, missing dash."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(cleaned) != 8 or any(ch not in CROCKFORD for ch in cleaned):
        return ""
    return f"{cleaned[:4]}-{cleaned[4:]}"


class AssistanceRequest(Base):
    """A returnee's request for help; its status changes only through services.workflow."""

    __tablename__ = "assistance_requests"
    __table_args__ = (
        UniqueConstraint("owner_id", "submission_key", name="uq_assistance_requests_submission"),
        # Queue filters and keyset paging: (filter, sort key, id).
        Index("ix_assistance_requests_status_created", "status", "created_at", "id"),
        Index(
            "ix_assistance_requests_status_priority", "status", "priority_rank", "created_at", "id"
        ),
        Index("ix_assistance_requests_category_created", "category", "created_at"),
        Index("ix_assistance_requests_region_created", "region_code", "created_at"),
        Index("ix_assistance_requests_assignee_status", "assignee_id", "status"),
        Index("ix_assistance_requests_owner_created", "owner_id", "created_at"),
        Index("ix_assistance_requests_created_id", "created_at", "id"),
        Index("ix_assistance_requests_closed_at", "closed_at"),
        # Overdue now (reports) and the caseload table: open requests by status and wait,
        # read from the index alone.
        Index(
            "ix_assistance_requests_status_waiting",
            "status",
            "status_changed_at",
            "assignee_id",
            "category",
            "region_code",
        ),
        # "Waiting" sort, region sort and the "new activity" filter of the queue.
        Index("ix_assistance_requests_status_activity", "status", "activity_at", "id"),
        Index("ix_assistance_requests_status_region", "status", "region_code", "created_at", "id"),
        # The "new activity" filter: a range per status in the queue's default order.
        Index(
            "ix_assistance_requests_new_activity_created",
            "new_activity",
            "status",
            "created_at",
            "id",
        ),
        # "Nobody yet" and "Me" filters: a range per status in the queue's default order.
        Index(
            "ix_assistance_requests_status_assignee",
            "status",
            "assignee_id",
            "created_at",
            "id",
        ),
        # The queue's "Returnee" and "Assigned to" sorts: a range per status on the names.
        Index(
            "ix_assistance_requests_status_owner_sort",
            "status",
            "owner_sort_key",
            "created_at",
            "id",
        ),
        Index(
            "ix_assistance_requests_status_assignee_sort",
            "status",
            "assignee_sort_key",
            "created_at",
            "id",
        ),
        # Name search: a substring of the owner's folded name, trigrams on PostgreSQL. The
        # open requests have their own (the queue's usual search): a name's trigrams are in
        # many closed requests too, and a near miss of a common name reads them all.
        Index(
            "ix_assistance_requests_owner_name_key_trgm",
            "owner_name_key",
            postgresql_using="gin",
            postgresql_ops={"owner_name_key": "gin_trgm_ops"},
        ),
        # A search's usual order: the open requests, oldest first, without the closed ones
        # between them (a common name is tested on each open request until a page is full).
        Index(
            "ix_assistance_requests_open_created",
            "created_at",
            "id",
            postgresql_where=text(OPEN_ONLY),
            sqlite_where=text(OPEN_ONLY),
        ),
        Index(
            "ix_assistance_requests_open_owner_name_key_trgm",
            "owner_name_key",
            postgresql_using="gin",
            postgresql_ops={"owner_name_key": "gin_trgm_ops"},
            postgresql_where=text(OPEN_ONLY),
            sqlite_where=text(OPEN_ONLY),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(9), unique=True, default=new_reference)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category: Mapped[Category] = mapped_column(enum_column(Category, 20))
    subtype: Mapped[str | None] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str | None] = mapped_column(Text)
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, 20))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, 10), default=Priority.NORMAL)
    # Sortable copy of the priority (urgent=3 … low=0), kept in step by set_priority.
    priority_rank: Mapped[int] = mapped_column(Integer, default=1)
    region_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, 20), default=RequestStatus.SUBMITTED
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    close_outcome: Mapped[CloseOutcome | None] = mapped_column(enum_column(CloseOutcome, 20))
    # Idempotency key of the submit form: a double tap makes one request, not two.
    submission_key: Mapped[str | None] = mapped_column(String(64))
    times_declined: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # The returnee's answer once help is recorded: did they receive it? (services/confirmations.py)
    help_confirmation: Mapped[HelpConfirmation | None] = mapped_column(
        enum_column(HelpConfirmation, 10)
    )
    help_confirmation_comment: Mapped[str | None] = mapped_column(Text)
    help_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Milestones for the reports, each set once by workflow.apply_transition: the first staff
    # decision on a submitted request, the first referral, acceptance, and help given.
    first_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    referred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    helped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last thing that needs the social worker (the submission, an answer or message from
    # the returnee, a partner's decline or recorded help): "Waiting" counts from it. Set by
    # services.activity from workflow.record_event.
    activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Something needing the worker happened since the assignee last opened the request page
    # (assignee_seen_at); cleared when they open it.
    new_activity: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    assignee_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The owner's and the assignee's names as portal.names.sort_key spells them ("" for
    # nobody), copied here so that the queue sorts by name through an index. Kept in step by
    # the listeners at the end of this module: when the request is made or reassigned, and
    # when a person's name changes.
    owner_sort_key: Mapped[str] = mapped_column(
        String(SORT_KEY_LENGTH), default="", server_default=""
    )
    assignee_sort_key: Mapped[str] = mapped_column(
        String(SORT_KEY_LENGTH), default="", server_default=""
    )
    # The owner's users.name_key (what a name search matches), kept in step the same way.
    owner_name_key: Mapped[str | None] = mapped_column(String(NAME_KEY_LENGTH))

    # Every UPDATE bumps and checks the version: a stale write raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="request", order_by="Referral.created_at"
    )

    def __repr__(self) -> str:
        return f"<AssistanceRequest {self.id} {self.status.value}>"

    @property
    def awaits_confirmation(self) -> bool:
        """Help is recorded and the returnee has not said yet whether they received it."""
        return self.status == RequestStatus.ASSISTANCE_PROVIDED and (
            self.help_confirmed_at is None or self.help_confirmed_at < self.status_changed_at
        )

    @property
    def open_referral(self) -> Referral | None:
        for referral in self.referrals:
            if referral.status.is_open:
                return referral
        return None

    def can_view(self, user: User) -> bool:
        """Owner, SMS staff, or staff of the partner holding the open referral."""
        if user is None or not user.is_authenticated:
            return False
        if user.is_staff:
            return True
        if user.is_returnee:
            return self.owner_id == user.id
        if user.is_partner:
            return any(r.partner_id == user.partner_id for r in self.referrals)
        return False


class Referral(Base):
    """One request sent to one partner organisation; a request may be referred several times."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("ix_referrals_partner_status", "partner_id", "status", "created_at"),
        Index("ix_referrals_request_id", "request_id"),
        Index("ix_referrals_created_at", "created_at"),
        # The reports' partner figures: referrals of a period read from the index alone.
        Index(
            "ix_referrals_created_cover",
            "created_at",
            "partner_id",
            "status",
            "responded_at",
            "decline_reason",
            "request_id",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_requests.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner_organisations.id"))
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus, 20), default=ReferralStatus.PENDING
    )
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason, 20))
    decline_note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[AssistanceRequest] = relationship(back_populates="referrals")
    partner: Mapped[PartnerOrganisation] = relationship()
    sent_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Referral {self.id} {self.status.value}>"


class RequestStatusCount(Base):
    """How many requests are in each status, kept by services.counts at every flush that adds,
    removes or moves a request, so the queue need not count a million rows per page."""

    __tablename__ = "request_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Of those, the ones nobody is assigned to: the queue's "unassigned" filter skips every
    # status that has none (after triage nearly all), instead of reading them to find none.
    unassigned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DataVersion(Base):
    """A number that grows in the transaction of every change to what a page shows (see
    services/versions.py): a page kept rendered is shown again only while it is the same."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# --- the owner's and the assignee's name keys -------------------------------------------------


def _name_keys(connection, session, user_id: int | None) -> tuple[str, str | None]:
    """A person's sort key and search key: from the session when the person is loaded there
    (the usual case: the owner who submits, the worker assigned), else one small SELECT."""
    if user_id is None:
        return "", None
    user = session.identity_map.get(identity_key(User, user_id)) if session else None
    if user is not None and "full_name" in user.__dict__:
        full_name = user.full_name
    else:
        full_name = connection.scalar(select(User.full_name).where(User.id == user_id))
    return sort_key(full_name), stored_name_key(full_name)


def _changed(target, name: str) -> bool:
    history = attributes.get_history(target, name)
    return bool(history.added or history.deleted)


@event.listens_for(AssistanceRequest, "before_insert")
def _sort_keys_on_insert(mapper, connection, target):  # noqa: ARG001
    session = object_session(target)
    target.owner_sort_key, target.owner_name_key = _name_keys(connection, session, target.owner_id)
    target.assignee_sort_key = _name_keys(connection, session, target.assignee_id)[0]


@event.listens_for(AssistanceRequest, "before_update")
def _sort_keys_on_update(mapper, connection, target):  # noqa: ARG001
    session = object_session(target)
    if _changed(target, "owner_id"):
        target.owner_sort_key, target.owner_name_key = _name_keys(
            connection, session, target.owner_id
        )
    if _changed(target, "assignee_id"):
        target.assignee_sort_key = _name_keys(connection, session, target.assignee_id)[0]


@event.listens_for(User, "after_update")
def _renamed(mapper, connection, target):  # noqa: ARG001
    """A person's new name moves their requests (as owner or assignee) in the queue's name
    sorts, and a name search finds their requests under it: two UPDATEs, each through the
    index on owner_id or assignee_id, in the same transaction. The requests' versions stay:
    a rename is no change a worker must see."""
    history = attributes.get_history(target, "full_name")
    if not (history.added or history.deleted):
        return
    key, search = sort_key(target.full_name), stored_name_key(target.full_name)
    owner = {"owner_sort_key": key, "owner_name_key": search}
    table = AssistanceRequest.__table__
    assignee = {"assignee_sort_key": key}
    for column, values in ((table.c.owner_id, owner), (table.c.assignee_id, assignee)):
        connection.execute(table.update().where(column == target.id).values(values))
    session = object_session(target)
    for obj in list(session.identity_map.values()) if session else ():
        if isinstance(obj, AssistanceRequest):
            if obj.__dict__.get("owner_id") == target.id:
                for attr, value in owner.items():
                    set_committed_value(obj, attr, value)
            if obj.__dict__.get("assignee_id") == target.id:
                set_committed_value(obj, "assignee_sort_key", key)
