"""`python -m bot feedback [--json]`: the 👍/👎 users gave, read from the state file, for admins."""

from __future__ import annotations

import json
from collections import Counter
from typing import TextIO

from .state import Feedback, State


def report(state: State, out: TextIO, as_json: bool = False) -> None:
    """Counts per rating, then every 👎 with its question and answer (newest last)."""
    ratings = state.feedback()
    counts = Counter(f.rating for f in ratings)
    down = [f for f in ratings if f.rating == "down"]
    if as_json:
        json.dump({"up": counts["up"], "down": counts["down"], "ratings": [f.to_json() for f in ratings]},
                  out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    out.write(f"👍 {counts['up']}   👎 {counts['down']}\n")
    for f in down:
        out.write(_down_line(f))


def _down_line(f: Feedback) -> str:
    cited = ", ".join(c.post_id for c in f.answer.citations) or "none"
    return (f"\n👎 from {f.user} in {f.conversation}\n  Q: {f.answer.question}\n"
            f"  A: {f.answer.text}\n  cited: {cited}\n")
