"""Engine, one scoped session per request, and the declarative Base."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


_clock: ContextVar[datetime | None] = ContextVar("portal_clock", default=None)


def utcnow() -> datetime:
    """Now, in UTC; the demo loader may set a simulated time with set_clock."""
    return _clock.get() or datetime.now(UTC)


def set_clock(moment: datetime | None) -> None:
    """Pretend it is `moment` (None: the real time again). Used to build a dated demo history."""
    _clock.set(moment)


def make_engine(url: str, echo: bool = False) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # Readers never wait for a writer: a page stays readable while a long transaction
            # (a 50,000-row CSV import) is being written ("database is locked" otherwise).
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    _note_writes(engine)
    return engine


EXPLAIN_OPTION = "portal_explain"  # an execution option: see estimated_rows


def _is_read(statement: str) -> bool:
    head = statement.lstrip()[:60].upper()
    return (
        head.startswith("SELECT")
        or (head.startswith("EXPLAIN") and "ANALYZE" not in head)
        or head.startswith("SET LOCAL PLAN_CACHE_MODE")  # generic_plan: how reads are planned
    )


def _note_writes(engine: Engine) -> None:
    """Mark in the connection's info whether its transaction has sent anything but a read
    (see Database.init_app). A write that bypasses SQLAlchemy's execute (a COPY on the driver's
    own cursor) marks it itself: mark_written."""

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.info["wrote"] = False

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _before(conn, _cursor, statement, parameters, context, executemany):
        if context is not None and context.execution_options.get(EXPLAIN_OPTION):
            statement = "EXPLAIN (FORMAT JSON) " + statement
        elif executemany or not _is_read(statement):
            conn.info["wrote"] = True
        return statement, parameters


def core_execute(session: Session, statement, params: dict | None = None):
    """Run a statement of columns (no ORM entities) on the session's connection, in its
    transaction: the same rows as session.execute without the ORM's execution layer, which
    costs 0.1-0.5 ms a statement (more for a large one: the queue's union of scans). Pending
    ORM changes are flushed first, as session.execute would."""
    session.flush()
    return session.connection().execute(statement, params or {})


def estimated_rows(session: Session, statement) -> int:
    """PostgreSQL's estimate of the rows a SELECT would give, from EXPLAIN without running it.

    The statement goes through SQLAlchemy's compiled cache and is sent with its values as
    any query is (the EXPLAIN words are put in front of the SQL just before it is sent: see
    _note_writes), so PostgreSQL plans it for the values given."""
    result = session.execute(statement.execution_options(**{EXPLAIN_OPTION: True}))
    plan = result.scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])


_GENERIC_PLANS = text("SET LOCAL plan_cache_mode = force_generic_plan")
_DEFAULT_PLANS = text("SET LOCAL plan_cache_mode TO DEFAULT")


@contextmanager
def generic_plan(session: Session):
    """Statements run inside keep one plan made without their values (PostgreSQL): for a
    statement whose plan takes longer to make than to run, and which no value sent with it
    steers (write such values into the SQL: bindparam(literal_execute=True)). psycopg
    prepares a statement run five times on a connection; PostgreSQL then plans it for the
    values of each run unless the plan without values looks as cheap, which for a union of
    ordered scans it rarely does. Only for the statements inside: the setting is put back
    after them, and a transaction that fails ends it anyway."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(_GENERIC_PLANS)
    yield
    if postgres:
        session.execute(_DEFAULT_PLANS)


def mark_written(session: Session) -> None:
    session.connection().info["wrote"] = True


def _only_read(session: Session) -> bool:
    """Whether the session's transaction read and nothing else: no statement but SELECTs sent,
    nothing added, changed or deleted waiting for a flush."""
    connection = session.info.get("connection")
    return (
        connection is not None
        and not connection.closed
        and connection.info.get("wrote") is False
        and not (session.new or session.dirty or session.deleted)
    )


def _end(session: Session, exc: BaseException | None) -> None:
    """End a request's transaction. One that only read ends with COMMIT, which for its data
    is the same as ROLLBACK; but psycopg forgets every prepared statement on a rollback, so a
    page that only reads would have all its queries parsed and planned again on every
    request. A transaction that wrote and was not committed, or met an error, is rolled back
    (remove() does that)."""
    if exc is not None or not session.in_transaction() or not _only_read(session):
        return
    try:
        session.commit()
    except SQLAlchemyError:  # pragma: no cover - the connection went away after reading
        session.rollback()


class Database:
    """Holds one app's engine and its request-scoped session."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo)
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(bind=self.engine, expire_on_commit=False)
        )

        @event.listens_for(self.session, "after_begin")
        def _connection_of(session: Session, _transaction, connection) -> None:
            session.info["connection"] = connection

    def init_app(self, app: Flask) -> None:
        app.extensions["db"] = self

        @app.teardown_appcontext
        def _remove_session(exc: BaseException | None) -> None:
            if self.session.registry.has():
                _end(self.session(), exc)
            self.session.remove()


def _current_session() -> scoped_session[Session]:
    return current_app.extensions["db"].session


# Use `db` like a Session: db.execute(...), db.add(...), db.commit().
db: Session = LocalProxy(_current_session)  # type: ignore[assignment]
