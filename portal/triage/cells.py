"""The queue's cells as text, worked out for a whole page in one pass.

A queue page shows 45 rows (the urgent list and one page of the queue). Asking the template
for each row's labels, region, dates and age costs a few dozen lookups of the locale, the
time zone and the catalogue per row; here each is looked up once per page, and the template
only writes the strings out. The words are the same as the filters' (`age`, `datetime`,
`region`, the enums' labels): tests/functional/triage/test_queue.py compares the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.models import Category, Priority, RequestStatus
from portal.regions import region_name
from portal.templating import format_day, format_moment
from portal.triage.filters import age
from portal.triage.queue import is_overdue


@dataclass(slots=True)
class Cells:
    url: str
    kind: str
    region: str
    status: str
    priority: str
    since: str = ""  # activity_at, ISO 8601 (the <time> element)
    since_title: str = ""  # activity_at in the portal's time zone
    waited: str = ""  # how long since, in words
    late: bool = False
    ago: str = ""  # the urgent list: "3 days ago" since submission


class _Labels:
    """Each label and region name of the page's language, looked up once."""

    def __init__(self) -> None:
        self.kinds = {c: c.label for c in Category}
        self.statuses = {s: s.label for s in RequestStatus}
        self.priorities = {p: p.label for p in Priority}
        self.regions: dict[str | None, str] = {}

    def region(self, code: str | None) -> str:
        name = self.regions.get(code)
        if name is None:
            name = self.regions[code] = region_name(code)
        return name

    def cells(self, r, request_url, **more) -> Cells:
        """A row's link and labels (both lists show them), and what else the list shows."""
        return Cells(
            url=request_url(r.id),
            kind=self.kinds[r.category],
            region=self.region(r.region_code),
            status=self.statuses[r.status],
            priority=self.priorities[r.priority],
            **more,
        )


class QueueCells:
    """The cells of a queue page's rows (queue.Row), each worked out when the template first
    asks for it: a row whose HTML is kept (`key`) needs none."""

    def __init__(self, rows, now: datetime, limits, request_url) -> None:
        self._rows = [row.request for row in rows]
        self._url = request_url
        self._labels: _Labels | None = None
        self._cells: dict[int, Cells] = {}
        # What changes with the clock alone, for every row: part of each row's key.
        self._waited = [age(r.activity_at, now) for r in self._rows]
        self._late = [is_overdue(r, limits) for r in self._rows]
        self.keys = [self._key(i, row) for i, row in enumerate(rows)]

    def _key(self, i: int, row) -> tuple:
        """Everything the row's HTML shows, besides the language: equal keys, equal rows."""
        r = self._rows[i]
        return (
            r.id, r.reference, r.new_activity, r.times_declined, r.category, r.region_code,
            r.priority, r.status, r.activity_at, row.owner_name, row.possible_duplicate,
            tuple(row.vulnerabilities), row.assignee_name, self._waited[i], self._late[i],
            self._url(0),
        )  # fmt: skip

    def __getitem__(self, i: int) -> Cells:
        found = self._cells.get(i)
        if found is None:
            if self._labels is None:
                self._labels = _Labels()
            r = self._rows[i]
            found = self._cells[i] = self._labels.cells(
                r,
                self._url,
                since=r.activity_at.isoformat(),
                since_title=format_moment(r.activity_at),
                waited=self._waited[i],
                late=self._late[i],
            )
        return found


def urgent_cells(rows, now: datetime, request_url) -> list[Cells]:
    """Cells of the urgent list above the queue."""
    labels = _Labels()
    return [
        labels.cells(r, request_url, ago=_("%(age)s ago", age=age(r.created_at, now))) for r in rows
    ]


# --- the request page's longest lists, written here rather than by the template -------------
# (each value escaped: markupsafe's escape is quick, Markup.format is not)


def worker_options(workers, selected_id: int | None) -> Markup:
    """The <option>s of the active social workers (the assign form's select)."""
    return Markup(  # noqa: S704 - every value escaped
        "\n".join(
            f'<option value="{int(w.id)}"{" selected" if w.id == selected_id else ""}>'
            f"{escape(w.full_name)}</option>"
            for w in workers
            if w.is_active
        )
    )


def other_partners(others, declined: dict, chosen: int | None) -> Markup:
    """The active partners that do not cover the request, one radio button each, with
    whether they declined this request and their load (the refer form's second list)."""
    out = []
    for s in others:
        pid = int(s.partner.id)
        past = declined.get(pid)
        tag = ""
        if past is not None:
            day = format_day(past.responded_at or past.updated_at)
            said = escape(_("Declined this request on %(date)s", date=day))
            tag = f' <span class="tag tag-returned">{said}</span>'
        load = ngettext(
            "%(num)d open referral of %(capacity)d",
            "%(num)d open referrals of %(capacity)d",
            s.open_referrals,
            capacity=s.capacity,
        )
        checked = " checked" if chosen == pid else ""
        out.append(
            f'<div class="choice"><input type="radio" name="partner_id" value="{pid}"'
            f' id="partner-{pid}"{checked}>\n'
            f'            <label for="partner-{pid}">{escape(s.partner.name())}{tag}'
            f' <span class="muted small">{escape(load)}</span></label></div>'
        )
    return Markup("\n".join(out))  # noqa: S704 - every value escaped
