"""A case's outbox rows: their kinds, their keys, and the size a relayed piece may take."""

from __future__ import annotations

from bot.domain.lengths import split, units

TOPIC = "case_topic"  # createForumTopic for a new case
POST = "case_post"  # a reply-shaped post in the case's topic (card, alerts, notices)
RELAY_IN = "case_in"  # the person's words, merged when the budget is tight
COPY = "case_copy"  # a photo, voice or sticker copied across
RENAME = "case_rename"  # the topic's title follows the tier and the state
RELAY_OUT = "case_out"  # a counsellor's words to the person, under the pseudonym
KINDS = (TOPIC, POST, RELAY_IN, COPY, RENAME, RELAY_OUT)
# Telegram's text limit is 4,096 UTF-16 units (bot/domain/lengths.py); a piece leaves room for
# the header around it, and merged lines count the "💬 " and line break each one brings.
MERGE_LIMIT = 3500
LINE_COST = units("\n💬 ")


def pieces(text: str, size: int = MERGE_LIMIT) -> list[str]:
    """Text cut to fit a message beside its header: a person may send the full 4,096 units,
    and with "💬 " or a counsellor's pseudonym in front Telegram would refuse the whole
    message (400), losing every word of it."""
    return split(text, size)


def case_key(case_id: int, what: str) -> str:
    return f"case:{case_id}:{what}"


def topic_key(case_id: int) -> str:
    return case_key(case_id, "topic")


def card_key(case_id: int) -> str:
    """The case card's row: its message is found again to bring its buttons up to date."""
    return case_key(case_id, "card")
