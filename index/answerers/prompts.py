"""The model's prompts, as LlamaIndex templates: cited answers from numbered passages, and condensing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.prompts import ChatPromptTemplate, PromptTemplate
from llama_index.core.schema import NodeWithScore

from ..schema import NOT_SAID, Answer
from .checking import MARKER

# After LlamaIndex's CITATION_QA_TEMPLATE, made strict: one marker per sentence, and an
# exact sentence for "not in the passages" that the checker recognises.
QA_SYSTEM = ("You answer questions about news coverage. You use only the numbered passages you are "
             "given, never what you know otherwise.")
QA_USER = (
    "Numbered passages from the coverage, newest first:\n"
    "------\n{context_str}\n------\n"
    "{history_str}"
    "Question: {query_str}\n\n"
    "Answer briefly (one to three sentences), only from the passages. End every sentence with the "
    "number of the passage it comes from, like [1]. For example: \"The bridge reopened on Monday [2].\" "
    f"If the passages do not answer the question, reply with exactly: {NOT_SAID}\n"
    "Answer:"
)
QA_TEMPLATE = ChatPromptTemplate(message_templates=[
    ChatMessage(role=MessageRole.SYSTEM, content=QA_SYSTEM),
    ChatMessage(role=MessageRole.USER, content=QA_USER),
])
# LlamaIndex's condense-question prompt (chat_engine.condense_question), with its history.
CONDENSE_TEMPLATE = PromptTemplate(
    "Given a conversation (between Human and Assistant) and a follow up message from Human, rewrite "
    "the message to be a standalone question that captures all relevant context from the "
    "conversation. Reply with the question only.\n\n"
    "<Chat History>\n{chat_history}\n\n<Follow Up Message>\n{question}\n\n<Standalone question>\n"
)


def passage_text(n: int, node: NodeWithScore) -> str:
    meta = node.node.metadata
    head = meta.get("headline") or meta.get("title") or ""
    date = (datetime.fromtimestamp(meta["published"], tz=UTC).date().isoformat()
            if meta.get("dated") else "undated")
    return f"[{n}] {head} ({date})\n{node.node.get_content().strip()}"


def newest_first(nodes: Sequence[NodeWithScore]) -> list[NodeWithScore]:
    """Dated passages newest first, then the undated ones in their ranked order."""
    dated = sorted((n for n in nodes if n.node.metadata.get("dated")),
                   key=lambda n: -n.node.metadata["published"])
    return dated + [n for n in nodes if not n.node.metadata.get("dated")]


def history_text(history: Sequence[Answer], turns: int) -> str:
    lines = []
    for turn in list(history)[-turns:] if turns else []:
        lines += [f"Human: {turn.question}", f"Assistant: {MARKER.sub('', turn.text).strip()}"]
    return "\n".join(lines)


def qa_messages(template: ChatPromptTemplate, question: str, nodes: Sequence[NodeWithScore],
                history: Sequence[Answer], turns: int, budget: int,
                count: Callable[[list[ChatMessage]], int]) -> tuple[list[NodeWithScore], list[ChatMessage]]:
    """The passages that fit in `budget` tokens (newest first, numbered in that order) and the messages.

    `count` is the prompt's tokens (tokens.PromptCounter: the serving model's tokenizer, when it has one)."""
    said = history_text(history, turns)
    history_str = f"The conversation so far:\n{said}\n\n" if said else ""

    def messages(chosen: list[NodeWithScore]) -> list[ChatMessage]:
        context = "\n\n".join(passage_text(i, n) for i, n in enumerate(chosen, 1))
        return template.format_messages(context_str=context, history_str=history_str, query_str=question)

    chosen: list[NodeWithScore] = []
    for node in newest_first(nodes):
        trial = [*chosen, node]
        if count(messages(trial)) > budget:
            break
        chosen = trial
    return chosen, messages(chosen)

