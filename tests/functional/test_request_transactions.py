"""How a request's transaction ends (portal/db.py): one that only read ends with COMMIT (so
that psycopg keeps its prepared statements), one that wrote and did not commit is rolled back
whatever the response, as before."""

from __future__ import annotations

import pytest
from flask import Blueprint, abort
from sqlalchemy import event, insert, select, text

from portal.db import db, generic_plan
from portal.models import Role, User
from tests.conftest import make_app


@pytest.fixture(scope="module")
def writer_app(database_url):
    app = make_app(database_url)
    bp = Blueprint("writer", __name__)

    @bp.route("/orm-unflushed/<int:user_id>")
    def orm_unflushed(user_id):
        db.get(User, user_id).full_name = "Changed, never committed"
        return "ok"

    @bp.route("/orm-flushed/<int:user_id>")
    def orm_flushed(user_id):
        db.get(User, user_id).full_name = "Flushed, never committed"
        db.flush()
        return "ok"

    @bp.route("/core-then-400/<int:user_id>")
    def core_then_400(user_id):
        db.execute(
            User.__table__.update()
            .where(User.__table__.c.id == user_id)
            .values(full_name="Written, then refused")
        )
        abort(400)

    @bp.route("/insert-not-committed")
    def insert_not_committed():
        db.execute(
            insert(User).values(
                role=Role.ADMIN, full_name="Never", email="n@x.az", password_hash="x"
            )
        )
        return "ok"

    @bp.route("/read-only/<int:user_id>")
    def read_only(user_id):
        name = db.scalar(select(User.full_name).where(User.id == user_id))
        ended = db.info.get("connection")
        return {"name": name, "connection": ended is not None}

    @bp.route("/generic-plan")
    def generic():
        setting = text("SELECT current_setting('plan_cache_mode')")
        before = db.scalar(setting)
        with generic_plan(db):
            inside = db.scalar(setting)
        after = db.scalar(setting)
        wrote = db.info["connection"].info["wrote"]
        return {"before": before, "inside": inside, "after": after, "wrote": wrote}

    app.register_blueprint(bp, url_prefix="/t")
    yield app
    app.extensions["db"].engine.dispose()


@pytest.mark.parametrize(
    "path", ["/t/orm-unflushed/{id}", "/t/orm-flushed/{id}", "/t/core-then-400/{id}"]
)
def test_a_write_that_was_not_committed_is_rolled_back(writer_app, factory, db, path):
    person = factory.user(Role.SOCIAL_WORKER, full_name="Aysel Quliyeva")
    response = writer_app.test_client().get(path.format(id=person.id))
    assert response.status_code in (200, 400)
    db.expire_all()
    assert db.scalar(select(User.full_name).where(User.id == person.id)) == "Aysel Quliyeva"


def test_an_insert_that_was_not_committed_is_rolled_back(writer_app, db):
    assert writer_app.test_client().get("/t/insert-not-committed").status_code == 200
    assert db.scalar(select(User.id).where(User.email == "n@x.az")) is None


def test_a_request_that_only_read_ends_its_transaction(writer_app, factory, db):
    person = factory.user(Role.SOCIAL_WORKER, full_name="Aysel Quliyeva")
    response = writer_app.test_client().get(f"/t/read-only/{person.id}")
    assert response.get_json() == {"name": "Aysel Quliyeva", "connection": True}
    # the connection went back to the pool with no transaction left open
    with writer_app.extensions["db"].engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    pool = writer_app.extensions["db"].engine.pool
    assert pool.checkedout() == 0


def test_generic_plans_only_for_the_statements_inside(writer_app, database_url):
    """generic_plan (the queue's page statement) changes how the statements inside are
    planned and nothing after them; setting it is not a write, so the prepared statements
    survive the request (it ends with COMMIT)."""
    if not database_url.startswith("postgresql"):  # SQLite has no such setting: nothing sent
        sent = []
        engine = writer_app.extensions["db"].engine

        def note(_conn, _cursor, statement, *_args):
            sent.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            with writer_app.app_context(), generic_plan(db):
                db.scalar(select(1))
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert sent == ["SELECT 1"]
        return
    got = writer_app.test_client().get("/t/generic-plan").get_json()
    assert got == {"before": "auto", "inside": "force_generic_plan", "after": "auto",
                   "wrote": False}  # fmt: skip
