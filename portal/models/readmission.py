from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import ImportStatus, ReadmissionStatus, ReadmissionVulnerability, Sex

if TYPE_CHECKING:
    from portal.models.user import User


class ReadmissionCase(Base):
    """What the readmission case management system knows before the person signs in.

    Kept apart from accounts; a claimed invitation links the case to its returnee.
    """

    __tablename__ = "readmission_cases"
    __table_args__ = (
        Index("ix_readmission_cases_status_returned", "status", "returned_on"),
        Index("ix_readmission_cases_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64), unique=True)
    requesting_state: Mapped[str] = mapped_column(String(2), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    full_name_cyrillic: Mapped[str | None] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex, 10))
    phone: Mapped[str | None] = mapped_column(String(20))
    returned_on: Mapped[date] = mapped_column(Date)
    border_point: Mapped[str | None] = mapped_column(String(120))
    region_code: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(5), default="az")
    vulnerabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ReadmissionStatus] = mapped_column(
        enum_column(ReadmissionStatus, 20), default=ReadmissionStatus.RECEIVED
    )
    # "api" or "csv": how the case arrived first.
    source: Mapped[str] = mapped_column(String(10), default="api")
    # The invitation: only the SHA-256 of the code is kept; cleared once used.
    invitation_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invitation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:  # no personal data in logs
        return f"<ReadmissionCase {self.id} {self.status.value}>"

    @property
    def vulnerability_list(self) -> list[ReadmissionVulnerability]:
        known = {v.value: v for v in ReadmissionVulnerability}
        return [known[v] for v in (self.vulnerabilities or []) if v in known]

    @property
    def raises_priority(self) -> bool:
        return any(v.raises_priority for v in self.vulnerability_list)

    def can_view(self, user) -> bool:
        """Administrators and social workers only: a case is personal data."""
        return bool(
            user is not None
            and getattr(user, "is_authenticated", False)
            and user.is_active
            and user.is_staff
        )


class ReadmissionImport(Base):
    """A CSV file of readmission cases uploaded by an administrator: checked, then saved.

    The file is kept here (not on one web server's disk) until its rows are checked, so any
    process can run the job: a thread of the web process, or `flask readmissions imports run`
    after a restart. `heartbeat_at` is when the running job last said it was alive; a running
    job whose heartbeat is old has stopped and is taken over.
    """

    __tablename__ = "readmission_imports"
    __table_args__ = (Index("ix_readmission_imports_status_heartbeat", "status", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, 12), default=ImportStatus.VALIDATING
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Progress of the running step (rows checked, or rows saved), and the counts it found.
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    new_count: Mapped[int] = mapped_column(Integer, default=0)
    known_count: Mapped[int] = mapped_column(Integer, default=0)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    # How many times a process took the job (a job that keeps stopping is marked failed).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why it failed: a key of the service's messages and its values (shown translated).
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_params: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    previewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    saved_by: Mapped[User | None] = relationship(foreign_keys=[saved_by_id])

    def __repr__(self) -> str:
        return f"<ReadmissionImport {self.id} {self.status.value}>"

    @property
    def good_count(self) -> int:
        return self.new_count + self.known_count

    def can_view(self, user) -> bool:
        """Administrators only: they are the ones who upload (the rows are personal data)."""
        return bool(
            user is not None
            and getattr(user, "is_authenticated", False)
            and user.is_active
            and user.is_admin
        )


class ReadmissionImportRow(Base):
    """One row of an uploaded file: its problems, or its clean values until they are saved."""

    __tablename__ = "readmission_import_rows"
    __table_args__ = (
        # The preview lists problems first, then every row in file order, a page at a time.
        Index("ix_readmission_import_rows_job_problem_line", "import_id", "problem", "line"),
        Index("ix_readmission_import_rows_job_line", "import_id", "line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("readmission_imports.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    case_number: Mapped[str | None] = mapped_column(String(64))
    problem: Mapped[bool] = mapped_column(Boolean, default=False)
    # new / known (checked), then created / updated (saved); skipped for a row with problems.
    outcome: Mapped[str] = mapped_column(String(10))
    # [{"field": …, "message": msgid, "params": {…}}]: translated when shown.
    errors: Mapped[list | None] = mapped_column(JSON(none_as_null=True))
    # The clean values (text), cleared once saved: the cases hold them then.
    data: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    def __repr__(self) -> str:
        return f"<ReadmissionImportRow {self.import_id}:{self.line} {self.outcome}>"
