"""The case-level export: one row per request, streamed from a server-side cursor.

Names, phone numbers and the returnee's own words are only for administrators who give a
reason; every case export (with or without them) is an Event: who, when, which filter, why.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Select, String, select, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    PartnerOrganisation,
    Priority,
    Referral,
    ReferralStatus,
    RequestStatus,
    User,
)
from portal.regions import all_regions
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.reports import Filters, Period, _in_period, request_conditions
from portal.services.workflow import record_event

AR = AssistanceRequest
REASON_MAX = 300
BATCH = 2000


def check_personal_export(actor: User, reason: str | None) -> str:
    """The cleaned reason; refuses anyone but an administrator, and a missing reason."""
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators may export names and phone numbers."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError(_l("Say why you need names and phone numbers."))
    if len(reason) > REASON_MAX:
        raise ServiceError(_l("Use at most %(max)d characters.", max=REASON_MAX))
    return reason


def record_case_export(
    session: Session,
    actor: User,
    period: Period,
    filters: Filters,
    *,
    personal: bool,
    reason: str | None = None,
) -> None:
    """Staff export the case list; with personal data only administrators with a reason."""
    if not actor.is_staff:
        raise PermissionDenied(_l("Only social workers may do this."))
    if personal:
        reason = check_personal_export(actor, reason)
    record_event(
        session,
        "cases_exported",
        actor,
        subject_type="export",
        subject_id=0,
        data={
            "period": [period.start.isoformat(), period.end.isoformat()],
            "filters": filters.args(),
            "personal": personal,
            **({"reason": reason} if personal else {}),
        },
    )
    session.flush()


def case_query(period: Period, filters: Filters, tz: ZoneInfo, *, personal: bool) -> Select:
    last_referral = (
        select(Referral.id)
        .where(Referral.request_id == AR.id)
        .order_by(Referral.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    ref = aliased(Referral)
    worker = aliased(User)
    # Plain column types: the values go straight to text, so skip the enum and UTC-datetime
    # conversions SQLAlchemy would make for every cell of a million rows.
    text, moment = String(), DateTime(timezone=True)
    cols: list[Any] = [
        AR.reference,
        type_coerce(AR.created_at, moment),
        type_coerce(AR.category, text),
        AR.subtype,
        AR.region_code,
        type_coerce(AR.status, text),
        type_coerce(AR.priority, text),
        worker.full_name,
        type_coerce(AR.first_reviewed_at, moment),
        type_coerce(AR.referred_at, moment),
        type_coerce(AR.accepted_at, moment),
        type_coerce(AR.helped_at, moment),
        type_coerce(AR.closed_at, moment),
        type_coerce(AR.close_outcome, text),
        ref.partner_id,
        type_coerce(ref.status, text),
        AR.times_declined,
    ]
    stmt = (
        select(*cols)
        .select_from(AR)
        .outerjoin(ref, ref.id == last_referral)
        .outerjoin(worker, worker.id == AR.assignee_id)
        .where(*_in_period(AR.created_at, period, tz), *request_conditions(filters))
        .order_by(AR.created_at, AR.id)
    )
    if personal:
        owner = aliased(User)
        stmt = stmt.add_columns(owner.full_name, owner.phone, AR.description).join(
            owner, owner.id == AR.owner_id
        )
    return stmt


def case_header(personal: bool) -> list[str]:
    header = [
        _("Reference"),
        _("Submitted"),
        _("Kind of help"),
        _("Sub-type"),
        _("Region"),
        _("Status"),
        _("Priority"),
        _("Social worker"),
        _("First review"),
        _("Referred"),
        _("Accepted by the partner"),
        _("Help given"),
        _("Closed"),
        _("Outcome"),
        _("Partner"),
        _("Referral status"),
        _("Times declined"),
    ]
    if personal:
        header += [_("Returnee"), _("Phone"), _("Description")]
    return header


def case_rows(
    engine: Engine,
    session: Session,
    period: Period,
    filters: Filters,
    tz: ZoneInfo,
    locale: str,
    *,
    personal: bool,
) -> Iterator[list[Any]]:
    """The rows, read in batches through a server-side cursor (never all in memory)."""
    labels: dict[Any, str] = {}
    for enum_cls in (Category, RequestStatus, Priority, CloseOutcome, ReferralStatus):
        for member in enum_cls:
            labels[member.value] = member.label
    regions = {code: r.name(locale) for code, r in all_regions().items()}
    partners = {p.id: p.name(locale) for p in session.scalars(select(PartnerOrganisation))}
    stmt = case_query(period, filters, tz, personal=personal)

    # Local time by the zone's current offset (Azerbaijan keeps one all year); isoformat is
    # several times cheaper than astimezone + strftime per cell.
    offset = datetime.now(tz).utcoffset()

    def when(moment: datetime | None) -> str:
        return (moment + offset).isoformat(" ", "minutes")[:16] if moment else ""

    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        for row in result:
            out = [
                row[0],
                when(row[1]),
                labels[row[2]],
                row[3] or "",
                regions.get(row[4], row[4]),
                labels[row[5]],
                labels[row[6]],
                row[7] or "",
                when(row[8]),
                when(row[9]),
                when(row[10]),
                when(row[11]),
                when(row[12]),
                labels[row[13]] if row[13] else "",
                partners.get(row[14], "") if row[14] else "",
                labels[row[15]] if row[15] else "",
                row[16],
            ]
            if personal:
                out += [row[17], row[18] or "", row[19] or ""]
            yield out
