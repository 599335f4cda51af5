"""The terminal chat (the main job without a Telegram token): questions, follow-ups, /new."""

from __future__ import annotations

import dataclasses
import io

from bot.terminal import chat, open_chat
from index.config import StateConfig


def answers_in(out: str) -> list[str]:
    """The answer text of each reply (what stands before its 'Sources:')."""
    return [part.rstrip().rsplit("\n\n", 1)[-1] for part in out.split("Sources:")[:-1]]


def test_terminal_chat_answers_follows_up_and_forgets(seed_engine, tmp_path) -> None:
    config = dataclasses.replace(seed_engine.config, state=StateConfig(tmp_path / "state.sqlite"))
    stdin = io.StringIO("What did Tokayev order the security forces to do?\nWho did he thank?\n"
                        "\n/new\n" + "x" * 3000 + "\n/quit\nnever read\n")
    stdout = io.StringIO()
    core = open_chat(seed_engine, config)
    try:
        chat(core, stdin=stdin, stdout=stdout)
    finally:
        core.close()
    out = stdout.getvalue()
    first, second = answers_in(out)
    assert "open fire without warning" in first
    assert "Putin" in second
    assert "Started afresh." in out
    assert "please keep it under 2000" in out
    assert "never read" not in out
