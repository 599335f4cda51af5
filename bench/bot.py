"""The bot under load, through the Bot API stand-in: transcripts, update-to-reply latency, throughput.

    python -m bench.bot [--chats 1,10,50] [--rounds 20,3,2]

Baseline, measured in the same run: the engine alone answering the same questions from as many threads as
the bot uses (what this machine sustains without Telegram, the event loop or the network in between).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from bot.service import CoverageService
from index import Engine
from tests.botharness import BOT, BotHarness, button_data, text_of

from .common import SHARED, read_jsonl, seed_engine, summary, table, write_json

QUESTIONS = [q["question"] for q in read_jsonl(SHARED / "eval" / "seed_qa.jsonl")]


async def transcripts(engine: Engine) -> str:
    """A private and a group conversation, as the stand-in saw them."""
    lines: list[str] = []
    async with BotHarness(engine) as tg:
        async def say(chat: int, text: str, who: str = "user", **kw: object) -> list:
            lines.append(f"{who}: {text}")
            replies = await tg.ask(chat, text, **kw)
            lines.extend("bot: " + text_of(r).replace("\n", "\n     ") for r in replies)
            return replies

        lines.append("## Private chat")
        [first] = await say(1, "How many people have been detained?")
        lines.append("user: [presses Sources]")
        before = len(tg.standin.sent(1))
        await tg.press(1, 1, first.result["message_id"], button_data(first))
        lines.extend("bot: " + text_of(r).replace("\n", "\n     ") for r in await tg.replies(1, before))
        await say(1, "Who is Stanislav Pritchin?")
        await say(1, "What does he say Moscow wants in Kazakhstan?")
        await say(1, "/new")
        await say(1, "Who won the football match?")
        lines.append("\n## Group chat (forum topic 7)")
        group = {"chat_type": "supergroup", "thread_id": 7}
        lines.append("alice: Anyone know how many were killed?")
        silent = await tg.silent(-100, "Anyone know how many were killed?", 11, **group)
        lines.append("bot: (silent: not addressed)" if silent else "bot: (answered, unexpectedly)")
        [reply] = await say(-100, f"{BOT} how many police and national guard members were killed?", "alice",
                            user_id=11, **group)
        await say(-100, "and who did Tokayev thank?", "bob", user_id=12, reply_to=reply.result["message_id"],
                  **group)
        await say(-100, "/ask which embassy asked its citizens to leave?", "carol", user_id=13, **group)
    return "\n".join(lines)


async def load(engine: Engine, chats: int, rounds: int) -> dict:
    """`chats` chats ask at the same moment, `rounds` times; every reply timed from its update."""
    expected = {q: engine.answer(q).text for q in QUESTIONS}
    latencies: list[float] = []
    lost = doubled = wrong = 0
    busy = 0.0  # from each round's first update to its last reply
    async with BotHarness(engine) as tg:
        for r in range(rounds):
            asked: dict[int, tuple[str, float, int]] = {}
            for i in range(chats):
                # A fresh chat each time: a repeated chat would turn questions into follow-ups.
                n = r * chats + i
                chat, question = 1000 + n, QUESTIONS[n % len(QUESTIONS)]
                asked[chat] = (question, time.monotonic(), len(tg.standin.sent(chat)))
                tg.standin.message(chat, chat, question)
            started = min(pushed for _, pushed, _ in asked.values())

            def all_answered(asked: dict = asked) -> bool:
                # One pass over the calls: this polls in the bot's own process, every 20 ms.
                replies = Counter(int(c.params["chat_id"]) for c in tg.standin.sent())
                return all(replies[c] > n for c, (_, _, n) in asked.items())

            try:
                await tg.standin.wait_for(all_answered, 120)
            except TimeoutError:
                pass
            # Waiting for quiet proves nothing more is sent; it is not the bot's time.
            await tg.standin.quiet(0.3)
            last = started
            for chat, (question, pushed, n) in asked.items():
                new = tg.standin.sent(chat)[n:]
                lost += not new
                doubled += max(0, len(new) - 1)
                if new:
                    latencies.append(new[0].at - pushed)
                    last = max(last, new[0].at)
                    wrong += expected[question] not in text_of(new[0])
            busy += last - started
    answered = len(latencies)
    return {"chats": chats, "rounds": rounds, "messages": chats * rounds, "answered": answered,
            "lost": lost, "doubled": doubled, "wrong": wrong, "per_second": answered / busy,
            "latency": summary(latencies)}


def engine_alone(engine: Engine, count: int) -> float:
    """Answers per second with the bot's thread count and nothing else."""
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(count)]
    with ThreadPoolExecutor(CoverageService.ANSWER_THREADS) as pool:
        start = time.monotonic()
        list(pool.map(engine.answer, questions))
        return count / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bot", description=__doc__)
    parser.add_argument("--chats", default="1,10,50")
    parser.add_argument("--rounds", default="20,3,2")
    args = parser.parse_args()
    engine = seed_engine()
    engine.answer(QUESTIONS[0])  # warm
    text = asyncio.run(transcripts(engine))
    print(text, "\n")
    rows, runs = [], []
    for chats, rounds in zip(map(int, args.chats.split(",")), map(int, args.rounds.split(","))):
        run = asyncio.run(load(engine, chats, rounds))
        run["engine_alone_per_second"] = engine_alone(engine, max(40, chats * rounds))
        run["ratio"] = run["per_second"] / run["engine_alone_per_second"]
        runs.append(run)
        lat = run["latency"]
        rows.append([chats, run["messages"], run["answered"], run["lost"], run["doubled"], run["wrong"],
                     lat["median"], lat["p95"], run["per_second"], run["engine_alone_per_second"],
                     run["ratio"]])
    print(table(["chats", "messages", "answered", "lost", "doubled", "wrong", "p50 s", "p95 s",
                 "bot msg/s", "engine msg/s", "ratio"], rows))
    path = write_json("bot", {"transcripts": text, "runs": runs})
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
