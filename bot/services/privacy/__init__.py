"""Data rights and retention (docs/DOMAIN.md §5), by what a person asks: a copy of one's data
(/mydata: export.py, built by document.py, told plainly by summary.py), deletion (/delete:
deletion.py), the file access log for supervisors (/accesslog: access_log.py); and transcripts
purged after the retention period (retention.py), which nobody asks for."""

from bot.services.privacy.access_log import ACCESS_LOG_LIMIT
from bot.services.privacy.deletion import BUTTON_MINUTES, STALE
from bot.services.privacy.document import EXPORT_FORMAT
from bot.services.privacy.export import Export
from bot.services.privacy.facade import Privacy
from bot.services.privacy.retention import TRANSCRIPT_KINDS, Retention

__all__ = [
    "ACCESS_LOG_LIMIT",
    "BUTTON_MINUTES",
    "EXPORT_FORMAT",
    "STALE",
    "TRANSCRIPT_KINDS",
    "Export",
    "Privacy",
    "Retention",
]
