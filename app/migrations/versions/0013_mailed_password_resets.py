"""a password reset link may also be mailed, without a household

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 07:08:29.727567+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.alter_column("household_id", existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM password_resets WHERE household_id IS NULL")
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.alter_column("household_id", existing_type=sa.INTEGER(), nullable=False)
