"""an optional time of day a chore is due by

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chores") as batch_op:
        batch_op.add_column(sa.Column("due_time", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chores") as batch_op:
        batch_op.drop_column("due_time")
