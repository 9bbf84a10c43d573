"""chores, completions and calendar feeds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:40:24.663526+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_calendar_feeds_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", "user_id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    op.create_table(
        "chores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("estimated_minutes", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("recurrence", sa.String(length=10), nullable=False),
        sa.Column("every", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=5), nullable=False),
        sa.Column("weekdays", sa.String(length=20), nullable=False),
        sa.Column("month_day", sa.Integer(), nullable=True),
        sa.Column("anchor", sa.String(length=10), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("assignment", sa.String(length=12), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("anchor IN ('schedule', 'completion')", name=op.f("ck_chores_anchor")),
        sa.CheckConstraint(
            "assignment IN ('none', 'fixed', 'round_robin', 'least_done')",
            name=op.f("ck_chores_assignment"),
        ),
        sa.CheckConstraint(
            "recurrence IN ('once', 'interval', 'weekly', 'monthly')",
            name=op.f("ck_chores_recurrence"),
        ),
        sa.CheckConstraint("unit IN ('day', 'week', 'month')", name=op.f("ck_chores_unit")),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_chores_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_chores_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chores")),
    )
    with op.batch_alter_table("chores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chores_household_id_next_due", ["household_id", "next_due"], unique=False
        )

    op.create_table(
        "chore_members",
        sa.Column("chore_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chore_id"],
            ["chores.id"],
            name=op.f("fk_chore_members_chore_id_chores"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_chore_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chore_id", "user_id", name=op.f("pk_chore_members")),
    )
    with op.batch_alter_table("chore_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chore_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("chore_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=7), nullable=False),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("assignee_before", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('done', 'skipped')", name=op.f("ck_completions_kind")),
        sa.ForeignKeyConstraint(
            ["assignee_before"],
            ["users.id"],
            name=op.f("fk_completions_assignee_before_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["chore_id"],
            ["chores.id"],
            name=op.f("fk_completions_chore_id_chores"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["done_by"],
            ["users.id"],
            name=op.f("fk_completions_done_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_completions_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_completions_recorded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completions")),
    )
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.create_index("ix_completions_chore_id_id", ["chore_id", "id"], unique=False)
        batch_op.create_index(
            "ix_completions_household_id_done_at", ["household_id", "done_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_index("ix_completions_household_id_done_at")
        batch_op.drop_index("ix_completions_chore_id_id")

    op.drop_table("completions")
    with op.batch_alter_table("chore_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chore_members_user_id"))

    op.drop_table("chore_members")
    with op.batch_alter_table("chores", schema=None) as batch_op:
        batch_op.drop_index("ix_chores_household_id_next_due")

    op.drop_table("chores")
    op.drop_table("calendar_feeds")
