"""owner name key on requests

Issue 12, item 7: a name search reads the requests alone. Each request keeps its owner's
folded name key (users.name_key, portal.names.name_key) beside its own columns, with a
trigram index on PostgreSQL and a plain index on SQLite, so that a search walks the queue's
order and tests each request's own key (a common name), or finds the few requests of a rare
name through the trigrams, instead of matching users first. The open requests have a trigram
index of their own: a near miss of a common name ("Hasanova" where only Hasanov is known)
otherwise reads the long trigram lists of every closed request too; and an index of the open
requests in the order they came (a common name is tested on the open requests only, oldest
first, until a page is full). Existing requests are filled in.

Revision ID: b7d2e5a9c1f8
Revises: f1a7c3e9b5d2
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d2e5a9c1f8"
down_revision: str | None = "f1a7c3e9b5d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRGM = {"postgresql_using": "gin", "postgresql_ops": {"owner_name_key": "gin_trgm_ops"}}
# portal.models.request.OPEN_ONLY, frozen here.
OPEN_ONLY = (
    "status IN ('submitted', 'in_review', 'needs_info', 'referred', 'in_progress', "
    "'assistance_provided')"
)


def upgrade() -> None:
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_name_key", sa.String(length=240), nullable=True))
    op.execute(
        "UPDATE assistance_requests SET owner_name_key = "
        "(SELECT users.name_key FROM users WHERE users.id = assistance_requests.owner_id)"
    )
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assistance_requests_owner_name_key_trgm", ["owner_name_key"], **TRGM
        )
        batch_op.create_index(
            "ix_assistance_requests_open_created",
            ["created_at", "id"],
            postgresql_where=sa.text(OPEN_ONLY),
            sqlite_where=sa.text(OPEN_ONLY),
        )
        batch_op.create_index(
            "ix_assistance_requests_open_owner_name_key_trgm",
            ["owner_name_key"],
            postgresql_where=sa.text(OPEN_ONLY),
            sqlite_where=sa.text(OPEN_ONLY),
            **TRGM,
        )


def downgrade() -> None:
    with op.batch_alter_table("assistance_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_assistance_requests_open_owner_name_key_trgm", **TRGM)
        batch_op.drop_index("ix_assistance_requests_open_created")
        batch_op.drop_index("ix_assistance_requests_owner_name_key_trgm", **TRGM)
        batch_op.drop_column("owner_name_key")
