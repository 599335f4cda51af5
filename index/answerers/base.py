"""The one synthesizer base: sync and async synthesis written once, results returned typed."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import llama_index.core.instrumentation as instrument
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks.schema import CBEventType, EventPayload
from llama_index.core.instrumentation.events.synthesis import SynthesizeEndEvent, SynthesizeStartEvent
from llama_index.core.llms import LLM
from llama_index.core.response_synthesizers import BaseSynthesizer
from llama_index.core.schema import NodeWithScore, QueryBundle, QueryType, TextNode

from ..schema import Synthesis

dispatcher = instrument.get_dispatcher(__name__)


@dataclass
class SynthesisResponse(Response):
    """LlamaIndex's Response, carrying the typed result (the engine reads it, not metadata keys)."""

    synthesis: Synthesis | None = None


class CoverageSynthesizer(BaseSynthesizer):
    """A synthesizer over whole passages (nodes, with their scores and metadata), not text chunks.

    LlamaIndex's synthesize() hands get_response() the passages' text only; answering here
    needs each passage's post, date and score, and returns more than a string. So this base
    keeps synthesize()/asynthesize() as the template (events, callbacks), calls the node
    hook `synthesis()` (or `asynthesis()`), and get_response()/aget_response() serve callers
    that only have text by wrapping each chunk as a passage.
    """

    def __init__(self, llm: LLM, **kwargs: Any) -> None:
        super().__init__(llm=llm, **kwargs)  # each synthesizer its own LLM: no global Settings.llm

    def _get_prompts(self) -> dict:
        return {}

    def _update_prompts(self, prompts: dict) -> None:
        pass

    @abstractmethod
    def synthesis(self, query: QueryBundle, nodes: list[NodeWithScore]) -> Synthesis:
        """The answer to the query from these passages (ranked), or why they do not give one."""

    async def asynthesis(self, query: QueryBundle, nodes: list[NodeWithScore]) -> Synthesis:
        """Async by default in a worker thread: the sync hook embeds on the CPU."""
        return await asyncio.to_thread(self.synthesis, query, nodes)

    def get_response(self, query_str: str, text_chunks: Sequence[str], **kwargs: Any) -> str:
        return self.synthesis(QueryBundle(query_str), _as_nodes(text_chunks)).text

    async def aget_response(self, query_str: str, text_chunks: Sequence[str], **kwargs: Any) -> str:
        return (await self.asynthesis(QueryBundle(query_str), _as_nodes(text_chunks))).text

    @dispatcher.span
    def synthesize(self, query: QueryType, nodes: list[NodeWithScore],
                   additional_source_nodes: Sequence[NodeWithScore] | None = None,
                   **kwargs: Any) -> SynthesisResponse:
        bundle = _bundle(query)
        dispatcher.event(SynthesizeStartEvent(query=bundle))
        with self._callback_manager.event(CBEventType.SYNTHESIZE, payload=_payload(bundle)) as event:
            response = _response(self.synthesis(bundle, list(nodes)))
            event.on_end(payload={EventPayload.RESPONSE: response})
        dispatcher.event(SynthesizeEndEvent(query=bundle, response=response))
        return response

    @dispatcher.span
    async def asynthesize(self, query: QueryType, nodes: list[NodeWithScore],
                          additional_source_nodes: Sequence[NodeWithScore] | None = None,
                          **kwargs: Any) -> SynthesisResponse:
        bundle = _bundle(query)
        dispatcher.event(SynthesizeStartEvent(query=bundle))
        with self._callback_manager.event(CBEventType.SYNTHESIZE, payload=_payload(bundle)) as event:
            response = _response(await self.asynthesis(bundle, list(nodes)))
            event.on_end(payload={EventPayload.RESPONSE: response})
        dispatcher.event(SynthesizeEndEvent(query=bundle, response=response))
        return response


def _bundle(query: QueryType) -> QueryBundle:
    return QueryBundle(query) if isinstance(query, str) else query


def _payload(bundle: QueryBundle) -> dict:
    return {EventPayload.QUERY_STR: bundle.query_str}


def _response(result: Synthesis) -> SynthesisResponse:
    return SynthesisResponse(response=result.text, source_nodes=list(result.cited), synthesis=result)


def _as_nodes(chunks: Sequence[str]) -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(text=text), score=1.0) for text in chunks]
