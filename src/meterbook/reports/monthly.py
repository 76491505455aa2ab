"""Everything the monthly report shows, gathered once for every format (CSV, XLSX, HTML; the
PDF and the Reports page read the same `MonthlyReport`).

Every money figure is the cost query's (store/cost_query.py, source auto: the vendor's bill
where it billed, the plans' charge otherwise), read through store/change_query.py; the lines
add up to the same total as `meterbook cost` for the period, checked there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from meterbook import __version__
from meterbook.core.change import Change
from meterbook.core.cost import COUNT_FIELDS, CostRow
from meterbook.core.periods import month_start_us, next_month, parse_day, parse_month, zone
from meterbook.core.plans import Plan
from meterbook.core.records import from_epoch_us, to_epoch_us
from meterbook.errors import Refused
from meterbook.store import readers
from meterbook.store.alerts import SPIKE, THRESHOLD, Alert, standing_alerts
from meterbook.store.batches import list_batches
from meterbook.store.budget_status import BudgetFigures, budget_status
from meterbook.store.change_query import (
    Breakdown,
    FixedLine,
    Line,
    breakdowns,
    change_between,
    scope_meters,
)  # fmt: skip
from meterbook.store.cost_query import CostQuery, meter_scope_sql, run_cost_query
from meterbook.store.database import Database
from meterbook.store.reconcile_query import BillGaps, bill_gaps
from meterbook.store.settings import company_name
from meterbook.store.sql import fetch_all

TOP_CONVERSATIONS = 10
ROUNDING = ("Each record's cost is kept exact to 9 decimal places (rounded half-to-even once, "
            "when it is priced); sums are exact; figures are shown rounded half-to-even to "
            "cents. CSV and XLSX hold the exact figures.")


@dataclass(frozen=True)
class Period:
    label: str  # "2026-02", or "2026-01-01 to 2026-03-31" (the last day included)
    from_us: int
    to_us: int
    previous_label: str
    previous_from_us: int
    previous_to_us: int
    months: tuple[str, ...]  # the months it touches, for the exchange rates used


@dataclass(frozen=True)
class Reconciliation:
    """A vendor that billed in the period: its bill against Meterbook's own pricing."""

    vendor: str
    billed: Decimal  # source billed: what the vendor's exports say
    computed: Decimal  # source computed: the plans' charges for the same vendor's usage
    gaps: BillGaps  # the records that make them differ (store/reconcile_query.py)
    unpriced_requests: int  # requests no plan prices

    @property
    def difference(self) -> Decimal:
        return self.billed - self.computed

    @property
    def other(self) -> Decimal:
        """What the kinds of records do not explain: on records with both a bill and a
        charge, the vendor's rounding and prices that differ from the plans'."""
        g = self.gaps
        return self.difference - g.without_usage - g.billed_unpriced + g.not_billed


@dataclass(frozen=True)
class ImportCovered:
    batch: int
    created: str  # local time, report zone
    files: str
    records: int  # of them, in the period and scope
    refused: int  # lines the batch refused (kept with it under --skip-bad-lines)


@dataclass
class MonthlyReport:
    period: Period
    vendor: str | None
    project: str | None
    currency: str
    tz_name: str
    generated_at: datetime
    version: str
    breakdown: Breakdown
    previous: Breakdown
    change: Change
    conversations: list[CostRow]  # the most expensive, dearest first
    conversation_count: int
    conversation_cost: Decimal  # usage cost of requests that belong to a conversation
    reconciliation: list[Reconciliation]
    imports: list[ImportCovered]
    rates: list[tuple[str, str, Decimal]]  # (currency, month, rate) of the period's months
    rounding: str = ROUNDING
    # The saved budgets' status at the period's end (or today, in a period not over) and
    # the alerts of the period; None when no budget is saved (the writers then say nothing).
    budgets: list[BudgetFigures] | None = None
    alerts: list[Alert] | None = None
    notes: list[str] = field(default_factory=list)
    company: str | None = None  # the settings' company name, printed at the top

    @property
    def total(self) -> CostRow:
        return self.breakdown.total

    @property
    def previous_total(self) -> Decimal:
        return self.previous.total.cost

    @property
    def lines(self) -> list[Line]:
        return self.breakdown.lines

    @property
    def fixed(self) -> list[FixedLine]:
        return self.breakdown.fixed

    @property
    def empty(self) -> bool:
        """No usage in the period and scope (fixed charges may still be owed)."""
        return not self.lines

    @property
    def refused_lines(self) -> int:
        return sum(i.refused for i in self.imports)

    @property
    def cost_per_request(self) -> Decimal | None:
        priced = self.total.requests - self.total.unpriced_requests
        return self.total.usage_cost / priced if priced > 0 else None

    @property
    def cost_per_conversation(self) -> Decimal | None:
        n = self.conversation_count
        return self.conversation_cost / n if n else None

    def grouped(self, by: str) -> list[CostRow]:
        """Lines added up per vendor, model or project (fixed charges in the vendor's row;
        a model or project has none: fees belong to no model or project)."""
        rows: dict[str, CostRow] = {}
        for ln in self.lines:
            key = getattr(ln, by)
            row = rows.setdefault(key, CostRow(key))
            row.add(ln.row)
        if by == "vendor":
            for f in self.fixed:
                rows.setdefault(f.vendor, CostRow(f.vendor)).fixed_cost += f.amount
        return sorted(rows.values(), key=lambda r: (-r.cost, r.key))


def tokens(row: CostRow) -> int:
    return sum(getattr(row, f) for f in COUNT_FIELDS[1:])


def _month_period(label: str, tz) -> Period:
    y, m = parse_month(label)
    py, pm = (y - 1, 12) if m == 1 else (y, m - 1)
    return Period(label, month_start_us(y, m, tz), month_start_us(*next_month(y, m), tz),
                  f"{py:04d}-{pm:02d}", month_start_us(py, pm, tz), month_start_us(y, m, tz),
                  (label,))


def _range_period(first: str, end: str, tz) -> Period:
    """[first, end): the previous period is as many whole months before when both are first
    days of months (a quarter against the quarter before), else as many days."""
    lo, hi = parse_day(first, tz), parse_day(end, tz)
    if hi <= lo:
        raise Refused("--to must be after --from (--to is exclusive)")
    d0, d1 = date.fromisoformat(first[:10]), date.fromisoformat(end[:10])
    if d0.day == 1 and d1.day == 1 and len(first) == len(end) == 10:
        n = (d1.year - d0.year) * 12 + d1.month - d0.month
        y, m = d0.year, d0.month - n
        while m < 1:
            y, m = y - 1, m + 12
        p0 = date(y, m, 1)
    else:
        p0 = d0 - (d1 - d0)
    months, (y, m) = [], (d0.year, d0.month)
    while date(y, m, 1) < d1:
        months.append(f"{y:04d}-{m:02d}")
        y, m = next_month(y, m)
    last = d1 - timedelta(days=1)
    return Period(f"{d0} to {last}", lo, hi, f"{p0} to {d0 - timedelta(days=1)}",
                  parse_day(p0.isoformat(), tz), lo, tuple(months))


def choose_period(tz_name: str, now: datetime, month: str | None = None,
                  from_: str | None = None, to: str | None = None) -> Period:
    """The report's period: a month ('last': the month before `now`'s), or [from, to).
    A period that starts after `now` is refused: nothing can be known of it yet."""
    tz = zone(tz_name)
    local_now = now.astimezone(tz)
    if month == "last":
        y, m = local_now.year, local_now.month
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        month = f"{y:04d}-{m:02d}"
    if month:
        period = _month_period(month, tz)
    elif from_ and to:
        period = _range_period(from_, to, tz)
    else:
        raise Refused("say which period: --month YYYY-MM, --month last, or --from and --to")
    if from_epoch_us(period.from_us) > now:
        raise Refused(f"{period.label} is in the future (today is {local_now:%Y-%m-%d} in "
                      f"{tz_name}): there is nothing to report yet")
    return period


def _imports(conn, db: Database, period: Period, meter_ids, tz) -> list[ImportCovered]:
    scope, ids = meter_scope_sql(conn, meter_ids)
    counts = dict(fetch_all(conn, f"""SELECT batch_id, count(*) FROM usage_record
        WHERE timestamp_us >= ? AND timestamp_us < ?{scope} GROUP BY batch_id""",
        (period.from_us, period.to_us, *ids)))
    return [ImportCovered(b.id, f"{from_epoch_us(b.created_us).astimezone(tz):%Y-%m-%d %H:%M}",
                          b.files.replace("\n", ", "), counts[b.id], b.refused)
            for b in list_batches(db) if b.id in counts]


def _reconciliation(conn, q: CostQuery, plans) -> list[Reconciliation]:
    billed = {r.key: r for r in run_cost_query(conn, replace(q, by="vendor", source="billed"),
                                                plans).rows if r.usage_cost}
    computed = {r.key: r for r in run_cost_query(
        conn, replace(q, by="vendor", source="computed"), plans).rows}
    gaps = bill_gaps(conn, q, sorted(billed))
    out = []
    for vendor, row in sorted(billed.items()):
        other = computed.get(vendor, CostRow(vendor))
        out.append(Reconciliation(vendor, row.usage_cost, other.usage_cost, gaps[vendor],
                                  other.unpriced_requests))
    return out


def _budgets(conn, period: Period, tz, now: datetime
             ) -> tuple[list[BudgetFigures] | None, list[Alert] | None]:
    """The budgets of the period holding its last day, as they stood at its end (or at `now`
    while it runs), and the alerts not withdrawn that the period raised: a threshold crossed
    in it, a spike on one of its days, a forecast alert raised during it."""
    last = from_epoch_us(period.to_us - 1).astimezone(tz).date()
    today = min(now.astimezone(tz).date(), last)
    status = budget_status(conn, last.year, last.month, today, str(tz))
    alerts = []
    for a in standing_alerts(conn):
        if a.kind == THRESHOLD:
            moment = a.crossed_at
        elif a.kind == SPIKE:
            moment = datetime.fromisoformat(a.day).replace(tzinfo=tz)
        else:
            moment = a.raised_at
        if moment is not None and period.from_us <= to_epoch_us(moment) < period.to_us:
            alerts.append(a)
    if not status.budgets and not alerts:
        return None, None
    return status.budgets, alerts


def gather(db: Database, period: Period, tz_name: str, generated_at: datetime,
           vendor: str | None = None, project: str | None = None,
           plans: list[tuple[int, Plan]] | None = None) -> MonthlyReport:
    """The report of `period`, scoped to a vendor and/or project (None: everything)."""
    tz = zone(tz_name)
    with db.engine.connect() as conn:
        plans = readers.load_plans(conn) if plans is None else plans
        meter_ids = scope_meters(conn, vendor, project)
        q = CostQuery(tz=tz, from_us=period.from_us, to_us=period.to_us,
                      home_currency=readers.home_currency(conn),
                      rates=readers.rates_for(conn), meter_ids=meter_ids)
        with_fixed = project is None  # fees belong to vendors and plans, not to a project
        before, now = breakdowns(conn, q, plans, [
            (period.previous_from_us, period.previous_to_us), (period.from_us, period.to_us)],
            with_fixed)
        change = change_between(conn, before, now, q, plans)
        conv_rows = [r for r in run_cost_query(conn, replace(q, by="conversation"),
                                               plans).rows if r.key]
        conv_rows.sort(key=lambda r: (-r.usage_cost, r.key))
        recon = _reconciliation(conn, q, plans)
        imports = _imports(conn, db, period, meter_ids, tz)
        rates = sorted((c, m, r) for (c, m), r in (q.rates or {}).items()
                       if m in period.months)
        budgets, alerts = _budgets(conn, period, tz, generated_at)
        company = company_name(conn)
    notes = []
    if period.to_us > to_epoch_us(generated_at):  # an accountant must not read it as final
        notes.append(f"{period.label} is not over yet: these are the figures known at "
                     f"{generated_at.astimezone(tz):%Y-%m-%d %H:%M} ({tz_name}), against the "
                     "whole previous period.")
    if project is not None:
        notes.append("Fixed charges (monthly fees and minimums) belong to a vendor's plan, not "
                     "to a project: a project's report leaves them out.")
    return MonthlyReport(
        period, vendor, project, q.home_currency, tz_name, generated_at, __version__, now,
        before, change, conv_rows[:TOP_CONVERSATIONS], len(conv_rows),
        sum((r.usage_cost for r in conv_rows), Decimal(0)), recon, imports, rates,
        budgets=budgets, alerts=alerts, notes=notes, company=company)

