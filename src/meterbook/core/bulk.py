"""Helpers for work on millions of rows."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small tuples.

    Every few hundred new objects it rescans the young ones, and now and then everything alive,
    including the million rows just fetched: measured, that doubles the time of a re-price.
    Rows and charges form no reference cycles, so nothing is lost by collecting afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
