"""The records behind the app's Usage page: which ones, in what order, and what each holds.

The page's table model holds only record ids (Anki's browser does the same) and asks for the
rows on screen, so a million records open as fast as their ids can be listed:
- `usage_ids` lists ids in display order. Time order comes straight from the timestamp index
  (no sort); other orders are a real sort of every matching record, run off the UI thread.
- `usage_count` answers "how many records" at once (the tables' b-trees or the rollup), for
  the first screen; `usage_totals` answers "how many records and requests, what they cost,
  how many are unpriced" from the hourly rollup whenever the filter allows it (a tenth of a
  second on a million records, so the page asks for it after the first screen), so neither
  scans the records unless a text search asks it to. Money follows `meterbook cost --source auto`
  (store/cost_query.py states the rule once): the vendor's billed cost where the export had
  one, the computed charge otherwise.
- `fetch_rows` reads a page of records by id, joined with their meter, charge and plan.
No Qt here: the Qt model adapts these functions.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from meterbook.core.cost import CostSheet, NotingRates
from meterbook.core.money import from_nano
from meterbook.core.periods import is_whole_hour_zone
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.cost_query import money_sql, record_source
from meterbook.store.rollup import US_PER_HOUR
from meterbook.store.sql import fetch_all, in_list, sql

# Tie-breaks always put the newest record first, whatever the main key and direction: among
# records with the same vendor, say, the owner expects the latest on top.
_TIE = "r.timestamp_us DESC, r.id DESC"
_METER = " JOIN meter m ON m.id = r.meter_id"
_CHARGE = " LEFT JOIN usage_charge c ON c.record_id = r.id"
_PLAN = _CHARGE + " LEFT JOIN plan_version p ON p.id = c.plan_version_id"

# The figure the Cost column shows: the auto rule (record_source), billed before computed.
_AMOUNT = "coalesce(r.billed_nano, c.charge_nano)"
# sort key -> (ORDER BY with {d} for the direction, joins it needs). An unpriced record has no
# amount: it sorts above every price (first when descending), so it is never mistaken for $0.
SORTS: dict[str, tuple[str, str]] = {
    "time": ("r.timestamp_us {d}, r.id {d}", ""),
    "vendor": ("m.vendor {d}, m.model {d}, " + _TIE, _METER),
    "model": ("m.model {d}, m.vendor {d}, " + _TIE, _METER),
    "project": ("m.project {d}, " + _TIE, _METER),
    "requests": ("r.requests {d}, " + _TIE, ""),
    "input": ("r.input_tokens {d}, " + _TIE, ""),
    "output": ("r.output_tokens {d}, " + _TIE, ""),
    "cost": (f"CASE WHEN {_AMOUNT} IS NULL THEN 1 ELSE 0 END {{d}}, {_AMOUNT} {{d}}, "
             + _TIE, _CHARGE),
    # "Priced by": unpriced, then the vendor's bill, then plans by name.
    "plan": ("CASE WHEN r.billed_nano IS NOT NULL THEN 1 WHEN p.name IS NULL THEN 2 ELSE 0 END"
             " {d}, p.name {d}, " + _TIE, _PLAN),
}
SORT_KEYS = tuple(SORTS)
# The cost order where no record has a bill: the charge alone, which SQLite sorts from the
# timestamp index and the charges without reading the records (over twice as fast).
_COST_WITHOUT_BILLS = ("CASE WHEN c.charge_nano IS NULL THEN 1 ELSE 0 END {d}, "
                       "c.charge_nano {d}, " + _TIE, _CHARGE)

_MICRO = Decimal(10**6)  # exact division: 2_500_000 micro-units -> Decimal("2.5")
_CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit
_FETCH = 50_000  # ids read per round trip when listing a million


@dataclass(frozen=True)
class UsageFilter:
    """What the Usage page shows. None means "any"; project "" means records without one.

    `text` is split into words; a record matches when every word is found (case-insensitive)
    in its request id, conversation id, user, vendor, model or project.
    """

    from_us: int | None = None  # inclusive
    to_us: int | None = None  # exclusive
    vendor: str | None = None
    model: str | None = None
    project: str | None = None
    text: str = ""
    unpriced: bool = False  # only the records with neither a billed cost nor a charge

    @property
    def words(self) -> list[str]:
        return self.text.split()

    @property
    def is_empty(self) -> bool:
        return (self.from_us is None and self.to_us is None and self.vendor is None
                and self.model is None and self.project is None and not self.words
                and not self.unpriced)


@dataclass(frozen=True)
class UsageTotals:
    """What the records a filter selects add up to, money as `meterbook cost` (source auto)
    counts it: usage charges only (a monthly fee belongs to no record), in the home currency.
    """

    records: int = 0
    requests: int = 0
    unpriced: int = 0  # records with neither a billed cost nor a computed charge
    billed_records: int = 0  # records with a billed cost (a vendor's cost export's lines)
    billed: Decimal = Decimal(0)  # the vendor's own figures
    computed: Decimal = Decimal(0)  # charges computed by plans, for records without a bill
    currency: str = "USD"
    # (currency, month) pairs with money but no exchange rate into the home currency: the
    # money figures are then unknown (never shown as if converted).
    missing_rates: tuple[tuple[str, str], ...] = ()

    @property
    def cost(self) -> Decimal | None:
        return None if self.missing_rates else self.billed + self.computed


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One record as the page shows it. `charge` None means unpriced (never $0)."""

    id: int
    timestamp_us: int
    vendor: str
    model: str
    project: str  # "" when none
    service_tier: str
    unit_name: str
    requests: int
    input_tokens: int  # uncached input only
    cached_input_tokens: int
    cache_write_tokens: int
    output_tokens: int
    units: Decimal
    request_id: str | None
    conversation_id: str | None
    user: str | None
    api_key: str | None
    billed: Decimal | None  # the vendor's own figure, when the export had one
    billed_currency: str | None
    charge: Decimal | None  # what Meterbook computed from the plan
    charge_currency: str | None
    plan_name: str | None
    plan_version_id: int | None
    plan_from_us: int | None  # when that plan version starts; None: always
    batch_id: int

    @property
    def source(self) -> str:
        """"billed", "computed" or "" (unpriced): which figure `cost --source auto` counts."""
        return record_source(self.billed, self.charge)

    @property
    def priced(self) -> bool:
        return self.source != ""

    @property
    def amount(self) -> tuple[Decimal, str] | None:
        """The figure counted for this record and its currency; None when unpriced."""
        source = self.source
        if source == "billed":
            return self.billed, self.billed_currency or ""
        if source == "computed":
            return self.charge, self.charge_currency or ""
        return None


@dataclass
class FilterChoices:
    """What the filter combos offer, from the small meter table (instant on any database)."""

    vendors: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)  # "" first when some records have none
    models_by_vendor: dict[str, list[str]] = field(default_factory=dict)
    first_us: int | None = None  # the oldest and newest record, for month choices
    last_us: int | None = None


# --- the WHERE clause ---------------------------------------------------------------------------


def _like(conn: Connection) -> str:
    # SQLite's LIKE ignores ASCII case already; PostgreSQL's does not.
    return "ILIKE" if conn.dialect.name == "postgresql" else "LIKE"


def _pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(conn: Connection, f: UsageFilter, rollup: bool = False) -> tuple[str, list] | None:
    """(" WHERE ..." or "", parameters) over usage_record r, or over usage_rollup when
    `rollup` (whole hours, no text); None when nothing can match.

    Vendor, model and project are looked up in the meter table first: records are then
    filtered by meter id, without joining every record to its meter.
    """
    clauses: list[str] = []
    params: list = []
    column, scale = ("hour", US_PER_HOUR) if rollup else ("r.timestamp_us", 1)
    if f.from_us is not None:
        clauses.append(f"{column} >= ?")
        params.append(f.from_us // scale)
    if f.to_us is not None:
        clauses.append(f"{column} < ?")
        params.append(f.to_us // scale)
    meter_column = "meter_id" if rollup else "r.meter_id"
    meters = fetch_all(conn, "SELECT id, vendor, model, project FROM meter")
    if f.vendor is not None or f.model is not None or f.project is not None:
        ids = [m[0] for m in meters if (f.vendor is None or m[1] == f.vendor)
               and (f.model is None or m[2] == f.model)
               and (f.project is None or m[3] == f.project)]
        if not ids:
            return None
        clauses.append(f"{meter_column} IN " + in_list(conn, ids))
        params.extend(ids)
    if f.unpriced:  # never over the rollup: it cannot tell every unbilled record apart
        assert not rollup
        clauses.append("r.billed_nano IS NULL AND "
                       "NOT EXISTS (SELECT 1 FROM usage_charge u WHERE u.record_id = r.id)")
    like = _like(conn)
    for word in f.words:
        low = word.lower()
        hits = [m[0] for m in meters if any(low in text.lower() for text in m[1:])]
        alternatives = [f"r.{name} {like} ? ESCAPE '\\'"
                        for name in ("request_id", "conversation_id", '"user"')]
        params.extend([_pattern(word)] * len(alternatives))
        if hits:
            alternatives.append("r.meter_id IN " + in_list(conn, hits))
            params.extend(hits)
        clauses.append("(" + " OR ".join(alternatives) + ")")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


# --- ids, counts, rows --------------------------------------------------------------------------


def usage_ids(conn: Connection, f: UsageFilter, sort: str = "time", descending: bool = True,
              limit: int | None = None) -> array:
    """Ids of the matching records in display order, as a compact array of 64-bit ints (a
    million take 8 MB). `limit` gives just the first ones: the first screen, at once."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; expected one of {', '.join(SORT_KEYS)}")
    where = _where(conn, f)
    ids = array("q")
    if where is None:
        return ids
    cond, params = where
    order, joins = SORTS[sort]
    if sort == "cost" and not _has_bills(conn):
        order, joins = _COST_WITHOUT_BILLS
    order = order.format(d="DESC" if descending else "ASC")
    if sort == "time" and f.words:
        # A text search reads every record anyway: a plain scan and a sort of the few that
        # match beats walking the timestamp index with a table lookup per record (2x).
        order = "+" + order
    statement = f"SELECT r.id FROM usage_record r{joins}{cond} ORDER BY {order}"
    if limit is not None:
        statement += f" LIMIT {int(limit)}"
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql(conn, statement), tuple(params))
        while batch := cursor.fetchmany(_FETCH):
            ids.extend([row[0] for row in batch])
    finally:
        cursor.close()
    return ids


def _has_bills(conn: Connection) -> bool:
    """Whether any record carries a billed cost. Every importer gives a bill its currency
    (USD when the file has none), so the rollup's currency column answers."""
    return bool(fetch_all(conn, "SELECT 1 FROM usage_rollup WHERE currency <> '' LIMIT 1"))


def _hour_aligned(us: int | None) -> bool:
    return us is None or us % US_PER_HOUR == 0


def usage_count(conn: Connection, f: UsageFilter) -> int:
    """How many records match: the row count the table needs before its first screen."""
    if f.is_empty:
        # From the table's b-tree: no record is read.
        return fetch_all(conn, "SELECT count(*) FROM usage_record")[0][0]
    # Whole hours (local midnights in all but a few zones) and no text: the hourly rollup
    # has the answer in a few thousand rows.
    rollup = (not f.words and not f.unpriced and _hour_aligned(f.from_us)
              and _hour_aligned(f.to_us))
    where = _where(conn, f, rollup=rollup)
    if where is None:
        return 0
    cond, params = where
    statement = ("SELECT coalesce(sum(records), 0) FROM usage_rollup" + cond if rollup else
                 "SELECT count(*) FROM usage_record r" + cond)
    return int(fetch_all(conn, statement, tuple(params))[0][0])


def usage_totals(conn: Connection, f: UsageFilter, tz: ZoneInfo | None = None,
                 home_currency: str | None = None, rates: Mapping | None = None,
                 exact_records: bool = False) -> UsageTotals:
    """Records, requests, money and unpriced records of what the filter selects.

    `tz` says which month converts a foreign currency (the report zone). `exact_records`
    reads the records rather than the rollup (slower on big databases; tests and the CLI's
    rare checks use it to be sure both ways agree).
    """
    tz = tz or ZoneInfo("UTC")
    home = home_currency or readers.home_currency(conn)
    rates = NotingRates(readers.rates_for(conn) if rates is None else rates)
    rollup = (not exact_records and not f.words and not f.unpriced
              and _hour_aligned(f.from_us) and _hour_aligned(f.to_us))
    sums = _sums(conn, f, rollup, by_time=False)
    if sums is None:
        return UsageTotals(currency=home)
    if rollup and sums[-1]:
        # Some record has a currency but no billed cost: only the records tell it apart.
        return usage_totals(conn, f, tz, home, rates.rates, exact_records=True)
    if any(c not in ("", home) for row in sums[0] for c in row[:2]):
        # Money in other currencies converts at each month's rate: sum per hour (per quarter
        # hour from the records, which every zone's offset divides) and key by month.
        if rollup and not _whole_hours(conn, tz):
            rollup = False
        sums = _sums(conn, f, rollup, by_time=True)
    rows, _doubt = sums
    sheet = CostSheet(home, rates)
    totals = [0, 0, 0, 0]
    step = US_PER_HOUR if rollup else _QUARTER_HOUR
    for (plan_currency, billed_currency, slot, records, requests, billed, computed, unpriced,
         billed_records) in rows:
        month = f"{from_epoch_us(slot * step).astimezone(tz):%Y-%m}" if slot is not None \
            else ""
        sheet.add_money("billed", int(billed), billed_currency or home, month)
        sheet.add_money("computed", int(computed), plan_currency or home, month)
        totals[0] += int(records)
        totals[1] += int(requests)
        totals[2] += int(unpriced)
        totals[3] += int(billed_records)
    return UsageTotals(*totals, sheet.usage_cost("billed"), sheet.usage_cost("computed"), home,
                       tuple(sorted(rates.missing)))


_QUARTER_HOUR = US_PER_HOUR // 4


def _whole_hours(conn: Connection, tz: ZoneInfo) -> bool:
    first = fetch_all(conn, "SELECT min(timestamp_us) FROM usage_record")[0][0]
    last = fetch_all(conn, "SELECT max(timestamp_us) FROM usage_record")[0][0]
    return first is None or is_whole_hour_zone(tz, first, last)


def _sums(conn: Connection, f: UsageFilter, rollup: bool, by_time: bool):
    """([(plan currency, billed currency, time slot or None, records, requests, billed nano,
    computed nano, unpriced records, billed records)], doubt) grouped by the currencies (and
    the slot when `by_time`); None when nothing can match. `doubt` (rollup only) counts the
    requests of records that have a currency and no billed cost: the rollup cannot tell them
    apart."""
    where = _where(conn, f, rollup=rollup)
    if where is None:
        return None
    cond, params = where
    billed, computed, _unpriced_requests = money_sql("auto", over_rollup=rollup)
    # money_sql and _where name the columns unqualified: none of them is also in plan_version.
    if rollup:
        slot = "u.hour" if by_time else None
        currencies = "coalesce(p.currency, ''), u.currency"
        statement = f"""SELECT {currencies}, {slot or "NULL"}, sum(u.records),
            sum(u.requests), {billed}, {computed},
            sum(CASE WHEN u.plan_version_id = 0 AND u.currency = '' THEN u.records ELSE 0 END),
            sum(CASE WHEN u.currency <> '' THEN u.records ELSE 0 END),
            sum(CASE WHEN u.currency <> '' THEN u.unbilled_requests ELSE 0 END)
            FROM usage_rollup u LEFT JOIN plan_version p ON p.id = u.plan_version_id{cond}"""
    else:
        slot = f"r.timestamp_us / {_QUARTER_HOUR}" if by_time else None
        currencies = "coalesce(p.currency, ''), coalesce(r.currency, '')"
        statement = f"""SELECT {currencies}, {slot or "NULL"}, count(*), sum(r.requests),
            {billed}, {computed},
            sum(CASE WHEN r.billed_nano IS NULL AND c.record_id IS NULL THEN 1 ELSE 0 END),
            count(r.billed_nano), 0
            FROM usage_record r{_PLAN}{cond}"""
    statement += f" GROUP BY {currencies}" + (f", {slot}" if slot else "")
    found = fetch_all(conn, statement, tuple(params))
    rows = [t[:9] for t in found if t[3]]
    return rows, sum(int(t[9] or 0) for t in found)


_ROW_SQL = """SELECT r.id, r.timestamp_us, m.vendor, m.model, m.project, m.service_tier,
    m.unit_name, r.requests, r.input_tokens, r.cached_input_tokens, r.cache_write_tokens,
    r.output_tokens, r.units_micro, r.request_id, r.conversation_id, r."user", r.api_key,
    r.billed_nano, r.currency, c.charge_nano, p.currency, p.name, p.id, p.effective_from_us,
    r.batch_id
FROM usage_record r JOIN meter m ON m.id = r.meter_id""" + _PLAN + " WHERE r.id IN "


def fetch_rows(conn: Connection, ids) -> dict[int, UsageRow]:
    """The records with these ids (any that no longer exist are simply absent)."""
    found: dict[int, UsageRow] = {}
    ids = list(ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for t in fetch_all(conn, _ROW_SQL + in_list(conn, chunk), tuple(chunk)):
            found[t[0]] = UsageRow(
                id=t[0], timestamp_us=t[1], vendor=t[2], model=t[3], project=t[4],
                service_tier=t[5], unit_name=t[6], requests=t[7], input_tokens=t[8],
                cached_input_tokens=t[9], cache_write_tokens=t[10], output_tokens=t[11],
                units=Decimal(t[12]) / _MICRO, request_id=t[13], conversation_id=t[14],
                user=t[15], api_key=t[16],
                billed=None if t[17] is None else from_nano(t[17]), billed_currency=t[18],
                charge=None if t[19] is None else from_nano(t[19]), charge_currency=t[20],
                plan_name=t[21], plan_version_id=t[22], plan_from_us=t[23], batch_id=t[24])
    return found


def filter_choices(conn: Connection) -> FilterChoices:
    meters = fetch_all(conn, "SELECT DISTINCT vendor, model, project FROM meter")
    by_vendor: dict[str, set[str]] = {}
    for vendor, model, _project in meters:
        by_vendor.setdefault(vendor, set()).add(model)
    # Both ends come from the timestamp index: two lookups, not a scan.
    first = fetch_all(conn, "SELECT min(timestamp_us) FROM usage_record")[0][0]
    last = fetch_all(conn, "SELECT max(timestamp_us) FROM usage_record")[0][0]
    return FilterChoices(
        vendors=sorted(by_vendor),
        models=sorted({m[1] for m in meters}, key=str.lower),
        projects=sorted({m[2] for m in meters}, key=str.lower),
        models_by_vendor={v: sorted(models, key=str.lower) for v, models in by_vendor.items()},
        first_us=first, last_us=last)
