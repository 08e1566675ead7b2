"""What the child's file says, for staff: each form's results over time with every flag
spelled out, the cases with their notes and referrals, the follow-ups, and how often the
file was viewed. `/file` shows it in chat (chat_view.py), the dashboard in full."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from bot.domain.people import Person
from bot.domain.screening import (
    Instrument,
    InvalidAnswersError,
    StoredResult,
    missing_items,
    score,
)
from bot.ports import UnitOfWork
from bot.services.child_file.desk import Desk, DeskWork


def result_flags(instrument: Instrument | None, result: StoredResult) -> list[dict[str, Any]]:
    """Every flag of a stored result, as staff read it: the safety items answered, positive
    subscales with their sums, and the skipped items and how they were counted. The stored
    flags say what fired; the stored answers and the form fill in which items and values
    (no column holds them)."""
    out: list[dict[str, Any]] = []
    for name in result.flags:
        if name.startswith("safety_item_"):
            item = int(name.removeprefix("safety_item_") or 0)
            out.append({"kind": "safety", "item": item, "value": result.answers.get(item)})
        elif name in ("asq_positive", "asq_acute"):
            out.append({"kind": name})
    if instrument is not None:
        out += _subscale_flags(instrument, result)
        missing = missing_items(instrument, result.answers)
    else:
        missing = tuple(sorted(i for i, v in result.answers.items() if v is None))
    if missing:
        how = next(
            (h for h in ("missing_as_zero", "prorated", "incomplete") if h in result.flags),
            "incomplete",
        )
        out.append({"kind": "missing", "items": list(missing), "how": how})
    return out


def _subscale_flags(instrument: Instrument, result: StoredResult) -> list[dict[str, Any]]:
    """The positive subscales, with the sums the stored answers give now."""
    subscales: Mapping[str, int | None] = {}
    with suppress(InvalidAnswersError):
        subscales = score(instrument, result.answers).subscales
    return [
        {
            "kind": "subscale",
            "label": sub.label or sub.id,
            "value": subscales.get(sub.id),
            "cutoff": sub.cutoff,
            "categories": list(sub.categories),
        }
        for sub in instrument.subscales
        if f"{sub.id}_positive" in result.flags
    ]


def about(instrument: Instrument | None) -> dict[str, Any]:
    """Whose form it is and how far its Chinese can be trusted: for staff, never the child."""
    if instrument is None:
        return {"credit": "", "provisional": False, "validated": True}
    return {
        "credit": instrument.credit,
        "provisional": instrument.translation != "published",
        "validated": instrument.validated,
    }


class Contents(DeskWork):
    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.directory = desk.directory

    async def of(self, uow: UnitOfWork, subject: Person) -> dict[str, Any]:
        """What `/file` shows (before chat_view.py trims it), for the dashboard too. The
        caller logs the view first, as `/file` does."""
        assert subject.id is not None
        trends = await self._trends(uow, subject.id)
        names: dict[str, str] = {}
        cases = await self._cases(uow, subject.id, names)
        follow_ups = [
            {"due": f.due_at.astimezone(self.tz).date().isoformat(), "done": f.done_at is not None}
            for f in await uow.cases.follow_ups_of(subject.id)
        ]
        views = len(await uow.screening.accesses(subject.id))
        return {
            "code": subject.code,
            "resource_names": names,
            "role": subject.role.value if subject.role else "",
            "age": subject.age_band.value if subject.age_band else "",
            "trends": trends,
            "cases": cases,
            "follow_ups": follow_ups,
            "views": views,
        }

    async def _trends(self, uow: UnitOfWork, subject_id: int) -> list[dict[str, Any]]:
        trends: dict[str, list[dict[str, Any]]] = {}
        for r in await uow.screening.results_for(subject_id):
            trends.setdefault(r.instrument, []).append(
                {
                    "date": r.taken_at.astimezone(self.tz).date().isoformat(),
                    "total": r.total,
                    "icon": r.tier.icon if r.tier else "⚪",
                    "tier": r.tier.value if r.tier else "",
                    "band": r.band or "",
                    "flags": result_flags(self.instruments.get(r.instrument), r),
                }
            )
        return [
            {"instrument": k, "points": v, **about(self.instruments.get(k))}
            for k, v in sorted(trends.items())
        ]

    async def _cases(
        self, uow: UnitOfWork, subject_id: int, names: dict[str, str]
    ) -> list[dict[str, Any]]:
        """The person's cases, oldest first; `names` gathers the referrals' resource names."""
        cases = []
        for case_id in await uow.cases.ids_for(subject_id):
            case = await uow.cases.by_id(case_id)
            if case is None:
                continue
            notes = sum(m.direction == "note" for m in await uow.cases.messages(case.id))
            found = await uow.cases.referrals(case.id)
            for ref in found:
                # The file names a referral as staff know it, not by its directory id.
                resource = self.directory.get(ref.resource_id)
                if resource is not None:
                    names[ref.resource_id] = resource.name
            cases.append(
                {
                    "code": case.code,
                    "icon": case.tier.icon,
                    "tier": case.tier.value,
                    "status": case.status.value,
                    "outcome": case.outcome.value if case.outcome else "",
                    "opened": case.opened_at.astimezone(self.tz).date().isoformat(),
                    "notes": notes,
                    "referrals": [r.resource_id + ":" + r.status.value for r in found],
                }
            )
        return cases
