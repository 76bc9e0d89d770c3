"""CSV upload as a job: upload → checked in the background → preview → save (one transaction)
→ result row by row; the job runner's CLI, and jobs that stopped midway."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.db import utcnow
from portal.models import (
    Event,
    ImportStatus,
    Notification,
    ReadmissionCase,
    ReadmissionImport,
    ReadmissionImportRow,
    ReadmissionStatus,
    Role,
)
from portal.services import readmission_imports as jobs
from portal.services import readmissions as svc
from portal.services import versions
from portal.services.referrals import local_today
from tests.conftest import csrf_token, sign_in
from tests.functional.readmission.conftest import case_data

HEADER = list(svc.FIELDS)
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csv_bytes(rows, encoding="utf-8", header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        row = dict(row)
        if isinstance(row.get("vulnerabilities"), list):
            row["vulnerabilities"] = ";".join(row["vulnerabilities"])
        writer.writerow(row)
    return out.getvalue().encode(encoding)


def upload(client, content: bytes, name="cases.csv", lang="en"):
    token = csrf_token(client, f"/{lang}/admin/readmissions/upload")
    return client.post(
        f"/{lang}/admin/readmissions/upload",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def job_url(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def run_jobs(app) -> str:
    result = app.test_cli_runner().invoke(args=["readmissions", "imports", "run"])
    assert result.exit_code == 0, result.output
    return result.output


def save(client, url: str):
    page = client.get(url).get_data(as_text=True)
    return client.post(f"{url}/save", data={"csrf_token": CSRF.search(page).group(1)})


def the_job(db) -> ReadmissionImport:
    db.expire_all()
    return db.scalars(select(ReadmissionImport).order_by(ReadmissionImport.id.desc())).first()


def test_upload_check_preview_save_and_result(app, db, client, login_as):
    login_as(Role.ADMIN)
    known = case_data()
    with app.app_context():
        svc.upsert_case(db, known, None)
        db.commit()
    good = [case_data(), case_data(phone=None), {**known, "region_code": "baku"}]
    dup = case_data()
    bad = [
        case_data(birth_date="1990-02-31"),
        case_data(region_code="atlantis"),
        case_data(phone="+99450"),
        dup,
        {**dup, "full_name": "Other"},
    ]
    url = job_url(upload(client, csv_bytes(good + bad), name="RCMS export.csv"))
    # Stored as a job; checked outside the request: the page says so and refreshes itself.
    waiting = client.get(url).get_data(as_text=True)
    assert "Checking the rows" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting
    assert ": previewed" in run_jobs(app)
    assert "0 import(s) run." in run_jobs(app)  # nothing waits any more
    html = client.get(url).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html
    assert "8 rows read." in html
    assert "Enter a real date" in html
    assert "Unknown region code" in html
    assert "The phone number is not valid" in html
    assert "The same case number is on line 8" in html
    assert "4 rows have problems and will not be saved" in html
    assert "Save the 4 good rows" in html
    # Problems come first in the list.
    lines = re.findall(r'<tr class="has-problems"><td class="num">(\d+)</td>', html)
    assert lines == ["5", "6", "7", "9"]
    assert html.index("has-problems") < html.index(known["case_number"])
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 1  # nothing saved yet
    # The upload list shows who uploaded what, when, and the counts.
    listing = client.get("/en/admin/readmissions/upload").get_data(as_text=True)
    assert "RCMS export.csv" in listing and url in listing

    saving = save(client, url)
    assert saving.status_code == 303
    assert "Saving the good rows" in client.get(url).get_data(as_text=True)
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 1
    before = versions.current(db)
    run_jobs(app)
    text = client.get(url).get_data(as_text=True)
    assert "3 new cases saved" in text and "1 known case updated" in text
    # saved without the ORM: the queue's kept pages (their "Vulnerable" tags) are renewed
    db.rollback()
    assert versions.current(db) > before
    assert "4 rows not saved" in text
    db.expire_all()
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 4
    assert (
        db.scalar(
            select(ReadmissionCase.region_code).where(
                ReadmissionCase.case_number == known["case_number"]
            )
        )
        == "baku"
    )
    # Invitations for the new cases with a phone (the known one had its own already).
    assert db.scalar(select(func.count(Notification.id))) == 1 + 2
    sms = db.scalars(select(Notification).order_by(Notification.id.desc())).first()
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", sms.body).group(0)
    assert sms.to_address and sms.template == "readmission_invitation" and sms.urgent
    # The code in the SMS opens its case.
    with app.app_context():
        case = svc.check_invitation(db, code, sms.to_address)
    assert case.status == ReadmissionStatus.INVITED
    kinds = db.scalars(select(Event.kind).where(Event.subject_type == "readmission_case")).all()
    assert kinds.count("readmission_received") == 1 + 3
    assert kinds.count("readmission_updated") == 1
    assert kinds.count("readmission_invited") == 1 + 2
    # The clean values are not kept once saved.
    assert db.scalar(select(func.count()).where(ReadmissionImportRow.data.is_not(None))) == 0
    # Every row's result, as CSV with a byte order mark.
    link = re.search(r'href="([^"]+/result\.csv)"', text).group(1)
    download = client.get(link)
    assert download.status_code == 200
    body = download.get_data()
    download.close()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["line", "case_number", "outcome", "problems"]
    outcomes = [r[2] for r in rows[1:]]
    assert outcomes == ["created", "created", "updated", *["skipped"] * 3, "created", "skipped"]
    assert "Unknown region code" in rows[5][3]
    # Saving again is refused with a message: the job is done.
    again = save(client, url)
    assert again.status_code == 303
    assert "This upload cannot be saved now." in client.get(url).get_data(as_text=True)
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 4


def test_the_same_file_again_updates_and_never_duplicates(app, db, client, login_as):
    login_as(Role.ADMIN)
    content = csv_bytes([case_data(), case_data(phone=None)])
    for _round in range(2):
        url = job_url(upload(client, content))
        run_jobs(app)
        save(client, url)
        run_jobs(app)
    job = the_job(db)
    assert (job.status, job.created_count, job.updated_count) == (ImportStatus.DONE, 0, 2)
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 2
    assert db.scalar(select(func.count(Notification.id))) == 1  # no second invitation


def test_a_case_arriving_between_preview_and_save_is_updated(
    app, db, client, login_as, readmission_token
):
    login_as(Role.ADMIN)
    data = case_data()
    url = job_url(upload(client, csv_bytes([data])))
    run_jobs(app)
    assert "1 new case" in client.get(url).get_data(as_text=True)
    api = client.post(
        "/api/v1/readmissions",
        json=data,
        headers={"Authorization": f"Bearer {readmission_token}"},
    )
    assert api.status_code == 201
    save(client, url)
    run_jobs(app)
    assert "1 known case updated" in client.get(url).get_data(as_text=True)
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 1
    assert db.scalar(select(ReadmissionImportRow.outcome)) == "updated"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"case_number;full_name\n", "Unknown column"),
        (b"case_number,full_name\nA,B\n", "The column requesting_state is missing"),
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (
            csv_bytes(
                [case_data(full_name="Ağa Şükürov", full_name_cyrillic=None)], encoding="cp1254"
            ),
            "not in UTF-8",
        ),
        (csv_bytes([case_data(full_name="Лейла")], "utf-16"), "not in UTF-8"),
        (csv_bytes([case_data(full_name="Лейла")], "utf-16-le"), "not in UTF-8"),
        (b"\x00\x01\x02garbage\xff", "not in UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_clear_message(db, client, login_as, content, message):
    login_as(Role.ADMIN)
    response = upload(client, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(func.count(ReadmissionImport.id))) == 0


def test_another_encoding_is_refused_in_the_page_language(client, login_as):
    login_as(Role.ADMIN)
    response = upload(client, csv_bytes([case_data()], "utf-16"), lang="az")
    assert response.status_code == 400
    assert "UTF-8 kodlaşdırmasında deyil" in response.get_data(as_text=True)


def test_a_file_over_10_mb_is_refused(client, db, login_as):
    login_as(Role.ADMIN)
    big = csv_bytes([]) + b"x" * (jobs.MAX_BYTES + 1)
    token = csrf_token(client, "/en/admin/readmissions/upload")
    # The multipart body built here: the test client's own encoder leaves a temporary file open.
    boundary = "----readmission-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + big
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/en/admin/readmissions/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code in (400, 413)
    assert "larger than 10 MB" in response.get_data(as_text=True)
    assert db.scalar(select(func.count(ReadmissionImport.id))) == 0


def test_a_utf8_file_with_bom_and_azerbaijani_letters_is_read(app, client, db, login_as):
    login_as(Role.ADMIN)
    content = b"\xef\xbb\xbf" + csv_bytes([case_data(full_name="Ağa Şükürov", vulnerabilities=[])])
    url = job_url(upload(client, content))
    run_jobs(app)
    assert "1 row read." in client.get(url).get_data(as_text=True)
    save(client, url)
    run_jobs(app)
    assert db.scalar(select(ReadmissionCase.full_name)) == "Ağa Şükürov"


def test_control_characters_and_odd_rows_are_problems_not_errors(app, client, db, login_as):
    login_as(Role.ADMIN)
    content = (
        csv_bytes(
            [
                case_data(full_name="Bad\x00Name", case_number="NUL\x00CASE"),
                case_data(vulnerabilities="minor;\x00x"),
            ]
        )
        + b"A-1,DE,Name,,1990-01-01,,,2026-01-01,,,,,extra,values\n"
    )
    url = job_url(upload(client, content))
    run_jobs(app)
    html = client.get(url).get_data(as_text=True)
    assert "3 rows have problems" in html
    assert "more values than the header has columns" in html
    assert client.get(f"{url}/result.csv").status_code == 200


def test_the_preview_is_paged_with_problems_first(app, client, db, login_as):
    login_as(Role.ADMIN)
    rows = [case_data(phone=None) for _ in range(230)]
    for i in (3, 150, 229):
        rows[i] = {**rows[i], "region_code": "atlantis"}
    url = job_url(upload(client, csv_bytes(rows)))
    run_jobs(app)
    first = client.get(url).get_data(as_text=True)
    assert "Page 1 of 3" in first
    assert re.findall(r'class="has-problems"><td class="num">(\d+)<', first) == ["5", "152", "231"]
    assert 'rel="next"' in first
    third = client.get(f"{url}?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in third and "has-problems" not in third
    only = client.get(f"{url}?show=problems").get_data(as_text=True)
    assert "Page 1 of 1" in only and only.count("has-problems") == 3
    for page in ("999", "abc", "-1", "²"):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 200
        assert "Page 1 of 3" in response.get_data(as_text=True)


def test_the_preview_speaks_the_page_language(app, client, login_as):
    login_as(Role.ADMIN)
    url = job_url(upload(client, csv_bytes([case_data(region_code="atlantis")])))
    run_jobs(app)
    az = client.get(url.replace("/en/", "/az/")).get_data(as_text=True)
    ru = client.get(url.replace("/en/", "/ru/")).get_data(as_text=True)
    assert "Unknown region code" not in az and "Unknown region code" not in ru
    assert "<code>region_code</code>" in az and "<code>region_code</code>" in ru


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.RETURNEE, Role.PARTNER])
def test_only_administrators_upload_and_see_jobs(app, client, db, factory, login_as, role):
    admin = factory.user(Role.ADMIN)
    with app.app_context():
        job = jobs.create_import(db, csv_bytes([case_data()]), "x.csv", admin)
        db.commit()
    jobs.run_job(db, job.id)
    login_as(role)
    base = f"/en/admin/readmissions/imports/{job.id}"
    assert client.get("/en/admin/readmissions/upload").status_code == 403
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/result.csv").status_code == 403
    assert client.post(f"{base}/save", data={}).status_code == 403
    assert the_job(db).status == ImportStatus.PREVIEWED


def test_every_administrator_sees_the_jobs_and_unknown_ids_are_404(
    app, client, db, factory, login_as
):
    first = factory.user(Role.ADMIN, full_name="Nigar Admin")
    with app.app_context():
        job = jobs.create_import(db, csv_bytes([case_data()]), "first.csv", first)
        db.commit()
    login_as(Role.ADMIN)
    listing = client.get("/en/admin/readmissions/upload").get_data(as_text=True)
    assert "first.csv" in listing and "Nigar Admin" in listing
    assert client.get(f"/en/admin/readmissions/imports/{job.id}").status_code == 200
    for bad in (job.id + 1, 0, 2**31, 10**12):
        assert client.get(f"/en/admin/readmissions/imports/{bad}").status_code == 404
        assert client.get(f"/en/admin/readmissions/imports/{bad}/result.csv").status_code == 404
    assert client.get(f"/en/admin/readmissions/imports/{job.id}/result.csv").status_code == 404


def test_another_admins_session_can_save_with_its_own_form(app, db, client, factory, login_as):
    login_as(Role.ADMIN)
    url = job_url(upload(client, csv_bytes([case_data()])))
    run_jobs(app)
    other = app.test_client()
    assert sign_in(other, factory.user(Role.ADMIN).login).status_code == 302
    page = client.get(url).get_data(as_text=True)  # the first admin's CSRF token
    stolen = other.post(f"{url}/save", data={"csrf_token": CSRF.search(page).group(1)})
    assert stolen.status_code == 302
    assert the_job(db).status == ImportStatus.PREVIEWED
    assert save(other, url).status_code == 303
    assert the_job(db).status == ImportStatus.SAVING


# --- the runner: the CLI, stopped jobs, the thread -----------------------------------------------


def _stale(db, job_id: int, **values) -> None:
    db.execute(
        update(ReadmissionImport)
        .where(ReadmissionImport.id == job_id)
        .values(heartbeat_at=utcnow() - jobs.STALE_AFTER - timedelta(seconds=5), **values)
    )
    db.commit()


def test_checking_that_stopped_midway_is_resumed_from_the_file(app, db, factory):
    admin = factory.user(Role.ADMIN)
    rows = [case_data() for _ in range(5)] + [case_data(region_code="atlantis")]
    with app.app_context():
        job = jobs.create_import(db, csv_bytes(rows), "x.csv", admin)
        db.commit()
        # As if a process had checked two rows, then died: the rows it kept, an old heartbeat.
        db.add_all(
            ReadmissionImportRow(import_id=job.id, line=n, outcome="new", problem=False)
            for n in (2, 3)
        )
        db.commit()
    _stale(db, job.id, rows_done=2, attempts=1)
    running = jobs.pending_jobs(db)
    assert running == [job.id]
    assert f"Import {job.id}: previewed" in run_jobs(app)
    job = the_job(db)
    assert (job.status, job.new_count, job.problem_count, job.attempts) == (
        ImportStatus.PREVIEWED,
        5,
        1,
        2,
    )
    assert db.scalar(select(func.count(ReadmissionImportRow.id))) == 6
    assert job.content is None  # not kept once checked


def test_saving_that_stopped_midway_is_done_again_in_one_transaction(app, db, client, login_as):
    login_as(Role.ADMIN)
    url = job_url(upload(client, csv_bytes([case_data(), case_data()])))
    run_jobs(app)
    save(client, url)
    job_id = the_job(db).id
    _stale(db, job_id, attempts=1)  # the saving process died: its transaction left nothing
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 0
    assert f"Import {job_id}: done" in run_jobs(app)
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 2


def test_a_running_job_is_left_to_its_process(app, db, factory):
    admin = factory.user(Role.ADMIN)
    with app.app_context():
        job = jobs.create_import(db, csv_bytes([case_data()]), "x.csv", admin)
        job.heartbeat_at = utcnow()
        db.commit()
    assert "0 import(s) run." in run_jobs(app)
    assert jobs.run_job(db, job.id) is None
    assert the_job(db).status == ImportStatus.VALIDATING


def test_a_job_that_keeps_stopping_is_marked_failed_with_a_message(app, db, client, login_as):
    login_as(Role.ADMIN)
    url = job_url(upload(client, csv_bytes([case_data()])))
    job_id = the_job(db).id
    _stale(db, job_id, attempts=jobs.MAX_ATTEMPTS)
    assert f"Import {job_id}: failed" in run_jobs(app)
    html = client.get(url).get_data(as_text=True)
    assert "interrupted too many times" in html
    assert 'http-equiv="refresh"' not in html
    ru = client.get(url.replace("/en/", "/ru/")).get_data(as_text=True)
    assert "interrupted too many times" not in ru and 'role="alert"' in ru


def test_a_job_whose_file_is_lost_fails_with_a_message(app, db, client, login_as):
    login_as(Role.ADMIN)
    url = job_url(upload(client, csv_bytes([case_data()])))
    job_id = the_job(db).id
    db.execute(update(ReadmissionImport).where(ReadmissionImport.id == job_id).values(content=None))
    db.commit()
    run_jobs(app)
    assert "no longer available" in client.get(url).get_data(as_text=True)


def test_the_web_process_runs_the_job_in_a_thread(app_factory, db, factory):
    app = app_factory(READMISSION_IMPORT_THREAD=True)
    admin = factory.user(Role.ADMIN)
    client = app.test_client()
    assert sign_in(client, admin.login).status_code == 302
    url = job_url(upload(client, csv_bytes([case_data(), case_data(phone=None)])))
    job_id = int(url.rsplit("/", 1)[1])
    thread = app.extensions["readmission_import_threads"][job_id]
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert the_job(db).status == ImportStatus.PREVIEWED
    save(client, url)
    app.extensions["readmission_import_threads"][job_id].join(timeout=60)
    assert the_job(db).status == ImportStatus.DONE
    assert "2 new cases saved" in client.get(url).get_data(as_text=True)
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 2


def test_an_upload_nobody_saves_is_cleared_after_two_days(app, db, client, login_as):
    login_as(Role.ADMIN)
    url = job_url(upload(client, csv_bytes([case_data()])))
    run_jobs(app)
    job_id = the_job(db).id
    db.execute(
        update(ReadmissionImport)
        .where(ReadmissionImport.id == job_id)
        .values(previewed_at=utcnow() - timedelta(days=jobs.KEEP_UNSAVED_DAYS, minutes=1))
    )
    db.commit()
    run_jobs(app)
    assert the_job(db).status == ImportStatus.FAILED
    assert db.scalar(select(func.count(ReadmissionImportRow.id))) == 0
    assert "not saved within 2 days" in client.get(url).get_data(as_text=True)


# --- one transaction, and every bad input of the issue as a row problem ---------------------------


def test_a_save_that_fails_in_a_later_batch_leaves_nothing_saved(
    app, db, client, login_as, monkeypatch
):
    """Good rows are saved in one transaction: batches 1 and 2 were written (cases, events,
    SMS invitations) when batch 3 could not be, and none of it is kept."""
    monkeypatch.setattr(jobs, "BATCH", 2)
    login_as(Role.ADMIN)
    url = job_url(upload(client, csv_bytes([case_data() for _ in range(5)])))
    run_jobs(app)
    assert "5 new cases" in client.get(url).get_data(as_text=True)
    # The last checked row can no longer be read (as if its stored values were damaged).
    last = db.scalars(
        select(ReadmissionImportRow).order_by(ReadmissionImportRow.line.desc())
    ).first()
    db.execute(
        update(ReadmissionImportRow)
        .where(ReadmissionImportRow.id == last.id)
        .values(data={**last.data, "birth_date": "not a date"})
    )
    db.commit()
    events_before = db.scalar(select(func.count(Event.id)))
    save(client, url)
    assert ": failed" in run_jobs(app)
    db.expire_all()
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 0
    assert db.scalar(select(func.count(Notification.id))) == 0
    assert db.scalar(select(func.count(Event.id))) == events_before
    job = the_job(db)
    assert (job.status, job.created_count) == (ImportStatus.FAILED, 0)
    html = client.get(url).get_data(as_text=True)
    assert "Nothing was saved" in html


def test_every_bad_input_of_a_row_is_shown_with_its_line_before_saving(app, db, client, login_as):
    login_as(Role.ADMIN)
    today = local_today()  # dates well inside and outside the 30 days: safe across midnight
    rows = [
        case_data(birth_date="2000-05-02", returned_on="2000-05-01"),  # line 2
        case_data(returned_on=(today + timedelta(days=40)).isoformat()),  # 3
        case_data(requesting_state="XX"),  # 4
        case_data(region_code="atlantis"),  # 5
        case_data(phone="not a phone"),  # 6
        case_data(case_number="R" * 65),  # 7
        case_data(birth_date="31.12.1990"),  # 8
        case_data(returned_on=(today + timedelta(days=20)).isoformat()),  # 9: good
    ]
    rows.append({**rows[-1], "full_name": "Same number"})  # 10: duplicate of line 9
    rows.append(case_data(phone="+994124041234"))  # 11: a landline gets no SMS
    url = job_url(upload(client, csv_bytes(rows)))
    run_jobs(app)
    html = client.get(url).get_data(as_text=True)
    expected = {
        2: "The date of return is before the date of birth.",
        3: "The date of return is more than 30 days ahead.",
        4: "The requesting state must be a two-letter country code",
        5: "Unknown region code",
        6: "The phone number is not valid",
        7: "The case number is longer than 64 characters.",
        8: "Enter a real date written like 2026-03-15.",
        10: "The same case number is on line 9.",
        11: "This is a landline number: the invitation is sent by SMS",
    }
    cells = dict(
        re.findall(r'<tr class="has-problems"><td class="num">(\d+)</td>(.*?)</tr>', html, re.S)
    )
    assert sorted(int(n) for n in cells) == sorted(expected)
    for line, message in expected.items():
        assert message in cells[str(line)], (line, cells[str(line)])
    assert "9 rows have problems and will not be saved" in html
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 0  # nothing saved yet
    save(client, url)
    run_jobs(app)
    assert db.scalar(select(ReadmissionCase.case_number)) == rows[-2]["case_number"]
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 1


def test_a_file_without_the_phone_keeps_the_phone_known_and_its_invitation(
    app, db, client, login_as
):
    known = case_data()
    with app.app_context():
        svc.upsert_case(db, known, None)
        db.commit()
    login_as(Role.ADMIN)
    url = job_url(upload(client, csv_bytes([{**known, "phone": None, "region_code": "baku"}])))
    run_jobs(app)
    save(client, url)
    run_jobs(app)
    db.expire_all()
    case = db.scalar(select(ReadmissionCase))
    assert (case.phone, case.region_code, case.status) == (
        known["phone"],
        "baku",
        ReadmissionStatus.INVITED,
    )
    assert db.scalar(select(func.count(Notification.id))) == 1  # no second invitation
