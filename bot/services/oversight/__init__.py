"""Oversight (加强信息共享和动态监测): the figures for any period and service point, the weekly
digest in every staff chat, and `/stats` on demand.

By sub-journey: counting the figures (figures.py), the digest as an outbox row and its
caption (digest.py); `Oversight` (facade.py) is what the handlers, the ticker and the
dashboard call.
"""

from bot.services.oversight.digest import DIGEST_KIND, GRACE, DigestPolicy, digest_data
from bot.services.oversight.facade import Oversight
from bot.services.oversight.figures import count_figures

__all__ = ["DIGEST_KIND", "GRACE", "DigestPolicy", "Oversight", "count_figures", "digest_data"]
