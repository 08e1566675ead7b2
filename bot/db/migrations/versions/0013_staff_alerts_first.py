"""outbox.not_before (a retried row keeps its place), priorities renumbered (alerts before
chat), service_point_chats (a service point's further staff groups)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WAITING = "status IN ('pending', 'held', 'sending')"
# Old priorities: 0 crisis, 1 staff alert, 2 interactive, 3 notice, 4 lesson.
# New: 0 alert, 1 relay, 2 staff, 3 interactive, 4 notice, 5 lesson.
UP = [
    f"UPDATE outbox SET priority = priority + 1 WHERE priority >= 2 AND {WAITING}",
    f"UPDATE outbox SET priority = 2 WHERE priority = 1 AND {WAITING}",
    f"UPDATE outbox SET priority = 1 WHERE priority = 0 "
    f"AND kind IN ('case_in', 'case_copy', 'case_out', 'reply') AND {WAITING}",
    f"UPDATE outbox SET priority = 0 WHERE kind = 'case_topic' AND {WAITING}",
]
DOWN = [
    f"UPDATE outbox SET priority = 0 WHERE priority = 1 AND {WAITING}",
    f"UPDATE outbox SET priority = 1 WHERE priority = 2 AND {WAITING}",
    f"UPDATE outbox SET priority = priority - 1 WHERE priority >= 3 AND {WAITING}",
]


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_not_before", "outbox", ["not_before"], unique=False)
    for statement in UP:
        op.execute(statement)
    op.create_table(
        "service_point_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_points.id"],
            name=op.f("fk_service_point_chats_service_point_id_service_points"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_service_point_chats")),
    )
    op.create_index(
        op.f("ix_service_point_chats_service_point_id"),
        "service_point_chats",
        ["service_point_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_service_point_chats_service_point_id"), table_name="service_point_chats"
    )
    op.drop_table("service_point_chats")
    for statement in DOWN:
        op.execute(statement)
    op.drop_index("ix_outbox_not_before", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("not_before")
