"""merge returnee, hardening and language heads

Revision ID: 3c6a19395d02
Revises: 3a5aee53765a, 519c89a1f2e2, 62d0dbb8fd24, eccb6eebb1d8
Create Date: 2026-11-30 15:59:45.095206
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3c6a19395d02'
down_revision: str | None = ('3a5aee53765a', '519c89a1f2e2', '62d0dbb8fd24', 'eccb6eebb1d8')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
