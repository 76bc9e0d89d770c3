"""merge triage search keys

Revision ID: eccb6eebb1d8
Revises: 5218fe5da03c, 55d13ba95cd4
Create Date: 2026-11-30 15:57:23.931440
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'eccb6eebb1d8'
down_revision: str | None = ('5218fe5da03c', '55d13ba95cd4')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
