"""One item per message: where a session stands, and the item as the person sees it (its
answers, then back, skip and stop). Starting, answering and resuming all show it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.replies import Choice, Reply, rows
from bot.domain.screening import Instrument, Item


@dataclass(frozen=True, slots=True)
class Step:
    """Where a session is: the item to show next, or None when it is done."""

    item: Item | None
    position: int


def next_step(instrument: Instrument, answers: Mapping[int, int | None], position: int) -> Step:
    asked = instrument.to_ask(answers)
    return Step(asked[position] if position < len(asked) else None, position)


def may_skip(instrument: Instrument, answers: Mapping[int, int | None], item_id: int) -> bool:
    """A skip is offered only while the form's published rule would still score it: none
    on a form that allows no blank item, and no more than its limit on one that does."""
    skipped = sum(1 for k, v in answers.items() if v is None and k != item_id)
    return skipped < instrument.max_missing


def item_reply(
    instrument: Instrument,
    session_id: int,
    answers: Mapping[int, int | None],
    position: int,
) -> Reply:
    step = next_step(instrument, answers, position)
    assert step.item is not None
    total = len(instrument.to_ask(answers))
    item = step.item
    choices = [
        Choice(
            "btn.screening.option",
            f"sc:a:{session_id}:{position}:{o.value}",
            label_data={"label": o.label},
        )
        for o in item.options
    ]
    nav = [Choice("btn.screening.stop", f"sc:stop:{session_id}")]
    if may_skip(instrument, answers, item.id):
        nav.insert(0, Choice("btn.screening.skip", f"sc:s:{session_id}:{position}"))
    if position > 0:
        nav.insert(0, Choice("btn.screening.back", f"sc:b:{session_id}:{position}"))
    return Reply(
        "screening/item",
        {"n": position + 1, "total": total, "text": item.text},
        choices=(*rows(*choices), tuple(nav)),
    )
