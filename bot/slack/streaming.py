"""A streamed answer in Slack: one message updated (chat.update) as a writing model's tokens arrive."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from ..pacing import Draft, Pacer
from .blocks import escape, sections

log = logging.getLogger(__name__)


class SlackDraft:
    """The draft message of one answer in a channel or thread, updated at most once a second there.

    finish() turns it into the checked answer with its sources and buttons, so each answer is
    posted exactly once and a sentence the check dropped is gone in that last update.
    """

    def __init__(self, client: AsyncWebClient, pacer: Pacer, channel: str, thread: str | None) -> None:
        self._client, self._channel, self._thread = client, channel, thread
        self._ts: str | None = None
        self._draft = Draft(pacer, (channel, thread), self._show)
        self.on_token = self._draft.on_token

    async def _show(self, text: str) -> bool:
        try:
            if self._ts is None:
                sent = await self._client.chat_postMessage(
                    channel=self._channel, thread_ts=self._thread, text=escape(text), blocks=sections(text),
                    unfurl_links=False, unfurl_media=False)
                self._ts = sent["ts"]
            else:
                await self._client.chat_update(channel=self._channel, ts=self._ts, text=escape(text),
                                               blocks=sections(text))
        except SlackApiError as exc:  # a lost draft update must never cost the answer
            log.debug("draft update failed: %s", exc.response.get("error"))
        return self._ts is not None

    async def finish(self, text: str, blocks: list[dict[str, Any]]) -> bool:
        """The final message into the draft, if one was posted; False means post it as usual."""
        if not await self._draft.finish() or self._ts is None:
            return False
        try:
            await self._client.chat_update(channel=self._channel, ts=self._ts, text=text, blocks=blocks)
        except SlackApiError as exc:  # e.g. the draft was deleted meanwhile: post the answer anew
            log.info("cannot turn the draft into the answer (%s): posting it", exc.response.get("error"))
            return False
        return True
