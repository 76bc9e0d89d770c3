"""The case-level export: one row per request, streamed from a server-side cursor.

Names, phone numbers and the returnee's own words are only for administrators who give a
reason; every case export (with or without them) is an Event: who, when, which filter, why.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Integer,
    Select,
    String,
    case,
    column,
    func,
    literal,
    select,
    type_coerce,
    values,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, aliased

from portal.i18n import gettext as _
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


def _labels(column, enum_cls) -> Any:
    """An enum column as its label in the current language (made safe), in SQL."""
    mapping = {m.value: safe_cell(str(m.label)) for m in enum_cls}
    return case(mapping, value=type_coerce(column, String()), else_="")


def _lookup(name: str, key_type, pairs: list[tuple[Any, str]], dummy_key: Any):
    """A small table of (key, text) as a VALUES common table expression, to join."""
    rows = [(k, safe_cell(v)) for k, v in pairs] or [(dummy_key, "")]
    return values(column("key", key_type), column("text", String()), name=name).data(rows).cte(name)


def case_query(
    period: Period,
    filters: Filters,
    tz: ZoneInfo,
    *,
    personal: bool,
    dialect: str = "postgresql",
    locale: str = "az",
    partner_names: list[tuple[int, str]] | None = None,
) -> Select:
    """One row per request, every cell the final text (labels, names, local times, safe for a
    spreadsheet) made by the database: no per-row subquery (the last referral of each request
    comes from one grouped join) and no per-row work in Python."""
    offset = datetime.now(tz).utcoffset() or timedelta(0)
    last = (
        select(Referral.request_id, func.max(Referral.id).label("referral_id"))
        .group_by(Referral.request_id)
        .subquery()
    )
    ref = aliased(Referral)
    worker = aliased(User)
    regions = _lookup(
        "region_names", String(), [(c, r.name(locale)) for c, r in all_regions().items()], ""
    )
    partners = _lookup("partner_names", Integer(), partner_names or [], -1)
    cols: list[Any] = [
        AR.reference,
        _local_text(dialect, AR.created_at, offset),
        _labels(AR.category, Category),
        _safe_sql(AR.subtype),
        func.coalesce(regions.c.text, _safe_sql(AR.region_code)),
        _labels(AR.status, RequestStatus),
        _labels(AR.priority, Priority),
        _safe_sql(worker.full_name),
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
        _labels(AR.close_outcome, CloseOutcome),
        func.coalesce(partners.c.text, ""),
        _labels(ref.status, ReferralStatus),
        AR.times_declined,
    ]
    stmt = (
        select(*cols)
        .select_from(AR)
        .outerjoin(last, last.c.request_id == AR.id)
        .outerjoin(ref, ref.id == last.c.referral_id)
        .outerjoin(partners, partners.c.key == ref.partner_id)
        .outerjoin(regions, regions.c.key == AR.region_code)
        .outerjoin(worker, worker.id == AR.assignee_id)
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


def case_statement(engine: Engine, session: Session, period, filters, tz, locale, personal):
    partner_names = [(p.id, p.name(locale)) for p in session.scalars(select(PartnerOrganisation))]
    return case_query(
        period,
        filters,
        tz,
        personal=personal,
        dialect=engine.dialect.name,
        locale=locale,
        partner_names=partner_names,
    )


COPY_CHUNK = 1 << 16  # bytes handed to the server a time


def case_csv_copy(
    engine: Engine,
    session: Session,
    period: Period,
    filters: Filters,
    tz: ZoneInfo,
    locale: str,
    *,
    personal: bool,
    work_mem: str | None = None,
) -> Iterator[bytes]:
    """PostgreSQL: the rows as CSV written by the database itself (COPY (the case query) TO
    STDOUT), handed on in chunks of about 64 KB. Every cell is already final, safe text (see
    case_query), so the rows never become Python objects: the export then runs at the speed
    of the query. Lines end with LF (COPY writes no CR); a stopped download cancels the COPY."""
    stmt = case_statement(engine, session, period, filters, tz, locale, personal)
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"render_postcompile": True})
    sql = f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv)"
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            if work_mem:
                # Sorting a million rows by date in memory rather than on disk (this transaction).
                cur.execute("SELECT set_config('work_mem', %s, true)", (work_mem,))
            with cur.copy(sql, compiled.params) as copy:
                parts: list[bytes] = []
                size = 0
                for data in copy:
                    parts.append(bytes(data))
                    size += len(data)
                    if size >= COPY_CHUNK:
                        yield b"".join(parts)
                        parts, size = [], 0
                if parts:
                    yield b"".join(parts)


def case_rows(
    engine: Engine,
    session: Session,
    period: Period,
    filters: Filters,
    tz: ZoneInfo,
    locale: str,
    *,
    personal: bool,
    work_mem: str | None = None,
) -> Iterator[Sequence[Any]]:
    """Batches of finished rows, read through a server-side cursor (never all in memory)."""
    stmt = case_statement(engine, session, period, filters, tz, locale, personal)
    with engine.connect() as conn:
        if work_mem and engine.dialect.name == "postgresql":
            # Sorting a million rows by date in memory rather than on disk (this transaction).
            conn.execute(select(func.set_config("work_mem", work_mem, True)))
        result = conn.execution_options(
            stream_results=True, yield_per=BATCH, max_row_buffer=BATCH
        ).execute(stmt)
        yield from result.partitions()
