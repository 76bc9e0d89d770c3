"""CSV upload of readmission cases (administrators): the file becomes a job, checked and saved
outside the web request; its page shows the progress, then the preview, then the result.
"""

from __future__ import annotations

import codecs
import csv
import io

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
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from portal import inputs
from portal.auth_setup import roles_required
from portal.db import db
from portal.i18n import gettext as _
from portal.models import ReadmissionImport, Role
from portal.readmissions import bp
from portal.readmissions.forms import ActionForm, UploadForm
from portal.services import readmission_imports as jobs
from portal.services.errors import ServiceError

CHUNK = 64 * 1024
ROWS_PER_PAGE = 100
REFRESH_SECONDS = 2


def _too_big() -> str:
    return _("The file is larger than 10 MB. Split it into smaller files.")


def _read_upload(file) -> tuple[bytes | None, str | None]:
    """The uploaded bytes, read in chunks; or a message when the file is too big or empty."""
    buffer = io.BytesIO()
    size = 0
    while chunk := file.stream.read(CHUNK):
        size += len(chunk)
        if size > jobs.MAX_BYTES:
            return None, _too_big()
        buffer.write(chunk)
    if size == 0:
        return None, _("The file is empty.")
    return buffer.getvalue(), None


def _start(job_id: int) -> None:
    jobs.start_in_background(current_app._get_current_object(), job_id)  # type: ignore[attr-defined]


@bp.route("/admin/readmissions/upload", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def upload():
    """Choose a file; it is checked in the background, then shown row by row before saving."""
    form = UploadForm()
    if request.method == "POST":
        request.max_content_length = jobs.MAX_BYTES + 64 * 1024
        try:
            files = request.files
            form = UploadForm(request.form)
        except RequestEntityTooLarge:
            form = UploadForm()
            form.file.errors = [_too_big()]
            return _upload_page(form), 413
        file = files.get("file")
        if form.validate():
            if file is None or not file.filename:
                form.file.errors = [_("Choose a CSV file.")]
            else:
                content, message = _read_upload(file)
                if message or content is None:
                    form.file.errors = [message or _("The file is empty.")]
                else:
                    try:
                        job = jobs.create_import(db, content, file.filename, current_user)
                        db.commit()
                    except ServiceError as exc:
                        db.rollback()
                        form.file.errors = [str(exc.message)]
                    else:
                        _start(job.id)
                        return redirect(url_for(".show_import", import_id=job.id), 303)
        return _upload_page(form), 400
    return _upload_page(form)


def _upload_page(form: UploadForm) -> str:
    return render_template(
        "readmissions/upload.html", form=form, imports=jobs.recent_imports(db), jobs=jobs
    )


def _load(import_id: int) -> ReadmissionImport:
    job = db.get(ReadmissionImport, import_id) if 0 < import_id <= inputs.DB_INT_MAX else None
    if job is None or not job.can_view(current_user):
        abort(404)
    return job


@bp.route("/admin/readmissions/imports/<int:import_id>")
@roles_required(Role.ADMIN)
def show_import(import_id: int):
    """The job: its progress while it runs, then its rows (problems first), a page at a time."""
    job = _load(import_id)
    threads = current_app.extensions.get("readmission_import_threads", {})
    running_here = threads.get(job.id) is not None and threads[job.id].is_alive()
    if jobs.is_waiting(job) and not running_here:
        _start(job.id)  # stopped or never started (a restart): this process takes it over
    show = request.args.get("show", "")
    problems_only = show == "problems"
    page = inputs.whole_number(request.args.get("page", "1"), 6) or 1
    rows, total = [], 0
    if job.status.value in ("previewed", "done"):
        rows, total = jobs.job_rows(
            db, job, problems_only=problems_only, page=page, size=ROWS_PER_PAGE
        )
        if not rows and page > 1:
            page = 1
            rows, total = jobs.job_rows(
                db, job, problems_only=problems_only, page=1, size=ROWS_PER_PAGE
            )
    return render_template(
        "readmissions/import.html",
        job=job,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // ROWS_PER_PAGE)),
        show="problems" if problems_only else None,
        done=jobs.live_progress(job),
        refresh=REFRESH_SECONDS if job.status.is_running else None,
        problem_text=jobs.problem_text,
        failure=jobs.failure_text(job.error_code, job.error_params) if job.error_code else None,
        form=ActionForm(),
    )


@bp.post("/admin/readmissions/imports/<int:import_id>/save")
@roles_required(Role.ADMIN)
def save_import(import_id: int):
    """Save the good rows of a checked file, in one transaction, in the background."""
    job = _load(import_id)
    form = ActionForm(request.form)
    if not form.validate():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for(".show_import", import_id=job.id))
    try:
        jobs.request_save(db, job, current_user)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        _start(job.id)
    return redirect(url_for(".show_import", import_id=job.id), 303)


@bp.route("/admin/readmissions/imports/<int:import_id>/result.csv")
@roles_required(Role.ADMIN)
def import_result(import_id: int):
    """Every row's outcome as CSV (UTF-8 with a byte order mark, so spreadsheets read it)."""
    job = _load(import_id)
    if job.status.value not in ("previewed", "done"):
        abort(404)

    def generate():
        out = io.StringIO()
        writer = csv.writer(out)
        yield codecs.BOM_UTF8
        for line in jobs.result_lines(db, job):
            writer.writerow(line)
            if out.tell() > CHUNK:
                yield out.getvalue().encode("utf-8")
                out.seek(0)
                out.truncate()
        yield out.getvalue().encode("utf-8")

    name = f"readmission-import-{job.id}-{job.status.value}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
