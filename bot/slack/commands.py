"""/coverage stats and /coverage reindex: the admins' commands, with Telegram's semantics."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from index import CoverageError

from ..chat import ChatService
from ..text import status_lines
from .blocks import escape, sections

log = logging.getLogger(__name__)

USAGE = "`/coverage stats` shows what the index holds; `/coverage reindex` rebuilds it from the corpus."
ADMINS_ONLY = "Only the bot's admins can use that command."


async def coverage_command(ack: Any, command: dict[str, Any], context: AsyncBoltContext,
                           client: AsyncWebClient, respond: Any) -> None:
    """Acked at once with what happens next; the result follows to the admin alone."""
    chat: ChatService = context["chat"]
    what = (command.get("text") or "").strip().lower()
    if not chat.access.is_admin(command["user_id"]):
        await ack(ADMINS_ONLY)
        return
    if what == "stats":
        await ack()
        await _tell(client, respond, command, await stats_text(chat))
    elif what == "reindex":
        if chat.reindexing:
            await ack("A reindex is already running; I'll say when it is done.")
            return
        await ack("Reindexing the corpus. I keep answering from the current index meanwhile.")
        await _tell(client, respond, command, await reindex_text(chat))
    else:
        await ack(USAGE)


async def stats_text(chat: ChatService) -> str:
    status = await chat.status()
    lines = status_lines(status, "Last reindex")
    return "\n".join(lines)


async def reindex_text(chat: ChatService) -> str:
    try:
        report = await chat.reindex()
    except CoverageError as exc:
        log.exception("reindex failed")
        return f"The reindex failed: {exc}. Answers still come from the old index."
    problems = (f"\n{len(report.problems)} file(s) skipped: " + "; ".join(report.problems[:5])
                if report.problems else "")
    return f"Reindexed: {report.summary()}.{problems}"


async def _tell(client: AsyncWebClient, respond: Any, command: dict[str, Any], text: str) -> None:
    """To the admin alone: in the channel, or through the response_url where the bot is not a member."""
    try:
        await client.chat_postEphemeral(channel=command["channel_id"], user=command["user_id"],
                                        text=escape(text), blocks=sections(text))
    except SlackApiError as exc:
        if exc.response.get("error") not in ("channel_not_found", "not_in_channel"):
            raise
        await respond(text=escape(text), blocks=sections(text), response_type="ephemeral")
