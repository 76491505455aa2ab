"""What explains the difference between a vendor's bill and the plans' computed cost.

The two totals are the cost query's (`--source billed` and `--source computed`); this module
sorts the records of the vendors that billed into what makes them differ:

- billed lines without usage: money from a cost export, no requests, tokens or units, so no
  plan can price them (they raise the bill, not the computed cost);
- billed usage no plan prices: the vendor billed it, the plans cannot compute it;
- usage not billed: computed by a plan, with no bill on the record (raises computed only);
- what is left is the records that carry both a bill and a charge: the vendor's rounding and
  prices that differ from the plans'.

Money is converted to the home currency at its month's rate (report zone), as the cost query
does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import Connection

from meterbook.core.cost import CostSheet
from meterbook.core.periods import MonthIndex
from meterbook.store.cost_query import CostQuery, meter_scope_sql
from meterbook.store.sql import fetch_all, in_list

_NO_USAGE = ("r.requests = 0 AND r.input_tokens = 0 AND r.cached_input_tokens = 0 AND "
             "r.cache_write_tokens = 0 AND r.output_tokens = 0 AND r.units_micro = 0")
# (kind, the money it counts, the currency of that money)
_KINDS = (
    ("without_usage", f"r.billed_nano IS NOT NULL AND {_NO_USAGE}", "r.billed_nano",
     "r.currency"),
    ("billed_unpriced", "r.billed_nano IS NOT NULL AND c.charge_nano IS NULL", "r.billed_nano",
     "r.currency"),
    ("not_billed", "r.billed_nano IS NULL AND c.charge_nano IS NOT NULL", "c.charge_nano",
     "p.currency"),
)


@dataclass(frozen=True)
class BillGaps:
    without_usage: Decimal = Decimal(0)
    billed_unpriced: Decimal = Decimal(0)
    not_billed: Decimal = Decimal(0)


def bill_gaps(conn: Connection, q: CostQuery, vendors: list[str]) -> dict[str, BillGaps]:
    """Per vendor (of `vendors`), the three kinds of records above, in the home currency, over
    q's period and meters. Earlier kinds take a record first (a billed line without usage is
    not also counted as billed usage no plan prices)."""
    if not vendors or q.from_us is None or q.to_us is None:
        return {}
    index = MonthIndex(q.tz, q.from_us, q.to_us - 1)
    whens = " ".join(f"WHEN r.timestamp_us < {s} THEN {i - 1}"
                     for i, s in enumerate(index.starts) if i)
    month = f"CASE {whens} ELSE {len(index.starts) - 1} END" if whens else "0+0"
    kind = "CASE " + " ".join(f"WHEN {cond} THEN {i}" for i, (_, cond, _, _) in
                              enumerate(_KINDS)) + " ELSE -1 END"
    money = "CASE " + " ".join(f"WHEN {cond} THEN {m}" for _, cond, m, _ in _KINDS) + " END"
    currency = "CASE " + " ".join(f"WHEN {cond} THEN {c}" for _, cond, _, c in _KINDS) + " END"
    scope, ids = meter_scope_sql(conn, q.meter_ids, "r.meter_id")
    rows = fetch_all(conn, f"""
        SELECT m.vendor, {kind}, coalesce({currency}, ''), {month}, sum({money})
        FROM usage_record r JOIN meter m ON m.id = r.meter_id
        LEFT JOIN usage_charge c ON c.record_id = r.id
        LEFT JOIN plan_version p ON p.id = c.plan_version_id
        WHERE r.timestamp_us >= ? AND r.timestamp_us < ?{scope}
            AND m.vendor IN {in_list(conn, vendors)}
        GROUP BY 1, 2, 3, 4""", (q.from_us, q.to_us, *ids, *vendors))
    sheet = CostSheet(q.home_currency, q.rates or {})
    for vendor, k, cur, m, nano in rows:
        if k >= 0 and nano:
            sheet.add_money(f"{vendor}\x1f{k}", int(nano), cur or q.home_currency,
                            index.labels[m])
    return {v: BillGaps(*(sheet.usage_cost(f"{v}\x1f{i}") for i in range(len(_KINDS))))
            for v in vendors}
