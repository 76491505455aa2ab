"""Registers Meterbook's own CSV (canonical.py) as a format, tried after the vendor formats."""

from __future__ import annotations

from meterbook.importers.canonical import is_canonical_header, parse_canonical
from meterbook.importers.formats import Format, register

CANONICAL = register(Format(
    profile="canonical", title="Meterbook usage CSV", kind="csv",
    recognise=is_canonical_header, read=parse_canonical,
))
