"""merge queue activity and counts

Revision ID: 8dffdb8beaae
Revises: 496fdb251db8, 6dca6a7a570a
Create Date: 2026-11-30 19:18:07.003375
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '8dffdb8beaae'
down_revision: str | None = ('496fdb251db8', '6dca6a7a570a')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
