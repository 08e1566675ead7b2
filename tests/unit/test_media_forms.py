"""Every kind of media the handlers relay has a fitting answer outside a case (issue 19)."""

from __future__ import annotations

import pytest

from bot.services.account import MEDIA_FORMS
from handlers.helpline import MEDIA

# aiogram costs seconds to import: the fast layer does not even collect this file.
pytestmark = pytest.mark.slow


def test_every_relayed_kind_has_its_own_answer() -> None:
    assert set(MEDIA) == set(MEDIA_FORMS)
    # A grandmother's voice message, a round video note and an audio file are all sound.
    assert {MEDIA_FORMS[k] for k in ("voice", "audio")} == {"voice"}
    assert MEDIA_FORMS["video_note"] == "video" and MEDIA_FORMS["document"] == "file"
    assert MEDIA_FORMS["venue"] == MEDIA_FORMS["location"] == "location"
