"""The statistical second opinion: the shipped weights are what their sources give, and the
pure-Python scorer agrees with the library that trained it."""

from __future__ import annotations

import json
import math

import pytest

from bot.catalog.triage import MODEL_FILE, load_model, load_triager
from bot.cli import triage_model
from bot.domain.ngram_model import features, vector_scale
from content import CONTENT_DIR


def test_the_shipped_weights_name_exactly_their_sources() -> None:
    """Editing a labelled set (or adding one) without retraining fails here: run
    `python -m bot triage train`."""
    shipped = (CONTENT_DIR / MODEL_FILE).read_text("utf-8")
    assert triage_model.stale_sources(shipped) == []
    named = [s["path"] for s in json.loads(shipped)["trained_from"]]
    assert not [p for p in named if "/blind/" in p]  # the blind sets are never trained on
    assert any(p.startswith("tests/triage/corpus/") for p in named)


def test_training_again_gives_the_same_file() -> None:
    pytest.importorskip("sklearn", reason="training needs the dev extra (scikit-learn)")
    fresh = triage_model.dump(triage_model.build())
    assert fresh == (CONTENT_DIR / MODEL_FILE).read_text("utf-8")


def test_the_scorer_is_the_trained_logistic_regression() -> None:
    model = load_model(CONTENT_DIR)
    assert model is not None
    triager = load_triager(CONTENT_DIR)
    for text in ("今天天气不错", "我不想活了", "i want to die tonight", "紫砂"):
        norm = triager.normalise(text)
        grams = features(norm)
        z = sum(model.weights.get(g, 0.0) for g in grams) * vector_scale(grams) + model.bias
        assert model.score(norm) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.score("") == 0.0
    assert 0.0 < model.ask_at < 1.0


def test_it_tells_a_plain_wish_to_die_from_a_school_day() -> None:
    model = load_model(CONTENT_DIR)
    assert model is not None
    triager = load_triager(CONTENT_DIR)
    risky = model.score(triager.normalise("我真的不想再活下去了，每天都好累"))
    everyday = model.score(triager.normalise("今天数学课好无聊，放学去打篮球"))
    assert risky > model.ask_at > everyday
