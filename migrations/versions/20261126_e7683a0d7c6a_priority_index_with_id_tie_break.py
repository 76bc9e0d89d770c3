"""priority index with id tie-break

Revision ID: e7683a0d7c6a
Revises: f87e8302160d
Create Date: 2026-11-26 18:23:10.522727
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e7683a0d7c6a'
down_revision: str | None = 'f87e8302160d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assistance_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_requests_status_priority'))
        batch_op.create_index('ix_assistance_requests_status_priority', ['status', 'priority_rank', 'created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('assistance_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_requests_status_priority')
        batch_op.create_index(batch_op.f('ix_assistance_requests_status_priority'), ['status', 'priority_rank', 'created_at'], unique=False)

