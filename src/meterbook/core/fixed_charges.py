"""Charges per billing month: prorated monthly fees and minimum-commitment true-ups.

pricing-plans.md: fee = monthly_fee x f and true-up = max(0, monthly_minimum x f - the plan's
usage charges in the month), where f is the share of the month's days on which a version is in
force and not in its free trial. A day counts for the version in force at its first instant
(local midnight in the version's billing time zone), so a plan that starts at noon pays from the
next day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from meterbook.core.money import EXACT, from_nano, to_nano
from meterbook.core.periods import days_of_month, local_midnight_us, parse_month, zone
from meterbook.core.plans import Plan
from meterbook.core.pricing import compile_plans


@dataclass(frozen=True)
class FixedCharge:
    plan: str
    vendor: str
    month: str  # billing month, YYYY-MM
    currency: str
    fee: Decimal
    true_up: Decimal

    @property
    def total(self) -> Decimal:
        return self.fee + self.true_up


def has_fixed_charges(plan: Plan) -> bool:
    return bool(plan.monthly_fee or plan.monthly_minimum)


def fixed_charges(
    plans: Sequence[Plan],
    months: Iterable[str],
    usage: Mapping[tuple[str, str], Decimal],
) -> list[FixedCharge]:
    """Fixed charges of every plan name for each month label given.

    `usage` holds each plan name's usage charges per billing month, in the plan's currency.
    Amounts are rounded to nano-units (half-to-even) once, here.
    """
    months = list(months)
    by_name = defaultdict(list)
    for version in compile_plans(plans):
        by_name[version.plan.name].append(version)
    out = []
    for name, versions in sorted(by_name.items()):
        if not any(has_fixed_charges(v.plan) for v in versions):
            continue
        latest = max(versions, key=lambda v: v.start).plan
        for month in months:
            year, mon = parse_month(month)
            days = days_of_month(year, mon)
            fee = minimum = Decimal(0)
            for v in versions:
                tz = zone(v.plan.billing_timezone)
                paid = sum(1 for d in days
                           if v.start <= local_midnight_us(d, tz) < v.end
                           and local_midnight_us(d, tz) >= v.trial_end)
                if paid:
                    share = EXACT.divide(Decimal(paid), Decimal(len(days)))
                    fee += EXACT.multiply(v.plan.monthly_fee, share)
                    minimum += EXACT.multiply(v.plan.monthly_minimum, share)
            if not fee and not minimum:
                continue
            used = usage.get((name, month), Decimal(0))
            true_up = max(Decimal(0), minimum - used)
            out.append(FixedCharge(name, latest.vendor.lower(), month, latest.currency,
                                   from_nano(to_nano(fee)), from_nano(to_nano(true_up))))
    return out
