"""The statistical second opinion: the shipped weights are what their sources give, and the
pure-Python scorer over the hashed table agrees with the library that trained it."""

from __future__ import annotations

import array
import json
import math
import sys

import pytest

from bot.catalog.triage import MODEL_FILE, load_model, load_triager
from bot.cli import triage_model
from bot.domain.ngram_model import (
    SIZE,
    bucket,
    features,
    pack_weights,
    unpack_weights,
    vector_scale,
)
from bot.domain.triage import RiskLevel
from content import CONTENT_DIR

MESSAGES = (
    "今天天气不错",
    "我不想活了",
    "i want to die tonight",
    "紫砂",
    "我真的不想再活下去了，每天都好累",
    "today at school we played football, it was fun",
    "爸爸又喝醉了打我\n我好怕",
)


def test_the_shipped_weights_name_exactly_their_sources() -> None:
    """Editing a labelled set (or adding one) without retraining fails here: run
    `python -m bot triage train`."""
    shipped = (CONTENT_DIR / MODEL_FILE).read_text("utf-8")
    assert triage_model.stale_sources(shipped) == []
    named = [s["path"] for s in json.loads(shipped)["trained_from"]]
    assert not [p for p in named if "/blind/" in p]  # the blind sets are never trained on
    assert any(p.startswith("tests/triage/corpus/") for p in named)


def test_an_edited_source_makes_the_shipped_weights_stale() -> None:
    shipped = json.loads((CONTENT_DIR / MODEL_FILE).read_text("utf-8"))
    edited = shipped["trained_from"][0]
    edited["sha256"] = "0" * 64
    dropped = shipped["trained_from"].pop()
    stale = triage_model.stale_sources(json.dumps(shipped))
    assert stale == sorted([edited["path"], dropped["path"]])


def test_training_again_gives_the_same_file() -> None:
    pytest.importorskip("sklearn", reason="training needs the dev extra (scikit-learn)")
    fresh = triage_model.dump(triage_model.build())
    assert fresh == (CONTENT_DIR / MODEL_FILE).read_text("utf-8")


def test_the_loaded_model_is_one_flat_table() -> None:
    """No object per n-gram: the weights are a float32 array of SIZE slots (1 MB), not a dict
    of tens of thousands of strings and floats (12 MB of the bot's memory)."""
    model = load_model(CONTENT_DIR)
    assert model is not None
    assert isinstance(model.weights, array.array)
    assert model.weights.typecode == "f"
    assert len(model.weights) == SIZE
    assert sys.getsizeof(model.weights) < 2 * 2**20
    assert sum(1 for w in model.weights if w) > 10_000


def test_the_table_survives_its_packing() -> None:
    table = array.array("f", bytes(4 * 1024))
    table[0], table[5], table[5 + 300], table[1023] = 0.5, -1.25, 3.0, -0.0625
    packed = json.loads(json.dumps(pack_weights(table)))
    assert unpack_weights(packed) == table
    with pytest.raises(ValueError, match="power of two"):
        unpack_weights(packed | {"size": 1000})
    with pytest.raises(ValueError, match="do not match"):
        unpack_weights(packed | {"size": 512})


def test_the_scorer_sums_the_slots_of_its_ngrams() -> None:
    model = load_model(CONTENT_DIR)
    assert model is not None
    triager = load_triager(CONTENT_DIR)
    for text in MESSAGES:
        norm = triager.normalise(text)
        grams = features(norm)
        total = sum(model.weights[bucket(g)] for g in grams)
        z = total * vector_scale(grams) + model.bias
        assert model.score(norm) == pytest.approx(1 / (1 + math.exp(-z)))
    assert model.score("") == 0.0
    assert 0.0 < model.ask_at < 1.0


def test_the_scorer_is_the_trained_logistic_regression() -> None:
    """sklearn's decision function, given the shipped weights and the trainer's hashed matrix,
    is the scorer's log-odds: the trainer and the bot hash and scale n-grams alike."""
    pytest.importorskip("sklearn", reason="needs the dev extra (scikit-learn)")
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    model = load_model(CONTENT_DIR)
    assert model is not None
    triager = load_triager(CONTENT_DIR)
    norms = [triager.normalise(t) for t in MESSAGES]
    lr = LogisticRegression()
    lr.classes_ = np.array([0, 1])
    lr.coef_ = np.array([model.weights], dtype=np.float64)
    lr.intercept_ = np.array([model.bias])
    expected = lr.decision_function(triage_model._matrix(norms, min_count=1))
    for norm, z in zip(norms, expected, strict=True):
        p = model.score(norm)
        assert math.log(p / (1 - p)) == pytest.approx(z, abs=1e-5)


def test_the_trainer_ships_what_sklearn_fitted() -> None:
    """The shipped table is the fitted coefficients, pruned and rounded, slot for slot."""
    pytest.importorskip("sklearn", reason="needs the dev extra (scikit-learn)")
    import numpy as np

    rows = triage_model.training_rows()[::7]
    texts = [t for t, _ in rows]
    levels = [level for _, level in rows]
    labels = np.array([1 if level.at_least(RiskLevel.HIGH) else 0 for level in levels])
    critical = np.array([level is RiskLevel.CRITICAL for level in levels])
    weights, bias = triage_model.fit(texts, levels)
    fitted = triage_model._model().fit(
        triage_model._matrix(texts),
        labels,
        sample_weight=np.where(critical, triage_model.CRITICAL_WEIGHT, 1.0),
    )
    coef = fitted.coef_[0]
    kept = np.abs(coef) >= triage_model.PRUNE
    assert np.allclose(np.array(weights)[kept], coef[kept], atol=1e-4)
    assert not np.array(weights)[~kept].any()
    assert bias == pytest.approx(fitted.intercept_[0], abs=1e-4)


def test_it_tells_a_plain_wish_to_die_from_a_school_day() -> None:
    model = load_model(CONTENT_DIR)
    assert model is not None
    triager = load_triager(CONTENT_DIR)
    risky = model.score(triager.normalise("我真的不想再活下去了，每天都好累"))
    everyday = model.score(triager.normalise("今天数学课好无聊，放学去打篮球"))
    assert risky > model.ask_at > everyday
