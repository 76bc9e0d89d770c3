"""CSV uploads of readmission cases as background jobs: check every row, then save the good ones.

An administrator uploads a file; `create_import` keeps it in the database as a job and the job
runs outside the web request: a thread of the web process (`start_in_background`), or
`flask --app portal readmissions imports run`, which takes every job nobody is running (after a
restart, or from cron). Two steps:

1. checking (validating → previewed): every row is validated and kept, with its problems, in
   `readmission_import_rows`, a batch at a time (one IN query per batch finds the known cases);
2. saving (saving → done): the good rows are written in ONE transaction, in bulk: new cases by
   multi-row INSERT, known ones by UPDATE on their keys, their events and SMS invitations (the
   notification outbox) by multi-row INSERT too. Either every good row is saved or none is.

A job that stopped midway (the process died) is taken over once its heartbeat is old: checking
starts again from the file, saving starts again from the checked rows (nothing of the stopped
transaction was kept). After MAX_ATTEMPTS it is marked failed with a message.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import ARRAY, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.db import mark_written, utcnow
from portal.i18n import gettext
from portal.models import (
    Event,
    ImportStatus,
    Notification,
    NotificationChannel,
    NotificationStatus,
    ReadmissionCase,
    ReadmissionImport,
    ReadmissionImportRow,
    ReadmissionStatus,
    Sex,
    User,
)
from portal.services import notify, versions
from portal.services import readmissions as cases
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.referrals import local_today

log = logging.getLogger(__name__)

S = ReadmissionStatus
J = ImportStatus
MAX_BYTES = 10 * 1024 * 1024
BATCH = 1000
STALE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 3
# Checked rows hold personal data: an upload nobody saves is cleared after this many days.
KEEP_UNSAVED_DAYS = 2
FILE_NAME_MAX = 200

# Why a file or job failed: stored as a key (and its values), shown in the reader's language.
FAILURES = {
    "encoding": _l("The file is not in UTF-8. Save it as CSV UTF-8 and upload it again."),
    "empty": _l("The file is empty: it needs a header row of field names."),
    "csv": _l("The file is not a valid CSV file."),
    "unknown_column": _l("Unknown column: %(name)s. The header row must use the field names."),
    "missing_column": _l("The column %(name)s is missing."),
    "lost": _l("The uploaded file is no longer available. Upload it again."),
    "stopped": _l(
        "The job was interrupted too many times and did not finish. Nothing was saved. "
        "Upload the file again."
    ),
    "error": _l("The job stopped because of an unexpected error. Nothing was saved."),
    "expired": _l(
        "This upload was not saved within %(days)s days, so its rows were removed. "
        "Upload the file again."
    ),
}


class ImportFileError(ServiceError):
    """The file as a whole cannot be read: wrong encoding, no header, unknown columns."""

    def __init__(self, code: str, **params: Any) -> None:
        self.error_code = code
        self.params = {k: _storable(v) for k, v in params.items()}
        super().__init__(failure_text(code, self.params))


def failure_text(code: str | None, params: dict | None = None) -> str:
    """The message of a failure key, in the current language."""
    template = FAILURES.get(code or "", FAILURES["error"])
    text = str(template)
    return text % params if params else text


def _storable(value: Any) -> Any:
    """Text from a file, safe to store and show: no control characters (PostgreSQL refuses NUL)."""
    if isinstance(value, str):
        return cases._CONTROL.sub("\ufffd", value)[:200]
    return value


# --- row problems: kept as message ids, translated when shown -----------------------------------


def _problem(field: str, message: Any) -> dict[str, Any]:
    """One problem of a row as stored: the untranslated message and its values."""
    msgid = getattr(message, "_args", (str(message),))[0]
    params = getattr(message, "_kwargs", {}) or {}
    return {
        "field": field,
        "message": msgid,
        "params": {k: _storable(v) for k, v in params.items()},
    }


def problem_text(problem: dict[str, Any]) -> str:
    """A stored problem in the current language."""
    params = problem.get("params") or {}
    return gettext(problem["message"], **params)


# --- the file ------------------------------------------------------------------------------------


def check_file(content: bytes) -> None:
    """ImportFileError when the file cannot be read at all (checked before the job starts)."""
    if not content.strip():
        raise ImportFileError("empty")
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportFileError("encoding") from None
    if b"\x00" in content.split(b"\n", 1)[0]:  # UTF-16 without a byte order mark
        raise ImportFileError("encoding")
    next(_rows(content), None)  # the header


def _rows(content: bytes) -> Iterator[tuple[int, dict[str, str | None], list | None]]:
    """(line number, row, extra values) of the file, streamed from its bytes."""
    stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    try:
        reader = csv.DictReader(stream)
        header = reader.fieldnames
        if not header:
            raise ImportFileError("empty")
        names = [h.strip() for h in header]
        unknown = [h for h in names if h not in cases.FIELDS]
        if unknown:
            raise ImportFileError("unknown_column", name=unknown[0][:50])
        missing = [h for h in cases.REQUIRED if h not in names]
        if missing:
            raise ImportFileError("missing_column", name=missing[0])
        reader.fieldnames = names
        for row in reader:
            extra = row.pop(None, None)  # type: ignore[call-overload]
            if not extra and not any((v or "").strip() for v in row.values()):
                continue
            yield reader.line_num, row, extra
    except UnicodeDecodeError:
        raise ImportFileError("encoding") from None
    except csv.Error:
        raise ImportFileError("csv") from None
    finally:
        stream.detach()


# --- creating a job ------------------------------------------------------------------------------


def can_manage_imports(user) -> bool:
    """Administrators upload files and see every upload."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_admin
    )


def create_import(
    session: Session, content: bytes, file_name: str, actor: User
) -> ReadmissionImport:
    """An administrator's uploaded file becomes a job to check (the caller commits, then starts it).

    Raises ImportFileError for a file that cannot be read at all, so the form says so at once.
    """
    if not can_manage_imports(actor):
        raise PermissionDenied(_l("Only administrators may do this."))
    if len(content) > MAX_BYTES:
        raise ServiceError(_l("The file is larger than 10 MB. Split it into smaller files."))
    check_file(content)
    name = _storable((file_name or "cases.csv").replace("\\", "/").rsplit("/", 1)[-1])
    job = ReadmissionImport(
        file_name=(name or "cases.csv")[:FILE_NAME_MAX],
        size_bytes=len(content),
        content=content,
        status=J.VALIDATING,
        uploaded_by_id=actor.id,
        # A rough count for the progress bar until the rows are read (a quoted field may hold
        # line breaks; the exact count replaces it).
        rows_total=max(0, content.count(b"\n") - 1 + (not content.endswith(b"\n"))),
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def request_save(session: Session, job: ReadmissionImport, actor: User) -> None:
    """An administrator asks to save the good rows of a checked file (the job then runs)."""
    if not can_manage_imports(actor):
        raise PermissionDenied(_l("Only administrators may do this."))
    if job.status != J.PREVIEWED:
        raise ServiceError(_l("This upload cannot be saved now."))
    if job.good_count == 0:
        raise ServiceError(_l("This file has no rows that can be saved."))
    job.status = J.SAVING
    job.saved_by_id = actor.id
    job.rows_done = 0
    job.rows_total = job.good_count
    job.heartbeat_at = None
    job.attempts = 0
    session.flush()


# --- progress ------------------------------------------------------------------------------------

# Rows done by jobs running in this process: saving is one transaction, which SQLite cannot
# interleave with progress writes, so the page of the same process reads it from here.
_LIVE: dict[int, int] = {}


def live_progress(job: ReadmissionImport) -> int:
    return max(job.rows_done, _LIVE.get(job.id, 0)) if job.status.is_running else job.rows_done


def _heartbeat_writer(session: Session, job_id: int) -> Callable[[int], None]:
    """Report rows done while saving: memory always; the database too, outside the saving
    transaction, where the database allows a second writer (not SQLite)."""
    engine = session.get_bind()
    separate = engine.dialect.name != "sqlite"
    table = ReadmissionImport.__table__

    def report(done: int) -> None:
        _LIVE[job_id] = done
        if separate:
            with engine.begin() as conn:
                conn.execute(
                    update(table)
                    .where(table.c.id == job_id)
                    .values(rows_done=done, heartbeat_at=utcnow())
                )

    return report


# --- running -------------------------------------------------------------------------------------


def _claim(session: Session, job_id: int) -> bool:
    """Take a job nobody is running (never started, or its heartbeat is old): atomic."""
    now = utcnow()
    try:
        result = _claim_statement(session, job_id, now)
        session.commit()
    except OperationalError:  # SQLite: another process is writing (saving a job)
        session.rollback()
        return False
    return result.rowcount == 1


def _claim_statement(session: Session, job_id: int, now):
    return session.execute(
        update(ReadmissionImport)
        .where(
            ReadmissionImport.id == job_id,
            ReadmissionImport.status.in_([J.VALIDATING, J.SAVING]),
            or_(
                ReadmissionImport.heartbeat_at.is_(None),
                ReadmissionImport.heartbeat_at < now - STALE_AFTER,
            ),
        )
        .values(heartbeat_at=now, attempts=ReadmissionImport.attempts + 1)
        .execution_options(synchronize_session=False)
    )


def _fail(session: Session, job_id: int, code: str, params: dict | None = None) -> None:
    """Mark the job failed with the reason; its checked rows (personal data) are removed."""
    session.rollback()
    session.execute(delete(ReadmissionImportRow).where(ReadmissionImportRow.import_id == job_id))
    session.execute(
        update(ReadmissionImport)
        .where(ReadmissionImport.id == job_id)
        .values(
            status=J.FAILED,
            error_code=code,
            error_params=params or None,
            heartbeat_at=None,
            content=None,
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def run_job(session: Session, job_id: int) -> ImportStatus | None:
    """Run one job if nobody else is: check its rows or save them. Returns its status after,
    or None when it was not ours to run."""
    if not _claim(session, job_id):
        return None
    job = session.get(ReadmissionImport, job_id, populate_existing=True)
    if job is None:  # pragma: no cover - deleted in between
        return None
    if job.attempts > MAX_ATTEMPTS:
        _fail(session, job_id, "stopped")
        return J.FAILED
    try:
        if job.status == J.VALIDATING:
            validate_rows(session, job)
        else:
            save_rows(session, job)
    except ImportFileError as exc:
        _fail(session, job_id, exc.error_code, exc.params)
    except Exception:
        log.exception("readmission import %s failed", job_id)
        _fail(session, job_id, "error")
    finally:
        _LIVE.pop(job_id, None)
    session.expire_all()
    return session.scalar(select(ReadmissionImport.status).where(ReadmissionImport.id == job_id))


def pending_jobs(session: Session) -> list[int]:
    """Jobs waiting for a process: never started, or stopped (their heartbeat is old)."""
    now = utcnow()
    return list(
        session.scalars(
            select(ReadmissionImport.id)
            .where(
                ReadmissionImport.status.in_([J.VALIDATING, J.SAVING]),
                or_(
                    ReadmissionImport.heartbeat_at.is_(None),
                    ReadmissionImport.heartbeat_at < now - STALE_AFTER,
                ),
            )
            .order_by(ReadmissionImport.id)
        )
    )


def run_pending(session: Session) -> list[tuple[int, ImportStatus | None]]:
    """Run every waiting job, oldest first (the CLI and cron); clear old unsaved uploads."""
    expire_unsaved(session)
    return [(job_id, run_job(session, job_id)) for job_id in pending_jobs(session)]


def expire_unsaved(session: Session) -> int:
    """Checked uploads nobody saved within KEEP_UNSAVED_DAYS: their rows are removed."""
    before = utcnow() - timedelta(days=KEEP_UNSAVED_DAYS)
    old = list(
        session.scalars(
            select(ReadmissionImport.id).where(
                ReadmissionImport.status == J.PREVIEWED, ReadmissionImport.previewed_at < before
            )
        )
    )
    for job_id in old:
        _fail(session, job_id, "expired", {"days": KEEP_UNSAVED_DAYS})
    return len(old)


def is_waiting(job: ReadmissionImport) -> bool:
    return job.status.is_running and (
        job.heartbeat_at is None or job.heartbeat_at < utcnow() - STALE_AFTER
    )


def start_in_background(app: Flask, job_id: int) -> threading.Thread | None:
    """Run the job in a daemon thread of this process (the development server and gunicorn
    alike); off when READMISSION_IMPORT_THREAD is false (tests run jobs themselves)."""
    if not app.config.get("READMISSION_IMPORT_THREAD", True):
        return None
    thread = threading.Thread(
        target=_run_in_thread, args=(app, job_id), name=f"readmission-import-{job_id}", daemon=True
    )
    app.extensions.setdefault("readmission_import_threads", {})[job_id] = thread
    thread.start()
    return thread


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        session = app.extensions["db"].session()
        try:
            run_job(session, job_id)
        except Exception:  # pragma: no cover - run_job records its own failures
            log.exception("readmission import thread %s", job_id)


# --- writing many rows ---------------------------------------------------------------------------


def _among(session: Session, column, values: list[Any]):
    """column IN values, for a batch of up to BATCH values.

    On PostgreSQL the values go as one array, read by unnest(): an IN list of 1,000
    placeholders is parsed again by psycopg for every batch. Not `= ANY(array)`: once psycopg
    prepares the statement, its generic plan (made while the table was still small) may scan
    the whole table and compare each row with every value (seconds per batch at 50,000 cases).
    """
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=ARRAY(column.type))
        return column.in_(select(func.unnest(array)))
    return column.in_(values)


def _bulk_insert(session: Session, table, rows: list[dict[str, Any]]) -> None:
    """INSERT many rows (the same keys in each): COPY on PostgreSQL, executemany elsewhere.

    psycopg sends an executemany as one INSERT per row (pipelined); COPY streams them all.
    """
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    # Only the columns that need it are converted (most values go to COPY as they are).
    convert = [(i, f) for i, name in enumerate(names) if (f := _copy_converter(table.c[name].type))]
    values = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    columns = ", ".join(f'"{name}"' for name in names)
    mark_written(session)  # a COPY on the driver's cursor: not seen by SQLAlchemy's events
    driver = session.connection().connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy,
    ):  # noqa: E501
        for row in rows:
            out = list(values(row))
            for i, f in convert:
                out[i] = f(out[i])
            copy.write_row(out)


def _copy_converter(column_type) -> Callable[[Any], Any] | None:
    """What COPY needs for a column: JSON as text, enums as their values; None: as it is."""
    from sqlalchemy import JSON, Enum

    if isinstance(column_type, JSON):
        return lambda v: None if v is None else json.dumps(v)
    if isinstance(column_type, Enum):
        return lambda v: None if v is None else getattr(v, "value", v)
    return None


def _new_ids(session: Session, table, count: int) -> list[int]:
    """Ids taken from the table's sequence on PostgreSQL, for rows written by COPY."""
    return list(
        session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count},
        )
    )


# --- step 1: checking ----------------------------------------------------------------------------


def _as_json(clean: dict[str, Any]) -> dict[str, Any]:
    out = dict(clean)
    out["birth_date"] = clean["birth_date"].isoformat()
    out["returned_on"] = clean["returned_on"].isoformat()
    out["sex"] = clean["sex"].value if clean["sex"] is not None else None
    return out


def _from_json(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out["birth_date"] = date.fromisoformat(data["birth_date"])
    out["returned_on"] = date.fromisoformat(data["returned_on"])
    out["sex"] = _SEXES.get(data["sex"]) if data["sex"] else None
    return out


def validate_rows(session: Session, job: ReadmissionImport) -> None:
    """Check every row of the job's file and keep it with its problems; commits per batch."""
    if job.content is None:
        raise ImportFileError("lost")
    session.execute(delete(ReadmissionImportRow).where(ReadmissionImportRow.import_id == job.id))
    job.rows_done = job.new_count = job.known_count = job.problem_count = 0
    session.commit()
    today = local_today()  # the portal's (Baku) date
    seen: dict[str, int] = {}
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        numbers = [r["case_number"] for r in batch if not r["problem"]]
        known: set[str] = set()
        if numbers:
            known = set(
                session.scalars(
                    select(ReadmissionCase.case_number).where(
                        _among(session, ReadmissionCase.case_number, numbers)
                    )
                )
            )
        for r in batch:
            if not r["problem"]:
                r["outcome"] = "known" if r["case_number"] in known else "new"
        job.new_count += sum(r["outcome"] == "new" for r in batch)
        job.known_count += sum(r["outcome"] == "known" for r in batch)
        job.problem_count += sum(r["problem"] for r in batch)
        _bulk_insert(session, ReadmissionImportRow.__table__, batch)
        job.rows_done += len(batch)
        job.rows_total = max(job.rows_total, job.rows_done)
        job.heartbeat_at = utcnow()
        session.commit()
        batch.clear()

    for line, row, extra in _rows(job.content):
        number = (row.get("case_number") or "").strip() or None
        problems: list[dict[str, Any]] = []
        clean = None
        if extra:
            problems.append(
                _problem("row", _l("This row has more values than the header has columns."))
            )
        else:
            try:
                clean = cases.validate_case(
                    {k: (v if v is None or v.strip() else None) for k, v in row.items()},
                    today,
                    from_text=True,
                )
            except cases.InvalidCase as exc:
                problems += [_problem(str(k), v) for k, v in exc.errors.items()]
        if number and number in seen:
            if not any(p["field"] == "case_number" for p in problems):
                problems.append(
                    _problem(
                        "case_number",
                        _l("The same case number is on line %(line)s.", line=seen[number]),
                    )
                )
        elif number:
            seen[number] = line
        batch.append(
            {
                "import_id": job.id,
                "line": line,
                "case_number": _storable(number)[:64] if number else None,
                "problem": bool(problems),
                "outcome": "skipped" if problems else "new",
                "errors": problems or None,
                "data": None if problems or clean is None else _as_json(clean),
            }
        )
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    job.rows_total = job.rows_done
    job.status = J.PREVIEWED
    job.previewed_at = utcnow()
    job.heartbeat_at = None
    job.content = None  # the checked rows hold what saving needs
    session.commit()


# --- step 2: saving ------------------------------------------------------------------------------

_CODE_SENTINEL = "QQ7CODE7QQ"
_CASE_COLUMNS = [getattr(ReadmissionCase, name) for name in cases.FIELDS]
_CASES = ReadmissionCase.__table__
_SEXES = {s.value: s for s in Sex}


def _invitation_body(locale: str, code: str, bodies: dict[str, tuple[str, str] | None]) -> str:
    """The invitation SMS: rendered once per language, the code put in its place."""
    if locale not in bodies:
        rendered = notify.render(
            "readmission_invitation",
            NotificationChannel.SMS,
            locale,
            {
                "user": None,
                "request": None,
                "code": _CODE_SENTINEL,
                "invite_url": cases._invitation_url(locale),
            },
        )
        text = rendered[1] if rendered else ""
        first, _, rest = text.partition(_CODE_SENTINEL)
        bodies[locale] = (first, rest) if text.count(_CODE_SENTINEL) == 1 else None
    parts = bodies[locale]
    if parts is None:  # pragma: no cover - a template that shows the code twice or never
        rendered = notify.render(
            "readmission_invitation",
            NotificationChannel.SMS,
            locale,
            {
                "user": None,
                "request": None,
                "code": code,
                "invite_url": cases._invitation_url(locale),
            },
        )
        return rendered[1] if rendered else ""
    return parts[0] + code + parts[1]


def _new_codes(session: Session, count: int) -> list[tuple[str, str]]:
    """(code, hash) pairs unused so far, in the batch and in the database."""
    out: dict[str, str] = {}
    while len(out) < count:
        fresh: dict[str, str] = {}
        while len(out) + len(fresh) < count:
            code = cases.new_code()
            digest = hashlib.sha256(code.encode()).hexdigest()
            if digest not in out:
                fresh[digest] = code
        taken = set(
            session.scalars(
                select(ReadmissionCase.invitation_code_hash).where(
                    _among(session, ReadmissionCase.invitation_code_hash, list(fresh))
                )
            )
        )
        out.update({h: c for h, c in fresh.items() if h not in taken})
    return [(c, h) for h, c in out.items()]


def save_rows(session: Session, job: ReadmissionImport) -> None:
    """Save the good rows of a checked file in one transaction: all of them, or none."""
    actor = session.get(User, job.saved_by_id) if job.saved_by_id else None
    if actor is None or not can_manage_imports(actor):
        raise PermissionDenied(_l("Only administrators may do this."))
    job_id = job.id
    report = _heartbeat_writer(session, job_id)
    session.commit()  # the saving transaction starts clean
    now = utcnow()
    expires = now + timedelta(days=cases.INVITATION_DAYS)
    due = notify.sms_due_at(now, urgent=True)
    bodies: dict[str, tuple[str, str] | None] = {}
    actor_id = actor.id
    created = updated = done = 0
    flipped: dict[int, str] = {}
    last_id = 0
    while True:
        staged = session.execute(
            select(
                ReadmissionImportRow.id,
                ReadmissionImportRow.case_number,
                ReadmissionImportRow.outcome,
                ReadmissionImportRow.data,
            )
            .where(
                ReadmissionImportRow.import_id == job_id,
                ReadmissionImportRow.problem.is_(False),
                ReadmissionImportRow.id > last_id,
            )
            .order_by(ReadmissionImportRow.id)
            .limit(BATCH)
        ).all()
        if not staged:
            break
        last_id = staged[-1].id
        numbers = [r.case_number for r in staged]
        existing = {
            row.case_number: row
            for row in session.execute(
                select(ReadmissionCase.id, ReadmissionCase.status, *_CASE_COLUMNS).where(
                    _among(session, ReadmissionCase.case_number, numbers)
                )
            )
        }
        new_rows: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        plan: list[tuple[str, dict[str, Any], Any, list[str], bool]] = []
        invited = 0
        for r in staged:
            clean = _from_json(r.data)
            old = existing.get(r.case_number)
            if old is None:
                invite = bool(clean["phone"])
                plan.append(("new", clean, None, list(cases.FIELDS), invite))
            else:
                if clean["phone"] is None and old.phone:
                    clean["phone"] = old.phone  # the one known stays (as upsert_case)
                changed = [n for n in cases.FIELDS[1:] if getattr(old, n) != clean[n]]
                invite = bool(clean["phone"]) and (
                    old.status == S.RECEIVED
                    or (old.status == S.INVITED and clean["phone"] != old.phone)
                )
                plan.append(("known", clean, old, changed, invite))
            invited += invite
            outcome = "new" if old is None else "known"
            if r.outcome != outcome:
                flipped[r.id] = outcome
        codes = iter(_new_codes(session, invited))
        invitations: dict[str, tuple[str, str]] = {}
        for kind, clean, old, changed, invite in plan:
            values: dict[str, Any] = {}
            if invite:
                code, digest = next(codes)
                invitations[clean["case_number"]] = (code, clean["locale"])
                values = {
                    "invitation_code_hash": digest,
                    "invited_at": now,
                    "invitation_expires_at": expires,
                    "status": S.INVITED,
                }
            if kind == "new":
                new_rows.append(
                    {
                        **clean,
                        "status": S.RECEIVED,
                        "source": "csv",
                        "created_at": now,
                        "updated_at": now,
                        "invitation_code_hash": None,
                        "invited_at": None,
                        "invitation_expires_at": None,
                        **values,
                    }
                )
            elif changed or invite:
                # Every field of a changed case (few column sets, so few executemany calls).
                fields = {n: clean[n] for n in cases.FIELDS[1:]} if changed else {}
                change = {"id": old.id, **fields, **values}
                if changed:
                    change["updated_at"] = now
                changes.append(change)
        ids = {c.case_number: c.id for c in existing.values()}
        if new_rows and session.get_bind().dialect.name == "postgresql":
            for row, case_id in zip(
                new_rows, _new_ids(session, _CASES, len(new_rows)), strict=True
            ):
                row["id"] = case_id
                ids[row["case_number"]] = case_id
            _bulk_insert(session, _CASES, new_rows)
        elif new_rows:
            # Core INSERT … RETURNING with many rows (multi-row VALUES); the ORM's bulk insert
            # splits rows whose None values differ into single INSERTs.
            returned = session.execute(
                insert(_CASES).returning(_CASES.c.id, _CASES.c.case_number), new_rows
            )
            ids.update({number: case_id for case_id, number in returned})
        _update_cases(session, changes)
        events: list[dict[str, Any]] = []
        notices: list[dict[str, Any]] = []
        for kind, clean, old, changed, invite in plan:
            case_id = ids[clean["case_number"]]
            events.append(
                _event(
                    "readmission_received" if kind == "new" else "readmission_updated",
                    actor_id,
                    case_id,
                    now,
                    data={"source": "csv", "fields": sorted(changed)},
                )
            )
            if invite:
                code, locale = invitations[clean["case_number"]]
                previous = S.RECEIVED if old is None else old.status
                events.append(
                    _event(
                        "readmission_invited",
                        actor_id,
                        case_id,
                        now,
                        from_status=previous.value,
                        to_status=S.INVITED.value,
                    )
                )
                notices.append(
                    {
                        "user_id": None,
                        "request_id": None,
                        "channel": NotificationChannel.SMS,
                        "status": NotificationStatus.PENDING,
                        "template": "readmission_invitation",
                        "locale": locale,
                        "to_address": clean["phone"],
                        "subject": None,
                        "body": _invitation_body(locale, cases.display_code(code), bodies),
                        "urgent": True,
                        "attempts": 0,
                        "due_at": due,
                        "created_at": now,
                    }
                )
            if kind == "new":
                created += 1
            else:
                updated += 1
        _bulk_insert(session, Event.__table__, events)
        _bulk_insert(session, Notification.__table__, notices)
        done += len(staged)
        report(done)
    for row_id, outcome in flipped.items():
        session.execute(
            update(ReadmissionImportRow)
            .where(ReadmissionImportRow.id == row_id)
            .values(outcome=outcome)
            .execution_options(synchronize_session=False)
        )
    for before, after in (("new", "created"), ("known", "updated")):
        session.execute(
            update(ReadmissionImportRow)
            .where(ReadmissionImportRow.import_id == job_id, ReadmissionImportRow.outcome == before)
            .values(outcome=after, data=None)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(ReadmissionImport)
        .where(ReadmissionImport.id == job_id)
        .values(
            status=J.DONE,
            rows_done=done,
            created_count=created,
            updated_count=updated,
            heartbeat_at=None,
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    # The queue's "Vulnerable" tags come from the cases. Last, just before the commit: the
    # version's row stays locked from here to the commit, and other changes wait for it.
    versions.bump(session)
    session.commit()


def _update_cases(session: Session, changes: list[dict[str, Any]]) -> None:
    """UPDATE … WHERE id = ? for many cases: one executemany per set of columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        groups.setdefault(tuple(sorted(change)), []).append(change)
    for keys, same in groups.items():
        columns = [k for k in keys if k != "id"]
        statement = (
            update(_CASES)
            .where(_CASES.c.id == bindparam("p_id"))
            .values({k: bindparam(f"p_{k}", type_=_CASES.c[k].type) for k in columns})
        )
        session.execute(statement, [{f"p_{k}": v for k, v in c.items()} for c in same])


def _event(kind: str, actor_id: int, case_id: int, now, **kw: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "actor_id": actor_id,
        "subject_type": "readmission_case",
        "subject_id": case_id,
        "request_id": None,
        "referral_id": None,
        "returnee_id": None,
        "from_status": kw.get("from_status"),
        "to_status": kw.get("to_status"),
        "public": False,
        "data": kw.get("data") or {},
        "created_at": now,
    }


# --- reading a job -------------------------------------------------------------------------------


def recent_imports(session: Session, limit: int = 20) -> list[ReadmissionImport]:
    return list(
        session.scalars(
            select(ReadmissionImport)
            .order_by(ReadmissionImport.created_at.desc(), ReadmissionImport.id.desc())
            .limit(limit)
        )
    )


def job_rows(
    session: Session, job: ReadmissionImport, *, problems_only: bool, page: int, size: int
) -> tuple[list[ReadmissionImportRow], int]:
    """A page of the job's rows (problems first) and how many rows the list has."""
    query = select(ReadmissionImportRow).where(ReadmissionImportRow.import_id == job.id)
    if problems_only:
        query = query.where(ReadmissionImportRow.problem.is_(True))
        total = job.problem_count
    else:
        total = job.problem_count + job.new_count + job.known_count
    rows = session.scalars(
        query.order_by(ReadmissionImportRow.problem.desc(), ReadmissionImportRow.line)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return list(rows), total


def result_lines(session: Session, job: ReadmissionImport) -> Iterator[list[str]]:
    """Every row's outcome for the downloadable result (problems in the current language)."""
    yield ["line", "case_number", "outcome", "problems"]
    last = 0
    while True:
        rows = session.execute(
            select(
                ReadmissionImportRow.line,
                ReadmissionImportRow.case_number,
                ReadmissionImportRow.outcome,
                ReadmissionImportRow.errors,
            )
            .where(ReadmissionImportRow.import_id == job.id, ReadmissionImportRow.line > last)
            .order_by(ReadmissionImportRow.line)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for line, number, outcome, errors in rows:
            yield [
                str(line),
                number or "",
                outcome,
                "; ".join(f"{p['field']}: {problem_text(p)}" for p in errors or []),
            ]
        last = rows[-1].line
