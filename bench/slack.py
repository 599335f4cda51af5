"""The Slack app under load, through the Web API stand-in in HTTP mode: exactly once, latency, throughput.

    python -m bench.slack [--channels 1,10,50] [--rounds 20,3,2]

Each round, that many channels mention the bot at the same moment (signed POSTs to /slack/events);
latency runs from the POST to the answer's chat.postMessage. Baseline, measured in the same run: the
engine alone answering the same questions from as many threads as the app uses.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

from bot.slack.blocks import escape
from index import Engine
from tests.slack_standin import BOT_USER
from tests.slackharness import SlackHarness, shown

from .bot import QUESTIONS, engine_alone
from .common import seed_engine, summary, table, write_json


async def load(engine: Engine, channels: int, rounds: int) -> dict:
    """`channels` channels mention the bot at once, `rounds` times; each answer timed from its event."""
    expected = {q: escape(engine.answer(q).text) for q in QUESTIONS}
    latencies: list[float] = []
    lost = doubled = wrong = 0
    busy = 0.0  # from each round's first event to its last answer
    async with SlackHarness(engine) as h:
        for r in range(rounds):
            asked: dict[str, tuple[str, float]] = {}
            events = []
            for i in range(channels):
                n = r * channels + i
                channel, question = f"C{n:08d}", QUESTIONS[n % len(QUESTIONS)]
                events.append({"type": "app_mention", "user": f"U{n:08d}", "ts": h.next_ts(),
                               "text": f"<@{BOT_USER}> {question}", "channel": channel, "event_ts": "0"})
                asked[channel] = (question, time.monotonic())
            started = min(at for _, at in asked.values())
            await asyncio.gather(*(h.event(e) for e in events))

            def all_answered(asked: dict = asked) -> bool:
                posted = Counter(m["channel"] for m in h.standin.messages)
                return all(posted[c] for c in asked)

            try:
                await h.standin.wait_for(all_answered, 120)
            except TimeoutError:
                pass
            await h.standin.quiet(0.3)  # proves nothing more is posted; not the app's time
            posts = h.standin.called("chat.postMessage")
            last = started
            for channel, (question, pushed) in asked.items():
                mine = [c for c in posts if c.params["channel"] == channel]
                lost += not mine
                doubled += max(0, len(mine) - 1)
                if mine:
                    latencies.append(mine[0].at - pushed)
                    last = max(last, mine[0].at)
                    wrong += expected[question] not in shown(mine[0].params)
            busy += last - started
    answered = len(latencies)
    return {"channels": channels, "rounds": rounds, "events": channels * rounds, "answered": answered,
            "lost": lost, "doubled": doubled, "wrong": wrong, "per_second": answered / busy,
            "latency": summary(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.slack", description=__doc__)
    parser.add_argument("--channels", default="1,10,50")
    parser.add_argument("--rounds", default="20,3,2")
    args = parser.parse_args()
    engine = seed_engine()
    engine.answer(QUESTIONS[0])  # warm
    rows, runs = [], []
    for channels, rounds in zip(map(int, args.channels.split(",")), map(int, args.rounds.split(","))):
        run = asyncio.run(load(engine, channels, rounds))
        run["engine_alone_per_second"] = engine_alone(engine, max(40, channels * rounds))
        run["ratio"] = run["per_second"] / run["engine_alone_per_second"]
        runs.append(run)
        lat = run["latency"]
        rows.append([channels, run["events"], run["answered"], run["lost"], run["doubled"], run["wrong"],
                     lat["median"], lat["p95"], run["per_second"], run["engine_alone_per_second"],
                     run["ratio"]])
    print(table(["channels", "events", "answered", "lost", "doubled", "wrong", "p50 s", "p95 s",
                 "app msg/s", "engine msg/s", "ratio"], rows))
    path = write_json("slack", {"runs": runs})
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
