"""a calendar feed may also show the chores anyone may do

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:20:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_feeds") as batch_op:
        batch_op.add_column(
            sa.Column("include_unassigned", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_feeds") as batch_op:
        batch_op.drop_column("include_unassigned")
