"""The statistical second opinion on a message: character n-grams and a logistic regression.

The lexicon (bot/domain/triage.py) is precise about the wording it knows and blind to the rest;
this model has read thousands of labelled messages and says how much a new one looks like the
ones that needed a human, whatever its words. It only ever raises a message to a question, never
lowers what the lexicon found (bot/domain/safety_net.py decides).

Pure Python and a weights table: scoring is a set of n-grams and a sum, a few dozen
microseconds, and the bot never loads a machine-learning library. The table is hashed: each
n-gram's CRC-32 picks one of SIZE slots in a flat array of float32, so the loaded model is one
buffer (a megabyte) instead of a dict of tens of thousands of strings and floats (twelve), in a
bot whose memory is counted. The weights are trained by
`python -m bot triage train` (bot/cli/triage_model.py, scikit-learn, a development tool) from
the labelled sets named in the weights file, which records their digests so a test can tell
when the shipped weights no longer match their sources.
"""

from __future__ import annotations

import array
import base64
import itertools
import math
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Longest character n-gram: Chinese carries meaning in one to four characters. English words
# and word pairs are features of their own ("w:" and "b:"), since its letters alone say little.
# Chosen by cross-validation on the training sets (four beat three; five added little).
MAX_N = 4
EDGE = "\x02"  # marks the start and the end of a message, so 开头 and 结尾 differ from the middle
# Slots of the hashed weights table (a power of two). With ~50k weighted n-grams a 2**18 table
# cross-validates as well as the exact dict (collisions cost less than noise) in 1 MB of float32.
SIZE = 2**18


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


def bucket(gram: str, size: int = SIZE) -> int:
    """The slot of an n-gram in a table of `size` (a power of two) weights. CRC-32, not hash():
    the trainer and the bot must agree across processes (str hashes are salted per process)."""
    return zlib.crc32(gram.encode("utf-8")) & (size - 1)


def buckets(grams: Iterable[str], size: int = SIZE) -> list[int]:
    """The slots of these n-grams, one per n-gram (two that share a slot count twice)."""
    mask = size - 1
    crc = zlib.crc32
    return [crc(g.encode("utf-8")) & mask for g in grams]


@dataclass(frozen=True, slots=True)
class NgramModel:
    """A trained model: a hashed table of weights (a power-of-two number of slots, those trained
    to nearly nothing left at zero), a bias, and the bands the decision uses."""

    weights: Sequence[float]  # an array.array("f") of SIZE slots, indexed by `bucket`
    bias: float
    ask_at: float  # a message that needs no action by the lexicon is asked about from here
    version: str = ""
    # From here the model escalates on its own (an orange case), where the lexicon found nothing.
    escalate_at: float = math.inf

    def score(self, norm: str) -> float:
        """The probability, as trained, that the message needs a human (level high or above)."""
        if not norm:
            return 0.0
        grams = features(norm)
        w = self.weights
        mask = len(w) - 1
        crc = zlib.crc32
        total = sum([w[crc(g.encode("utf-8")) & mask] for g in grams]) * vector_scale(grams)
        z = total + self.bias
        # Written so that neither branch can overflow.
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)


def pack_weights(weights: Sequence[float]) -> dict[str, object]:
    """The weights file's form of a table: its size, the nonzero slots (gaps between them as
    LEB128 varints) and their values (float32, little-endian), both base64. No zlib: its output
    may differ between zlib builds, and the file must be byte-identical wherever it is trained."""
    slots = [i for i, w in enumerate(weights) if w != 0.0]
    gaps = bytearray()
    last = 0
    for i in slots:
        gap, last = i - last, i
        while gap >= 0x80:
            gaps.append(gap & 0x7F | 0x80)
            gap >>= 7
        gaps.append(gap)
    values = array.array("f", (weights[i] for i in slots))
    if sys.byteorder == "big":
        values.byteswap()
    return {
        "size": len(weights),
        "slots": base64.b64encode(bytes(gaps)).decode("ascii"),
        "values": base64.b64encode(values.tobytes()).decode("ascii"),
    }


def unpack_weights(packed: dict[str, object]) -> array.array[float]:
    """The table `pack_weights` wrote. Raises ValueError if it does not hold together."""
    size = packed["size"]
    if not isinstance(size, int) or size < 1 or size & (size - 1):
        raise ValueError("the table's size must be a power of two")
    gaps = base64.b64decode(str(packed["slots"]), validate=True)
    values = array.array("f", base64.b64decode(str(packed["values"]), validate=True))
    if sys.byteorder == "big":
        values.byteswap()
    table = array.array("f", bytes(4 * size))
    slot, gap, shift, k = 0, 0, 0, 0
    for byte in gaps:
        gap |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        slot += gap
        if k >= len(values) or slot >= size:
            raise ValueError("the table's slots and values do not match its size")
        table[slot] = values[k]
        gap, shift, k = 0, 0, k + 1
    if k != len(values) or shift:
        raise ValueError("the table's slots and values do not match")
    return table
