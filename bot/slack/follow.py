"""/follow and /unfollow in Slack, and the new posts posted to the channels that follow."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from index.config import SlackConfig

from .. import follow
from ..chat import REFUSAL, ChatService, Key
from ..follow import Line
from ..text import clip
from .blocks import HEADLINE_CHARS, Block, escape, mrkdwn

FOLLOWING = ("Following: new posts will appear in this channel as they arrive (at most one message "
             "a minute). `/unfollow` stops it.")
ALREADY = "This channel already follows the coverage. `/unfollow` stops it."
STOPPED = "Stopped: no more new posts here."
NOT_FOLLOWING = "This channel does not follow the coverage; `/follow` starts it."
OUT_OF_SCOPE = "I only work in the channels I was set up for, so this one cannot follow the coverage."


def in_scope(settings: SlackConfig, channel: str) -> bool:
    """`[slack] channels` bounds where the bot works; a DM with the bot is always in."""
    return channel.startswith("D") or not settings.channels or channel in settings.channels


async def on_follow(ack: Any, command: dict[str, Any], context: AsyncBoltContext) -> None:
    """Acked (to the asker alone) with what happens: only allowed users, in the bot's channels."""
    chat: ChatService = context["chat"]
    channel, user = command["channel_id"], command["user_id"]
    if not chat.access.allowed(user, channel):
        await ack(REFUSAL)
    elif not in_scope(context["slack"], channel):
        await ack(OUT_OF_SCOPE)
    else:
        await ack(FOLLOWING if chat.follow((channel,)) else ALREADY)


async def on_unfollow(ack: Any, command: dict[str, Any], context: AsyncBoltContext) -> None:
    chat: ChatService = context["chat"]
    channel, user = command["channel_id"], command["user_id"]
    if not chat.access.allowed(user, channel):
        await ack(REFUSAL)
    else:
        await ack(STOPPED if chat.unfollow((channel,)) else NOT_FOLLOWING)


def news_blocks(lines: list[Line], more: int = 0) -> list[Block]:
    """Each new post: its headline in bold (a link when it has one), then its first sentence."""
    blocks: list[Block] = [{"type": "section", "text": mrkdwn("*New in the coverage*")}]
    for headline, sentence, url in lines:
        name = f"*{escape(clip(headline, HEADLINE_CHARS))}*"
        if url and url.startswith(("http://", "https://")):
            name += f" <{escape(url).replace('|', '%7C')}|link>"
        blocks.append({"type": "section", "text": mrkdwn(f"{name}\n{escape(sentence)}")})
    if more:
        blocks.append({"type": "context", "elements": [mrkdwn(f"…and {more} more.")]})
    return blocks


def news_text(lines: list[Line], more: int = 0) -> str:
    """The notification fallback: plain lines."""
    text = "New in the coverage: " + "; ".join(clip(h, HEADLINE_CHARS) for h, _, _ in lines)
    return escape(text + (f"; and {more} more" if more else ""))


async def announce(client: AsyncWebClient, chat: ChatService, settings: SlackConfig,
                   stop: asyncio.Event) -> None:
    """New posts to the following channels until stop is set (see bot.follow.announce)."""
    async def send(key: Key, lines: list[Line], more: int) -> None:
        await client.chat_postMessage(channel=key[0], text=news_text(lines, more),
                                      blocks=news_blocks(lines, more), unfurl_links=False, unfurl_media=False)

    # At send time the channel must still be in scope; who followed was checked at /follow.
    await follow.announce(chat, send, stop, lambda key: in_scope(settings, str(key[0])))
