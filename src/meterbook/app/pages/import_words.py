"""What the Imports page says: a batch in words, the formats Meterbook knows, and the notes
that follow an import's headline (no widgets here)."""

from __future__ import annotations

from datetime import date

from meterbook.app.formatting import count, money, month_title, plural
from meterbook.importers import pipeline
from meterbook.importers.formats import formats
from meterbook.store.import_history import BatchSummary


def month_text(first_day: date) -> str:
    return month_title(f"{first_day:%Y-%m}")


def summary_text(summary: BatchSummary) -> str:
    """What a batch brought in, as people read it: "24 records, February 2026, $19.97"."""
    parts = [plural(summary.records, "record")]
    first, last = summary.first_month, summary.last_month
    if first is not None and last is not None:
        if first == last:
            parts.append(month_text(first))
        elif first.year == last.year:
            parts.append(f"{month_title(f'{first:%Y-%m}').rsplit(' ', 1)[0]} – "
                         f"{month_text(last)}")
        else:
            parts.append(f"{month_text(first)} – {month_text(last)}")
    # A zero beside other amounts says nothing (a free line in another currency).
    shown = {c: a for c, a in summary.amounts.items() if a} or summary.amounts
    amounts = [money(amount, currency) for currency, amount in shown.items()]
    if amounts:
        parts.append(" + ".join(amounts))
    if summary.unpriced_requests:
        parts.append(f"{plural(summary.unpriced_requests, 'request')} unpriced")
    return ", ".join(parts)


def known_formats() -> str:
    """The formats by vendor, as people look for them: "OpenAI (usage, cost, …), …"."""
    by_vendor: dict[str, list[str]] = {}
    for fmt in formats():
        vendor, _, rest = fmt.title.partition(" ")
        words = [w for w in rest.split() if w not in ("export", "CSV", "Console", "log")]
        by_vendor.setdefault(vendor, []).append(" ".join(words))
    return ", ".join(f"{vendor} ({', '.join(kinds)})" for vendor, kinds in by_vendor.items())


def import_notes(summary: pipeline.ImportSummary, duplicates: bool = True) -> str:
    """What else the headline says of an import: lines already there, left out, empty, or
    dated after the import (imported, but a wrong date is likelier than a future one)."""
    text = ""
    if duplicates and summary.duplicates:
        text += f" {count(summary.duplicates)} were already in the database."
    if summary.refused:
        one = summary.refused == 1
        text += (f" {plural(summary.refused, 'refused line')} {'was' if one else 'were'} left "
                 f"out; {'it is' if one else 'they are'} kept with the import.")
    if summary.empty_lines:
        text += (f" {plural(summary.empty_lines, 'line carries', 'lines carry')} nothing to "
                 "import (days with no usage).")
    if summary.future_lines:
        many = summary.future_lines > 1
        text += (f" <b>{plural(summary.future_lines, 'line is', 'lines are')} dated more than "
                 f"a day after the import: check {'their dates' if many else 'its date'}</b>"
                 " (listed below).")
    return text
