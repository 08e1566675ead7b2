from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.harness import World, running_world


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    async with running_world(db_url) as w:
        yield w
