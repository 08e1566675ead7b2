"""lesson_progress.delivered_at indexed: the settle job's and the oversight figures' lookup

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_lesson_progress_delivered", "lesson_progress", ["delivered_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_lesson_progress_delivered", table_name="lesson_progress")
