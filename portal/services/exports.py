"""The case-level export: one row per request, streamed from a server-side cursor.

Names, phone numbers and the returnee's own words are only for administrators who give a
reason; every case export (with or without them) is an Event: who, when, which filter, why.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, String, case, func, literal, select, type_coerce
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
    Role,
    User,
)
from portal.regions import all_regions
from portal.services import audit
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.reports import Filters, Period, _in_period, request_conditions
from portal.services.workflow import record_event

AR = AssistanceRequest
REASON_MAX = 300
BATCH = 5000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A spreadsheet cell that cannot start a formula: text starting with = + - @ tab or CR
    gets a leading apostrophe (OWASP's advice), which Excel and LibreOffice show as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


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
    tz: ZoneInfo | None = None,
) -> None:
    """Staff export the case list; with personal data only administrators with a reason, and
    then every returnee in it gets a view of their data recorded."""
    tz = tz or ZoneInfo("Asia/Baku")
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
    if personal:
        # Each returnee in the export sees it in "who has seen your data" (one INSERT … SELECT).
        owners = (
            select(AR.owner_id)
            .where(*_in_period(AR.created_at, period, tz), *request_conditions(filters))
            .distinct()
        )
        audit.record_returnee_views(
            session, actor, owners, kind=audit.VIEW_EXPORT, data={"export": "cases"}
        )


def _local_text(dialect: str, column, offset: timedelta):
    """A UTC timestamp as local "YYYY-MM-DD HH:MM" text ("" for none), made in SQL: a million
    rows then never become datetime objects in Python."""
    if dialect == "postgresql":
        text_ = func.to_char(func.timezone("UTC", column) + literal(offset), "YYYY-MM-DD HH24:MI")
    else:
        minutes = int(offset.total_seconds() // 60)
        text_ = func.strftime("%Y-%m-%d %H:%M", column, f"{minutes:+d} minutes")
    return func.coalesce(text_, "")


def _safe_sql(column):
    """Formula-injection neutralising in SQL for text people typed (see present.safe_cell)."""
    value = func.coalesce(column, "")
    return case((func.substr(value, 1, 1).in_(FORMULA_START), "'" + value), else_=value)


def case_query(
    period: Period,
    filters: Filters,
    tz: ZoneInfo,
    *,
    personal: bool,
    dialect: str = "postgresql",
) -> Select:
    """One row per request: plain text and numbers, no per-row subquery (the last referral of
    each request comes from one grouped join)."""
    offset = datetime.now(tz).utcoffset() or timedelta(0)
    last = (
        select(Referral.request_id, func.max(Referral.id).label("referral_id"))
        .group_by(Referral.request_id)
        .subquery()
    )
    ref = aliased(Referral)
    text = String()
    cols: list[Any] = [
        AR.reference,
        _local_text(dialect, AR.created_at, offset),
        type_coerce(AR.category, text),
        func.coalesce(AR.subtype, ""),
        AR.region_code,
        type_coerce(AR.status, text),
        type_coerce(AR.priority, text),
        AR.assignee_id,
        *(
            _local_text(dialect, col, offset)
            for col in (
                AR.first_reviewed_at,
                AR.referred_at,
                AR.accepted_at,
                AR.helped_at,
                AR.closed_at,
            )  # fmt: skip
        ),
        type_coerce(AR.close_outcome, text),
        ref.partner_id,
        type_coerce(ref.status, text),
        AR.times_declined,
    ]
    stmt = (
        select(*cols)
        .select_from(AR)
        .outerjoin(last, last.c.request_id == AR.id)
        .outerjoin(ref, ref.id == last.c.referral_id)
        .where(*_in_period(AR.created_at, period, tz), *request_conditions(filters))
        .order_by(AR.created_at, AR.id)
    )
    if personal:
        owner = aliased(User)
        stmt = stmt.add_columns(
            _safe_sql(owner.full_name), _safe_sql(owner.phone), _safe_sql(AR.description)
        ).join(owner, owner.id == AR.owner_id)
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
) -> Iterator[list[list[Any]]]:
    """Batches of rows, read through a server-side cursor (never all in memory), every cell
    already safe for a spreadsheet: labels, regions, partners and workers are looked up in
    dicts made safe once; the text people typed is made safe in SQL."""
    labels: dict[Any, str] = {None: ""}
    for enum_cls in (Category, RequestStatus, Priority, CloseOutcome, ReferralStatus):
        for member in enum_cls:
            labels[member.value] = safe_cell(str(member.label))
    regions = {code: safe_cell(r.name(locale)) for code, r in all_regions().items()}
    partners: dict[Any, str] = {None: ""}
    partners.update(
        (p.id, safe_cell(p.name(locale))) for p in session.scalars(select(PartnerOrganisation))
    )
    workers: dict[Any, str] = {None: ""}
    workers.update(
        (uid, safe_cell(name or ""))
        for uid, name in session.execute(
            select(User.id, User.full_name).where(User.role.in_((Role.SOCIAL_WORKER, Role.ADMIN)))
        )
    )
    stmt = case_query(period, filters, tz, personal=personal, dialect=engine.dialect.name)
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        for part in result.partitions():
            batch = []
            for row in part:
                ref, created, cat, sub, reg, st, prio, worker = row[:8]
                out = [
                    ref,
                    created,
                    labels[cat],
                    safe_cell(sub),
                    regions.get(reg) or safe_cell(reg),
                    labels[st],
                    labels[prio],
                    workers.get(worker, ""),
                    row[8],
                    row[9],
                    row[10],
                    row[11],
                    row[12],
                    labels[row[13]],
                    partners.get(row[14], ""),
                    labels[row[15]],
                    row[16],
                ]
                if personal:
                    out += row[17:20]
                batch.append(out)
            yield batch
