"""/follow and /unfollow in Slack: the real Bolt app, signed commands, new posts at the Web API stand-in."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from bot import follow, live
from bot.chat import REFUSAL
from bot.slack.follow import FOLLOWING, OUT_OF_SCOPE, announce

from .slackharness import SlackHarness, shown
from .test_follow import RETURN, TALKS, WALKOUT, engine_over, page

ALICE, OUTSIDER = "UALICE01", "UOUTSID1"
NEWS, OTHER = "C0NEWS01", "C0OTHER1"


@contextlib.asynccontextmanager
async def following(slack: SlackHarness):
    """The watcher and the Slack announcer, as the bot process runs them."""
    stop = asyncio.Event()
    tasks = [*live.start(slack.chat.service, stop),
             asyncio.create_task(announce(slack.app.client, slack.chat, slack.settings, stop))]
    await asyncio.sleep(0.5)  # the watcher is listening
    try:
        yield
    finally:
        await live.finish(stop, tasks)


async def test_a_following_channel_gets_each_new_post_once_grouped_and_can_ask(tmp_path: Path,
                                                                                monkeypatch) -> None:
    monkeypatch.setattr(follow, "GAP_S", 10.0)
    engine = engine_over(tmp_path)
    path = engine.config.corpus.path / "ferry.md"
    async with SlackHarness(engine, allowed_users=(ALICE,)) as slack, following(slack):
        acked = await slack.command("/follow", "", ALICE, NEWS)
        assert acked.status == 200 and FOLLOWING.split(":")[0] in acked.body
        assert "already follows" in (await slack.command("/follow", "", ALICE, NEWS)).body
        assert REFUSAL[:20] in (await slack.command("/follow", "", OUTSIDER, OTHER)).body
        path.write_text(page([WALKOUT]), encoding="utf-8")
        await slack.standin.wait_for(lambda: slack.standin.posted(NEWS), timeout=90)
        [news] = slack.standin.posted(NEWS)
        text = shown(news)
        assert text.startswith("*New in the coverage*") and "Ferry crews walk out" in text
        assert "walked out at dawn over unpaid wages." in text and "More to come" not in text
        assert "<https://example.org/ferry|link>" in text
        assert news.get("thread_ts") is None  # in the channel itself

        # Two more posts inside the gap: held, then posted together in one message.
        path.write_text(page([TALKS, WALKOUT]), encoding="utf-8")
        await asyncio.sleep(2.5)
        path.write_text(page([RETURN, TALKS, WALKOUT]), encoding="utf-8")
        await slack.standin.wait_for(lambda: len(slack.standin.posted(NEWS)) == 2, timeout=90)
        grouped = shown(slack.standin.posted(NEWS)[1])
        assert "Talks called off" in grouped and "Crews return" in grouped
        await slack.standin.quiet(11.0)
        assert len(slack.standin.posted(NEWS)) == 2 and slack.standin.posted(OTHER) == []

        # /unfollow stops it.
        assert "Stopped" in (await slack.command("/unfollow", "", ALICE, NEWS)).body
        path.write_text(page([("Ferries sail again", "The first ferry left Kuryk at six."),
                              RETURN, TALKS, WALKOUT]), encoding="utf-8")
        await slack.standin.quiet(12.0)
        assert len(slack.standin.posted(NEWS)) == 2
        assert any(c.post_id for c in engine.answer("When did the first ferry leave Kuryk?").citations)


async def test_slack_followers_survive_a_restart_and_only_the_bots_channels_follow(tmp_path: Path) -> None:
    engine = engine_over(tmp_path)
    state = tmp_path / "slack-state.sqlite"
    async with SlackHarness(engine, state=state, channels=(NEWS,)) as slack:
        assert OUT_OF_SCOPE in (await slack.command("/follow", "", ALICE, OTHER)).body
        await slack.command("/follow", "", ALICE, NEWS)
    async with SlackHarness(engine, state=state, channels=(NEWS,)) as slack:
        assert slack.chat.followers() == ['["slack", "C0NEWS01"]']
        assert "does not follow" in (await slack.command("/unfollow", "", ALICE, OTHER)).body
        assert "Stopped" in (await slack.command("/unfollow", "", ALICE, NEWS)).body
        assert slack.chat.followers() == []
