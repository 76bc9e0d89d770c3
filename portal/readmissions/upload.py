"""CSV upload of readmission cases (administrators): preview every row's problems, then save.

The file is kept between the two steps in a server-side temporary file whose random name is
held only in the uploader's signed session; it is removed once saved, or after two hours.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from portal.auth_setup import roles_required
from portal.db import db
from portal.models import Role
from portal.readmissions import bp
from portal.readmissions.forms import ConfirmUploadForm, UploadForm
from portal.services import readmissions as svc

SESSION_KEY = "readmission_upload"
KEEP_SECONDS = 2 * 3600
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
CHUNK = 64 * 1024


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "readmission_uploads"
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.csv"):
        if now - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    return folder


def _path(token: str, suffix: str = "") -> Path:
    return _folder() / f"{token}{suffix}.csv"


def _own_token(value: str | None) -> str | None:
    """The upload of this browser's session, never another one's."""
    token = session.get(SESSION_KEY)
    if not token or value != token or not _TOKEN_RE.match(token):
        return None
    return token if _path(token).exists() else None


def _save_upload(file, target: Path) -> str | None:
    """Copy the upload in chunks; an error message when it is too big or empty."""
    size = 0
    with target.open("wb") as out:
        while chunk := file.stream.read(CHUNK):
            size += len(chunk)
            if size > svc.CSV_MAX_BYTES:
                break
            out.write(chunk)
    if size > svc.CSV_MAX_BYTES:
        target.unlink(missing_ok=True)
        return _("The file is larger than 10 MB. Split it into smaller files.")
    if size == 0:
        target.unlink(missing_ok=True)
        return _("The file is empty.")
    return None


@bp.route("/admin/readmissions/upload", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def upload():
    """Step 1: choose a file; the preview shows each row's problems and saves nothing."""
    form = UploadForm()
    report = None
    token = None
    if request.method == "POST":
        request.max_content_length = svc.CSV_MAX_BYTES + 64 * 1024
        try:
            files = request.files
            form = UploadForm(request.form)
        except RequestEntityTooLarge:
            form = UploadForm()
            form.file.errors = [_("The file is larger than 10 MB. Split it into smaller files.")]
            return render_template("readmissions/upload.html", form=form), 413
        file = files.get("file")
        if form.validate():
            if file is None or not file.filename:
                form.file.errors = [_("Choose a CSV file.")]
            else:
                token = secrets.token_hex(16)
                message = _save_upload(file, _path(token))
                if message:
                    form.file.errors = [message]
                    token = None
                else:
                    try:
                        report = svc.preview_csv(db, _path(token))
                    except svc.CsvFileError as exc:
                        _path(token).unlink(missing_ok=True)
                        form.file.errors = [str(exc.message)]
                        token = None
                    else:
                        session[SESSION_KEY] = token
        code = 200 if report is not None else 400
        return render_template(
            "readmissions/upload.html",
            form=form,
            report=report,
            confirm=ConfirmUploadForm(upload=token) if token else None,
        ), code
    return render_template("readmissions/upload.html", form=form)


@bp.post("/admin/readmissions/upload/confirm")
@roles_required(Role.ADMIN)
def confirm_upload():
    """Step 2: save the good rows of the previewed file in one transaction."""
    form = ConfirmUploadForm(request.form)
    token = _own_token(form.upload.data) if form.validate() else None
    if token is None:
        flash(_("This upload is no longer available. Upload the file again."), "error")
        return redirect(url_for(".upload"))
    try:
        report = svc.import_csv(db, _path(token), current_user, result_path=_path(token, ".result"))
        db.commit()
    except svc.CsvFileError as exc:
        db.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for(".upload"))
    _path(token).unlink(missing_ok=True)
    session.pop(SESSION_KEY, None)
    session["readmission_result"] = token
    return render_template("readmissions/upload_result.html", report=report, token=token)


@bp.route("/admin/readmissions/upload/<token>/result.csv")
@roles_required(Role.ADMIN)
def upload_result(token: str):
    """Every row's outcome, for the uploader's own last upload."""
    if not _TOKEN_RE.match(token) or session.get("readmission_result") != token:
        abort(404)
    path = _path(token, ".result")
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name="result.csv")
