"""The supervisors' web dashboard as seen from the core: sign-in by a one-time link, sessions,
and what each page shows.

What the pages show follows the privacy design: the lists carry codes, tiers, dates and staff
names, never a person's words; a case page shows its history as structured events (no
conversation text, no free-text reasons or notes, which stay in the staff topic); a child's
file shows what `/file` shows, and every view of a file or a case is written to the file
access log before it is shown, as in the staff chat.

By sub-journey: signing in (sign_in.py), the lists (lists.py), the pages about one child
(records.py), and how every page shows times, names and resources (shown.py). `Dashboard`
(facade.py) is what the web adapter calls.
"""

from bot.services.dashboard.facade import Dashboard
from bot.services.dashboard.sign_in import TOKEN_MINUTES, SignIn, Viewer, digest

__all__ = ["TOKEN_MINUTES", "Dashboard", "SignIn", "Viewer", "digest"]
