"""What duty's commands answer in the staff chat: lists cut to fit one message.

A list is one Telegram message of at most 4,096 UTF-16 units: it shows what fits, in its
order (most urgent first), and says how many it left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bot.domain.lengths import how_many, units
from bot.domain.replies import Reply
from bot.ports import Clock, Removal, SeenMember, StaffMember, UnitOfWork
from bot.services.board import Board
from bot.services.roster import Removed

# Each line's words (a name, a note) count on top of ROW_UNITS, a bound on its icons, code,
# date and labels in either language (tests/content/test_lengths.py renders the worst case).
LIST_UNITS = 3500
ROW_UNITS = 80
NOTE_IN_LIST_UNITS = 200
# Of a staff list's budget, what the people seen in the group who are not staff may take.
STRANGERS_UNITS = 900

T = TypeVar("T")


def fitting(
    items: Sequence[T], words: Callable[[T], int], budget: int = LIST_UNITS
) -> tuple[list[T], int]:
    """The head of `items` that fits in one message, and how many are left out."""
    shown = how_many((ROW_UNITS + words(i) for i in items), budget)
    return list(items[:shown]), len(items) - shown


def words_of(*keys: str) -> Callable[[dict[str, Any]], int]:
    """What a line's own words take: the values under these keys."""
    return lambda item: sum(units(str(item[k])) for k in keys)


async def answer(
    uow: UnitOfWork,
    board: Board,
    clock: Clock,
    chat_id: int,
    thread_id: int | None,
    reply: Reply,
) -> None:
    """The answer, posted where the command was typed, committed with what it reports."""
    await board.say(uow, chat_id, thread_id, reply, clock.now())
    await uow.commit()


def staff_list(
    members: Sequence[StaffMember], strangers: Sequence[SeenMember], admins_known: bool
) -> Reply:
    """`/staff list`: the roster, and who else the bot has seen in the group, both cut to
    share one message (a group of hundreds must not make the answer too long to send)."""
    shown, hidden = fitting(
        [
            {
                "name": m.display_name,
                "role": m.role.value,
                "n": m.pseudonym_no,
                "on_duty": m.on_duty,
            }
            for m in members
        ],
        words_of("name"),
        LIST_UNITS - STRANGERS_UNITS,
    )
    seen, unseen = fitting(
        [{"id": s.telegram_id, "admin": s.admin} for s in strangers],
        lambda s: 0,
        STRANGERS_UNITS,
    )
    return Reply(
        "helpline/staff_list",
        {
            "members": shown,
            "hidden": hidden,
            "strangers": seen,
            "strangers_hidden": unseen,
            "admins_known": admins_known,
        },
    )


def staff_removed(removed: Removed, chat_id: int) -> Reply:
    """`/staff remove`: retired or not, and each staff group's outcome, in one message."""
    # Groups they were not in need no line, unless that is all there is to say; where they
    # could not be removed comes first, should there be more groups than one message holds.
    groups = sorted(
        (g for g in removed.groups if g.result is not Removal.ABSENT),
        key=lambda g: g.result is Removal.REMOVED,
    )
    shown, hidden = fitting(
        [
            {"here": g.chat_id == chat_id, "place": g.place, "result": g.result.value}
            for g in groups
        ],
        # Each line says what happened in a sentence of up to ~200 units besides the place.
        lambda g: units(str(g["place"])) + 200,
        LIST_UNITS - ROW_UNITS * 4,
    )
    return Reply(
        "helpline/staff_removed",
        {
            "ok": removed.was_staff,
            "name": removed.name,
            "groups": shown,
            "hidden": hidden,
            "still": bool(removed.still_in),
        },
    )
