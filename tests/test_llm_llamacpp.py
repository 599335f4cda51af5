"""The LLM plumbing against a real llama.cpp server (xllamacpp) serving SmolLM2-135M on 127.0.0.1.

The 135M model cannot answer news questions: it invents and miscites. So these tests assert
the plumbing (chat, streaming, a wrong key, a prompt over n_ctx, a timeout) and that whatever
it writes is either checked or replaced by the extractive answer, never its wording.
"""

from __future__ import annotations

import logging
import re

import openai
import pytest
from llama_index.core.base.llms.types import ChatMessage

from bench.llamacpp import serve
from index.answerers.checking import MARKER
from index.answerers.tokens import PromptCounter
from index.config import LLMConfig

from .conftest import jsonl_engine
from .test_as_of import UPDATES

KEY = "sk-llamacpp-test-key-0123"
ENV = "COVERAGE_TEST_LLAMACPP_KEY"
N_CTX = 2048


@pytest.fixture(scope="module")
def llama_url():
    pytest.importorskip("xllamacpp", reason="xllamacpp is installed by make install")
    server = serve(N_CTX, api_keys=[KEY])
    yield f"{server.listening_address}/v1"
    del server  # its destructor stops the main loop


def client(url: str, key: str = KEY, **kwargs):
    from llama_index.llms.openai_like import OpenAILike

    args = {"model": "smollm2", "api_base": url, "api_key": key, "is_chat_model": True,
            "max_retries": 0, "timeout": 60.0, "max_tokens": 24, "temperature": 0.0, **kwargs}
    return OpenAILike(**args)


HELLO = [ChatMessage(role="user", content="Say hello.")]


def test_chat_and_streaming(llama_url) -> None:
    assert client(llama_url).chat(HELLO).message.content.strip()
    chunks = list(client(llama_url).stream_chat(HELLO))
    assert len(chunks) > 1 and chunks[-1].message.content.strip()
    assert chunks[-1].raw.choices[0].finish_reason in ("stop", "length")


def test_a_wrong_key_is_refused(llama_url) -> None:
    with pytest.raises(openai.AuthenticationError):
        client(llama_url, key="sk-wrong").chat(HELLO)


def test_a_prompt_over_n_ctx_is_a_bad_request(llama_url) -> None:
    long = [ChatMessage(role="user", content="news " * (N_CTX * 2))]
    with pytest.raises(openai.BadRequestError):
        client(llama_url).chat(long)


def test_a_slow_answer_times_out(llama_url) -> None:
    with pytest.raises(openai.APITimeoutError):
        client(llama_url, timeout=0.05, max_tokens=400).chat(
            [ChatMessage(role="user", content="Write a long story about a river.")])


def test_whatever_it_writes_is_checked_or_replaced(llama_url, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    (tmp_path / "x").mkdir()
    (tmp_path / "llm").mkdir()
    extractive = jsonl_engine(tmp_path / "x", UPDATES)
    engine = jsonl_engine(tmp_path / "llm", UPDATES, answer={"backend": "llm"},
                          llm={"base_url": llama_url, "model": "smollm2", "api_key_env": ENV,
                               "context_window": N_CTX, "max_tokens": 80, "timeout_s": 60.0})
    checker = engine._synthesizer._checker
    for question in ("How many people have died in the floods?", "What did parliament pass?"):
        answer, quoted = engine.answer(question), extractive.answer(question)
        assert answer.note is None  # the server answered: no fault
        if answer.abstained or answer.text == quoted.text:
            continue  # the model abstained, or nothing it wrote survived: fallback
        # Otherwise every sentence carries a valid marker and its passage supports it.
        sentences = checker.sentences(answer.text)
        assert sentences and all(MARKER.search(s) for s in sentences)
        numbers = {int(n) for s in sentences for g in MARKER.findall(s) for n in g.split(",")}
        assert numbers == set(range(1, len(answer.citations) + 1))


def test_prompt_tokens_are_the_servers_own_count(llama_url, monkeypatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    counter = PromptCounter(LLMConfig(base_url=llama_url, api_key_env=ENV), lambda text: len(text.split()))
    messages = [ChatMessage(role="system", content="You answer from passages."),
                ChatMessage(role="user", content="[1] Flood toll rises (2024-03-05)\nOfficials said 40 "
                                                 "people have died in the floods. Question: how many?")]
    served = client(llama_url, max_tokens=1).chat(messages).raw.usage.prompt_tokens
    assert counter.window(8192) == N_CTX  # the server's context, not the larger one configured
    assert counter.exact and abs(counter(messages) - served) <= 2
    assert counter.estimate(messages) != counter(messages)  # the words-based estimate is not used


PLACES = ["Ashford", "Brill", "Carrow", "Dunmore", "Elsby", "Fenwick", "Garth", "Holm", "Irby", "Jesmond",
          "Kelso", "Lydd", "Marske", "Nairn"]
THINGS = ["bridge", "school", "clinic", "depot", "farm", "mill", "church", "market", "station", "quarry",
          "harbour", "library", "bakery", "garage"]


def long_coverage() -> list[dict]:
    """Fourteen articles of about 170 words about the floods, each its own (no near-duplicates):
    more passages than n_ctx holds."""
    articles = []
    for i, place in enumerate(PLACES):
        things = THINGS[i:] + THINGS[:i]
        text = " ".join(f"In {place} the {thing} near the {other} was flooded on day {i + k} and "
                        f"{k + 2} families from the {thing} moved to the {other} up the hill."
                        for k, (thing, other) in enumerate(zip(things, things[3:] + things[:3])))
        articles.append({"id": f"flood-{i}", "title": f"Floods in {place}", "date": f"2024/03/{i + 1:02d}",
                         "text": f"Officials said {10 + i} people have died in the floods. {text}"})
    return articles


def test_a_prompt_over_n_ctx_is_trimmed_to_the_servers_count(llama_url, tmp_path, monkeypatch,
                                                              caplog) -> None:
    monkeypatch.setenv(ENV, KEY)
    engine = jsonl_engine(tmp_path, long_coverage(), answer={"backend": "llm"},
                          llm={"base_url": llama_url, "model": "smollm2", "api_key_env": ENV,
                               "context_window": 8192, "max_passages": 14, "max_tokens": 40,
                               "timeout_s": 60.0})
    with caplog.at_level(logging.DEBUG, logger="index.answerers"):
        answer = engine.answer("How many people have died in the floods?")
    assert answer.note is None  # the server took the prompt: no 400 for a prompt over n_ctx
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("prompt:")]
    chosen, given, tokens, how, budget = re.match(
        r"prompt: (\d+) of (\d+) passages, (\d+) tokens \((\w+)\) of a budget of (\d+)", line).groups()
    assert how == "counted" and int(budget) == N_CTX - 40 and int(tokens) <= int(budget)
    assert 0 < int(chosen) < int(given)  # trimmed, not rejected
    assert "counted by the serving model's tokenizer" in caplog.text


def test_the_key_is_read_from_the_environment_only(monkeypatch) -> None:
    monkeypatch.setenv(ENV, KEY)
    assert LLMConfig(api_key_env=ENV).api_key() == KEY
