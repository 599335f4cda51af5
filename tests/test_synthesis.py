"""The synthesizer contract: typed results, async as sync, the top-n cut and the as-of bound per question."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core import Settings
from llama_index.core.schema import NodeWithScore, TextNode

from index.answerers.base import SynthesisResponse
from index.cli import parse_as_of
from index.retrieval import DatedQuery, RecencyPrior, TopN
from index.schema import NOT_SAID, Synthesis

from .conftest import jsonl_engine
from .test_as_of import UPDATES


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    return jsonl_engine(tmp_path_factory.mktemp("updates"), UPDATES)


QUESTIONS = ["How many people have died in the floods?", "What did parliament pass?",
             "Who won the football cup final?"]


def test_async_answers_equal_sync_answers(engine) -> None:
    for question in QUESTIONS:
        for as_of in (None, parse_as_of("2024-03-02")):
            sync = engine.answer(question, as_of=as_of)
            assert asyncio.run(engine.aanswer(question, as_of=as_of)) == sync
    assert engine.answer(QUESTIONS[2]).abstained  # the cases include an abstention


def test_query_engine_returns_the_typed_synthesis(engine) -> None:
    query = engine._question(QUESTIONS[0], (), None)
    response = asyncio.run(engine._query_engine.aquery(query))
    assert isinstance(response, SynthesisResponse) and isinstance(response.synthesis, Synthesis)
    assert "40 people" in response.synthesis.text and str(response) == response.synthesis.text
    cited = [n.node.node_id for n in response.synthesis.cited]
    assert [n.node.node_id for n in response.source_nodes] == cited
    assert response.synthesis.retrieved[0] == "toll-2#lead"


def test_get_response_answers_from_text_chunks_alone(engine) -> None:
    synthesizer = engine._query_engine._response_synthesizer
    chunks = ["Officials said 40 people have died in the floods in the northern valley."]
    assert "40 people" in synthesizer.get_response(QUESTIONS[0], chunks)
    assert asyncio.run(synthesizer.aget_response(QUESTIONS[0], chunks)) == synthesizer.get_response(
        QUESTIONS[0], chunks)
    assert synthesizer.get_response(QUESTIONS[0], []) == NOT_SAID


def test_no_global_llm_is_set(engine) -> None:
    assert Settings._llm is None  # each synthesizer carries its own
    assert Settings.embed_model is engine.embed_model


def _node(name: str, score: float, published: int | None = None) -> NodeWithScore:
    meta = {"post_id": name, "dated": published is not None, "published": published or 0}
    return NodeWithScore(node=TextNode(text=name, id_=name, metadata=meta), score=score)


def test_top_n_keeps_the_best_n_in_order() -> None:
    nodes = [_node(f"p{i}", 1.0 - i / 10) for i in range(8)]
    assert [n.node.node_id for n in TopN(top_n=3).postprocess_nodes(nodes)] == ["p0", "p1", "p2"]


def test_recency_prior_ages_from_the_questions_as_of_time() -> None:
    day = 86400
    # Future-dated coverage (after as_of) ages from as_of, not from its own newest date.
    prior = RecencyPrior(half_life_days=1.0, floor=0.0)
    then = prior.postprocess_nodes([_node("a", 1.0, 10 * day), _node("b", 1.0, 12 * day)],
                                   query_bundle=DatedQuery("q", as_of=10 * day))
    assert {n.node.node_id: round(n.score, 3) for n in then} == {"a": 1.0, "b": 1.0}
    now = prior.postprocess_nodes([_node("a", 1.0, 10 * day), _node("b", 1.0, 12 * day)],
                                  query_bundle=DatedQuery("q"))
    assert {n.node.node_id: round(n.score, 3) for n in now} == {"b": 1.0, "a": 0.25}
