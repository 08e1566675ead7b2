"""The file as one chat message holds it: `/file` is one Telegram message (4,096 UTF-16
units) however long the history, so the newest of everything is shown and the rest counted
(the dashboard shows them all). Budgets checked by tests/content/test_lengths.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.lengths import how_many, units

POINTS_SHOWN = 12
CASES_UNITS = 1250
CASE_ROW_UNITS = 90
REFERRALS_SHOWN = 5
FOLLOW_UPS_UNITS = 320
FOLLOW_UP_UNITS = 16
FLAGS_UNITS = 900
FLAG_LINE_UNITS = 16
FLAG_UNITS = 40


def _flag_units(point: Mapping[str, Any] | None) -> int:
    """About what a point's spelled-out flags take (a flag's words, its label, its items)."""
    if point is None:
        return 0
    return FLAG_LINE_UNITS + sum(
        FLAG_UNITS + units(str(f.get("label", ""))) + 4 * len(f.get("items", ()))
        for f in point["flags"]
    )


def _trends(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each form's newest points. Every flagged point carries a mark; the newest flagged
    result of each form is spelled out, the most recent first as far as FLAGS_UNITS goes
    (the dashboard spells out all)."""
    newest = {
        t["instrument"]: next((p for p in reversed(t["points"]) if p.get("flags")), None)
        for t in data["trends"]
    }
    by_date = sorted((p["date"], k) for k, p in newest.items() if p is not None)[::-1]
    spelled = {
        k
        for _, k in by_date[: how_many((_flag_units(newest[k]) for _, k in by_date), FLAGS_UNITS)]
    }
    return [
        {
            **t,
            "points": t["points"][-POINTS_SHOWN:],
            "earlier": max(0, len(t["points"]) - POINTS_SHOWN),
            "flagged": newest[t["instrument"]] if t["instrument"] in spelled else None,
        }
        for t in data["trends"]
    ]


def _cases(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The newest cases that fit CASES_UNITS, each with its newest referrals, and how many
    older cases are left out."""
    cases = [
        {
            **c,
            "referrals": c["referrals"][-REFERRALS_SHOWN:],
            "more_referrals": max(0, len(c["referrals"]) - REFERRALS_SHOWN),
        }
        for c in data["cases"]
    ]
    names = data.get("resource_names") or {}

    def referral_units(r: str) -> int:
        # Shown as the resource's name and its status in words: "… (已就诊)", not "id:attended".
        rid, _, status = r.rpartition(":")
        return units(names.get(rid, rid)) + units(status) + 5

    newest_first = [
        CASE_ROW_UNITS + sum(referral_units(r) for r in c["referrals"]) for c in reversed(cases)
    ]
    shown = how_many(newest_first, CASES_UNITS)
    return cases[len(cases) - shown :], len(cases) - shown


def for_chat(data: Mapping[str, Any]) -> dict[str, Any]:
    """The file as one chat message holds it: the newest of everything, and counts of the
    rest."""
    cases, earlier_cases = _cases(data)
    follow_ups = data["follow_ups"]
    fu_shown = how_many([FOLLOW_UP_UNITS] * len(follow_ups), FOLLOW_UPS_UNITS)
    return {
        **data,
        "trends": _trends(data),
        "cases": cases,
        "earlier_cases": earlier_cases,
        "follow_ups": follow_ups[len(follow_ups) - fu_shown :],
        "earlier_follow_ups": len(follow_ups) - fu_shown,
    }
