"""merge duplicate flags and report tallies

Revision ID: 5eff571371c8
Revises: 062eb121f72c, 129768b9cc32
Create Date: 2026-11-30 19:13:16.078164
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5eff571371c8'
down_revision: str | None = ('062eb121f72c', '129768b9cc32')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
