"""Time to first token and total time per answer, LLM backend against extractive, on the same questions."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Iterable

from index import Config, Engine
from index.config import LLMConfig

from .common import table


def llm_config(config: Config, overrides: dict) -> Config:
    """The same config with [answer] backend = "llm" and these [llm] settings."""
    fields = {f.name for f in dataclasses.fields(LLMConfig)}
    unknown = set(overrides) - fields
    if unknown:
        raise SystemExit(f"unknown [llm] setting(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(fields))}")
    llm = dataclasses.replace(config.llm, **overrides)
    if not llm.model:
        raise SystemExit("--backend llm needs --llm model=NAME (and base_url=..., api_key_env=...)")
    return dataclasses.replace(config, answer=dataclasses.replace(config.answer, backend="llm"), llm=llm)


def timed(engine: Engine, question: str, as_of: int | None = None) -> tuple[float | None, float]:
    """(seconds to the first token, or None when the model was not called; seconds in all)."""
    start = time.perf_counter()
    first: list[float] = []
    engine.answer(question, as_of=as_of,
                  on_token=lambda _: first or first.append(time.perf_counter() - start))
    return (first[0] if first else None), time.perf_counter() - start


def compare(extractive: Engine, llm: Engine, questions: Iterable[str | tuple[str, int | None]]) -> str:
    """A table of median and max times; the model's first-token time over the answers it wrote.

    Each question is a string, or (question, as_of) for sets asked as of a date."""
    rows = {"extractive total": [], "llm first token": [], "llm total": []}
    for item in questions:
        question, as_of = (item, None) if isinstance(item, str) else item
        rows["extractive total"].append(timed(extractive, question, as_of)[1])
        first, total = timed(llm, question, as_of)
        rows["llm total"].append(total)
        if first is not None:
            rows["llm first token"].append(first)
    body = [[name, len(v), f"{statistics.median(v):.2f}" if v else "", f"{max(v):.2f}" if v else ""]
            for name, v in rows.items()]
    return table(["seconds per answer", "n", "median", "max"], body)
