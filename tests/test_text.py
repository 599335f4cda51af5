"""Shared text splitting: any front end's escaping, any length budget."""

from __future__ import annotations

from html import escape as html_escape

import pytest

from bot.text import split_text


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shout(text: str) -> str:  # an escape that doubles every character
    return "".join(c * 2 for c in text)


PARAGRAPHS = "\n\n".join(f"Paragraph {i}: " + "R&D <grew> " * 30 for i in range(20))


@pytest.mark.parametrize("escape, budget", [(slack_escape, 3000), (html_escape, 500), (shout, 700)])
def test_every_piece_fits_once_escaped_and_nothing_is_lost(escape, budget) -> None:
    pieces = split_text(PARAGRAPHS, escape, budget)
    assert len(pieces) > 1
    assert all(len(escape(p)) <= budget for p in pieces)
    assert " ".join(pieces).split() == PARAGRAPHS.split()


def test_paragraphs_stay_whole_when_they_fit() -> None:
    pieces = split_text(PARAGRAPHS, slack_escape, 3000)
    assert all(p.startswith("Paragraph ") for p in pieces)
    assert sum(p.count("Paragraph ") for p in pieces) == 20


def test_an_unbroken_run_is_cut_by_the_character_that_grows_most() -> None:
    text = "a" * 50 + "<" * 50
    pieces = split_text(text, slack_escape, 40)  # "<" becomes four characters
    assert "".join(pieces) == text
    assert all(len(slack_escape(p)) <= 40 for p in pieces)
    assert split_text("short", slack_escape, 40) == ["short"]
