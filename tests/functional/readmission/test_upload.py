"""CSV upload: a preview of each row's problems, then the good rows saved in one transaction."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from portal.models import Notification, ReadmissionCase, Role
from portal.services import readmissions as svc
from tests.conftest import csrf_token, sign_in
from tests.functional.readmission.conftest import case_data

HEADER = list(svc.FIELDS)


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


def upload(client, content: bytes, name="cases.csv"):
    token = csrf_token(client, "/en/admin/readmissions/upload")
    return client.post(
        "/en/admin/readmissions/upload",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def confirm(client, preview_html: str):
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', preview_html).group(1)
    upload_id = re.search(r'name="upload" type="hidden" value="([0-9a-f]+)"', preview_html)
    return client.post(
        "/en/admin/readmissions/upload/confirm",
        data={"csrf_token": token, "upload": upload_id.group(1)},
    )


def test_preview_lists_problems_and_saves_nothing_then_confirm_saves_good_rows(
    app, db, client, login_as
):
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
    response = upload(client, csv_bytes(good + bad))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "8 rows read." in html
    assert "Enter a real date" in html
    assert "Unknown region code" in html
    assert "The phone number is not valid" in html
    assert "The same case number is on line 8" in html
    assert "4 rows have problems and will not be saved" in html
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 1  # nothing saved yet
    result = confirm(client, html)
    assert result.status_code == 200
    text = result.get_data(as_text=True)
    assert "3 new cases saved" in text and "1 known case updated" in text
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
    # The row-by-row result can be downloaded once saved; a second confirm is refused.
    link = re.search(r'href="([^"]+/result\.csv)"', text).group(1)
    download = client.get(link)
    assert download.status_code == 200
    lines = download.get_data(as_text=True).splitlines()
    download.close()
    assert lines[0] == "line,case_number,outcome,problems"
    assert len(lines) == 1 + 8
    again = confirm(client, html)
    assert again.status_code == 302
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"case_number;full_name\n", "Unknown column"),
        (b"case_number,full_name\nA,B\n", "The column requesting_state is missing"),
        (b"", "The file is empty"),
        (
            csv_bytes(
                [case_data(full_name="Ağa Şükürov", full_name_cyrillic=None)], encoding="cp1254"
            ),
            "not in UTF-8",
        ),
        (csv_bytes([case_data(full_name="Лейла")], "utf-16"), "not in UTF-8"),
        (b"\x00\x01\x02garbage\xff", "not in UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_clear_message(client, login_as, content, message):
    login_as(Role.ADMIN)
    response = upload(client, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_file_over_10_mb_is_refused(client, login_as):
    login_as(Role.ADMIN)
    big = csv_bytes([]) + b"x" * (svc.CSV_MAX_BYTES + 1)
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


def test_a_utf8_file_with_bom_and_azerbaijani_letters_is_read(client, db, login_as):
    login_as(Role.ADMIN)
    content = b"\xef\xbb\xbf" + csv_bytes([case_data(full_name="Ağa Şükürov", vulnerabilities=[])])
    html = upload(client, content).get_data(as_text=True)
    assert "1 row read." in html
    assert confirm(client, html).status_code == 200
    assert db.scalar(select(ReadmissionCase.full_name)) == "Ağa Şükürov"


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.RETURNEE, Role.PARTNER])
def test_only_administrators_upload(client, login_as, role):
    login_as(role)
    assert client.get("/en/admin/readmissions/upload").status_code == 403


def test_another_session_cannot_confirm_someone_elses_upload(app, db, client, login_as, factory):
    login_as(Role.ADMIN)
    html = upload(client, csv_bytes([case_data()])).get_data(as_text=True)
    other = app.test_client()
    second = factory.user(Role.ADMIN)
    assert sign_in(other, second.login).status_code == 302
    own_csrf = csrf_token(other, "/en/admin/readmissions/upload")
    upload_id = re.search(r'name="upload" type="hidden" value="([0-9a-f]+)"', html).group(1)
    response = other.post(
        "/en/admin/readmissions/upload/confirm",
        data={"csrf_token": own_csrf, "upload": upload_id},
    )
    assert response.status_code == 302
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 0
