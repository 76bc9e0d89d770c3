"""merge readmission imports

Revision ID: 496fdb251db8
Revises: 5eff571371c8, 80b183bf74b6
Create Date: 2026-11-30 19:14:46.094086
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '496fdb251db8'
down_revision: str | None = ('5eff571371c8', '80b183bf74b6')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
