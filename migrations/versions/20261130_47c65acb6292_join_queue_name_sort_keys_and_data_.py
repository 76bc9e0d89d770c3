"""join queue name sort keys and data versions

Revision ID: 47c65acb6292
Revises: 03de53740abe, c5d8e1f4a2b6
Create Date: 2026-11-30 20:34:50.288301
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '47c65acb6292'
down_revision: str | None = ('03de53740abe', 'c5d8e1f4a2b6')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
