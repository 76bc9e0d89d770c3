"""Who carries which requests: a social worker's own list, the table of workers for leads and
administrators, bulk reassignment (one Event per request) and marking team leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from portal.models import AssistanceRequest, RequestStatus, Role, User
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.workflow import record_event

AR = AssistanceRequest
S = RequestStatus
# The social worker must act: review and refer, or close after help was given.
ACTION_STATUSES = (S.SUBMITTED, S.IN_REVIEW, S.ASSISTANCE_PROVIDED)


def overdue_condition(limits: dict[RequestStatus, datetime]):
    return or_(*(and_(AR.status == s, AR.status_changed_at < t) for s, t in limits.items()))


def needs_action_condition(limits: dict[RequestStatus, datetime]):
    """Waiting for the social worker, or overdue (a returnee who did not answer is chased)."""
    return or_(AR.status.in_(ACTION_STATUSES), overdue_condition(limits))


@dataclass
class MyRow:
    request: AssistanceRequest
    needs_action: bool
    overdue: bool


def my_requests(
    session: Session, worker: User, limits: dict[RequestStatus, datetime], limit: int = 500
) -> list[MyRow]:
    """A social worker's open requests: those needing their action first, then by priority and
    by how long they have waited."""
    action = case((needs_action_condition(limits), 1), else_=0)
    overdue = case((overdue_condition(limits), 1), else_=0)
    stmt = (
        select(AR, action, overdue)
        .where(AR.assignee_id == worker.id, AR.status.in_(S.open_statuses()))
        .order_by(action.desc(), AR.priority_rank.desc(), AR.status_changed_at, AR.id)
        .limit(limit)
    )
    return [MyRow(r, bool(a), bool(o)) for r, a, o in session.execute(stmt)]


def count_mine(
    session: Session, worker: User, limits: dict[RequestStatus, datetime]
) -> tuple[int, int]:
    """(open requests assigned to the worker, of which need their action)."""
    waiting = func.sum(case((needs_action_condition(limits), 1), else_=0))
    stmt = select(func.count(), waiting).where(
        AR.assignee_id == worker.id, AR.status.in_(S.open_statuses())
    )
    total, needing = session.execute(stmt).one()
    return total or 0, needing or 0


@dataclass
class WorkerRow:
    worker: User
    open: int = 0
    overdue: int = 0
    needs_action: int = 0


def workers_table(session: Session, limits: dict[RequestStatus, datetime]) -> list[WorkerRow]:
    """Every active social worker with their open, overdue and needs-action counts (one GROUP
    BY over the open requests)."""
    stmt = (
        select(
            AR.assignee_id,
            func.count(),
            func.sum(case((overdue_condition(limits), 1), else_=0)),
            func.sum(case((needs_action_condition(limits), 1), else_=0)),
        )
        .where(AR.assignee_id.is_not(None), AR.status.in_(S.open_statuses()))
        .group_by(AR.assignee_id)
    )
    counts = {a: (n, o or 0, x or 0) for a, n, o, x in session.execute(stmt)}
    workers = session.scalars(
        select(User)
        .where(User.role == Role.SOCIAL_WORKER, User.is_active.is_(True))
        .order_by(User.full_name, User.id)
    ).all()
    rows = [WorkerRow(w, *counts.get(w.id, (0, 0, 0))) for w in workers]
    rows.sort(key=lambda r: (-r.needs_action, -r.open, r.worker.full_name))
    return rows


def _require_lead(actor: User) -> None:
    if not actor.can_balance_caseload:
        raise PermissionDenied(_l("Only team leads and administrators may do this."))


def reassign_requests(
    session: Session,
    actor: User,
    from_worker: User,
    to_worker: User,
    limits: dict[RequestStatus, datetime],
    *,
    only_needs_action: bool = False,
) -> int:
    """Leads and administrators move a worker's open requests to another active social worker;
    one "assigned" Event per request. Returns how many moved."""
    _require_lead(actor)
    if from_worker.role != Role.SOCIAL_WORKER or to_worker.role != Role.SOCIAL_WORKER:
        raise ServiceError(_l("Requests can only be assigned to social workers."))
    if not to_worker.is_active:
        raise ServiceError(_l("This social worker's account is not active."))
    if from_worker.id == to_worker.id:
        raise ServiceError(_l("Choose another social worker."))
    where = [AR.assignee_id == from_worker.id, AR.status.in_(S.open_statuses())]
    if only_needs_action:
        where.append(needs_action_condition(limits))
    requests = session.scalars(select(AR).where(*where).order_by(AR.id)).all()
    for request in requests:
        request.assignee_id = to_worker.id
        record_event(
            session,
            "assigned",
            actor,
            request,
            data={"from": from_worker.id, "to": to_worker.id, "bulk": True},
        )
    session.flush()  # bumps every request's version: a concurrent change fails here
    return len(requests)


def set_team_lead(session: Session, actor: User, worker: User, lead: bool) -> None:
    """Administrators make a social worker a team lead (or not)."""
    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators may do this."))
    if worker.role != Role.SOCIAL_WORKER:
        raise ServiceError(_l("Only social workers can be team leads."))
    if worker.is_team_lead == lead:
        return
    worker.is_team_lead = lead
    record_event(
        session,
        "team_lead_set",
        actor,
        subject_type="user",
        subject_id=worker.id,
        data={"lead": lead},
    )
    session.flush()
