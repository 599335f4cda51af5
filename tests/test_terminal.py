"""The terminal chat (the main job without a Telegram token): questions, follow-ups, /new."""

from __future__ import annotations

import io

from bot.terminal import chat


def answers_in(out: str) -> list[str]:
    """The answer text of each reply (what stands before its 'Sources:')."""
    return [part.rstrip().rsplit("\n\n", 1)[-1] for part in out.split("Sources:")[:-1]]


def test_terminal_chat_answers_follows_up_and_forgets(seed_engine) -> None:
    stdin = io.StringIO("What did Tokayev order the security forces to do?\nWho did he thank?\n"
                        "\n/new\n" + "x" * 3000 + "\n/quit\nnever read\n")
    stdout = io.StringIO()
    chat(seed_engine, history_turns=4, stdin=stdin, stdout=stdout)
    out = stdout.getvalue()
    first, second = answers_in(out)
    assert "open fire without warning" in first
    assert "Putin" in second
    assert "Started afresh." in out
    assert "please keep it under 2000" in out
    assert "never read" not in out
