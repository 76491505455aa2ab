"""The other list commands (`imports list`, `imports formats`, `rates list`): a table for
people through the one table writer, JSON for programs (docs/json.md)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from meterbook.core.records import from_epoch_us
from meterbook.reports.tables import Column, Fit, render

if TYPE_CHECKING:  # the ORM's import costs `cost` a third of a second it does not need
    from meterbook.store.tables import ImportBatch

# In a narrow terminal the time goes under the date and a format breaks after its hyphen
# ("anthropic-" "cost") before a file name is cut into short pieces.
_BATCH_COLUMNS = (
    Column("BATCH", right=True), Column("WHEN (UTC)", fit=Fit.WRAP, narrowest=10),
    Column("FORMAT", fit=Fit.WRAP, narrowest=10), Column("LINES", right=True),
    Column("ADDED", right=True), Column("DUPL.", right=True), Column("REFUSED", right=True),
    Column("FILES", fit=Fit.WRAP, narrowest=16))


def batches_table(batches: Sequence[ImportBatch], width: int | None = None) -> list[str]:
    """One batch a row; a batch of several files or formats names each on a line of its own."""
    rows = [[str(b.id), f"{from_epoch_us(b.created_us):%Y-%m-%d %H:%M}",
             "\n".join(b.profile.split(",")), f"{b.lines:,}", f"{b.added:,}",
             f"{b.duplicates:,}", f"{b.refused:,}", b.files] for b in batches]
    return render(_BATCH_COLUMNS, rows, width=width)


def batch_json(batch: ImportBatch) -> dict:
    """The fields of `import --format json` (cli.md), and when the batch was made."""
    return {"batch": batch.id,
            "created": f"{from_epoch_us(batch.created_us):%Y-%m-%dT%H:%M:%SZ}",
            "files": batch.files.splitlines(), "profile": batch.profile, "lines": batch.lines,
            "added": batch.added, "duplicates": batch.duplicates, "refused": batch.refused}


def formats_table(formats: Sequence[tuple[str, str]], width: int | None = None) -> list[str]:
    """(profile, title) pairs."""
    return render((Column("PROFILE"), Column("FORMAT", fit=Fit.WRAP)),
                  [list(f) for f in formats], width=width)


def rates_table(rates: Sequence[tuple[str, str, Decimal]], home: str,
                width: int | None = None) -> list[str]:
    return render((Column("CURRENCY"), Column("MONTH"), Column(f"RATE (in {home})")),
                  [[currency, month, str(rate)] for currency, month, rate in rates],
                  width=width)


def rates_json(rates: Sequence[tuple[str, str, Decimal]], home: str) -> dict:
    """1 `currency` = `rate` home currency in `month`; the rate a decimal string."""
    return {"home_currency": home, "rates": [
        {"currency": currency, "month": month, "rate": str(rate)}
        for currency, month, rate in rates]}
