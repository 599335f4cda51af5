"""The terminal chat: the same engine and conversation as the Telegram bot, on stdin/stdout."""

from __future__ import annotations

import sys
from collections import deque
from typing import TextIO

from index import Answer, Engine, QuestionError, render_text

PROMPT = "you> "
HELP = ("Ask about the coverage; follow-up questions use the last answers. "
        "/new starts afresh, /quit (or Ctrl-D) leaves.")


def chat(engine: Engine, history_turns: int, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
    history: deque[Answer] = deque(maxlen=history_turns)
    interactive = stdin.isatty()
    print(HELP, file=stdout)
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = stdin.readline()
        if not line or line.strip() in ("/quit", "/exit"):
            return
        if line.strip() == "/new":
            history.clear()
            print("Started afresh.", file=stdout)
            continue
        if not line.strip():
            continue
        try:
            answer = engine.answer(line, history=tuple(history))
        except QuestionError as exc:
            print(exc, file=stdout)
            continue
        history.append(answer)
        print(render_text(answer), end="\n\n", file=stdout)
        stdout.flush()
