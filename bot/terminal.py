"""The terminal chat: the same chat core and conversation memory as the Telegram bot, on stdin/stdout."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from index import Config, Engine, render_text

from .chat import Answered, ChatService

PROMPT = "you> "
HELP = ("Ask about the coverage; follow-up questions use the last answers. "
        "/new starts afresh, /quit (or Ctrl-D) leaves.")
KEY = ("terminal",)  # one conversation: whoever sits at this terminal


def open_chat(engine: Engine, config: Config) -> ChatService:
    return ChatService.open(engine, config, "terminal")


def chat(core: ChatService, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    """Read questions line by line until /quit or the end of input."""
    asyncio.run(_chat(core, stdin, stdout))


async def _chat(core: ChatService, stdin: TextIO, stdout: TextIO) -> None:
    interactive = stdin.isatty()
    print(HELP, file=stdout)
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = stdin.readline()  # blocking is fine: nothing else runs in this loop
        if not line or line.strip() in ("/quit", "/exit"):
            return
        if line.strip() == "/new":
            core.reset(KEY)
            print("Started afresh.", file=stdout)
            continue
        if not line.strip():
            continue
        streamed: list[str] = []
        reply = await core.ask(KEY, line, on_token=_draft(stdout, streamed))
        if streamed:  # then the checked answer: what the check dropped is gone from it
            stdout.write("\n\n")
        text = render_text(reply.answer) if isinstance(reply, Answered) else reply.message
        print(text, end="\n\n", file=stdout)
        stdout.flush()


def _draft(stdout: TextIO, streamed: list[str]) -> Callable[[str], None]:
    """A writing model's tokens, printed as they come (from the answering thread)."""
    def write(token: str) -> None:
        streamed.append(token)
        stdout.write(token)
        stdout.flush()
    return write
