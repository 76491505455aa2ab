"""What the Imports page says about imports: the history table's rows, and what one batch
brought in (records, the months they fall in, their amount), for the message after an import.

The amount follows `cost --source auto`: a record's billed cost where the vendor billed it, its
computed charge otherwise, and neither for an unpriced record (counted apart, never $0).
Monthly fees are left out: they belong to a month, not to the batch that brought its usage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from meterbook.core.money import from_nano
from meterbook.core.periods import zone
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.batches import list_batches
from meterbook.store.cost_query import money_sql
from meterbook.store.database import Database
from meterbook.store.sql import fetch_all


def history_rows(db: Database, tz_name: str) -> list[tuple]:
    """The batches, newest first, as the history table shows them."""
    tz = zone(tz_name)
    rows = []
    for batch in reversed(list_batches(db)):
        when = from_epoch_us(batch.created_us).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        files = batch.files.replace("\n", ", ")
        rows.append((batch.id, when, files, batch.profile, batch.lines, batch.added,
                     batch.duplicates, batch.refused))
    return rows


@dataclass(frozen=True)
class BatchSummary:
    """What one import brought in. Months are first days in the report zone; None when the
    batch holds no record (every line refused, or all already there)."""

    batch: int
    records: int
    first_month: date | None
    last_month: date | None
    # Currency -> amount, each currency apart (converting needs rates the database may lack).
    amounts: dict[str, Decimal] = field(default_factory=dict)
    unpriced_requests: int = 0


def batch_summary(db: Database, batch_id: int, tz_name: str) -> BatchSummary:
    """Records, months and amount of one batch, by the `cost --source auto` rule."""
    tz = zone(tz_name)
    with db.engine.connect() as conn:
        home = readers.home_currency(conn)
        [(records, first_us, last_us)] = fetch_all(conn, """
            SELECT count(*), min(timestamp_us), max(timestamp_us) FROM usage_record
            WHERE batch_id = ?""", (batch_id,))
        # cost's own sums (money_sql), grouped by the currency of the bill and of the plan:
        # a bill is in its line's currency (none written: the home currency, as cost reads
        # it), a computed charge in its plan's.
        billed, computed, unpriced = money_sql("auto", over_rollup=False)
        sums = fetch_all(conn, f"""
            SELECT coalesce(r.currency, ''), coalesce(p.currency, ''), {billed}, {computed},
                coalesce({unpriced}, 0), count(billed_nano),
                sum(CASE WHEN billed_nano IS NULL AND charge_nano IS NOT NULL THEN 1 ELSE 0 END)
            FROM usage_record r LEFT JOIN usage_charge c ON c.record_id = r.id
            LEFT JOIN plan_version p ON p.id = c.plan_version_id
            WHERE r.batch_id = ? GROUP BY 1, 2""", (batch_id,))
    nano: dict[str, int] = {}
    unpriced = 0
    for (bill_currency, plan_currency, billed_nano, computed_nano, requests, bills,
         charges) in sums:
        # A currency appears when some record counts in it, even for $0 (a free line).
        for currency, amount, n in ((bill_currency, billed_nano, bills),
                                    (plan_currency, computed_nano, charges)):
            if n:
                nano[currency or home] = nano.get(currency or home, 0) + int(amount)
        unpriced += int(requests)
    amounts = {currency: from_nano(n) for currency, n in sorted(nano.items())}

    def month(us: int | None) -> date | None:
        return None if us is None else from_epoch_us(us).astimezone(tz).date().replace(day=1)

    return BatchSummary(batch_id, records, month(first_us), month(last_us), amounts, unpriced)
