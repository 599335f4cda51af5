"""A reply whose sendMessage times out but is delivered (a slow Bot API) is not followed by an apology."""

from __future__ import annotations

from .botharness import BotHarness, text_of
from .standin import STALL


async def test_a_timed_out_reply_that_was_delivered_is_the_only_reply(seed_engine):
    """Found by bench.reliability faults: the error handler apologised after the answer had arrived."""
    async with BotHarness(seed_engine) as tg:
        tg.standin.fail("sendMessage", "stall")
        tg.standin.message(31, 31, "How many people have been detained?")
        await tg.standin.wait_for(lambda: tg.standin.sent(31), timeout=60 + STALL)
        await tg.standin.quiet(STALL + 2)  # the client gave up at 5 s; anything it sends after shows now
        replies = tg.standin.sent(31)
        assert len(replies) == 1 and "3,000" in text_of(replies[0])
        assert "error while handling an update" in tg.log.getvalue()  # it did time out
