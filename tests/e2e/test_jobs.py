"""Every ticker job runs cleanly on a real database, empty and with work to do.

The ticker logs a failing job and carries on (one bad job must not stop the others), so a
broken query would otherwise only show up as a log line every minute in production.
"""

from __future__ import annotations

from tests.e2e.crisis import open_case
from tests.e2e.harness import World
from tests.e2e.people import enrol


async def test_every_job_runs_without_error(world: World) -> None:
    names = {job.name for job in world.app.ticker.jobs}
    assert {"lessons.queue_due", "lessons.settle", "helpline.timers"} <= names
    for job in world.app.ticker.jobs:  # nothing to do yet
        await job.run(world.clock.now())
    uid = await world.user("李奶奶")
    await enrol(world, uid)
    await open_case(world)
    world.clock.advance(days=8)
    for job in world.app.ticker.jobs:  # now with lessons, a case, and overdue timers
        await job.run(world.clock.now())
