"""The outbox and its sender: what is queued (notify), how it goes out within Telegram's limits
(delivery), how several instances share the budget and pick up a dead one's rows (cluster), and
what each kind of row is (kinds). Committing a unit of work that made rows due wakes the sender
(bot/db/uow.py), so nothing here is passed around to be called after a commit."""

from bot.services.outbox.cluster import Cluster
from bot.services.outbox.delivery import Delivery
from bot.services.outbox.kinds import RowKinds
from bot.services.outbox.notify import REPLIES, REPLY_KIND, OutboxSender, compose_reply

__all__ = [
    "REPLIES",
    "REPLY_KIND",
    "Cluster",
    "Delivery",
    "OutboxSender",
    "RowKinds",
    "compose_reply",
]
