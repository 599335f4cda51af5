"""Socket Mode: apps.connections.open hands out the stand-in's ws:// URL; envelopes are acked and answered."""

from __future__ import annotations

from .slack_standin import BOT_USER
from .slackharness import SlackHarness, shown

CHANNEL = "C0SOCK01"


async def test_an_events_api_envelope_is_acked_and_answered_once(seed_engine):
    async with SlackHarness(seed_engine, mode="socket") as h:
        event = {"type": "app_mention", "user": "UALICE01", "text": f"<@{BOT_USER}> How many people have "
                 "been detained?", "ts": h.next_ts(), "channel": CHANNEL, "event_ts": "0"}
        envelope = await h.standin.push(h.envelope(event, "Ev0SOCKET"))
        await h.standin.wait_for(lambda: any(a.get("envelope_id") == envelope for a in h.standin.acks))
        retry = await h.standin.push(h.envelope(event, "Ev0SOCKET"), retry_attempt=1)
        await h.standin.wait_for(lambda: len(h.standin.posted(CHANNEL)) == 1)
        await h.standin.wait_for(lambda: any(a.get("envelope_id") == retry for a in h.standin.acks))
        await h.standin.quiet(1.0)
        [reply] = h.standin.posted(CHANNEL)
        assert reply["thread_ts"] == event["ts"] and "3,000" in shown(reply)
        opened = h.standin.called("apps.connections.open")
        assert opened and opened[0].params.get("token", "") == ""  # the app token went in the header only
