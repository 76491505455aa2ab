"""Case-insensitive globs with `*` (any run) and `?` (one character), as plans use them."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> Callable[[str], bool]:
    if pattern == "*":
        return lambda text: True
    parts = []
    for ch in pattern:
        parts.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    regex = re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
    return lambda text: regex.fullmatch(text) is not None


def specificity(pattern: str) -> tuple[int, int]:
    """Sort key: fewer wildcards is more specific, then the longer pattern (pricing rule 3)."""
    wild = pattern.count("*") + pattern.count("?")
    return (-wild, len(pattern))
