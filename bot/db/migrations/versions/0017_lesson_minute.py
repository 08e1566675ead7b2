"""enrolments.minute: lessons at half past the hour ("晚上七点半"), not only on the hour

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every enrolment so far was on the hour: 0 is what they chose.
    op.add_column(
        "enrolments",
        sa.Column("minute", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    # SQLite (3.35+) drops a column in place: no rebuild, so AUTOINCREMENT (0012) stays.
    op.drop_column("enrolments", "minute")
