"""encrypt people's words at rest: encrypted columns become TEXT

The values are encrypted by the application (bot/db/crypto.py), not here: rows written before
stay readable as plain text, and `python -m bot keys rotate` encrypts them. Ciphertext is longer
than the text and is not JSON, hence TEXT everywhere.

Downgrading needs plain text back first (DATA_KEY unset, the key in DATA_KEYS_OLD, then
`python -m bot keys rotate --decrypt`); otherwise PostgreSQL refuses to cast ciphertext to JSON
or to fit it in VARCHAR(500), which is the loud failure we want rather than lost data.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON_COLUMNS = (("outbox", "payload"), ("cases", "evidence"), ("case_events", "data"))


def upgrade() -> None:
    for table, column in JSON_COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.JSON(),
                type_=sa.Text(),
                existing_nullable=False,
                postgresql_using=f"{column}::text",
            )
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.alter_column(
            "note", existing_type=sa.String(length=500), type_=sa.Text(), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.alter_column(
            "note", existing_type=sa.Text(), type_=sa.String(length=500), existing_nullable=False
        )
    for table, column in reversed(JSON_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.JSON(),
                existing_nullable=False,
                postgresql_using=f"{column}::json",
            )
