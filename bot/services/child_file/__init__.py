"""The child's file (个人档案) for staff, screening requests, and the re-screening timer.

Every view is written to the access log before anything is shown (未成年人网络保护条例). A child's
results never go to the guardian by themselves: the guardian may be part of the problem, so
the counsellor decides, and "tell the guardian" sends an invitation to talk, not the results.

Split by what staff do: read the file (contents.py, in chat by chat_view.py, viewing.py),
invite the guardian (guardian.py), plan screenings (rescreening.py); `ChildFile` (facade.py)
is what the handlers call.
"""

from bot.services.child_file.chat_view import for_chat
from bot.services.child_file.contents import about, result_flags
from bot.services.child_file.facade import ChildFile
from bot.services.child_file.hours import SCHOOL, outside_school_and_quiet
from bot.services.child_file.rescreening import INVITATIONS, INVITE_KIND

__all__ = [
    "INVITATIONS",
    "INVITE_KIND",
    "SCHOOL",
    "ChildFile",
    "about",
    "for_chat",
    "outside_school_and_quiet",
    "result_flags",
]
