"""The LLM backend against a scripted OpenAI-compatible stand-in: every citation checked, faults fall back."""

from __future__ import annotations

import asyncio
import logging

import pytest

from index.answerers.llm import MODEL_SAID_NOT, UNAVAILABLE
from index.followup import contextualize

from .conftest import jsonl_engine
from .llm_standin import KEY, Reply, number_of, running
from .test_as_of import UPDATES

TOLL = "How many people have died in the floods?"
BUDGET = "What did parliament pass?"
ENV = "COVERAGE_TEST_LLM_KEY"


@pytest.fixture(scope="module")
def standin():
    with running() as server:
        yield server


@pytest.fixture(scope="module")
def engine(standin, tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv(ENV, KEY)
        ready = jsonl_engine(tmp_path_factory.mktemp("llm"), UPDATES, answer={"backend": "llm"},
                            llm={"base_url": standin.base_url, "model": "standin", "api_key_env": ENV,
                                 "timeout_s": 5.0, "max_retries": 1})
        ready.answer(TOLL)  # the first call imports and connects: not what the tests time
        return ready


@pytest.fixture
def fresh(standin):
    standin.replies.clear()
    standin.requests.clear()
    return standin


def cite(headline: str, sentence: str) -> Reply:
    """A reply citing the passage with this headline by whatever number the prompt gave it."""
    return Reply(lambda prompt: f"{sentence} [{number_of(prompt, headline)}]")


def toll(prompt: str) -> int:
    return number_of(prompt, "Flood toll rises again")


def test_valid_markers_are_kept_and_the_key_is_sent(engine, fresh) -> None:
    fresh.script(cite("Flood toll rises again", "Officials said 40 people have died in the floods."))
    answer = engine.answer(TOLL)
    assert not answer.abstained and answer.note is None
    assert answer.text == "Officials said 40 people have died in the floods. [1]"
    assert [c.post_id for c in answer.citations] == ["toll-2#lead"]
    assert fresh.requests[0]["auth"] == f"Bearer {KEY}" and fresh.requests[0]["body"]["stream"]


def test_passages_are_numbered_newest_first_with_headline_and_date(engine, fresh) -> None:
    fresh.script(Reply("The coverage does not say."))
    engine.answer(TOLL)
    prompt = fresh.prompt()
    assert prompt.index("[1] Flood toll rises again (2024-03-05)") < prompt.index("(2024-03-01)")
    assert f"Question: {TOLL}" in prompt and "exactly: The coverage does not say." in prompt


def test_markers_are_renumbered_to_the_cited_passages_only(engine, fresh) -> None:
    fresh.script(cite("Budget passed", "Parliament passed the budget after a long night session."))
    answer = engine.answer(BUDGET)
    assert number_of(fresh.prompt(), "Budget passed") > 1  # the flood updates are newer
    assert answer.text.endswith("[1]") and [c.post_id for c in answer.citations] == ["other#lead"]


def test_an_out_of_range_marker_drops_the_sentence_and_the_extractive_answer_stands(
        engine, fresh, caplog) -> None:
    extractive = engine.answer(TOLL)  # nothing scripted: a 500, so the extractive answer
    fresh.script(Reply("Officials said 40 people have died in the floods [7]."))
    with caplog.at_level(logging.INFO, logger="index.answerers.llm"):
        answer = engine.answer(TOLL)
    assert answer.text == extractive.text and answer.note is None
    assert "marker [7] names no passage given" in caplog.text
    assert "nothing the model wrote survived" in caplog.text


def test_a_sentence_without_a_marker_is_dropped(engine, fresh) -> None:
    fresh.script(Reply(lambda p: "Forty people have died. "
                       f"Officials said 40 people have died in the floods [{toll(p)}]."))
    answer = engine.answer(TOLL)
    assert answer.text == "Officials said 40 people have died in the floods. [1]"


def test_a_made_up_sentence_with_a_valid_marker_is_dropped(engine, fresh) -> None:
    fresh.script(Reply(lambda p: f"The floods followed a dam collapse in 1999 [{toll(p)}]. "
                       f"The president resigned over the floods [{toll(p)}]. "
                       f"Officials said 40 people have died [{toll(p)}]."))
    answer = engine.answer(TOLL)
    assert answer.text == "Officials said 40 people have died. [1]"


def test_a_wrong_number_is_unsupported_even_when_the_words_match(engine, fresh) -> None:
    fresh.script(cite("Flood toll rises again", "Officials said 45 people have died in the floods."))
    extractive_text = "40 people"
    answer = engine.answer(TOLL)
    assert "45" not in answer.text and extractive_text in answer.text  # the extractive answer


def test_a_name_the_passage_lacks_is_unsupported_even_when_the_words_match(engine, fresh) -> None:
    fresh.script(Reply(lambda p: f"Officials in Carrow said 40 people have died in the floods [{toll(p)}]. "
                       f"Officials said 40 people have died in the floods [{toll(p)}]."))
    answer = engine.answer(TOLL)
    assert answer.text == "Officials said 40 people have died in the floods. [1]"


def test_the_model_abstaining_is_an_abstention(engine, fresh) -> None:
    fresh.script(Reply("The coverage does not say."))
    answer = engine.answer(TOLL)
    assert answer.abstained and answer.text == "The coverage does not say." and answer.citations == ()
    assert answer.reason == MODEL_SAID_NOT


def test_nothing_near_the_question_is_answered_without_calling_the_model(engine, fresh) -> None:
    answer = engine.answer("Who won the football cup final?")
    assert answer.abstained and fresh.requests == []


CUT = "Officials said 40 people have died in the floods [1]."


@pytest.mark.parametrize("reply", [Reply(cut=True, text=CUT), Reply(status=500), Reply(status=401),
                                   Reply(delay=6.0, text="late [1].")],
                         ids=["stream cut", "500", "401", "timeout"])
def test_faults_give_the_extractive_answer_with_a_note(engine, fresh, reply, caplog) -> None:
    fresh.script(reply, Reply(status=500))  # a retry meets a 500 too
    with caplog.at_level(logging.WARNING, logger="index.answerers.llm"):
        answer = engine.answer(TOLL)
    assert not answer.abstained and "40 people" in answer.text and answer.note == UNAVAILABLE
    assert "the model was unavailable" in caplog.text and KEY not in caplog.text


def test_an_endpoint_without_a_tokenizer_gets_a_labelled_estimate_logged_once(fresh, caplog) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from index.answerers.tokens import PromptCounter
    from index.config import LLMConfig

    counter = PromptCounter(LLMConfig(base_url=fresh.base_url), lambda text: len(text.split()))
    messages = [ChatMessage(role="user", content="one two three four")]
    with caplog.at_level(logging.INFO, logger="index.answerers.tokens"):
        counts = [counter(messages), counter(messages)]
    assert counts == [int((4 + 4) * 1.25)] * 2 and counter.exact is False and counter.window(4096) == 4096
    assert caplog.text.count("prompt tokens are an ESTIMATE") == 1 and "HTTP 404" in caplog.text


def test_a_429_is_retried_then_answered(engine, fresh) -> None:
    fresh.script(Reply(status=429), cite("Flood toll rises again", "Officials said 40 people have died."))
    answer = engine.answer(TOLL)
    assert answer.note is None and answer.text == "Officials said 40 people have died. [1]"
    assert len(fresh.requests) == 2


def test_tokens_stream_as_they_come_and_async_answers_the_same(engine, fresh) -> None:
    tokens: list[str] = []
    fresh.script(cite("Flood toll rises again", "Officials said 40 people have died."))
    answer = asyncio.run(engine.aanswer(TOLL, on_token=tokens.append))
    assert len(tokens) > 3 and "".join(tokens).startswith("Officials said 40 people")
    assert answer.text == "Officials said 40 people have died. [1]"


def test_a_follow_up_is_condensed_by_the_model_and_by_the_rules_when_it_fails(engine, fresh) -> None:
    first = engine.answer(BUDGET)  # a 500: the extractive answer
    fresh.requests.clear()
    fresh.script(Reply("How many people have died in the floods in the northern valley?"),
                 Reply("The coverage does not say."))
    answer = engine.answer("and the floods?", history=[first])
    assert answer.query == "How many people have died in the floods in the northern valley?"
    assert not fresh.requests[0]["body"].get("stream") and "and the floods?" in fresh.prompt(0)
    assert f"Human: {BUDGET}" in fresh.prompt(1)  # the last turns are in the answer's prompt
    fresh.requests.clear()
    fresh.script(Reply(status=500), Reply(status=500), Reply("The coverage does not say."))
    fallback = engine.answer("and the floods?", history=[first])
    assert fallback.query == contextualize("and the floods?", [first], engine._similarity)


def test_the_key_never_reaches_the_bot_log_even_at_debug(engine, fresh) -> None:
    import io

    from bot.logs import setup_logging

    out = io.StringIO()
    handler = setup_logging(engine.config.llm.api_key(), stream=out, level=logging.DEBUG)
    try:
        fresh.script(Reply(status=401, text=""))
        engine.answer(TOLL)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
    assert "the model was unavailable" in out.getvalue() and KEY not in out.getvalue()


def test_the_terminal_prints_the_tokens_then_the_checked_answer(engine, fresh, tmp_path) -> None:
    import dataclasses
    import io

    from bot.terminal import chat, open_chat
    from index.config import StateConfig

    config = dataclasses.replace(engine.config, state=StateConfig(tmp_path / "state.sqlite"))
    fresh.script(Reply(lambda p: f"The president resigned [{toll(p)}]. Officials said 40 people have died "
                       f"[{toll(p)}]."))
    stdout = io.StringIO()
    core = open_chat(engine, config)
    try:
        chat(core, stdin=io.StringIO(TOLL + "\n/quit\n"), stdout=stdout)
    finally:
        core.close()
    out = stdout.getvalue()
    draft = out.index("The president resigned [")
    final = out.index("Officials said 40 people have died. [1]")
    assert draft < final and "The president resigned" not in out[final:]  # dropped by the check
    assert "Sources:" in out[final:]


async def test_telegram_streams_edits_at_most_once_a_second_then_the_checked_answer(engine, fresh) -> None:
    from .botharness import BotHarness, button_data, text_of

    fresh.script(Reply(lambda p: f"The president resigned [{toll(p)}]. Officials said 40 people have died "
                       f"[{toll(p)}].", pace=0.25))
    async with BotHarness(engine) as tg:
        [draft] = await tg.ask(1, TOLL)
        await tg.standin.wait_for(lambda: any(c.params.get("parse_mode") == "HTML"
                                              for c in tg.standin.sent(1, "editMessageText")), 30)
        await tg.standin.quiet(1.5)
        edits, sends = tg.standin.sent(1, "editMessageText"), tg.standin.sent(1)
    assert len(sends) == 1 and len(edits) >= 2  # one message: drafts edited into the answer
    times = [draft.at] + [e.at for e in edits]
    assert all(later - earlier >= 0.95 for earlier, later in zip(times, times[1:]))
    assert any("The president resigned" in text_of(e) for e in edits[:-1])  # drafts: the raw tokens
    final = edits[-1]
    assert [e for e in edits if e.params.get("parse_mode") == "HTML"] == [final]
    shown = text_of(final)
    assert "Officials said 40 people have died. [1]" in shown and "president" not in shown
    assert "\nSources\n[1] " in shown and button_data(final).startswith("src:")


async def test_slack_streams_updates_at_most_once_a_second_then_the_checked_answer(engine, fresh) -> None:
    from .slackharness import SlackHarness, buttons, shown
    from .test_slack import CHANNEL, mention

    fresh.script(Reply(lambda p: f"The president resigned [{toll(p)}]. Officials said 40 people have died "
                       f"[{toll(p)}].", pace=0.25))
    async with SlackHarness(engine) as slack:
        event = mention(slack, TOLL)
        await slack.event(event)
        await slack.standin.wait_for(lambda: slack.standin.called("reactions.remove"), 30)
        await slack.standin.quiet(1.5)
        [message] = slack.standin.posted(CHANNEL)  # one message: the draft, updated into the answer
        posts, updates = slack.standin.called("chat.postMessage"), slack.standin.called("chat.update")
        kept = slack.chat.sources((CHANNEL, event["ts"])).text
    assert len(posts) == 1 and len(updates) >= 2 and message["thread_ts"] == event["ts"]
    times = [c.at for c in posts + updates]
    assert all(later - earlier >= 0.95 for earlier, later in zip(times, times[1:]))
    assert any("The president resigned" in shown(c.params) for c in updates[:-1])  # drafts: raw tokens
    final = shown(updates[-1].params)
    assert final == shown(message)
    assert "Officials said 40 people have died. [1]" in final and "president" not in final
    assert "*Sources*" in final and set(buttons(message)) == {"Show passages", "👍", "👎"}
    assert kept == "Officials said 40 people have died. [1]"  # the answer follow-ups build on


async def test_slack_shows_that_the_model_was_unavailable(engine, fresh) -> None:
    from .slackharness import SlackHarness, shown
    from .test_slack import CHANNEL, mention

    fresh.script(Reply(status=500), Reply(status=500))
    async with SlackHarness(engine) as slack:
        await slack.event(mention(slack, TOLL))
        await slack.standin.wait_for(lambda: slack.standin.called("reactions.remove"), 30)
        await slack.standin.quiet(0.5)
        [message] = slack.standin.posted(CHANNEL)
        assert not slack.standin.called("chat.update")
    text = shown(message)
    assert "40 people" in text and f"_{UNAVAILABLE}_" in text and UNAVAILABLE in message["text"]


async def test_slack_posts_the_answer_anew_when_its_draft_is_gone(engine, fresh) -> None:
    from .slackharness import SlackHarness, shown
    from .test_slack import CHANNEL, mention

    fresh.script(Reply(lambda p: f"Officials said 40 people have died [{toll(p)}].", pace=0.5))
    async with SlackHarness(engine) as slack:
        await slack.event(mention(slack, TOLL))
        await slack.standin.wait_for(lambda: slack.standin.posted(CHANNEL), 30)
        slack.standin.messages.clear()  # someone deleted the draft
        await slack.standin.wait_for(lambda: slack.standin.called("reactions.remove"), 30)
        [message] = slack.standin.posted(CHANNEL)
    assert "Officials said 40 people have died. [1]" in shown(message) and "*Sources*" in shown(message)
