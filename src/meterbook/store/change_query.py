"""A period's cost per vendor, model and project, its fixed charges per plan, and why the cost
changed between two months (core/change.py), for the monthly report, Dashboard and Reports page.

Every figure is `run_cost_query`'s (the money rule lives there): one query per (vendor, model,
project) over that meter's usage (CostQuery.meter_ids), one `--by plan` for the fixed charges,
and one for the total, which the lines must add up to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy.engine import Connection

from meterbook.core.change import Cell, Change, decompose
from meterbook.core.cost import COUNT_FIELDS, CostRow
from meterbook.core.periods import US_PER_HOUR, month_start_us, next_month, parse_month
from meterbook.core.plans import Plan
from meterbook.core.records import from_epoch_us
from meterbook.errors import Refused
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.sql import fetch_all
from meterbook.store.usage_store import Meters


@dataclass(frozen=True)
class Line:
    """Usage of one vendor, model and project: counts and usage cost (no fixed charges)."""

    vendor: str
    model: str
    project: str
    row: CostRow

    @property
    def tokens(self) -> int:
        return sum(getattr(self.row, f) for f in COUNT_FIELDS[1:])


@dataclass(frozen=True)
class FixedLine:
    vendor: str
    plan: str
    amount: Decimal


@dataclass(frozen=True)
class Breakdown:
    lines: list[Line]
    fixed: list[FixedLine]
    total: CostRow  # the cost query's own total: lines and fixed lines add up to it

    @property
    def fixed_total(self) -> Decimal:
        return sum((f.amount for f in self.fixed), Decimal(0))


class BreakdownMismatch(AssertionError):
    """The lines do not add up to the cost query's total: a report must never be sent so."""


def scope_meters(conn: Connection, vendor: str | None = None, project: str | None = None
                 ) -> tuple[int, ...] | None:
    """The meter ids of a scope (any case), or None for no scope. A vendor or project that no
    usage names is refused, with those that exist (a typo must not give an empty report)."""
    if vendor is None and project is None:
        return None
    keys = Meters(conn).keys
    for index, name, what in ((0, vendor, "vendor"), (2, project, "project")):
        known = sorted({key[index] for key in keys.values()})
        if name is not None and name.lower() not in {k.lower() for k in known}:
            raise Refused(f"no usage of {what} {name!r} in this database"
                          + (f"; {what}s: {', '.join(repr(k) for k in known)}" if known else ""))
    return tuple(sorted(
        mid for mid, key in keys.items()
        if (vendor is None or key[0].lower() == vendor.lower())
        and (project is None or key[2].lower() == project.lower())))


def _meters_in_range(conn: Connection, q: CostQuery) -> dict[tuple[str, str, str], list[int]]:
    """Meters with usage in the hours overlapping [from, to), by (vendor, model, project)."""
    lo = -(2**62) if q.from_us is None else q.from_us // US_PER_HOUR
    hi = 2**62 if q.to_us is None else -(-q.to_us // US_PER_HOUR)
    keys = Meters(conn).keys
    found: dict[tuple[str, str, str], list[int]] = {}
    for (mid,) in fetch_all(conn, """SELECT DISTINCT meter_id FROM usage_rollup
            WHERE hour >= ? AND hour < ?""", (lo, hi)):
        if q.meter_ids is None or mid in q.meter_ids:
            found.setdefault(keys[mid][:3], []).append(mid)
    return found


def breakdown(conn: Connection, q: CostQuery, plans: list[tuple[int, Plan]],
              with_fixed: bool = True) -> Breakdown:
    """Lines per vendor, model and project over [q.from_us, q.to_us), sorted; fixed charges
    per plan (none when `with_fixed` is False: a project's report, since fees belong to no
    project)."""
    return breakdowns(conn, q, plans, [(q.from_us, q.to_us)], with_fixed)[0]


def breakdowns(conn: Connection, q: CostQuery, plans: list[tuple[int, Plan]],
               spans: list[tuple[int, int]], with_fixed: bool = True) -> list[Breakdown]:
    """breakdown() of several periods (each from a local midnight to another, in q.tz), with
    one query per meter for all of them: its usage per day, each day added to its period."""
    days = [(_local_day(lo, q), _local_day(hi, q)) for lo, hi in spans]
    whole = replace(q, from_us=min(lo for lo, _ in spans), to_us=max(hi for _, hi in spans))
    sums: list[dict[tuple[str, str, str], CostRow]] = [{} for _ in spans]
    for meter, ids in sorted(_meters_in_range(conn, whole).items()):
        report = run_cost_query(conn, replace(whole, by="day", meter_ids=tuple(ids)), plans)
        for row in report.rows:
            for i, (first, end) in enumerate(days):
                if first <= row.key < end:
                    sums[i].setdefault(meter, CostRow(meter[1])).add(row)
    out = []
    for (lo, hi), lines_of in zip(spans, sums, strict=True):
        lines = []
        for (vendor, model, project), row in sorted(lines_of.items()):
            row.fixed_cost = Decimal(0)  # a month's fee sits on its first day: not usage
            if any(getattr(row, f) for f in COUNT_FIELDS) or row.usage_cost \
                    or row.unpriced_requests:
                lines.append(Line(vendor, model, project, row))
        out.append(_with_fixed_and_total(conn, replace(q, from_us=lo, to_us=hi), plans,
                                         lines, with_fixed))
    return out


def _local_day(us: int | None, q: CostQuery) -> str:
    return "" if us is None else f"{from_epoch_us(us).astimezone(q.tz):%Y-%m-%d}"


def _with_fixed_and_total(conn: Connection, q: CostQuery, plans: list[tuple[int, Plan]],
                          lines: list[Line], with_fixed: bool) -> Breakdown:
    """The period's fixed charges per plan and the cost query's total, which the lines and
    the fixed charges must add up to."""
    fixed = []
    if with_fixed:
        vendor_of = {p.name: p.vendor for _, p in plans}
        for row in run_cost_query(conn, replace(q, by="plan"), plans).rows:
            if row.fixed_cost:
                fixed.append(FixedLine(vendor_of.get(row.key, ""), row.key, row.fixed_cost))
    total = run_cost_query(conn, replace(q, by="month"), plans).total
    if not with_fixed:
        total = replace(total, fixed_cost=Decimal(0))
    found = sum((ln.row.usage_cost for ln in lines), Decimal(0)) + sum(
        (f.amount for f in fixed), Decimal(0))
    if found != total.cost:
        raise BreakdownMismatch(f"lines add up to {found}, the cost query to {total.cost}")
    return Breakdown(lines, fixed, total)


def month_bounds(month: str, q: CostQuery) -> tuple[int, int]:
    y, m = parse_month(month)
    return month_start_us(y, m, q.tz), month_start_us(*next_month(y, m), q.tz)


def cells(b: Breakdown) -> tuple[dict[tuple[str, str], Cell], dict[str, Decimal]]:
    """A breakdown as the change decomposition reads it: cells per (vendor, model) (projects
    added together) and fixed charges per vendor. A model metered in units (characters,
    images) has units where others have tokens: its size is units per request."""
    found: dict[tuple[str, str], Cell] = {}
    for ln in b.lines:
        old = found.get((ln.vendor, ln.model), Cell())
        found[(ln.vendor, ln.model)] = Cell(old.requests + ln.row.requests,
                                            old.tokens + ln.tokens + ln.row.units_micro,
                                            old.cost + ln.row.usage_cost)
    fixed: dict[str, Decimal] = {}
    for f in b.fixed:
        fixed[f.vendor] = fixed.get(f.vendor, Decimal(0)) + f.amount
    return found, fixed


def change_between(conn: Connection, before: Breakdown | str, after: Breakdown | str,
                   q: CostQuery, plans: list[tuple[int, Plan]], with_fixed: bool = True
                   ) -> Change:
    """Why the cost changed from one month ('YYYY-MM', or a breakdown already read) to
    another, in q's zone, currency, rates and scope."""
    months = [s for s in (before, after) if isinstance(s, str)]
    read = iter(breakdowns(conn, q, plans, [month_bounds(m, q) for m in months], with_fixed)
                if months else ())
    sides = [cells(next(read) if isinstance(s, str) else s) for s in (before, after)]
    (cells_a, fixed_a), (cells_b, fixed_b) = sides
    return decompose(cells_a, cells_b, fixed_a, fixed_b)
