"""Sentence embeddings for answer scoring: in batches of like length, and remembered across questions."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np


class SentenceVectors:
    """Embeds the candidate sentences of an answer, the bulk of its cost.

    Sentences are embedded shortest first in small batches, so that few are padded to the
    length of a long one; and the vectors of recent sentences are kept, since a follow-up
    (or the next question about the same story) scores the same passages again.
    """

    def __init__(self, embed_model: Any, capacity: int = 20_000, batch_size: int = 16) -> None:
        self._model = embed_model
        self._capacity = capacity
        self._batch_size = batch_size
        self._known: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, sentences: Sequence[str]) -> np.ndarray:
        """One normalised vector per sentence, in order."""
        with self._lock:
            have = {s: self._known[s] for s in set(sentences) if s in self._known}
        missing = sorted(set(sentences) - have.keys(), key=len)
        for start in range(0, len(missing), self._batch_size):
            batch = missing[start:start + self._batch_size]
            have.update(zip(batch, np.asarray(self._model.get_text_embedding_batch(batch))))
        with self._lock:
            for s in sentences:
                self._known[s] = have[s]
                self._known.move_to_end(s)
            while len(self._known) > self._capacity:
                self._known.popitem(last=False)
        return np.stack([have[s] for s in sentences]) if sentences else np.zeros((0, 0))
