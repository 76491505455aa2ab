"""Conversations: cost, requests and tokens per conversation, and one conversation's requests.

The sums come from `run_cost_query(by="conversation")` (one GROUP BY, money converted to the
home currency there); one more GROUP BY adds what a list of conversations also wants: when
each began and ended and which models it used. Records without a conversation id form one
row keyed "" so that their usage is never silently left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from meterbook.core.cost import CostSheet
from meterbook.core.money import from_nano
from meterbook.core.periods import month_label, month_labels_between
from meterbook.core.plans import Plan
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.sql import fetch_all

BILLED = "vendor's bill"  # what priced a request whose export carried its own cost


@dataclass(frozen=True)
class ConversationRow:
    conversation: str  # "" for the requests that belong to no conversation
    first_us: int
    last_us: int
    requests: int
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    cost: Decimal  # usage charges in the home currency; monthly fees belong to no conversation
    unpriced_requests: int
    models: tuple[str, ...]

    @property
    def first(self) -> datetime:
        return from_epoch_us(self.first_us)

    @property
    def last(self) -> datetime:
        return from_epoch_us(self.last_us)

    @property
    def fully_unpriced(self) -> bool:
        """No request of it was priced: its cost is unknown, not zero."""
        return self.unpriced_requests >= self.requests > 0


@dataclass(frozen=True)
class RequestRow:
    """One usage record of a conversation (a record may count several requests)."""

    record_id: int
    timestamp_us: int
    vendor: str
    model: str
    request_id: str
    requests: int
    input_tokens: int
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    cost: Decimal | None  # home currency; None when unpriced
    priced_by: str  # the plan's name, BILLED, or "" when unpriced

    @property
    def time(self) -> datetime:
        return from_epoch_us(self.timestamp_us)

    @property
    def unpriced(self) -> bool:
        return self.cost is None


def _range(from_us: int | None, to_us: int | None) -> tuple[list[str], list[int]]:
    where, params = [], []
    if from_us is not None:
        where.append("timestamp_us >= ?")
        params.append(from_us)
    if to_us is not None:
        where.append("timestamp_us < ?")
        params.append(to_us)
    return where, params


def _matches(row: ConversationRow, needle: str) -> bool:
    return needle in row.conversation.casefold() or any(
        needle in m.casefold() for m in row.models)


def conversation_rows(
    conn: Connection, *, tz: ZoneInfo | None = None, from_us: int | None = None,
    to_us: int | None = None, text_filter: str = "", home_currency: str | None = None,
    rates: dict | None = None, plans: list[tuple[int, Plan]] | None = None,
) -> list[ConversationRow]:
    """Every conversation with usage in [from_us, to_us), by conversation id.

    `text_filter` keeps those whose id or a model name contains it (any case). Settings not
    given are read from the database.
    """
    home = home_currency or readers.home_currency(conn)
    report = run_cost_query(conn, CostQuery(
        by="conversation", tz=tz or ZoneInfo("UTC"), from_us=from_us, to_us=to_us,
        home_currency=home, rates=readers.rates_for(conn) if rates is None else rates,
    ), readers.load_plans(conn) if plans is None else plans)
    where, params = _range(from_us, to_us)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    spans: dict[str, list[int]] = {}
    models: dict[str, set[str]] = defaultdict(set)
    # Grouped by the bare column, as in cost_query: SQLite walks the conversation index.
    for conv, model, first, last in fetch_all(conn, f"""
            SELECT r.conversation_id, m.model, min(r.timestamp_us), max(r.timestamp_us)
            FROM usage_record r JOIN meter m ON m.id = r.meter_id{cond}
            GROUP BY r.conversation_id, r.meter_id""", tuple(params)):
        key = conv or ""
        span = spans.get(key)
        spans[key] = [first, last] if span is None else [min(span[0], first),
                                                         max(span[1], last)]
        models[key].add(model)
    rows = []
    for r in report.rows:
        first, last = spans.get(r.key, (0, 0))
        rows.append(ConversationRow(
            r.key, first, last, r.requests, r.input_tokens, r.cached_input_tokens,
            r.cache_write_tokens, r.output_tokens, r.usage_cost, r.unpriced_requests,
            tuple(sorted(models.get(r.key, ())))))
    needle = text_filter.strip().casefold()
    if needle:
        rows = [r for r in rows if _matches(r, needle)]
    return rows


def conversation_requests(
    conn: Connection, conversation_id: str | None, *, tz: ZoneInfo | None = None,
    from_us: int | None = None, to_us: int | None = None, home_currency: str | None = None,
    rates: dict | None = None, plans: list[tuple[int, Plan]] | None = None,
    limit: int | None = None,
) -> list[RequestRow]:
    """The records of one conversation ("" or None: those without one) in time order.

    Each record's cost follows `meterbook cost`'s auto source: the vendor's billed cost when
    the export had one, else the computed charge, converted to the home currency at the
    rate of its month (report zone); a record with neither is unpriced (cost None).
    """
    tz = tz or ZoneInfo("UTC")
    home = home_currency or readers.home_currency(conn)
    sheet = CostSheet(home, readers.rates_for(conn) if rates is None else rates)
    saved = dict(readers.load_plans(conn) if plans is None else plans)
    where, params = _range(from_us, to_us)
    if conversation_id:
        where.insert(0, "r.conversation_id = ?")
        params.insert(0, conversation_id)
    else:
        where.insert(0, "r.conversation_id IS NULL")
    tail = "" if limit is None else f" LIMIT {int(limit)}"
    rows = fetch_all(conn, f"""
        SELECT r.id, r.timestamp_us, m.vendor, m.model, r.request_id, r.requests,
            r.input_tokens, r.cached_input_tokens, r.cache_write_tokens, r.output_tokens,
            r.billed_nano, r.currency, c.charge_nano, c.plan_version_id
        FROM usage_record r JOIN meter m ON m.id = r.meter_id
        LEFT JOIN usage_charge c ON c.record_id = r.id
        WHERE {" AND ".join(where)} ORDER BY r.timestamp_us, r.id{tail}""", tuple(params))
    out = []
    for (rid, ts, vendor, model, request_id, requests, inp, cached, write, output,
         billed, currency, charge, plan_id) in rows:
        plan = saved.get(plan_id) if plan_id is not None else None
        if billed is not None:
            amount, money_currency, priced_by = billed, currency or home, BILLED
        elif charge is not None:
            amount = charge
            money_currency = plan.currency if plan else home
            priced_by = plan.name if plan else f"plan #{plan_id}"
        else:
            amount, money_currency, priced_by = None, home, ""
        cost = None if amount is None else sheet.convert(
            from_nano(amount), money_currency, month_label(ts, tz))
        out.append(RequestRow(rid, ts, vendor, model, request_id or "", requests, inp, cached,
                              write, output, cost, priced_by))
    return out


def usage_months(conn: Connection, tz: ZoneInfo) -> list[str]:
    """Every month label from the first record's to the last's (report zone), newest first."""
    # Two queries: SQLite answers a lone min() or max() from the index (see cost_query).
    first = conn.exec_driver_sql("SELECT min(timestamp_us) FROM usage_record").scalar_one()
    last = conn.exec_driver_sql("SELECT max(timestamp_us) FROM usage_record").scalar_one()
    if first is None:
        return []
    return month_labels_between(month_label(first, tz), month_label(last, tz))[::-1]
