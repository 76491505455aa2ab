"""Errors that any command may raise for people; no imports, so that cli.py and commands.py
both use them without importing each other."""

from __future__ import annotations


class Refused(Exception):
    """Input refused: printed on stderr, exit status 1."""
