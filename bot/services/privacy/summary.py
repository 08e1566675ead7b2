"""The /mydata document in a few plain lines (who we are, what we keep and since when), for
whoever will never open a JSON file; built from the document alone, so the two cannot differ."""

from __future__ import annotations

from typing import Any

from bot.services.privacy.shared import LocalTimes


def age_key(record: dict[str, Any]) -> str:
    """The button label that names an age band (a guardian's bands and a child's own differ)."""
    if record["child_age_band"]:
        return f"btn.cage.{record['child_age_band']}"
    if record["age_band"] and record["age_band"] != "unsaid":
        return f"btn.age.{record['age_band']}"
    return ""


def summary(doc: dict[str, Any], role: str, times: LocalTimes) -> dict[str, Any]:
    """The document in a few plain lines: who we are, what we keep and since when."""
    you = doc["you"]
    lessons = doc["lessons"]
    current = next((e for e in lessons if e["status"] in ("active", "paused")), None)
    checks = doc["screenings"]
    talks = doc["helpline"]
    return {
        "role": role,
        "relation": you["relation"] or "",
        "age_key": age_key(you),
        "place": (you["service_point"] or {}).get("name", ""),
        "since": times.day(you["joined_at"]),
        "agreed": times.day(you["consent_at"]),
        "lessons_read": sum(len(e["progress"]) for e in lessons),
        "weekday": current["weekday"] if current else None,
        "hour": current["hour"] if current else None,
        "minute": current.get("minute", 0) if current else 0,
        "paused": bool(current and current["status"] == "paused"),
        "checks": len(checks),
        "last_check": times.day(max((r["taken_at"] for r in checks), default=None)),
        "talks": len(talks),
        "talk_open": any(t["closed_at"] is None for t in talks),
        "children": [
            {"age_key": age_key(c["record"]), "own": c["record"]["uses_telegram"]}
            for c in doc.get("children", [])
        ],
    }
