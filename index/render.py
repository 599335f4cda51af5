"""Plain-text rendering of an Answer, for the CLI and the terminal chat."""

from __future__ import annotations

import textwrap

from .schema import Answer, Citation


def source_line(c: Citation) -> str:
    """'[1] Headline — Article title, 2022-01-07' with whatever of it is known."""
    parts = [c.headline or c.title or c.post_id]
    if c.title and c.title != c.headline:
        parts.append(c.title)
    line = f"[{c.n}] " + " — ".join(parts)
    details = [x for x in (c.source, c.published_iso[:10] if c.published_iso else None) if x]
    return line + (f" ({', '.join(details)})" if details else "")


def render_text(answer: Answer, width: int = 88) -> str:
    if answer.abstained:
        return f"{answer.text} {answer.reason or ''}".strip()
    lines = [textwrap.fill(answer.text, width), "", "Sources:"]
    if answer.note:
        lines[1:1] = ["", f"({answer.note})"]
    for c in answer.citations:
        lines.append(source_line(c))
        if c.url:
            lines.append(f"    {c.url}")
        lines.append(textwrap.indent(textwrap.fill(f"“{c.text}”", width - 4), "    "))
    return "\n".join(lines)
