"""a household channel for the household's digest

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 07:30:39.362416+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_channels",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("apprise_url", sa.Text(), nullable=False),
        sa.Column("digest_hour", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "digest_hour BETWEEN 0 AND 23", name=op.f("ck_household_channels_digest_hour")
        ),
        sa.ForeignKeyConstraint(
            ["household_id", "created_by"],
            ["memberships.household_id", "memberships.user_id"],
            name=op.f("fk_household_channels_household_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_channels_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_channels")),
    )


def downgrade() -> None:
    op.drop_table("household_channels")
