"""The Compare page's "Save as plan": an alternative becomes saved plan versions.

Apart from store/compare.py, which only reads: saving goes through plan_ops (checks,
re-pricing, alerts), whose imports `meterbook compare` on the command line does not need.
"""

from __future__ import annotations

from meterbook.core.quick_plans import Alternative
from meterbook.store import plan_ops
from meterbook.store.database import Database


def save_alternative(db: Database, alternative: Alternative) -> plan_ops.SavedPlans:
    """"Save as plan": the alternative's versions saved through the plan-saving path (checked
    with the saved plans, re-priced), after which it prices as any plan."""
    return plan_ops.save_plan_set(db, list(alternative.plans), f"compare: {alternative.name}")
