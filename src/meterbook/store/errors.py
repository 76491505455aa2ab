"""Errors of the store that callers show to people; no imports, so the CLI loads them cheaply."""

from __future__ import annotations


class DatabaseError(Exception):
    """The database cannot be opened; the message is meant for people."""


class RatesFileError(Exception):
    """A rates file that was refused, with every problem found in it."""

    def __init__(self, path: str, problems: list[tuple[int | None, str]]):
        self.path = path
        self.problems = problems  # (line or None for the whole file, message)
        super().__init__(
            "\n".join(
                f"{path}:{line}: {message}" if line else f"{path}: {message}"
                for line, message in problems
            )
        )
