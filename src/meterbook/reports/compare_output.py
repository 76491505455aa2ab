"""`meterbook compare` output: a table for people, exact CSV and JSON for programs (docs/json.md).

Money is a decimal string in JSON and CSV (format_exact), never a float; a figure over zero
requests or conversations is null in JSON and "no requests" / "no conversations" for people,
never 0.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from meterbook.core.compare import NO_REQUESTS, Spread, Subsidy
from meterbook.core.money import format_display, format_exact
from meterbook.reports.tables import Column, render
from meterbook.store.compare import Comparison, ModelFigures, ScenarioResult

NO_CONVERSATIONS = "no conversations"
CSV_COLUMNS = ("scenario", "month", "cost", "usage_cost", "fixed_cost", "requests",
               "unpriced_requests", "conversations", "cost_per_request",
               "cost_per_conversation", "difference", "difference_percent")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format_exact(value)


def _exact(value: Decimal | None) -> str | None:
    """A price or share: every digit it has (a break-even price may need more than 9)."""
    return None if value is None else f"{value:f}"


def scenario_json(s: ScenarioResult) -> dict:
    return {
        "name": s.name, "cost": format_exact(s.cost), "usage_cost": format_exact(s.usage_cost),
        "fixed_cost": format_exact(s.fixed_cost), "requests": s.requests,
        "unpriced_requests": s.unpriced_requests,
        "cost_per_request": _exact(s.cost_per_request),
        "cost_per_conversation": _exact(s.cost_per_conversation),
        "difference": format_exact(s.difference),
        "difference_percent": _exact(s.difference_percent),
        "conversations": s.conversations,
        "months": [{"month": m.month, "cost": format_exact(m.cost),
                    "usage_cost": format_exact(m.usage_cost),
                    "fixed_cost": format_exact(m.fixed_cost), "requests": m.requests,
                    "conversations": m.conversations,
                    "cost_per_conversation": _exact(m.cost_per_conversation)}
                   for m in s.months],
    }


def _subsidy_json(s: Subsidy) -> dict:
    return {"requests": s.requests, "requests_paying_more": s.paying_more,
            "share_paying_more": _exact(s.share_paying_more),
            "paid_more": format_exact(s.paid_more), "paid_less": format_exact(s.paid_less)}


def _spread_json(m: ModelFigures) -> dict:
    sp: Spread | None = m.spread
    return {
        "vendor": m.vendor, "model": m.model, "requests": m.break_even.requests,
        "records": 0 if sp is None else sp.records,
        "median": None if sp is None else _exact(sp.median),
        "p90": None if sp is None else _exact(sp.p90),
        "p99": None if sp is None else _exact(sp.p99),
        "largest": None if sp is None else _exact(sp.largest),
        "flat_at_break_even": {"price": _exact(m.break_even.price), **_subsidy_json(m.flat)},
        "alternatives": [{"name": name, **_subsidy_json(s)}
                         for name, s in m.alternatives.items()],
    }


def _break_even_json(m: ModelFigures) -> dict:
    return {
        "vendor": m.vendor, "model": m.model, "requests": m.break_even.requests,
        "cost": format_exact(m.break_even.cost),
        "price_per_request": _exact(m.break_even.price),
        "note": NO_REQUESTS if m.break_even.price is None else None,
        "per_token_equivalents": [{
            "scenario": e.scenario, "flat_cost": format_exact(e.cost),
            **({"based_on": None} if e.prices is None else {
                "based_on": e.prices.based_on, "factor": _exact(e.prices.factor),
                "token_unit": e.prices.token_unit, "input": _exact(e.prices.input),
                "cached_input": _exact(e.prices.cached_input),
                "cache_write": _exact(e.prices.cache_write),
                "output": _exact(e.prices.output), "request": _exact(e.prices.request)}),
        } for e in m.flat_equivalents],
    }


def as_document(c: Comparison) -> dict:
    return {
        "currency": c.currency, "from": c.from_label, "to": c.to_label,
        "scenarios": [scenario_json(s) for s in c.scenarios],
        "break_even": [_break_even_json(m) for m in c.models],
        "spread": [_spread_json(m) for m in c.models],
    }


def as_json(c: Comparison) -> str:
    return json.dumps(as_document(c), indent=2, ensure_ascii=False)


def as_csv(c: Comparison) -> str:
    """One line per scenario and month, then the scenario's total (month "total")."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in c.scenarios:
        data = scenario_json(s)
        for m in data["months"]:
            writer.writerow([s.name, m["month"], m["cost"], m["usage_cost"], m["fixed_cost"],
                             m["requests"], "", m["conversations"], "",
                             m["cost_per_conversation"] or "", "", ""])
        writer.writerow([s.name, "total", data["cost"], data["usage_cost"], data["fixed_cost"],
                         s.requests, s.unpriced_requests, s.conversations,
                         data["cost_per_request"] or "", data["cost_per_conversation"] or "",
                         data["difference"], data["difference_percent"] or ""])
    return buf.getvalue()


def _per(value: Decimal | None, none: str, places: int = 4) -> str:
    return none if value is None else format_display(value, places)


def billed_only_note(c: Comparison) -> str | None:
    """Why a scope of vendor cost lines compares as nothing; None when none is in it."""
    if not c.billed_only:
        return None
    return (f"{c.billed_only:,} record(s) in this scope are billed cost lines from a vendor's "
            "cost export: they carry the vendor's money and no token counts, so no plan prices "
            "them and no scenario counts them (see `meterbook cost --source billed`).")


def as_table(c: Comparison, tz_name: str, width: int | None = None) -> str:
    period = f"{c.from_label or 'the start'} to {c.to_label or 'the end'} (to exclusive)"
    out = [f"Compare in {c.currency}, {period}, time zone {tz_name}", ""]
    if c.empty:
        return "\n".join([*out, "No usage in this scope: nothing to compare (0 records)."]) + "\n"
    header = ["SCENARIO", "COST", "USAGE", "FIXED", "REQUESTS", "UNPRICED", "PER REQUEST",
              "PER CONVERSATION", "DIFFERENCE", "%"]
    body = [[s.name, format_display(s.cost), format_display(s.usage_cost),
             format_display(s.fixed_cost), f"{s.requests:,}",
             f"{s.unpriced_requests:,}" if s.unpriced_requests else "-",
             _per(s.cost_per_request, NO_REQUESTS),
             _per(s.cost_per_conversation, NO_CONVERSATIONS),
             "-" if i == 0 else format_display(s.difference),
             "-" if i == 0 or s.difference_percent is None else f"{s.difference_percent}%"]
            for i, s in enumerate(c.scenarios)]
    columns = [Column(h, right=i > 0) for i, h in enumerate(header)]
    out += render(columns, body, width=width, rules=True)
    out += ["", "Cost per conversation by month:"]
    months = [m.month for m in c.scenarios[0].months]
    columns = [Column("MONTH")] + [Column(s.name, right=True) for s in c.scenarios]
    body = [[month] + [_per(s.months[k].cost_per_conversation, NO_CONVERSATIONS)
                       for s in c.scenarios] for k, month in enumerate(months)]
    out += render(columns, body, width=width, rules=True)
    out += ["", "Break-even flat price per request (what the saved plans cost, per request), "
            "and the spread of per-request cost:"]
    columns = [Column(h, right=i > 1) for i, h in enumerate(
        ["VENDOR", "MODEL", "REQUESTS", "COST", "BREAK-EVEN", "MEDIAN", "P90", "P99",
         "LARGEST", "PAY MORE", "MOVED"])]
    body = []
    for m in c.models:
        sp, flat = m.spread, m.flat
        body.append([m.vendor, m.model, f"{m.break_even.requests:,}",
                     format_display(m.break_even.cost),
                     _per(m.break_even.price, NO_REQUESTS, 6)]
                    + ([_per(v, "-", 6) for v in (sp.median, sp.p90, sp.p99, sp.largest)]
                       if sp else ["-"] * 4)
                    + [_share(flat), format_display(flat.paid_more)])
    out += render(columns, body, width=width, rules=True)
    out += ["", "PAY MORE: the share of requests that a flat price at break-even would charge "
            "more than their token cost; MOVED: the money they would pay above it, which the "
            "larger requests pay less."]
    out += _alternative_lines(c)
    note = billed_only_note(c)
    out += ["", note] if note else []
    return "\n".join(out) + "\n"


def _share(s: Subsidy) -> str:
    share = s.share_paying_more
    return NO_REQUESTS if share is None else f"{share * 100:.1f}%"


def _alternative_lines(c: Comparison) -> list[str]:
    out = []
    for m in c.models:
        for name, s in m.alternatives.items():
            if not s.requests:
                continue  # the alternative prices none of these requests: nothing to say
            out.append(f"  {m.vendor} {m.model} under {name}: {_share(s)} of requests pay more "
                       f"than their token cost ({format_display(s.paid_more)} more in all; the "
                       f"others {format_display(s.paid_less)} less)")
        for e in m.flat_equivalents:
            if e.prices is None:
                continue
            p = e.prices
            out.append(f"  {m.vendor} {m.model}: per-token prices costing what {e.scenario} "
                       f"costs ({format_display(e.cost)}): {p.based_on}'s prices x {p.factor:f}"
                       f" = input {p.input:f}, output {p.output:f} per {p.token_unit:,} tokens")
    return ["", "Alternatives, per vendor and model:", *out] if out else []
