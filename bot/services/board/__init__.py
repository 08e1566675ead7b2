"""The staff chat as seen from the core: a case's topic, its card, and posts into it.

Everything for the staff supergroup goes through the outbox, so the group's 20 messages a
minute are shared fairly and nothing is lost (docs/DOMAIN.md §6). A case's posts wait (held)
until its forum topic exists; the topic's after-send hook lets them go, in order.

By sub-journey: a case's rows and keys (rows.py), its card's buttons (card.py), what is posted
into its topic and out to the person (case_posts.py), posts to staff outside any topic
(staff_posts.py), what a row says when its turn comes (composing.py), the topic made or not
(topics.py), and refusals told to staff (refusals.py). `Board` (facade.py) is what the other
services call.
"""

from bot.services.board.card import card_actions
from bot.services.board.facade import Board
from bot.services.board.rows import (
    COPY,
    KINDS,
    LINE_COST,
    MERGE_LIMIT,
    POST,
    RELAY_IN,
    RELAY_OUT,
    RENAME,
    TOPIC,
    card_key,
    pieces,
    topic_key,
)

__all__ = [
    "COPY",
    "KINDS",
    "LINE_COST",
    "MERGE_LIMIT",
    "POST",
    "RELAY_IN",
    "RELAY_OUT",
    "RENAME",
    "TOPIC",
    "Board",
    "card_actions",
    "card_key",
    "pieces",
    "topic_key",
]
