"""household revision, and an index for a chore's last completion

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 08:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "households",
        sa.Column("revision", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_completions_chore_id_kind_done_at",
        "completions",
        ["chore_id", "kind", "done_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_completions_chore_id_kind_done_at", table_name="completions")
    op.drop_column("households", "revision")
