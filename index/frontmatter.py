"""YAML front matter at the head of a text file: read with a bound on how deep it may nest."""

from __future__ import annotations

import re

import yaml

MAX_FRONT_MATTER_NESTING = 20


def _nesting(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        depth += (ch in "[{") - (ch in "]}")
        deepest = max(deepest, depth)
    return deepest


def front_matter(text: str) -> tuple[dict, str]:
    match = re.match(r"\A---\s*\n(.*?)\n---\s*\n", text, re.S)
    if not match:
        return {}, text
    # PyYAML recurses once per level: a deeply nested block ("[[[[...") takes seconds to fail.
    if _nesting(match.group(1)) > MAX_FRONT_MATTER_NESTING:
        raise ValueError(f"front matter nested deeper than {MAX_FRONT_MATTER_NESTING} levels")
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a 'key: value' mapping")
    return {str(k).lower(): v for k, v in meta.items()}, text[match.end():]
