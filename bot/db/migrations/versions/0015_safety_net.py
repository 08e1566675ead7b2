"""net_context: a person's last minutes of free text, read with their next message;
net_questions: the direct question asked when triage was unsure, and its answer

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "net_context",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_net_context_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_context")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_net_context_person_at", "net_context", ["person_id", "at"], unique=False)
    op.create_index(op.f("ix_net_context_at"), "net_context", ["at"], unique=False)
    op.create_table(
        "net_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("guardian", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_net_questions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_net_questions")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_net_questions_person", "net_questions", ["person_id", "asked_at"], unique=False
    )
    op.create_index("ix_net_questions_due", "net_questions", ["answer", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_net_questions_due", table_name="net_questions")
    op.drop_index("ix_net_questions_person", table_name="net_questions")
    op.drop_table("net_questions")
    op.drop_index(op.f("ix_net_context_at"), table_name="net_context")
    op.drop_index("ix_net_context_person_at", table_name="net_context")
    op.drop_table("net_context")
