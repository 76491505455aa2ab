"""`plans list` and `plans catalog`: a table for people (with each price's source), JSON for
programs (docs/json.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal

from meterbook.core.plan_form import price_summary
from meterbook.core.plans import Plan
from meterbook.reports.tables import Column, Fit, render

_COLUMNS = (Column("PLAN", fit=Fit.WRAP), Column("VENDOR"), Column("MODEL", fit=Fit.WRAP),
            Column("FROM"), Column("CUR"), Column("PRICES", fit=Fit.WRAP))


def plans_table(plans: Sequence[Plan], width: int | None = None) -> list[str]:
    """One row a plan version; a source is a number in the table, its address below it (an
    address is copied whole, so it is never cut to fit)."""
    sources: dict[str, int] = {}
    for plan in plans:
        if plan.source:
            sources.setdefault(plan.source, len(sources) + 1)
    columns = [*_COLUMNS, *([Column("SRC", right=True)] if sources else [])]
    rows = []
    for plan in plans:
        start = f"{plan.effective_from:%Y-%m-%d}" if plan.effective_from else "always"
        tier = f" [{plan.service_tier}]" if plan.service_tier else ""
        row = [plan.name, plan.vendor, plan.model + tier, start, plan.currency,
               price_summary(plan)]
        if sources:
            row.append(f"[{sources[plan.source]}]" if plan.source else "")
        rows.append(row)
    out = render(columns, rows, width=width)
    if sources:
        wide = len(f"[{len(sources)}]")
        out += ["", "Sources:"] + [f"{f'[{n}]':>{wide}} {source}" for source, n in sources.items()]
    return out


def plan_json(plan: Plan) -> dict:
    """Every field of the plan version: prices as decimal strings as written (the multiplier
    beside them, not applied), instants in UTC ISO 8601, absent values null."""
    return _jsonable(plan)


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    return value
