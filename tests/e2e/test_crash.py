"""The bot killed with SIGKILL at random moments, twenty times, then let finish: every lesson
delivered, duplicates only where Telegram accepted a message just before a kill, every child's
crisis message escalated, every case consistent (tests/reliability.py)."""

from __future__ import annotations

from tests.reliability import THOROUGH, Scenario, crash_run


async def test_twenty_kills_lose_nothing(db_url: str) -> None:
    scenario = Scenario(
        db_url=db_url,
        guardians=1000 if THOROUGH else 200,
        children=12,
        crashes=60 if THOROUGH else 20,
        seed=7,
    )
    report = await crash_run(scenario)
    print(report.figures(), report.kills, report.in_hand_at_kills, report.delivered_before_finish)
    assert report.crashes == scenario.crashes
    assert report.lost == 0, report.figures()
    assert report.lessons_delivered == report.lessons_expected
    assert report.unexplained_duplicates == 0, report.figures()
    # Each kill can catch at most the messages the sender had in flight.
    assert report.duplicates <= report.crashes * scenario.concurrency
    assert report.escalations_made == report.escalations_expected, report.figures()
    assert report.inconsistencies == []
    # The kills fell in the middle of the work: some lessons went out between kills.
    assert report.delivered_before_finish > 0
