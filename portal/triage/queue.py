"""The triage queue: filters from the URL, keyset paging on indexed keys, one query per page.

Paging never uses OFFSET. The page is the union of small index range scans, one per status
(and per priority rank when sorting by priority), each reading at most one page of rows from
ix_assistance_requests_status_created (status, created_at, id) or
ix_assistance_requests_status_priority (status, priority_rank, created_at) from the cursor on;
the outer query sorts those few rows and joins the names. So the cost of a page does not grow
with the depth of the page or with the size of the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select, tuple_, union_all
from sqlalchemy.orm import aliased

from portal.db import db, utcnow
from portal.models import (
    AssistanceRequest,
    Category,
    Priority,
    RequestStatus,
    Role,
    User,
)
from portal.models.request import CROCKFORD, normalise_reference
from portal.names import name_key, prefix_range
from portal.phones import normalise_phone

AR = AssistanceRequest
SORTS = ("oldest", "newest", "priority")
ASSIGNED = ("anyone", "me", "unassigned")
STATUS_OPEN = "open"
STATUS_ALL = "all"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Filters:
    """What the queue shows; every field lives in the URL."""

    status: str = STATUS_OPEN  # "open", "all" or a RequestStatus value
    kind: Category | None = None
    region: str | None = None
    priority: Priority | None = None
    assigned: str = "anyone"
    q: str = ""
    sort: str = "oldest"
    overdue: bool = False

    def statuses(self) -> list[RequestStatus]:
        if self.status == STATUS_ALL:
            chosen = list(RequestStatus)
        elif self.status == STATUS_OPEN:
            chosen = RequestStatus.open_statuses()
        else:
            chosen = [RequestStatus(self.status)]
        if self.overdue:
            chosen = [s for s in chosen if s in (RequestStatus.SUBMITTED, RequestStatus.NEEDS_INFO)]
        return chosen

    def args(self, **changes) -> dict[str, str]:
        """URL query arguments for these filters (defaults left out), with changes applied."""
        values = {
            "status": self.status,
            "kind": self.kind.value if self.kind else "",
            "region": self.region or "",
            "priority": self.priority.value if self.priority else "",
            "assigned": self.assigned,
            "q": self.q,
            "sort": self.sort,
            "overdue": "1" if self.overdue else "",
        }
        values.update(changes)
        defaults = {"status": STATUS_OPEN, "assigned": "anyone", "sort": "oldest"}
        return {k: v for k, v in values.items() if v and defaults.get(k) != v}

    @property
    def is_default(self) -> bool:
        return not self.args()


@dataclass(frozen=True)
class Cursor:
    """A position in the sort order: (priority rank, created_at, id)."""

    rank: int
    created_at: datetime
    id: int

    def token(self) -> str:
        micros = (self.created_at - _EPOCH) // timedelta(microseconds=1)
        return f"{self.rank}.{micros}.{self.id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """None for anything that is not a cursor this module made (never an error)."""
        try:
            rank, micros, id_ = (int(part) for part in (token or "").split("."))
            created = _EPOCH + timedelta(microseconds=micros)
        except (ValueError, OverflowError):
            return None
        if not (0 <= rank <= 3 and id_ > 0):
            return None
        return cls(rank, created, id_)

    @classmethod
    def of(cls, request: AssistanceRequest) -> Cursor:
        return cls(request.priority_rank, request.created_at, request.id)


@dataclass
class Row:
    request: AssistanceRequest
    owner_name: str
    owner_phone: str | None
    assignee_name: str | None


@dataclass
class Page:
    rows: list[Row] = field(default_factory=list)
    next_cursor: Cursor | None = None
    prev_cursor: Cursor | None = None


def status_counts() -> dict[RequestStatus, int]:
    """How many requests are in each open status (an index-only scan on PostgreSQL).

    Closed and withdrawn requests are not counted: they only grow with the years, and counting
    them would make every queue page slower with history, not with work."""
    open_statuses = RequestStatus.open_statuses()
    counts = dict.fromkeys(open_statuses, 0)
    rows = db.execute(
        select(AR.status, func.count()).where(AR.status.in_(open_statuses)).group_by(AR.status)
    )
    for status, n in rows:
        counts[status] = n
    return counts


def overdue_before(now: datetime, config) -> dict[RequestStatus, datetime]:
    """Requests that entered these statuses before the given moments are overdue."""
    return {
        RequestStatus.SUBMITTED: now
        - timedelta(days=config.get("TRIAGE_SUBMITTED_OVERDUE_DAYS", 2)),
        RequestStatus.NEEDS_INFO: now
        - timedelta(days=config.get("TRIAGE_NEEDS_INFO_OVERDUE_DAYS", 7)),
    }


def is_overdue(request: AssistanceRequest, limits: dict[RequestStatus, datetime]) -> bool:
    since = limits.get(request.status)
    return since is not None and request.status_changed_at < since


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(q: str):
    """Reference (whole or its start), returnee name (part), or phone (whole or digits).

    Each kind of match is its own indexed lookup, joined by UNION (not OR, which would make
    PostgreSQL read every open request to test the name condition row by row).
    """
    q = q.strip()[:100]
    found = []
    code = normalise_reference(q)
    if code:
        found.append(select(AR.id).where(AR.reference == code))
    else:
        cleaned = "".join(ch for ch in q.upper() if ch.isalnum())
        if 3 <= len(cleaned) < 8 and all(ch in CROCKFORD for ch in cleaned):
            start = cleaned[:4] + ("-" + cleaned[4:] if len(cleaned) > 4 else "")
            # A range, not LIKE, so the unique index on reference serves it in any collation.
            found.append(
                select(AR.id).where(AR.reference >= start, AR.reference < start + "\uffff")
            )
    people = []
    # A code with a digit or a dash is not a name: skip the (unindexed) name search then.
    looks_like_code = bool(code) and any(ch.isdigit() or ch == "-" for ch in q)
    key = name_key(q) if any(ch.isalpha() for ch in q) and not looks_like_code else ""
    if len(key) >= 2:
        # Whatever alphabet was typed: a substring of the folded key (trigram index on PG).
        people.append(User.name_key.like(f"%{_like_escape(key)}%", escape="\\"))
    digits = "".join(ch for ch in q if ch.isdigit())
    if digits and not any(ch.isalpha() for ch in q):
        phone = normalise_phone(q)
        if phone:
            people.append(User.phone == phone)
        elif len(digits) >= 4:
            # The last digits typed: a prefix range on the reversed digits (an index range).
            low, high = prefix_range(digits[::-1])
            tail = User.phone_tail >= low
            people.append(tail & (User.phone_tail < high) if high else tail)
    if people:
        owners = select(User.id).where(User.role == Role.RETURNEE, or_(*people))
        found.append(select(AR.id).where(AR.owner_id.in_(owners)))
    if not found:
        return AR.id.is_(None)  # nothing to search for: nothing found
    return AR.id.in_(union_all(*found) if len(found) > 1 else found[0])


def _common_conditions(filters: Filters, me: User) -> list:
    where = []
    if filters.kind:
        where.append(AR.category == filters.kind)
    if filters.region:
        where.append(AR.region_code == filters.region)
    if filters.assigned == "me":
        where.append(AR.assignee_id == me.id)
    elif filters.assigned == "unassigned":
        where.append(AR.assignee_id.is_(None))
    if filters.q.strip():
        where.append(search_condition(filters.q))
    return where


def _overdue_condition(status: RequestStatus, limits: dict[RequestStatus, datetime]):
    return AR.status_changed_at < limits[status]


def _order(filters: Filters, backwards: bool) -> list:
    """The sort order (reversed when reading backwards from a cursor)."""
    newest = filters.sort == "newest"
    if backwards:
        newest = not newest
    created = [AR.created_at.desc(), AR.id.desc()] if newest else [AR.created_at.asc(), AR.id]
    if filters.sort == "priority":
        rank = AR.priority_rank.asc() if backwards else AR.priority_rank.desc()
        return [rank, *created]
    return created


def _after(filters: Filters, cursor: Cursor, backwards: bool, rank: int | None):
    """Rows strictly after the cursor in the (possibly reversed) order; None: the whole branch
    comes before the cursor. `rank` is the branch's fixed priority rank, if any."""
    newest = (filters.sort == "newest") != backwards
    key = tuple_(AR.created_at, AR.id)
    value = (cursor.created_at, cursor.id)
    created_after = key < value if newest else key > value
    if filters.sort != "priority":
        return created_after
    if rank is not None:
        rank_desc = not backwards
        if rank == cursor.rank:
            return created_after
        before = rank > cursor.rank if rank_desc else rank < cursor.rank
        return None if before else True
    # One query over every rank (searches): the lexicographic condition written out.
    rank_after = AR.priority_rank < cursor.rank if not backwards else AR.priority_rank > cursor.rank
    return or_(rank_after, and_(AR.priority_rank == cursor.rank, created_after))


def _branches(filters, me, cursor, backwards, limit, limits) -> list[Select]:
    common = _common_conditions(filters, me)
    ranks: list[int | None]
    if filters.priority:
        ranks = [filters.priority.rank]
    elif filters.sort == "priority":
        ranks = [3, 2, 1, 0]
    else:
        ranks = [None]
    branches = []
    for status in filters.statuses():
        for rank in ranks:
            where = [AR.status == status, *common]
            if rank is not None:
                where.append(AR.priority_rank == rank)
            if filters.overdue:
                where.append(_overdue_condition(status, limits))
            if cursor is not None:
                fixed = rank if filters.sort == "priority" else None
                cond = _after(filters, cursor, backwards, fixed)
                if cond is None:
                    continue
                if cond is not True:
                    where.append(cond)
            branch = (
                select(AR.id).where(*where).order_by(*_order(filters, backwards)).limit(limit)
            ).subquery()
            branches.append(select(branch.c.id))
    return branches


def _search_query(filters, me, cursor, backwards, limit, limits) -> Select | None:
    statuses = filters.statuses()
    if not statuses:
        return None
    where = [AR.status.in_(statuses), *_common_conditions(filters, me)]
    if filters.priority:
        where.append(AR.priority_rank == filters.priority.rank)
    if filters.overdue:
        where.append(or_(*(and_(AR.status == s, _overdue_condition(s, limits)) for s in statuses)))
    if cursor is not None:
        where.append(_after(filters, cursor, backwards, None))
    return select(AR.id).where(*where).order_by(*_order(filters, backwards)).limit(limit)


def queue_page(
    filters: Filters,
    me: User,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = 25,
    now: datetime | None = None,
    config=None,
) -> Page:
    """One page of the queue in one SQL query."""
    backwards = before is not None and after is None
    cursor = before if backwards else after
    limits = overdue_before(now or utcnow(), config or {})
    limit = size + 1
    if filters.q.strip():
        ids = _search_query(filters, me, cursor, backwards, limit, limits)
        if ids is None:
            return Page()
        ids = ids.subquery()
    else:
        branches = _branches(filters, me, cursor, backwards, limit, limits)
        if not branches:
            return Page()
        ids = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery()
    owner = aliased(User, name="owner")
    assignee = aliased(User, name="assignee")
    stmt = (
        select(AR, owner.full_name, owner.phone, assignee.full_name)
        .join(ids, ids.c.id == AR.id)
        .join(owner, owner.id == AR.owner_id)
        .outerjoin(assignee, assignee.id == AR.assignee_id)
        .order_by(*_order(filters, backwards))
        .limit(limit)
    )
    rows = [Row(r, name, phone, assigned) for r, name, phone, assigned in db.execute(stmt)]
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = Page(rows=rows)
    if rows:
        first, last = Cursor.of(rows[0].request), Cursor.of(rows[-1].request)
        if backwards:
            page.prev_cursor = first if more else None
            page.next_cursor = last
        else:
            page.next_cursor = last if more else None
            page.prev_cursor = first if cursor is not None else None
    return page


URGENT_FIRST_LIMIT = 20


def urgent_first(session) -> list[AR]:
    """Open, unreferred requests with urgent priority, oldest first: shown above the queue.

    Reads the (status, priority_rank, created_at, id) index: at most URGENT_FIRST_LIMIT rows.
    """
    waiting = (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.NEEDS_INFO)
    return list(
        session.scalars(
            select(AR)
            .where(AR.status.in_(waiting), AR.priority_rank == Priority.URGENT.rank)
            .order_by(AR.created_at, AR.id)
            .limit(URGENT_FIRST_LIMIT)
        )
    )
