"""Reports, exports and the caseload: staff only (returnees and partners get 403 everywhere)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_login import current_user
from sqlalchemy import select

from portal import inputs
from portal.auth_setup import roles_required
from portal.db import db, utcnow
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.models import PartnerOrganisation, Role, User
from portal.reports import bp
from portal.reports.forms import CaseExportForm, LeadForm, ReassignForm, ReportForm
from portal.reports.present import (
    chart,
    csv_batches,
    csv_header_then,
    figure_csv,
    legend,
    table_rows,
)
from portal.services import caseload as caseload_svc
from portal.services import exports
from portal.services import reports as svc
from portal.services.errors import ServiceError
from portal.triage.queue import overdue_before

STAFF = (Role.SOCIAL_WORKER, Role.ADMIN)
MY_LIMIT = 100  # the rest are in the queue (assigned to me)


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _today() -> date:
    return utcnow().astimezone(_tz()).date()


def _context() -> svc.Context:
    svc.tune_session(db, current_app.config.get("REPORTS_WORK_MEM"))
    now = utcnow()
    return svc.Context(
        tz=_tz(),
        locale=str(get_locale() or "az"),
        limits=overdue_before(now, current_app.config),
        now=now,
    )


def _partners() -> list[PartnerOrganisation]:
    locale = str(get_locale() or "az")
    partners = db.scalars(select(PartnerOrganisation)).all()
    return sorted(partners, key=lambda p: p.name(locale).lower())


def _read_form(args) -> tuple[ReportForm, svc.Period | None, svc.Filters | None]:
    form = ReportForm(args, partners=_partners())
    if not form.validate():
        return form, None, None
    return form, form.period_for(_today()), form.filters()


def _csv_response(chunks, filename: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
@roles_required(*STAFF)
def index():
    """The reports: period and filters in the URL, every figure drawn and tabled."""
    form, period, filters = _read_form(request.args)
    if period is None:
        return render_template("reports/index.html", form=form, period=None), 400
    ctx = _context()
    figures = svc.all_figures(db, period, filters, ctx)
    return render_template(
        "reports/index.html",
        form=form,
        period=period,
        filters=filters,
        figures=figures,
        headline=svc.headline(db, period, filters, ctx),
        chart=chart,
        legend=legend,
        table_rows=table_rows,
        query=_query_args(form),
    )


def _query_args(form: ReportForm) -> dict[str, str]:
    args = {
        "period": form.period.data,
        "kind": form.kind.data,
        "region": form.region.data,
        "partner": form.partner.data,
    }
    if form.period.data == svc.PeriodKind.CUSTOM.value:
        args.update(start=form.start.data, end=form.end.data)
    return {k: v for k, v in args.items() if v}


@bp.route("/figures/<key>.csv")
@roles_required(*STAFF)
def figure_export(key: str):
    """One figure's table as CSV (aggregates only: no personal data)."""
    if key not in svc.FIGURES:
        abort(404)
    form, period, filters = _read_form(request.args)
    if period is None:
        return _bad_request(form)
    figure = svc.figure(db, key, period, filters, _context())
    name = f"{key}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    # A figure's table is small: sent whole (only the case export streams).
    response = Response("".join(figure_csv(figure)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _bad_request(form: ReportForm):
    lines = [f"{form[field_id].label.text}: {message}" for field_id, message in form.error_list]
    return Response("\n".join(lines) + "\n", status=400, mimetype="text/plain")


@bp.route("/cases", methods=["GET", "POST"])
@roles_required(*STAFF)
def cases():
    """The case-level export: a page that explains it, and the download itself."""
    args = request.args if request.method == "GET" else request.form
    form, period, filters = _read_form(args)
    export_form = CaseExportForm(request.form if request.method == "POST" else None)
    if request.method == "GET" or period is None:
        code = 400 if period is None else 200
        return render_template(
            "reports/cases.html", form=form, export_form=export_form, query=_query_args(form)
        ), code
    personal = request.form.get("personal") == "1"
    if not export_form.validate():
        return render_template(
            "reports/cases.html", form=form, export_form=export_form, query=_query_args(form)
        ), 400
    try:
        exports.record_case_export(
            db,
            current_user,
            period,
            filters,
            personal=personal,
            reason=export_form.reason.data,
            tz=_tz(),
        )
    except ServiceError as exc:
        db.rollback()
        if personal and not current_user.is_admin:
            abort(403)
        export_form.reason.errors = [str(exc.message)]
        return render_template(
            "reports/cases.html", form=form, export_form=export_form, query=_query_args(form)
        ), 400
    db.commit()
    ctx = _context()
    header = exports.case_header(personal)
    engine = current_app.extensions["db"].engine
    args = (engine, db, period, filters, ctx.tz, ctx.locale)
    work_mem = current_app.config.get("REPORTS_WORK_MEM")
    name = f"cases_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    if engine.dialect.name == "postgresql":
        chunks = exports.case_csv_copy(*args, personal=personal, work_mem=work_mem)
        return _csv_response(csv_header_then(header, chunks), name)
    rows = exports.case_rows(*args, personal=personal, work_mem=work_mem)
    return _csv_response(csv_batches(header, rows), name)


@bp.route("/monthly")
@roles_required(*STAFF)
def monthly():
    """A month on one printable page: headline figures and charts (print CSS)."""
    month_text = (request.args.get("month") or "").strip()
    today = _today()
    error = None
    first = None
    if month_text:
        try:
            first = date.fromisoformat(month_text + "-01")
        except ValueError:
            error = _("Enter a month like 2026-01.")
        else:
            if not date(2000, 1, 1) <= first <= date(2100, 12, 1):
                error = _("Choose a date between 2000 and 2100.")
    else:
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    if error:
        return render_template("reports/monthly.html", error=error, month_text=month_text), 400
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    period = svc.Period(svc.PeriodKind.CUSTOM, first, min(last, max(today, first)))
    filters = svc.Filters()
    ctx = _context()
    keys = ["requests_by_kind", "open_backlog", "time_to_milestones", "partner_referrals",
            "outcomes", "returnees_by_region"]  # fmt: skip
    figures = svc.all_figures(db, period, filters, ctx, keys)
    return render_template(
        "reports/monthly.html",
        error=None,
        month=first,
        # A month named in the page's language ("mart 2025", "март 2025"): not a date.
        month_label=format_date(first, "LLLL y"),
        month_text=first.strftime("%Y-%m"),
        period=period,
        figures=figures,
        headline=svc.headline(db, period, filters, ctx),
        chart=chart,
        legend=legend,
        table_rows=table_rows,
        generated=utcnow(),
    )


# --- caseload --------------------------------------------------------------------------------


@bp.route("/caseload/mine")
@roles_required(*STAFF)
def my_requests():
    """The requests assigned to me, those needing my action first."""
    limits = overdue_before(utcnow(), current_app.config)
    rows = caseload_svc.my_requests(db, current_user, limits, limit=MY_LIMIT)
    total, waiting = caseload_svc.count_mine(db, current_user, limits)
    return render_template("reports/my_requests.html", rows=rows, total=total, waiting=waiting)


def _workers() -> list[User]:
    return list(
        db.scalars(
            select(User)
            .where(User.role == Role.SOCIAL_WORKER, User.is_active.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


@bp.route("/caseload/")
@roles_required(*STAFF)
def caseload(reassign_form: ReassignForm | None = None, code: int = 200):
    """Leads and administrators: every worker's open, overdue and needs-action counts."""
    if not current_user.can_balance_caseload:
        abort(403)
    limits = overdue_before(utcnow(), current_app.config)
    workers = _workers()
    return render_template(
        "reports/caseload.html",
        rows=caseload_svc.workers_table(db, limits),
        reassign_form=reassign_form or ReassignForm(workers=workers),
        lead_form=LeadForm(),
    ), code


def _worker(value) -> User | None:
    worker_id = inputs.whole_number(value)
    if worker_id is None:
        return None
    user = db.get(User, worker_id)
    return user if user is not None and user.role == Role.SOCIAL_WORKER else None


@bp.route("/caseload/reassign", methods=["POST"])
@roles_required(*STAFF)
def reassign():
    if not current_user.can_balance_caseload:
        abort(403)
    form = ReassignForm(request.form, workers=_workers())
    if not form.validate():
        return caseload(form, 400)
    source, target = _worker(form.from_worker.data), _worker(form.to_worker.data)
    if source is None or target is None:
        abort(404)
    limits = overdue_before(utcnow(), current_app.config)
    try:
        moved = caseload_svc.reassign_requests(
            db, current_user, source, target, limits,
            only_needs_action=form.scope.data == "needs_action",
        )  # fmt: skip
    except ServiceError as exc:
        db.rollback()
        form.to_worker.errors = [str(exc.message)]
        return caseload(form, 400)
    db.commit()
    flash(
        ngettext(
            "%(num)d request moved from %(source)s to %(target)s.",
            "%(num)d requests moved from %(source)s to %(target)s.",
            moved,
            source=source.full_name,
            target=target.full_name,
        ),
        "success",
    )
    return redirect(url_for(".caseload"))


@bp.route("/caseload/lead", methods=["POST"])
@roles_required(Role.ADMIN)
def set_lead():
    form = LeadForm(request.form)
    if not form.validate():
        flash(str(form.csrf_token.errors[0]) if form.csrf_failed else _("Try again."), "error")
        return redirect(url_for(".caseload"))
    worker = _worker(form.worker_id.data)
    if worker is None:
        abort(404)
    caseload_svc.set_team_lead(db, current_user, worker, form.lead.data == "1")
    db.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".caseload"))
