"""Conversations: cost, requests and tokens per conversation, and one conversation's requests.

The sums come from `run_cost_query(by="conversation")` (one GROUP BY, money converted to the
home currency there); one more GROUP BY adds what a list of conversations also wants: when
each began and ended and which models it used. Records without a conversation id form one
row keyed "" so that their usage is never silently left out.

Money follows `meterbook cost --source auto` (the rule is stated once, in store/cost_query.py):
a billed cost line (a vendor's cost export: money, no requests or tokens) counts its billed
amount. A figure that needs an exchange rate the database lacks is unknown (None), and the
missing (currency, month) pairs are all named, never a figure in another currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from meterbook.core.cost import CostSheet, NotingRates
from meterbook.core.money import from_nano
from meterbook.core.periods import month_label, month_labels_between
from meterbook.core.plans import Plan
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.cost_query import (
    CostQuery,
    covered_months,
    home_currency_only,
    money_sql,
    record_source,
    run_cost_query,
    saved_fixed_charges,
)  # fmt: skip
from meterbook.store.sql import fetch_all
from meterbook.store.usage_store import Meters

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
    cost: Decimal | None  # usage charges, home currency; None: a rate is missing
    unpriced_requests: int
    models: tuple[str, ...]
    records: int = 0  # usage records (lines of the imported files)
    billed_records: int = 0  # of them, billed cost lines: money but no requests

    @property
    def first(self) -> datetime:
        return from_epoch_us(self.first_us)

    @property
    def last(self) -> datetime:
        return from_epoch_us(self.last_us)

    @property
    def fully_unpriced(self) -> bool:
        """No request of it was priced (and no line billed): its cost is unknown, not zero."""
        return self.unpriced_requests >= self.requests > 0 and not self.billed_records


@dataclass(frozen=True)
class Conversations:
    """A period's conversations and what belongs to none of them."""

    rows: list[ConversationRow]
    currency: str
    fixed_cost: Decimal | None  # the period's monthly fees and minimums: in no conversation
    missing_rates: tuple[tuple[str, str], ...] = ()  # (currency, month) without a rate


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
    cost: Decimal | None  # home currency; None when unpriced or a rate is missing
    priced_by: str  # the plan's name, BILLED, or "" when unpriced
    # A billed line that a plan covers too: the plan's name and its charge (home currency),
    # shown beside the bill, never instead of it.
    computed: Decimal | None = None
    plan: str = ""
    missing_rate: tuple[str, str] | None = None  # (currency, month) the cost lacks a rate for

    @property
    def time(self) -> datetime:
        return from_epoch_us(self.timestamp_us)

    @property
    def unpriced(self) -> bool:
        return self.cost is None and self.missing_rate is None


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
    return conversations_in(conn, tz=tz, from_us=from_us, to_us=to_us,
                            text_filter=text_filter, home_currency=home_currency, rates=rates,
                            plans=plans).rows


def conversations_in(
    conn: Connection, *, tz: ZoneInfo | None = None, from_us: int | None = None,
    to_us: int | None = None, text_filter: str = "", home_currency: str | None = None,
    rates: dict | None = None, plans: list[tuple[int, Plan]] | None = None,
) -> Conversations:
    """conversation_rows, with the period's fixed charges and any missing exchange rates."""
    tz = tz or ZoneInfo("UTC")
    home = home_currency or readers.home_currency(conn)
    saved = readers.load_plans(conn) if plans is None else plans
    if home_currency_only(conn, home, [p for _id, p in saved]):
        # No figure to convert: the money comes with the same GROUP BY (money_sql, the cost
        # query's rule), one row a conversation straight into the page's rows.
        rows = [ConversationRow(key, *_ints(line[:2]), *_ints(line[5:10]),
                                from_nano(int(line[10]) + int(line[11])), int(line[12]),
                                *line[2:5])
                for key, line in sorted(_grouped(conn, from_us, to_us, money=True).items())]
        fixed, missing = _fixed_cost(conn, tz, from_us, to_us, saved), ()
    else:
        rows, fixed, missing = _converted_rows(conn, tz, from_us, to_us, home, rates, saved)
    needle = text_filter.strip().casefold()
    if needle:
        rows = [r for r in rows if _matches(r, needle)]
    return Conversations(rows, home, None if missing else fixed, missing)


def _ints(values) -> tuple[int, ...]:
    """int(): PostgreSQL sums 64-bit columns as numeric (Decimal in Python)."""
    return tuple(map(int, values))


def _fixed_cost(conn: Connection, tz: ZoneInfo, from_us: int | None, to_us: int | None,
                saved: list[tuple[int, Plan]]) -> Decimal:
    """The period's monthly fees and minimums (plans in the home currency), as `cost` counts
    them: in no conversation."""
    months = covered_months(conn, CostQuery(tz=tz, from_us=from_us, to_us=to_us))
    if not months:
        return Decimal(0)
    return sum((c.total for c in saved_fixed_charges(conn, saved, months)), Decimal(0))


def _converted_rows(conn: Connection, tz: ZoneInfo, from_us: int | None, to_us: int | None,
                    home: str, rates: dict | None, saved: list[tuple[int, Plan]]
                    ) -> tuple[list[ConversationRow], Decimal, tuple[tuple[str, str], ...]]:
    """Rows, fixed cost and missing rates when some money is in another currency: the cost
    query converts it at each month's rate; a second GROUP BY adds times, models, lines."""
    seen = NotingRates(readers.rates_for(conn) if rates is None else rates)
    report = run_cost_query(conn, CostQuery(
        by="conversation", tz=tz, from_us=from_us, to_us=to_us, home_currency=home,
        rates=seen,
    ), saved)
    missing = tuple(sorted(seen.missing))
    lines = _grouped(conn, from_us, to_us, money=False)
    rows = []
    nothing = (0, 0, (), 0, 0)
    for r in report.rows:
        first, last, models, records, billed = lines.get(r.key, nothing)
        rows.append(ConversationRow(
            r.key, first, last, r.requests, r.input_tokens, r.cached_input_tokens,
            r.cache_write_tokens, r.output_tokens, None if missing else r.usage_cost,
            r.unpriced_requests, models, records, billed))
    return rows, report.total.fixed_cost, missing


def _grouped(conn: Connection, from_us: int | None, to_us: int | None, money: bool
             ) -> dict[str, list]:
    """Per conversation ("" for none) in [from_us, to_us): [first and last instant, models
    (sorted), records, billed lines], and with `money` also the requests, four token counts,
    billed and computed money (nano) and unpriced requests, summed as `cost` sums them.

    One GROUP BY of the period's records, by conversation alone: the meters come back as one
    text list each, named from the meter table here. (Grouping by conversation and meter with
    the meter joined in gave five times the rows and cost twice this on a month of records.)
    """
    where, params = _range(from_us, to_us)
    cond = (" WHERE " + " AND ".join(where)) if where else ""
    meters = ("group_concat(DISTINCT meter_id)" if conn.dialect.name == "sqlite" else
              "string_agg(DISTINCT CAST(meter_id AS TEXT), ',')")
    sums, source = "", "usage_record"
    if money:
        billed, computed, unpriced = money_sql("auto", over_rollup=False)
        sums = (", sum(requests), sum(input_tokens), sum(cached_input_tokens), "
                f"sum(cache_write_tokens), sum(output_tokens), {billed}, {computed}, {unpriced}")
        source = "usage_record LEFT JOIN usage_charge ON record_id = id"
    model_of = {mid: key[1] for mid, key in Meters(conn).keys.items()}
    models_of: dict[str, tuple[str, ...]] = {}  # a list of meters -> models: few lists recur
    found: dict[str, list] = {}
    for conv, meter_ids, first, last, records, billed_records, *more in fetch_all(conn, f"""
            SELECT conversation_id, {meters}, min(timestamp_us), max(timestamp_us), count(*),
                count(billed_nano){sums}
            FROM {source}{cond} GROUP BY conversation_id""", tuple(params)):
        # str(): SQLite may give a lone meter id back as it is (an integer), not as text
        meter_ids = str(meter_ids)
        models = models_of.get(meter_ids)
        if models is None:
            models = models_of[meter_ids] = tuple(sorted({model_of[int(m)]
                                                          for m in meter_ids.split(",")}))
        line = [first, last, models, int(records), int(billed_records), *more]
        key = conv or ""
        was = found.get(key)
        if was is not None:  # NULL and "" are both "no conversation": one row
            line = [min(first, was[0]), max(last, was[1]),
                    tuple(sorted(set(models) | set(was[2]))),
                    *(int(a) + int(b) for a, b in zip(line[3:], was[3:], strict=True))]
        found[key] = line
    return found


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
    seen = NotingRates(readers.rates_for(conn) if rates is None else rates)
    sheet = CostSheet(home, seen)
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
        plan_name = "" if plan_id is None else (plan.name if plan else f"plan #{plan_id}")
        plan_currency = plan.currency if plan else home
        month = month_label(ts, tz)
        seen.missing.clear()

        def home_amount(nano, money_currency, month=month):
            return None if nano is None else sheet.convert(from_nano(nano), money_currency,
                                                           month)

        source = record_source(billed, charge)
        computed = home_amount(charge, plan_currency)
        if source == "billed":
            cost, priced_by = home_amount(billed, currency or home), BILLED
        else:
            cost, priced_by = computed, plan_name
        missing = min(seen.missing) if seen.missing else None
        if missing is not None:
            cost = computed = None
        out.append(RequestRow(rid, ts, vendor, model, request_id or "", requests, inp, cached,
                              write, output, cost, priced_by,
                              computed if source == "billed" else None,
                              plan_name if source == "billed" else "", missing))
    return out


def usage_months(conn: Connection, tz: ZoneInfo) -> list[str]:
    """Every month label from the first record's to the last's (report zone), newest first."""
    # Two queries: SQLite answers a lone min() or max() from the index (see cost_query).
    first = conn.exec_driver_sql("SELECT min(timestamp_us) FROM usage_record").scalar_one()
    last = conn.exec_driver_sql("SELECT max(timestamp_us) FROM usage_record").scalar_one()
    if first is None:
        return []
    return month_labels_between(month_label(first, tz), month_label(last, tz))[::-1]
