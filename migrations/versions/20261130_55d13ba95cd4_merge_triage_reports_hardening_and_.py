"""merge triage, reports, hardening and accounts

Revision ID: 55d13ba95cd4
Revises: 340dc56f13d8, 4281326f895b, cd7d213a88ac
Create Date: 2026-11-30 15:25:46.796376
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '55d13ba95cd4'
down_revision: str | None = ('340dc56f13d8', '4281326f895b', 'cd7d213a88ac')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
