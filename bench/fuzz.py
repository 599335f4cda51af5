"""The long fuzz: random messages through Engine.answer and the Telegram formatting; crashes counted.

    python -m bench.fuzz [--messages 10000] [--seed 0] [--minutes 0] [--threads 1]

Messages are drawn as tests/test_fuzz_engine.py draws them (random unicode with lone surrogates,
words of the seed coverage, known phrasings, lengths around the 2,000-character limit), a third of
them as follow-ups to the message before. Each is answered by the engine over the seed index, and
the answer and its Sources reply are packed into Telegram messages. A crash is any exception but a
CoverageError (the engine's refusals, which say what to do), or a message Telegram would refuse
(strict HTML with only Telegram's tags, at most 4,096 UTF-16 units), or an [n] without its source.

Nine tenths of the time is the query embedding (a cProfile of one minute: 54 of 60 s in the model's
forward pass; hypothesis's drawing under 1 s, the packing checks under 0.1 s). On 2 shared cores torch's
default two threads wait on each other: one thread embeds a short question in 14 ms, two in 500 ms.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import traceback

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from bot.telegram.formatting import answer_blocks, pack, passage_blocks
from index import Answer, CoverageError, Engine

from .botapi import MAX_TEXT, utf16_len, visible_text
from .common import SEED, seed_engine, table, write_json

MARKER = re.compile(r"\[(\d+)\]")
PHRASES = ["what's the latest", "catch me up", "timeline of the protests", "when did the unrest start",
           "how many detained?", "who is Tokayev?", "and the airport?", "what did he say?"]


def messages(limit: int) -> st.SearchStrategy[str]:
    words = sorted(set(re.findall(r"\w+|[?!.,'’]", SEED.read_text(encoding="utf-8"))))
    noise = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(),
                    max_size=limit + 50)
    some_words = st.lists(st.sampled_from(words), max_size=40).map(" ".join)
    phrase = st.tuples(st.sampled_from(PHRASES), some_words).map(" ".join)
    long = st.tuples(st.sampled_from([*words[:50], "x", "😀"]), st.integers(limit - 5, limit + 5)).map(
        lambda t: (t[0] + " ") * (t[1] // (len(t[0]) + 1) + 1))
    return st.one_of(noise, some_words, phrase, long, st.sampled_from(PHRASES))


def check(engine: Engine, question: str, history: tuple[Answer, ...]) -> Answer | None:
    """Raises AssertionError (or anything else) for a crash; None for a refusal."""
    try:
        answer = engine.answer(question, history)
    except CoverageError as exc:
        assert str(exc), "a refusal without a message"
        return None
    markers = {int(n) for n in MARKER.findall(answer.text)}
    cited = {c.n for c in answer.citations}
    assert markers == (set() if answer.abstained else cited), "markers and sources differ"
    for blocks in (answer_blocks(answer), passage_blocks(answer)):
        for message in pack(blocks):
            assert utf16_len(message.html) <= MAX_TEXT, "a message over 4,096 UTF-16 units"
            visible_text(message.html)  # ValueError if Telegram would refuse it
    return answer


class OutOfTime(Exception):
    """The time budget is spent: stop drawing messages."""


def run(engine: Engine, count: int, rng_seed: int, minutes: float = 0.0, every: int = 500) -> dict:
    limit = engine.config.answer.max_question_chars
    deadline = time.monotonic() + minutes * 60 if minutes else float("inf")
    tally = {"messages": 0, "refused": 0, "abstained": 0, "answered": 0, "crashes": 0}
    crashes: list[dict] = []
    previous: list[Answer] = []
    started = time.monotonic()

    @seed(rng_seed)
    @settings(max_examples=count, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(messages(limit), st.integers(0, 2))
    def one(question: str, follow: int) -> None:
        if time.monotonic() > deadline:
            raise OutOfTime
        tally["messages"] += 1
        if tally["messages"] % every == 0:  # a long run shows it is alive, and its rate
            print(f"{tally['messages']} messages, {tally['crashes']} crashes, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        history = tuple(previous[-1:]) if follow == 0 else ()
        try:
            answer = check(engine, question, history)
        except Exception as exc:  # noqa: BLE001 - counting crashes is the point
            tally["crashes"] += 1
            if len(crashes) < 10:
                crashes.append({"question": question[:200], "error": repr(exc)[:300],
                                "where": traceback.format_exc().splitlines()[-3:]})
            return
        if answer is None:
            tally["refused"] += 1
        else:
            tally["abstained" if answer.abstained else "answered"] += 1
            previous[:] = [answer]

    try:
        one()
    except OutOfTime:
        pass
    seconds = time.monotonic() - started
    return {**tally, "seconds": seconds, "per_second": tally["messages"] / seconds, "crash_examples": crashes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=0.0, help="stop drawing after this long (0: never)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for the embedding (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    result = run(seed_engine(), args.messages, args.seed, args.minutes)
    print(table(["messages fuzzed", "refused (CoverageError)", "abstained", "answered", "crashes",
                 "minutes", "messages/s"],
                [[result["messages"], result["refused"], result["abstained"], result["answered"],
                  result["crashes"], result["seconds"] / 60, result["per_second"]]]))
    for crash in result["crash_examples"]:
        print(crash)
    command = " ".join(["python -m bench.fuzz", *(sys.argv[1:] if argv is None else argv)])
    print(f"written: {write_json('fuzz', {'command': command, **result})}")
    return 1 if result["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
