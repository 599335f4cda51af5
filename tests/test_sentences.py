"""Sentence vectors for answer scoring: the model's own vectors, in order, embedded once."""

from __future__ import annotations

import numpy as np

from index.sentences import SentenceVectors

SENTENCES = [
    "More than 3,000 people were detained.",
    "Tokayev thanked Putin.",
    "The airport in Almaty was seized by protesters on Wednesday evening, officials said.",
]


class Counting:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, model) -> None:
        self.model = model
        self.embedded: list[str] = []

    def get_text_embedding_batch(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return self.model.get_text_embedding_batch(texts)


def test_vectors_are_the_models_in_the_asked_order(seed_engine) -> None:
    vectors = SentenceVectors(seed_engine.embed_model, batch_size=2)
    asked = [SENTENCES[2], SENTENCES[0], SENTENCES[2], SENTENCES[1]]
    got = vectors(asked)
    direct = np.asarray([seed_engine.embed_model.get_text_embedding(s) for s in asked])
    assert got.shape == direct.shape
    assert np.allclose(got, direct, atol=1e-4)


def test_known_sentences_are_not_embedded_again_until_forgotten(seed_engine) -> None:
    model = Counting(seed_engine.embed_model)
    vectors = SentenceVectors(model, capacity=2)
    vectors(SENTENCES[:2])
    vectors(SENTENCES[:2])
    assert sorted(model.embedded) == sorted(SENTENCES[:2])
    vectors([SENTENCES[2]])  # the least recently used of the first two is forgotten
    vectors([SENTENCES[0]])
    assert model.embedded.count(SENTENCES[0]) == 2 and model.embedded.count(SENTENCES[1]) == 1
