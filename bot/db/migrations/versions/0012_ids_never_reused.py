"""Ids are never reused on SQLite: tables rebuilt with AUTOINCREMENT

Without it SQLite gives a new row max(id) + 1, so after a /delete the next child's case could
be C-0001 again and an old button in the first child's topic would act on it.
PostgreSQL's sequences never hand out an id twice: nothing to do there.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Referenced tables first, though with foreign keys off during migrations (bot/db/migrate.py)
# the order only matters for reading.
TABLES = (
    "service_points",
    "people",
    "families",
    "invitations",
    "consents",
    "staff_members",
    "enrolments",
    "lesson_progress",
    "outbox",
    "cases",
    "case_events",
    "case_messages",
    "referrals",
    "follow_ups",
    "screening_sessions",
    "screening_results",
    "screening_plans",
    "file_access_log",
    "dashboard_tokens",
    "dashboard_sessions",
)


# The models' convention (bot/db/models.py), so that a downgrade names the primary keys again
# (an AUTOINCREMENT key is written inline, without a name).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        # SQLite cannot add AUTOINCREMENT to a table: batch mode copies it into a new one.
        # Rows keep their ids, and sqlite_sequence starts from the highest of them.
        with op.batch_alter_table(
            table,
            recreate="always",
            table_kwargs={"sqlite_autoincrement": autoincrement},
            naming_convention=NAMING,
        ):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
