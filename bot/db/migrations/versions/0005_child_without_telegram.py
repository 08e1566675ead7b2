"""A child on record without Telegram: a guardian answers about a child who has no phone.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Still unique: both SQLite and PostgreSQL allow many NULLs under a unique constraint.
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("telegram_id", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    # Children on record without Telegram cannot live in the old schema, and deleting them
    # would delete their screening results: refuse rather than lose a child's file.
    left = op.get_bind().scalar(sa.text("SELECT count(*) FROM people WHERE telegram_id IS NULL"))
    if left:
        raise RuntimeError(f"{left} children are on record without Telegram; not downgrading")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.alter_column("telegram_id", existing_type=sa.BigInteger(), nullable=False)
