"""The social workers' queue and request page. Views are thin: load or 404, check, validate,
call one service, commit once, flash, redirect; a refused action shows the page again as it
is now, with what was typed kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote_plus, urlencode

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal import pagecache
from portal.auth_setup import roles_required
from portal.db import core_execute, db, utcnow
from portal.i18n import current_locale
from portal.i18n import gettext as _
from portal.models import (
    AssistanceRequest,
    CloseOutcome,
    DuplicateStatus,
    Priority,
    RequestStatus,
    Role,
    User,
)
from portal.notices.routes import unread_count
from portal.services import activity, audit, conflicts, duplicates, versions
from portal.services import counts as counts_svc
from portal.services import requests as svc
from portal.services import triage as triage_svc
from portal.services.errors import ServiceError, StaleRequest
from portal.templating import id_url, page_csrf_token
from portal.triage import bp
from portal.triage.cells import QueueCells, other_partners, urgent_cells, worker_options
from portal.triage.details import load_request_page
from portal.triage.forms import (
    FLAG_MISMATCH,
    FORM_MISMATCH,
    ActionForm,
    AskForm,
    AssignForm,
    CancelReferralForm,
    CloseForm,
    DuplicateForm,
    NoteForm,
    PriorityForm,
    QueueFilterForm,
    ReferForm,
    ResumeForm,
)
from portal.triage.queue import (
    Cursor,
    is_overdue,
    overdue_before,
    queue_page,
    urgent_first,
)

STAFF = (Role.SOCIAL_WORKER, Role.ADMIN)
STALE = "stale"

ACTION_FORMS: dict[str, type[ActionForm]] = {
    "assign": AssignForm,
    "priority": PriorityForm,
    "ask": AskForm,
    "resume": ResumeForm,
    "refer": ReferForm,
    "cancel_referral": CancelReferralForm,
    "close": CloseForm,
    "note": NoteForm,
}


@bp.route("/")
@roles_required(*STAFF)
def queue():
    """The queue: counts by status, filters in the URL, one keyset page of requests."""
    now = utcnow()
    # The version read with the session (auth_setup): a kept page is shown with no query of
    # its own. Otherwise the version again, with the counts, for the page to be built.
    version = g.get("queue_version_read")
    kept_as = _kept_queue_key(now, version, unread_count()) if version is not None else None
    if kept_as is not None:
        # The forms' CSRF secret last: the first page of a session makes it while rendering.
        html = pagecache.get("queue", (*kept_as, session.get("csrf")))
        if html is not None:
            return html
    state = _queue_state()
    kept_as = _kept_queue_key(now, state.version, state.unread)
    form = QueueFilterForm(request.args)
    filters = form.filters()
    after = Cursor.parse(request.args.get("after"), filters.sort)
    before = None if after else Cursor.parse(request.args.get("before"), filters.sort)
    counts = state.counts
    page = queue_page(
        filters,
        current_user,
        after=after,
        before=before,
        size=current_app.config["PAGE_SIZE"],
        now=now,
        config=current_app.config,
        counts_now=counts,
    )
    if filters.q:
        # A search that found a returnee shows their name and phone: a view of their data.
        audit.record_request_views(
            db, current_user, [row.request.id for row in page.rows], kind=audit.VIEW_SEARCH
        )
        db.commit()
    # The urgent list, read again only when a change touched an urgent request (its own data
    # version) and at most once a minute (its ages are in hours), and rendered as rarely.
    urgent_key = (state.urgent_version, int(now.timestamp()) // QUEUE_KEPT_SECONDS)
    urgent_rows = pagecache.get("urgent", urgent_key)
    if urgent_rows is None:
        urgent_rows = pagecache.put("urgent", urgent_key, urgent_first(db))
    request_url = id_url("triage.show_request", "request_id")
    limits = overdue_before(now, current_app.config)
    html = render_template(
        "triage/queue.html",
        urgent_rows=urgent_rows,
        urgent_key=urgent_key,
        urgent_cells=lambda: urgent_cells(urgent_rows, now, request_url),
        form=form,
        filters=filters,
        page=page,
        cells=QueueCells(page.rows, now, limits, request_url),
        queue_link=_queue_links(),
        # The status counts and column headers are kept per language and filters; a search's
        # links carry a mark in place of its words (kept out of the store), put back below.
        linked=replace(filters, q=SEARCH_MARK) if filters.q else filters,
        counts={s: n for s, n in counts.items() if s.is_open},
        counts_key=tuple((s.value, n) for s, n in counts.items() if s.is_open),
        closed_statuses=[s for s in RequestStatus if not s.is_open],
        config=current_app.config,
    )
    if filters.q:
        words = escape(quote_plus(filters.q, safe=QUERY_SAFE))  # as urlencode writes them
        html = html.replace(f"q={SEARCH_MARK}", f"q={words}")
    if kept_as is not None:
        pagecache.put("queue", (*kept_as, session.get("csrf")), html)
    return html


SEARCH_MARK = "searched0words0e5c1b7"  # letters and digits: URL-encoding leaves it as it is
QUEUE_KEPT_SECONDS = 60  # ages are in hours; "overdue" may show up to a minute late
_VERSIONS = (
    versions.current_query().label("version"),
    versions.current_query(versions.URGENT).label("urgent_version"),
)
# The same with the counts by status, one row per status: all a queue page reads before it
# knows whether it has the page kept, in one query.
_QUEUE_STATE = select(*_VERSIONS, *counts_svc.STATUS_COUNT_COLUMNS)


@dataclass
class _QueueState:
    version: int
    urgent_version: int
    unread: int
    counts: counts_svc.StatusCounts


def _queue_state() -> _QueueState:
    """The queue's data versions, the person's unread notices and the counts by status."""
    rows = core_execute(db, _QUEUE_STATE).all()
    if rows:
        first = rows[0]
    else:  # no request was ever made: the counts table is empty
        first = db.execute(select(*_VERSIONS)).one()
    counts = counts_svc.counts_from_rows((r.status, r.requests, r.unassigned) for r in rows)
    return _QueueState(first.version or 0, first.urgent_version or 0, unread_count(), counts)


def _kept_queue_key(now, version: int, unread: int) -> tuple | None:
    """What a kept queue page depends on, or None when it is not to be kept: a search (each
    one is recorded as a view of the people it finds) or a page with a message for once.
    The page shows the same while the queue's data version is the same (services/versions.py)
    for the same person, sign-in, browser session (the forms' CSRF tokens), language and
    URL, within the same minute; the unread notices in the header are in the key as well
    (read with the version, in one query)."""
    if request.args.get("q", "").strip() or not pagecache.may_keep():
        return None
    return (
        current_user.id,
        current_user.current_session_token,  # this sign-in
        current_app.config["PAGE_SIZE"],
        str(current_locale()),
        request.query_string,
        version,
        unread,
        int(now.timestamp()) // QUEUE_KEPT_SECONDS,
    )


def _render_request(
    request_id: int,
    *,
    form: ActionForm | None = None,
    action=None,
    code=200,
    conflicts=(),
    shown: list[User] | None = None,
):
    """The request page. A returnee not yet compared with the others is compared first (once:
    services/duplicates.py), and the other returnees the page shows are put in `shown`."""
    page = load_request_page(request_id, current_user)
    if page is None:
        abort(404)
    req = page.request
    # Possible duplicates of the returnee: one more query, only for someone ever flagged.
    dupes = duplicates.panel_for(db, req.owner, check=shown is not None)
    if shown is not None:
        shown.extend(dupes.shown_people)
    seen = max((t.event.id for t in page.timeline), default=0)
    conflict_ids = {e.id for e in conflicts}
    forms = _ActionForms(req, seen)
    if form is not None and action in ACTION_FORMS:
        forms.put(action, form)
    now = utcnow()
    return render_template(
        "triage/request.html",
        page=page,
        req=req,
        forms=forms,
        hidden_fields=_hidden_fields(req, seen),
        action=action,
        now=now,
        overdue=is_overdue(req, overdue_before(now, current_app.config)),
        conflicts=[t for t in page.timeline if t.event.id in conflict_ids],
        dupes=dupes,
        duplicate_form=DuplicateForm,
        worker_options=worker_options,
        other_partners=other_partners,
    ), code


def _queue_links() -> Callable[..., str]:
    """Links to the queue with query arguments, as url_for writes them, from one url_for:
    a queue page has some twenty (status counts, column sorts, pages)."""
    base = url_for("triage.queue")

    def link(args: dict, **first: str) -> str:
        """The queue with these arguments (`first`: a cursor, written before them)."""
        items = [*first.items(), *args.items()]
        # werkzeug's encoding of query arguments (the characters it leaves as they are)
        return f"{base}?{urlencode(items, safe=QUERY_SAFE)}" if items else base

    return link


QUERY_SAFE = "!$'()*,/:;?@"


def _hidden_fields(req: AssistanceRequest, seen: int) -> Markup:
    """The hidden fields of every action form on the request page, the same in each (what
    _ActionForms.put gives every form, shown again or not): the CSRF token, the request,
    its version and the last event shown, written once."""
    token = page_csrf_token()
    return Markup(
        '<input name="csrf_token" type="hidden" value="{}">'
        '<input name="request_id" type="hidden" value="{}">'
        '<input name="version" type="hidden" value="{}">'
        '<input name="seen" type="hidden" value="{}">'
    ).format(token, req.id, req.version, seen)


class _ActionForms(dict):
    """The request page's action forms, each made when the page first asks for it: a page
    shows the actions the request's status allows, not all eight."""

    def __init__(self, req: AssistanceRequest, seen: int) -> None:
        super().__init__()
        self.req, self.seen = req, seen

    def put(self, name: str, form: ActionForm) -> ActionForm:
        form.request_id.data = self.req.id
        form.show_version(self.req.version, self.seen)
        if name == "priority":
            form.priority.data = form.priority.data or self.req.priority.value
        self[name] = form
        return form

    def __missing__(self, name: str) -> ActionForm:
        if name not in ACTION_FORMS:
            raise KeyError(name)
        made = ACTION_FORMS[name](data={"request_id": self.req.id, "version": self.req.version})
        return self.put(name, made)


def _shown(request_id: int, *, opened: bool = False, **kwargs):
    """The request page, recorded as a view (issue 10) of the returnee's data and of each
    possible duplicate it shows: one INSERT for all of them. `opened`: the page was opened
    (not shown again after a failed action), so its "new activity" mark is read now."""
    shown: list[User] = []
    response = _render_request(request_id, shown=shown, **kwargs)
    req = db.get(AssistanceRequest, request_id)
    audit.record_views_together(
        db,
        current_user,
        [
            {"request": req, "kind": audit.VIEW_REQUEST},
            *(
                {
                    "returnee": person,
                    "kind": audit.VIEW_DUPLICATE,
                    "data": {"from_request_id": request_id},
                }
                for person in shown
            ),
        ],
    )
    if opened:
        activity.seen(db, req, current_user, utcnow())
    db.commit()
    return response


@bp.route("/requests/<int:request_id>")
@roles_required(*STAFF)
def show_request(request_id: int):
    """One request with everything about it and the actions its status allows."""
    return _shown(request_id, opened=True)


def _shown_again(request_id: int, **kwargs):
    """The request page shown again after an action failed: a view like any other."""
    return _shown(request_id, **kwargs)


def _act(request_id: int, action: str, call: Callable, done: str):
    """The shape of every action: load, check the form belongs here, validate, call the
    service, commit once, flash, redirect; or show the page again, as it is now."""
    req = db.get(AssistanceRequest, request_id)
    if req is None:
        abort(404)
    form = ACTION_FORMS[action](request.form)
    if not form.validate():
        if form.csrf_failed or form.request_id.errors or form.version.errors:
            flash(form.csrf_token.errors[0] if form.csrf_failed else FORM_MISMATCH, "error")
            return _shown_again(request_id, code=400)
        return _shown_again(request_id, form=form, action=action, code=400)
    if not form.belongs_to(req):
        flash(FORM_MISMATCH, "error")
        return _shown_again(request_id, code=400)
    if form.version.data != req.version:
        changes = conflicts.changes_since(db, req, form.seen.data)
        clashes = conflicts.overlapping(changes, action) if changes is not None else []
        if changes is None or clashes:
            flash(_("This request changed since you opened it. Here is how it is now."), "error")
            return _shown_again(request_id, form=form, action=action, code=409, conflicts=clashes)
        form.version.data = req.version  # what changed does not touch this action: merge
    try:
        call(req, form)
        db.commit()
    except (ServiceError, StaleDataError) as exc:
        db.rollback()
        field = getattr(exc, "field", None)
        if field and field in form._fields:
            form[field].errors = [*form[field].errors, str(exc.message)]
            return _shown_again(request_id, form=form, action=action, code=400)
        stale = isinstance(exc, StaleRequest | StaleDataError)
        message = (
            _("This request changed since you opened it. Here is how it is now.")
            if stale
            else str(exc.message)
        )
        flash(message, "error")
        return _shown_again(request_id, form=form, action=action, code=409)
    flash(done, "success")
    return redirect(url_for(".show_request", request_id=request_id))


def _version(form) -> int:
    return form.version.data


@bp.post("/requests/<int:request_id>/assign")
@roles_required(*STAFF)
def assign_request(request_id: int):
    return _act(
        request_id,
        "assign",
        lambda req, form: svc.assign_request(
            db,
            req,
            form.assignee,
            current_user,
            confirm_takeover=bool(form.confirm_takeover.data),
            expected_version=_version(form),
        ),
        _("The request is assigned."),
    )


@bp.post("/requests/<int:request_id>/priority")
@roles_required(*STAFF)
def set_priority(request_id: int):
    return _act(
        request_id,
        "priority",
        lambda req, form: svc.set_priority(
            db,
            req,
            Priority(form.priority.data),
            current_user,
            expected_version=_version(form),
        ),
        _("The priority is set."),
    )


@bp.post("/requests/<int:request_id>/ask")
@roles_required(*STAFF)
def request_info(request_id: int):
    return _act(
        request_id,
        "ask",
        lambda req, form: svc.request_info(
            db, req, current_user, form.question.data, expected_version=_version(form)
        ),
        _("Your question was sent to the returnee."),
    )


@bp.post("/requests/<int:request_id>/resume")
@roles_required(*STAFF)
def resume_review(request_id: int):
    return _act(
        request_id,
        "resume",
        lambda req, form: triage_svc.resume_review(
            db, req, current_user, expected_version=_version(form)
        ),
        _("The request is under review again."),
    )


@bp.post("/requests/<int:request_id>/refer")
@roles_required(*STAFF)
def refer_request(request_id: int):
    return _act(
        request_id,
        "refer",
        lambda req, form: svc.refer_request(
            db,
            req,
            form.partner,
            current_user,
            note=form.partner_note.data,
            outside_coverage_reason=form.outside_reason.data,
            confirm_outside_coverage=True,
            expected_version=_version(form),
        ),
        _("The request was referred to the partner."),
    )


@bp.post("/requests/<int:request_id>/cancel-referral")
@roles_required(*STAFF)
def cancel_referral(request_id: int):
    return _act(
        request_id,
        "cancel_referral",
        lambda req, form: triage_svc.cancel_referral(
            db, req, current_user, reason=form.reason.data, expected_version=_version(form)
        ),
        _("The referral was cancelled. The request is back in review."),
    )


@bp.post("/requests/<int:request_id>/close")
@roles_required(*STAFF)
def close_request(request_id: int):
    return _act(
        request_id,
        "close",
        lambda req, form: svc.close_request(
            db,
            req,
            current_user,
            CloseOutcome(form.outcome.data),
            form.close_note.data,
            expected_version=_version(form),
        ),
        _("The request is closed."),
    )


@bp.post("/requests/<int:request_id>/note")
@roles_required(*STAFF)
def add_note(request_id: int):
    return _act(
        request_id,
        "note",
        lambda req, form: triage_svc.add_note(
            db,
            req,
            current_user,
            form.body.data,
            for_partner=bool(form.for_partner.data),
            expected_version=_version(form),
        ),
        _("Your note was added."),
    )


def _decide(request_id: int, flag_id: int, status: DuplicateStatus | None, done: str):
    """Link or dismiss one possible duplicate of this request's returnee, or undo that
    (status None): the flag must be about them (else 404), the form must be this flag's (else
    400), and nobody may have changed it since the page was shown (else 409, the page as it is
    now)."""
    req = db.get(AssistanceRequest, request_id)
    if req is None:
        abort(404)
    flag = duplicates.flag_of(db, flag_id, req.owner_id)
    other = db.get(User, flag.other_of(req.owner_id)) if flag is not None else None
    if flag is None or other is None or other.deleted_at is not None:
        abort(404)
    form = DuplicateForm(request.form)
    if not form.validate() or form.flag_id.data != flag.id:
        flash(form.csrf_token.errors[0] if form.csrf_failed else FLAG_MISMATCH, "error")
        return _shown_again(request_id, code=400)
    try:
        if status is None:
            duplicates.undo_decision(
                db, flag, current_user, expected_version=form.version.data, request=req
            )
        else:
            duplicates.decide(
                db, flag, current_user, status, expected_version=form.version.data, request=req
            )
        db.commit()
    except (ServiceError, StaleDataError) as exc:
        db.rollback()
        stale = isinstance(exc, duplicates.StaleFlag | StaleDataError)
        flash(
            _("Someone has already decided about this pair. Here is how it is now.")
            if stale
            else str(exc.message),
            "error",
        )
        return _shown_again(request_id, code=409 if stale else 400)
    flash(done, "success")
    return redirect(url_for(".show_request", request_id=request_id, _anchor="duplicates"))


@bp.post("/requests/<int:request_id>/duplicates/<int:flag_id>/link")
@roles_required(*STAFF)
def link_duplicate(request_id: int, flag_id: int):
    return _decide(
        request_id,
        flag_id,
        DuplicateStatus.LINKED,
        _("Marked as the same person. Their other account's requests now show on this page."),
    )


@bp.post("/requests/<int:request_id>/duplicates/<int:flag_id>/dismiss")
@roles_required(*STAFF)
def dismiss_duplicate(request_id: int, flag_id: int):
    return _decide(
        request_id,
        flag_id,
        DuplicateStatus.DISMISSED,
        _("Marked as different people. This pair will not be flagged again."),
    )


@bp.post("/requests/<int:request_id>/duplicates/<int:flag_id>/undo")
@roles_required(*STAFF)
def undo_duplicate_decision(request_id: int, flag_id: int):
    return _decide(
        request_id,
        flag_id,
        None,
        _("The decision was undone. The pair is open again: decide once more."),
    )
