"""The triage queue: filters from the URL, keyset paging on indexed keys, one query per page.

Paging never uses OFFSET. The page is the union of small index range scans, one per status
(and per priority rank when sorting by priority), each reading at most one page of rows from
ix_assistance_requests_status_created (status, created_at, id) or
ix_assistance_requests_status_priority (status, priority_rank, created_at) from the cursor on;
the outer query sorts those few rows and joins the names. So the cost of a page does not grow
with the depth of the page or with the size of the table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from flask import g, has_app_context
from sqlalchemy import (
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from portal import pagecache
from portal.db import core_execute, db, estimated_rows, generic_plan, utcnow
from portal.models import (
    AssistanceRequest,
    Category,
    DuplicateFlag,
    DuplicateStatus,
    Priority,
    ReadmissionCase,
    ReadmissionVulnerability,
    RequestStatus,
    Role,
    User,
)
from portal.models.request import CROCKFORD, normalise_reference
from portal.names import name_key, prefix_range
from portal.phones import normalise_phone
from portal.services import counts

AR = AssistanceRequest
ASSIGNED = ("anyone", "me", "unassigned")
STATUS_OPEN = "open"
STATUS_ALL = "all"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STATUS_ORDER = list(RequestStatus)
_CATEGORY_ORDER = list(Category)


@dataclass(frozen=True)
class Key:
    """One sort key: its column (or expression) and how a cursor writes its value."""

    name: str
    # "time", "int", "text", "index" (position in a fixed list of values) or "name" (a
    # person's sort key, copied onto the request: portal.names.sort_key)
    kind: str

    def expr(self):
        if self.name == "status":
            return case({s: i for i, s in enumerate(_STATUS_ORDER)}, value=AR.status)
        if self.name == "category":
            return case({c: i for i, c in enumerate(_CATEGORY_ORDER)}, value=AR.category)
        return _COLUMNS[self.name]

    def value_of(self, request: AssistanceRequest):
        if self.name == "status":
            return _STATUS_ORDER.index(request.status)
        if self.name == "category":
            return _CATEGORY_ORDER.index(request.category)
        if self.kind == "name":
            return None  # never written (see write): the page need not load the column
        return getattr(request, _COLUMNS[self.name].key)

    def write(self, value) -> str:
        if self.kind == "time":
            return str((value - _EPOCH) // timedelta(microseconds=1))
        if self.kind == "name":
            return "_"  # a person's name stays out of URLs (and logs): see read
        return str(value)

    def read(self, text: str, id_: int):
        """The value from a cursor token; ValueError when it is not one. A name is read from
        the cursor's row instead, inside the page query (PostgreSQL runs the subquery once,
        before the index range scans that compare with it)."""
        if self.kind == "name":
            if text != "_":
                raise ValueError(text)
            return select(_COLUMNS[self.name]).where(AR.id == id_).scalar_subquery()
        if self.kind == "time":
            return _EPOCH + timedelta(microseconds=int(text))
        if self.kind in ("int", "index"):
            number = int(text)
            limit = {"status": len(_STATUS_ORDER), "category": len(_CATEGORY_ORDER)}.get(
                self.name, 4
            )
            if not 0 <= number < limit:
                raise ValueError(text)
            return number
        if not text or len(text) > 40 or not all(ch.isalnum() or ch in "-_" for ch in text):
            raise ValueError(text)
        return text


_COLUMNS = {
    "created": AR.created_at,
    "activity": AR.activity_at,
    "rank": AR.priority_rank,
    "reference": AR.reference,
    "region": AR.region_code,
    "returnee": AR.owner_sort_key,
    "assignee": AR.assignee_sort_key,
}
KEYS = {
    "created": Key("created", "time"),
    "activity": Key("activity", "time"),
    "rank": Key("rank", "int"),
    "reference": Key("reference", "text"),
    "region": Key("region", "text"),
    "status": Key("status", "index"),
    "category": Key("category", "index"),
    "returnee": Key("returnee", "name"),
    "assignee": Key("assignee", "name"),
}


@dataclass(frozen=True)
class Sort:
    """An order of the queue that keyset paging can walk: an optional first key with few
    values (`split`: one small index scan per value, in its own direction), then keys that all
    go one way (`descending`), then the id."""

    name: str
    keys: tuple[str, ...]
    descending: bool = False
    split: str | None = None
    split_descending: bool = False

    @property
    def all_keys(self) -> list[Key]:
        return [KEYS[k] for k in ((self.split,) if self.split else ()) + self.keys]


# The URL values; a column's second value ("-…") is the same column the other way round.
SORT_ORDERS: dict[str, Sort] = {
    s.name: s
    for s in (
        Sort("oldest", ("created",)),
        Sort("newest", ("created",), descending=True),
        Sort("priority", ("created",), split="rank", split_descending=True),
        Sort("-priority", ("created",), split="rank"),
        Sort("waiting", ("activity",)),  # waiting longest first
        Sort("-waiting", ("activity",), descending=True),
        Sort("reference", ("reference",)),
        Sort("-reference", ("reference",), descending=True),
        Sort("kind", ("created",), split="category"),
        Sort("-kind", ("created",), split="category", split_descending=True),
        Sort("region", ("region", "created")),
        Sort("-region", ("region", "created"), descending=True),
        Sort("status", ("created",), split="status"),
        Sort("-status", ("created",), split="status", split_descending=True),
        Sort("returnee", ("returnee", "created")),
        Sort("-returnee", ("returnee", "created"), descending=True),
        Sort("assignee", ("assignee", "created")),  # "Nobody yet" first
        Sort("-assignee", ("assignee", "created"), descending=True),
    )
}
SORTS = tuple(SORT_ORDERS)
# Column of the queue table -> its sort (first click) and the reverse.
COLUMN_SORTS = {
    "reference": ("reference", "-reference"),
    "kind": ("kind", "-kind"),
    "region": ("region", "-region"),
    "waiting": ("waiting", "-waiting"),
    "priority": ("priority", "-priority"),
    "status": ("status", "-status"),
    "returnee": ("returnee", "-returnee"),
    "assignee": ("assignee", "-assignee"),
}


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
    new: bool = False  # only requests with new activity

    @property
    def order(self) -> Sort:
        return SORT_ORDERS[self.sort]

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
            "new": "1" if self.new else "",
        }
        values.update(changes)
        defaults = {"status": STATUS_OPEN, "assigned": "anyone", "sort": "oldest"}
        return {k: v for k, v in values.items() if v and defaults.get(k) != v}

    @property
    def is_default(self) -> bool:
        return not self.args()

    @property
    def narrows(self) -> bool:
        """Anything beyond the status: the counts table alone cannot give the total."""
        return bool(
            self.kind
            or self.region
            or self.priority
            or self.assigned != "anyone"
            or self.q
            or self.overdue
            or self.new
        )

    def column_sort(self, column: str) -> tuple[str, str | None]:
        """The sort a click on this column's header asks for, and its aria-sort now."""
        first, reverse = COLUMN_SORTS[column]
        if self.sort == first:
            return reverse, "descending" if column == "waiting" else "ascending"
        if self.sort == reverse:
            return first, "ascending" if column == "waiting" else "descending"
        return first, None


@dataclass(frozen=True)
class Cursor:
    """A position in one sort order: the values of its keys and the id."""

    sort: str
    values: tuple
    id: int

    def token(self) -> str:
        keys = SORT_ORDERS[self.sort].all_keys
        parts = [k.write(v) for k, v in zip(keys, self.values, strict=True)]
        return ".".join([self.sort.replace("-", "~"), *parts, str(self.id)])

    @classmethod
    def parse(cls, token: str | None, sort: str = "oldest") -> Cursor | None:
        """None for anything that is not a cursor this module made for this sort (never an
        error: the first page is shown)."""
        parts = (token or "").split(".")
        order = SORT_ORDERS.get(sort)
        if order is None or parts[0].replace("~", "-") != sort:
            return None
        keys = order.all_keys
        if len(parts) != len(keys) + 2:
            return None
        try:
            id_ = int(parts[-1])
            if not 0 < id_ < 2**63:
                return None
            values = tuple(k.read(p, id_) for k, p in zip(keys, parts[1:-1], strict=True))
        except (ValueError, OverflowError):
            return None
        return cls(sort, values, id_)

    @classmethod
    def of(cls, request: AssistanceRequest, sort: str) -> Cursor:
        keys = SORT_ORDERS[sort].all_keys
        return cls(sort, tuple(k.value_of(request) for k in keys), request.id)


# Made once: building an alias of the users table copies its column collection.
_OWNER = aliased(User, name="owner")
_ASSIGNEE = aliased(User, name="assignee")

# The columns the queue shows or pages by: not the answers, the texts or the milestones.
SHOWN = (
    AR.reference,
    AR.owner_id,
    AR.assignee_id,
    AR.category,
    AR.region_code,
    AR.priority,
    AR.priority_rank,
    AR.status,
    AR.times_declined,
    AR.created_at,
    AR.status_changed_at,
    AR.activity_at,
    AR.new_activity,
)


@dataclass
class Row:
    request: Any  # a result row: the id and the SHOWN columns, read like the model
    owner_name: str
    owner_phone: str | None
    assignee_name: str | None
    # The returnee has a possible duplicate nobody has decided about (services/duplicates.py).
    possible_duplicate: bool = False
    # The vulnerabilities known from the returnee's readmission cases (services/readmissions).
    vulnerabilities: list[ReadmissionVulnerability] = field(default_factory=list)


@dataclass
class Total:
    """How many requests the filters find: exact, or the planner's estimate."""

    n: int
    exact: bool = True


@dataclass
class Page:
    rows: list[Row] = field(default_factory=list)
    next_cursor: Cursor | None = None
    prev_cursor: Cursor | None = None
    total: Total | None = None


def _fixed(n: int):
    """A LIMIT written into the SQL, not sent as a value: the statements are prepared
    (psycopg), and PostgreSQL keeps one generic plan for a statement only when that plan is
    as good as the plans made for its values; a LIMIT it does not know is costed as 10% of
    the rows."""
    return literal_column(str(int(n)))


def _has_open_flag(user_id):
    """Whether a returnee has an open possible-duplicate flag, as a column of the page query:
    two index probes per row (the pair's unique index, the index on the second user). Scalar
    subqueries, not EXISTS: PostgreSQL may turn an EXISTS into a hash of every open flag."""
    F = DuplicateFlag
    open_flag = F.status == DuplicateStatus.OPEN
    return or_(
        *(
            select(F.id)
            .where(column == user_id, open_flag)
            .limit(_fixed(1))
            .scalar_subquery()
            .is_not(None)
            for column in (F.first_user_id, F.second_user_id)
        )
    ).label("possible_duplicate")


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


NAME_KEY_MIN = 3  # a trigram: fewer letters would read every request


def search_conditions(q: str) -> list:
    """What a search matches, each a condition on the requests alone: the reference (whole or
    its start), the returnee's name (a part of the folded key each request keeps of its
    owner's name, whatever alphabet was typed), the phone (whole or its last digits).

    Each is its own indexed lookup, and the search reads each alone and joins them by UNION
    (an OR would make PostgreSQL test every open request against all of them). An empty
    list: nothing to search for, so nothing is found.
    """
    q = q.strip()[:100]
    # The form asks first (is there anything to search?), then the page and its total: once
    # per request. Per request only: a searched name is not kept past the page.
    memo = g.setdefault("search_conditions", {}) if has_app_context() else {}
    if q not in memo:
        memo[q] = _search_conditions(q)
    return memo[q]


def _search_conditions(q: str) -> list:
    found = []
    code = normalise_reference(q)
    if code:
        found.append(AR.reference == code)
    else:
        cleaned = "".join(ch for ch in q.upper() if ch.isalnum())
        if 3 <= len(cleaned) < 8 and all(ch in CROCKFORD for ch in cleaned):
            start = cleaned[:4] + ("-" + cleaned[4:] if len(cleaned) > 4 else "")
            # A range, not LIKE, so the unique index on reference serves it in any collation.
            found.append(and_(AR.reference >= start, AR.reference < start + "\uffff"))
    # A code with a digit or a dash is not a name: skip the name search then.
    looks_like_code = bool(code) and any(ch.isdigit() or ch == "-" for ch in q)
    key = name_key(q) if any(ch.isalpha() for ch in q) and not looks_like_code else ""
    if len(key) >= NAME_KEY_MIN:
        # A substring of the folded key (trigram index on PostgreSQL). The pattern is written
        # into the SQL: PostgreSQL plans each search for its own words (the trigrams of a rare
        # name, or the queue's order for a common one), never one plan for any pattern.
        pattern = bindparam(None, f"%{_like_escape(key)}%", String, literal_execute=True)
        found.append(AR.owner_name_key.like(pattern, escape="\\"))
    digits = "".join(ch for ch in q if ch.isdigit())
    if digits and not any(ch.isalpha() for ch in q):
        phone = normalise_phone(q)
        by_phone = None
        if phone:
            by_phone = User.phone == phone
        elif len(digits) >= 4:
            # The last digits typed: a prefix range on the reversed digits (an index range).
            low, high = prefix_range(digits[::-1])
            tail = User.phone_tail >= low
            by_phone = tail & (User.phone_tail < high) if high else tail
        if by_phone is not None:
            owners = select(User.id).where(User.role == Role.RETURNEE, by_phone)
            found.append(AR.owner_id.in_(owners))
    return found


def _common_conditions(filters: Filters, me: User | None, *, bound: bool = False) -> list:
    """The filters' conditions. `bound`: their values as bind parameters (kind, region, me)
    for a statement built once and run with _branch_params."""

    def value(name: str, column, given, *, written: bool = False):
        if not bound:
            return given
        # written: the value is put into the SQL when it runs (one statement text per value),
        # so that the plan PostgreSQL keeps for the statement is made for that value.
        return bindparam(name, type_=column.type, literal_execute=written)

    where = []
    if filters.kind:
        where.append(AR.category == value("kind", AR.category, filters.kind, written=True))
    if filters.region:
        region = value("region", AR.region_code, filters.region, written=True)
        where.append(AR.region_code == region)
    if filters.assigned == "me":
        where.append(AR.assignee_id == value("me", AR.assignee_id, me.id if me else None))
    elif filters.assigned == "unassigned":
        where.append(AR.assignee_id.is_(None))
    if filters.new:
        where.append(AR.new_activity.is_(True))
    return where  # a search's own conditions: see search_conditions


def _overdue_condition(status: RequestStatus, limits: dict[RequestStatus, datetime]):
    return AR.status_changed_at < limits[status]


def _order(sort: Sort, backwards: bool, columns: list | None = None) -> list:
    """ORDER BY of the sort (every direction reversed when reading backwards from a cursor).

    `columns`: the sort's keys and the id as columns of a subquery (see _key_columns), in
    place of the table's own."""
    if columns is None:
        columns = [*(k.expr() for k in sort.all_keys), AR.id]
    order = []
    if sort.split:
        expr, columns = columns[0], columns[1:]
        order.append(expr.desc() if sort.split_descending != backwards else expr.asc())
    descending = sort.descending != backwards
    for key in columns:
        order.append(key.desc() if descending else key.asc())
    return order


def _key_columns(sort: Sort) -> list:
    """The sort's keys and the id, labelled, for a branch to carry up to the union: the page
    is then sorted on what the index scans read, without looking up every branch's rows."""
    return [*(k.expr().label(f"key_{k.name}") for k in sort.all_keys), AR.id.label("id")]


def _rest_after(sort: Sort, cursor: Cursor | None, backwards: bool, bound: bool = False):
    """Rows after the cursor on the keys that follow the split: one row comparison, which
    PostgreSQL reads as an index range. `bound`: the cursor's values as bind parameters
    (after_<key>, after_id) for a statement that is built once and run with many cursors."""
    columns = [*(KEYS[k].expr() for k in sort.keys), AR.id]
    key = tuple_(*columns)
    if bound:
        after_id = bindparam("after_id", type_=AR.id.type)
        values = [
            _bound_value(KEYS[k], c, after_id) for k, c in zip(sort.keys, columns[:-1], strict=True)
        ]
        value = tuple_(*values, after_id)
    else:
        # Each value bound with its column's type; a name is already SQL (Key.read).
        raw = (*(cursor.values[1:] if sort.split else cursor.values), cursor.id)
        value = tuple_(
            *(
                v if isinstance(v, ColumnElement) else literal(v, c.type)
                for c, v in zip(columns, raw, strict=True)
            )
        )
    return key < value if sort.descending != backwards else key > value


def _bound_value(key: Key, column, after_id):
    """A cursor value in a statement built once: a bind parameter, or for a person's name
    (never in the cursor: Key.read) the name read from the cursor's row."""
    if key.kind == "name":
        return select(_COLUMNS[key.name]).where(AR.id == after_id).scalar_subquery()
    return bindparam(f"after_{key.name}", type_=column.type)


def _cursor_params(sort: Sort, cursor: Cursor | None) -> dict:
    if cursor is None:
        return {}
    values = cursor.values[1:] if sort.split else cursor.values
    params = {
        f"after_{k}": v for k, v in zip(sort.keys, values, strict=True) if KEYS[k].kind != "name"
    }
    params["after_id"] = cursor.id
    return params


def _split_after(sort: Sort, branch_value: int, cursor: Cursor, backwards: bool) -> str | None:
    """For a branch whose split key is fixed: "rest" when only its rows after the cursor
    follow, "whole" when all of them do, None when the whole branch comes before the cursor."""
    at = cursor.values[0]
    if branch_value == at:
        return "rest"
    later = branch_value < at if sort.split_descending != backwards else branch_value > at
    return "whole" if later else None


def _after_everything(sort: Sort, cursor: Cursor, backwards: bool):
    """The lexicographic condition in one expression (searches read one query)."""
    rest = _rest_after(sort, cursor, backwards)
    if not sort.split:
        return rest
    expr, at = KEYS[sort.split].expr(), cursor.values[0]
    later = expr < at if sort.split_descending != backwards else expr > at
    return or_(later, and_(expr == at, rest))


def _split_values(filters: Filters, status: RequestStatus):
    """(branch value, its condition) for each value of the sort's split key."""
    split = filters.order.split
    if split == "rank":
        ranks = [filters.priority.rank] if filters.priority else [3, 2, 1, 0]
        return [(r, AR.priority_rank == r) for r in ranks]
    if split == "category":
        kinds = [filters.kind] if filters.kind else _CATEGORY_ORDER
        return [(_CATEGORY_ORDER.index(c), AR.category == c) for c in kinds]
    if split == "status":
        return [(_STATUS_ORDER.index(status), None)]
    return [(None, None)]


def _branch_plan(filters: Filters, cursor: Cursor | None, backwards: bool, counts_now) -> tuple:
    """Which index range scans the page reads: (status, split value, "whole" or "rest").
    Unassigned requests only: not the statuses that the counts table says have none."""
    sort = filters.order
    plan = []
    statuses = filters.statuses()
    unassigned = getattr(counts_now, "unassigned", None)
    if filters.assigned == "unassigned" and unassigned is not None:
        statuses = [s for s in statuses if unassigned.get(s, 0) > 0]
    for status in statuses:
        for value, _condition in _split_values(filters, status):
            if cursor is None:
                plan.append((status, value, "whole"))
            elif sort.split:
                after = _split_after(sort, value, cursor, backwards)
                if after is not None:
                    plan.append((status, value, after))
            else:
                plan.append((status, value, "rest"))
    return tuple(plan)


def _branches(filters: Filters, plan: tuple, backwards: bool, limit: int) -> list[Select]:
    """The plan's scans as SELECTs of the sort keys and the id. Every value that changes from
    one page to the next (filters, the worker, the cursor, the overdue moments) is a bind
    parameter named as in _branch_params, so the statement is built once per shape."""
    sort = filters.order
    common = _common_conditions(filters, None, bound=True)  # never a search: see queue_page
    if filters.priority and sort.split != "rank":
        common.append(AR.priority_rank == filters.priority.rank)
    conditions = dict(_split_values_by_status(filters))
    rest = _order(Sort(sort.name, sort.keys, sort.descending), backwards)
    branches = []
    for status, value, after in plan:
        written = bindparam(None, status, type_=AR.status.type, literal_execute=True)
        where = [AR.status == written, *common]
        condition = conditions[(status, value)]
        if condition is not None:
            where.append(condition)
        if filters.overdue:
            since = bindparam(f"since_{status.value}", type_=AR.status_changed_at.type)
            where.append(AR.status_changed_at < since)
        if after == "rest":
            where.append(_rest_after(sort, None, backwards, bound=True))
        # Within a branch the split key is fixed: order by the rest only, so the index
        # (status, key…, id) serves it directly.
        branch = select(*_key_columns(sort)).where(*where).order_by(*rest).limit(_fixed(limit))
        branches.append(select(*branch.subquery().c))
    return branches


def _split_values_by_status(filters: Filters):
    for status in filters.statuses():
        for value, condition in _split_values(filters, status):
            yield (status, value), condition


def _branch_params(filters: Filters, me: User, cursor: Cursor | None, limits) -> dict:
    params = _cursor_params(filters.order, cursor)
    if filters.kind:
        params["kind"] = filters.kind
    if filters.region:
        params["region"] = filters.region
    if filters.assigned == "me":
        params["me"] = me.id
    if filters.overdue:
        params.update({f"since_{s.value}": moment for s, moment in limits.items()})
    return params


# Queue statements by shape (see _branches): building a union of up to 24 scans with
# SQLAlchemy costs more than PostgreSQL takes to run it.
_STATEMENTS: dict[tuple, Select] = {}
_STATEMENTS_MAX = 512


def _page_statement(filters: Filters, plan: tuple, backwards: bool, limit: int) -> Select:
    shape = (filters.sort, filters.kind is not None, filters.region is not None,
             filters.assigned, filters.new, filters.overdue,
             filters.priority.rank if filters.priority else None,
             plan, backwards, limit)  # fmt: skip
    stmt = _STATEMENTS.get(shape)
    if stmt is None:
        branches = _branches(filters, plan, backwards, limit)
        keyed = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery()
        # The page's ids first: the branches' few rows sorted on the keys they carry and cut
        # to one page; then only that page's rows and names are read.
        by_keys = _order(filters.order, backwards, list(keyed.c))
        page_ids = select(keyed.c.id).order_by(*by_keys).limit(_fixed(limit)).subquery()
        stmt = _with_names(page_ids, _order(filters.order, backwards))
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        _STATEMENTS[shape] = stmt
    return stmt


def _with_names(page_ids, order) -> Select:
    """The page's rows as plain result rows (the columns the queue shows, named as on the
    model, and the names), not ORM objects: the queue only reads them. `page_ids`: a
    subquery of the page's ids, or None for the ids as a list (bind parameter "ids")."""
    owner, assignee = _OWNER, _ASSIGNEE
    if page_ids is None:
        page_ids = select(AR.id).where(AR.id.in_(bindparam("ids", expanding=True))).subquery()
    return (
        select(
            AR.id,
            *SHOWN,
            owner.full_name.label("owner_name"),
            owner.phone.label("owner_phone"),
            assignee.full_name.label("assignee_name"),
            _has_open_flag(owner.id),
            ReadmissionCase.vulnerabilities.label("case_vulnerabilities"),
        )
        .join(page_ids, page_ids.c.id == AR.id)
        .join(owner, owner.id == AR.owner_id)
        .outerjoin(assignee, assignee.id == AR.assignee_id)
        # A returnee readmitted more than once has a row per case: _rows merges them.
        .outerjoin(ReadmissionCase, ReadmissionCase.user_id == owner.id)
        .order_by(*order)
    )


_VULNERABILITIES = {v.value: v for v in ReadmissionVulnerability}


def _rows(result) -> list[Row]:
    """The page's rows, one per request (the rows of one request's cases are next to each
    other: the same sort keys and id), with their cases' vulnerabilities together."""
    rows: list[Row] = []
    for r in result:
        found = [_VULNERABILITIES[v] for v in r.case_vulnerabilities or () if v in _VULNERABILITIES]
        if rows and rows[-1].request.id == r.id:
            seen = rows[-1].vulnerabilities
            seen += [v for v in found if v not in seen]
            continue
        rows.append(
            Row(r, r.owner_name, r.owner_phone, r.assignee_name, bool(r.possible_duplicate),
                list(dict.fromkeys(found)))
        )  # fmt: skip
    return rows


def _filter_conditions(filters: Filters, me: User, limits) -> list | None:
    statuses = filters.statuses()
    if not statuses:
        return None
    # The statuses written into the SQL: PostgreSQL then sees that the open requests' own
    # indexes serve "all open" (a plan for any list of statuses could not use them).
    chosen = bindparam("statuses", statuses, expanding=True, literal_execute=True)
    where = [AR.status.in_(chosen), *_common_conditions(filters, me)]
    if filters.priority:
        where.append(AR.priority_rank == filters.priority.rank)
    if filters.overdue:
        where.append(or_(*(and_(AR.status == s, _overdue_condition(s, limits)) for s in statuses)))
    return where


def _search_query(filters, me, cursor, backwards, limit, limits) -> Select | None:
    """The ids of a page of search results: each kind of match (search_conditions) read in
    the queue's order with the filters and cut to a page, then the pages joined (UNION: a
    request found twice is one) and cut to one page again."""
    where = _filter_conditions(filters, me, limits)
    alternatives = search_conditions(filters.q)
    if where is None or not alternatives:
        return None
    if cursor is not None:
        where.append(_after_everything(filters.order, cursor, backwards))
    order = _order(filters.order, backwards)
    parts = [
        select(*_key_columns(filters.order)).where(*where, found).order_by(*order)
        for found in alternatives
    ]
    if len(parts) == 1:
        keyed = parts[0].limit(_fixed(limit)).subquery()
    else:
        keyed = union(*(select(*p.limit(_fixed(limit)).subquery().c) for p in parts)).subquery()
    by_keys = _order(filters.order, backwards, list(keyed.c))
    return select(keyed.c.id).order_by(*by_keys).limit(_fixed(limit))


@cache
def _search_rows(sort: str, backwards: bool) -> Select:
    return _with_names(None, _order(SORT_ORDERS[sort], backwards))


def _matching(filters: Filters, me: User, limits) -> Select | None:
    """Every request the filters (and the search) find: for the total."""
    where = _filter_conditions(filters, me, limits)
    if where is None:
        return None
    if not filters.q:
        return select(AR.id).where(*where)
    alternatives = search_conditions(filters.q)
    if not alternatives:
        return None
    found = [select(AR.id).where(*where, alternative) for alternative in alternatives]
    return union(*found) if len(found) > 1 else found[0]


ESTIMATE_FROM = 1000  # counting more matching rows than this is no longer cheap


ESTIMATE_KEPT_SECONDS = 60


def _estimate(filters: Filters, me: User, limits) -> int | None:
    """PostgreSQL's estimate of the rows the filters find (None: nothing can match), kept a
    minute per filters (in any order) and worker: it changes only when the table's statistics
    are gathered again (ANALYZE), and asking costs the planning of the whole search. A
    search's words are kept only as a digest (the people searched for stay out of memory)."""
    words = hashlib.sha256(filters.q.encode()).digest() if filters.q else b""
    key = (
        replace(filters, q="", sort="oldest"),
        words,
        me.id if filters.assigned == "me" else None,
        int(utcnow().timestamp()) // ESTIMATE_KEPT_SECONDS,
    )
    kept = pagecache.get("estimates", key)
    if kept is None:
        matching = _matching(filters, me, limits)
        kept = pagecache.put(
            "estimates", key, (estimated_rows(db, matching),) if matching is not None else ()
        )
    return kept[0] if kept else None


def _total(filters, me, page: Page, counts_now, first_page: bool, limits) -> Total | None:
    """Exact from the counts table when only the status is chosen; exact from the page itself
    when everything fits on the first page; otherwise exact up to ESTIMATE_FROM rows and the
    planner's estimate above that (PostgreSQL; "more than" elsewhere)."""
    if not filters.narrows and counts_now is not None:
        return Total(sum(counts_now.get(s, 0) for s in filters.statuses()))
    if first_page and page.next_cursor is None:
        return Total(len(page.rows))
    if db.get_bind().dialect.name == "postgresql":
        rows = _estimate(filters, me, limits)
        if rows is None:
            return Total(0)
        return Total(max(rows, len(page.rows)), exact=False)
    matching = _matching(filters, me, limits)
    if matching is None:
        return Total(0)
    n = db.scalar(select(func.count()).select_from(matching.limit(ESTIMATE_FROM + 1).subquery()))
    return Total(min(n or 0, ESTIMATE_FROM), exact=(n or 0) <= ESTIMATE_FROM)


def queue_page(
    filters: Filters,
    me: User,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int = 25,
    now: datetime | None = None,
    config=None,
    counts_now: counts.StatusCounts | None = None,
) -> Page:
    """One page of the queue in one SQL query (and the total: see _total)."""
    backwards = before is not None and after is None
    cursor = before if backwards else after
    limits = overdue_before(now or utcnow(), config or {})
    limit = size + 1
    if filters.q.strip():
        found = _search_query(filters, me, cursor, backwards, limit, limits)
        if found is None:
            return Page(total=Total(0))
        # Two statements: the ids (planned for the words searched), then their rows and
        # names by a statement built once (the rows by their ids).
        ids = list(core_execute(db, found).scalars())
        if not ids:
            return Page(total=Total(0) if cursor is None else None)
        rows = _rows(core_execute(db, _search_rows(filters.sort, backwards), {"ids": ids}))
    else:
        plan = _branch_plan(filters, cursor, backwards, counts_now)
        if not plan:
            return Page(total=Total(0) if cursor is None else None)
        stmt = _page_statement(filters, plan, backwards, limit)
        params = _branch_params(filters, me, cursor, limits)
        # Every value the plan depends on is written into the SQL (the statuses, kind,
        # region, limit); the values left (the cursor, the worker, the overdue moments) steer
        # no choice of index. Planning the page's union of scans and its joins costs
        # PostgreSQL more than running them (2-5 ms against 1): the plan is made once.
        with generic_plan(db):
            rows = _rows(core_execute(db, stmt, params))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = Page(rows=rows)
    if rows:
        first = Cursor.of(rows[0].request, filters.sort)
        last = Cursor.of(rows[-1].request, filters.sort)
        if backwards:
            page.prev_cursor = first if more else None
            page.next_cursor = last
        else:
            page.next_cursor = last if more else None
            page.prev_cursor = first if cursor is not None else None
    if rows or cursor is None:
        page.total = _total(filters, me, page, counts_now, cursor is None, limits)
    return page


URGENT_FIRST_LIMIT = 20


def urgent_first(session) -> list:
    """Open, unreferred requests with urgent priority, oldest first: shown above the queue.

    One small range scan per waiting status on the (status, priority_rank, created_at, id)
    index, each at most URGENT_FIRST_LIMIT rows, then the few found sorted: the same cost at
    a million requests as at a thousand (an IN over the statuses would read every urgent
    waiting request and sort them).
    """
    return list(session.execute(_urgent_statement()))


@cache
def _urgent_statement() -> Select:
    waiting = (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.NEEDS_INFO)
    branches = [
        select(AR.id, AR.created_at)
        .where(AR.status == status, AR.priority_rank == Priority.URGENT.rank)
        .order_by(AR.created_at, AR.id)
        .limit(_fixed(URGENT_FIRST_LIMIT))
        .subquery()
        for status in waiting
    ]
    ids = (
        union_all(*(select(b.c.id, b.c.created_at) for b in branches))
        .order_by(text("created_at"), text("id"))
        .limit(_fixed(URGENT_FIRST_LIMIT))
        .subquery()
    )
    shown = (AR.reference, AR.category, AR.region_code, AR.priority, AR.status, AR.created_at)
    return select(AR.id, *shown).join(ids, ids.c.id == AR.id).order_by(AR.created_at, AR.id)
