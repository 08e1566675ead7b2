"""The statistical second opinion on a message: character n-grams and a logistic regression.

The lexicon (bot/domain/triage.py) is precise about the wording it knows and blind to the rest;
this model has read thousands of labelled messages and says how much a new one looks like the
ones that needed a human, whatever its words. It only ever raises a message to a question, never
lowers what the lexicon found (bot/domain/safety_net.py decides).

Pure Python and a weights table: scoring is a set of n-grams and a sum, a few dozen
microseconds, and the bot never loads a machine-learning library. The weights are trained by
`python -m bot triage train` (bot/cli/triage_model.py, scikit-learn, a development tool) from
the labelled sets named in the weights file, which records their digests so a test can tell
when the shipped weights no longer match their sources.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

# Longest character n-gram: Chinese carries meaning in one to four characters. English words
# and word pairs are features of their own ("w:" and "b:"), since its letters alone say little.
# Chosen by cross-validation on the training sets (four beat three; five added little).
MAX_N = 4
EDGE = "\x02"  # marks the start and the end of a message, so 开头 and 结尾 differ from the middle


def features(norm: str) -> frozenset[str]:
    """The distinct character n-grams (1 to MAX_N) of a normalised message, and its Latin
    words and word pairs."""
    text = f"{EDGE}{norm}{EDGE}"
    grams: set[str] = set()
    for n in range(1, MAX_N + 1):
        for i in range(len(text) - n + 1):
            gram = text[i : i + n]
            if gram.strip() and gram != EDGE:
                grams.add(gram)
    words = norm.split()
    grams.update(f"w:{w}" for w in words if len(w) > 1 and w.isascii())
    grams.update(f"b:{a} {b}" for a, b in itertools.pairwise(words) if a.isascii() and b.isascii())
    return frozenset(grams)


def vector_scale(grams: frozenset[str]) -> float:
    """Each present n-gram weighs 1/sqrt(how many there are): a long message does not score
    higher merely for being long."""
    return 1.0 / math.sqrt(len(grams)) if grams else 0.0


@dataclass(frozen=True, slots=True)
class NgramModel:
    """A trained model: a weight per n-gram (those trained to nearly nothing are dropped),
    a bias, and the bands the decision uses."""

    weights: Mapping[str, float]
    bias: float
    ask_at: float  # a message that needs no action by the lexicon is asked about from here
    version: str = ""

    def score(self, norm: str) -> float:
        """The probability, as trained, that the message needs a human (level high or above)."""
        if not norm:
            return 0.0
        grams = features(norm)
        total = sum(self.weights.get(g, 0.0) for g in grams) * vector_scale(grams)
        z = total + self.bias
        # Written so that neither branch can overflow.
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)
