"""Who is on duty, the queue and follow-up lists, the roster, and the timers that act on
their own, by sub-journey: what staff ask to see (overview.py), `/staff` (staff_changes.py),
the timers (timers.py), and the lists cut to one message they answer with (replies.py).
`Duty` (facade.py) is what the handlers and the ticker call."""

from bot.services.duty.facade import Duty
from bot.services.duty.replies import (
    LIST_UNITS,
    NOTE_IN_LIST_UNITS,
    ROW_UNITS,
    STRANGERS_UNITS,
    fitting,
    staff_list,
    staff_removed,
)
from bot.services.duty.staff_changes import StaffChange, register_staff

__all__ = [
    "LIST_UNITS",
    "NOTE_IN_LIST_UNITS",
    "ROW_UNITS",
    "STRANGERS_UNITS",
    "Duty",
    "StaffChange",
    "fitting",
    "register_staff",
    "staff_list",
    "staff_removed",
]
