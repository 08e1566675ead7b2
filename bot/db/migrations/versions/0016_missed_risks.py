"""missed_risks: a counsellor's word that triage missed a message, for learning from misses

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
# After 0015 (the safety net's tables, the other branch of the same issue).
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "missed_risks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_message_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column("given_level", sa.String(length=8), nullable=False),
        sa.Column("given_categories", sa.String(length=200), nullable=False),
        sa.Column("case_tier", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_missed_risks_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_message_id"],
            ["case_messages.id"],
            name=op.f("fk_missed_risks_case_message_id_case_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"],
            ["people.id"],
            name=op.f("fk_missed_risks_reported_by_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missed_risks")),
        sa.UniqueConstraint("case_message_id", name=op.f("uq_missed_risks_case_message_id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_missed_risks_at", "missed_risks", ["at"], unique=False)
    op.create_index(op.f("ix_missed_risks_case_id"), "missed_risks", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_missed_risks_case_id"), table_name="missed_risks")
    op.drop_index("ix_missed_risks_at", table_name="missed_risks")
    op.drop_table("missed_risks")
