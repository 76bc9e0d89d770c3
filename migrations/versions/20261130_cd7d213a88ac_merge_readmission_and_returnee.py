"""merge readmission and returnee

Revision ID: cd7d213a88ac
Revises: 843d871915b5, bde02ec27fd0
Create Date: 2026-11-30 15:12:24.555637
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'cd7d213a88ac'
down_revision: str | None = ('843d871915b5', 'bde02ec27fd0')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
