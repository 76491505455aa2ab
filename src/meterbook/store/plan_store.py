"""Saved pricing plans: core `Plan` versions <-> plan_version, plan_size_tier, plan_volume_tier.

Lossless: `load_plans` gives back exactly the Plan that was saved. Prices are str(Decimal), which
keeps their written form ("2.50" stays "2.50"); effective_from is microseconds since the epoch.
None of these functions commits; the caller does, together with the re-pricing the change asks
for.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, col, delete, select

from meterbook.core.plans import Plan
from meterbook.core.records import to_epoch_us
from meterbook.store import readers
from meterbook.store.readers import _DECIMALS, _PLAIN, _TIER_PRICES
from meterbook.store.tables import PlanSizeTier, PlanVersion, PlanVolumeTier


def load_plans(session: Session) -> list[tuple[int, Plan]]:
    """Every saved plan version as (id, plan), by name and then effective_from (always first)."""
    return readers.load_plans(session.connection())


def save_plans(session: Session, *, plans: list[Plan]) -> tuple[list[int], list[Plan]]:
    """Save plan versions; a saved version with the same (name, effective_from) is replaced.

    Returns the ids of the given plans, in order, and the versions they replaced (as they were).
    A replaced version keeps its id, so usage already priced with it still points at its name's
    version in force at that time; it needs re-pricing all the same. Versions not named by
    `plans` are left alone.
    """
    keys = [(plan.name, _effective_us(plan)) for plan in plans]
    seen: set[tuple[str, int | None]] = set()
    for plan, key in zip(plans, keys, strict=True):
        if key in seen:
            raise ValueError(f"plan version {plan.label!r} is given twice")
        seen.add(key)
    existing = {
        (v.name, v.effective_from_us): v
        for v in session.exec(
            select(PlanVersion).where(col(PlanVersion.name).in_({name for name, _ in keys}))
        )
    }
    replaced_ids = [existing[key].id for key in keys if key in existing]
    replaced = _plans_by_id(session, replaced_ids)

    rows = []
    for plan, key in zip(plans, keys, strict=True):
        row = existing.get(key)
        if row is None:
            row = PlanVersion(**_version_values(plan))
        else:
            _delete_tiers(session, [row.id])
            for name, value in _version_values(plan).items():
                setattr(row, name, value)
        session.add(row)
        rows.append(row)
    session.flush()  # assigns the ids the tiers point at
    for plan, row in zip(plans, rows, strict=True):
        session.add_all(_tier_rows(plan, row.id))
    session.flush()
    return [row.id for row in rows], [replaced[i] for i in replaced_ids]


def delete_plan(session: Session, *, name: str) -> list[Plan]:
    """Remove every version of the plan called `name`; returns them as they were."""
    return delete_versions(session, keep=lambda plan: plan.name != name)


def delete_versions(session: Session, *, keep) -> list[Plan]:
    """Remove the saved versions for which keep(plan) is false; returns them as they were."""
    removed = [(pid, plan) for pid, plan in load_plans(session) if not keep(plan)]
    ids = [pid for pid, _ in removed]
    if ids:
        _delete_tiers(session, ids)
        session.exec(delete(PlanVersion).where(col(PlanVersion.id).in_(ids)))
    return [plan for _, plan in removed]


def _plans_by_id(session: Session, ids: list[int]) -> dict[int, Plan]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {pid: plan for pid, plan in load_plans(session) if pid in wanted}


def _delete_tiers(session: Session, ids: list[int]) -> None:
    # Explicit rather than ON DELETE CASCADE, which SQLite applies only with foreign keys on.
    if ids:
        session.exec(delete(PlanSizeTier).where(col(PlanSizeTier.plan_version_id).in_(ids)))
        session.exec(delete(PlanVolumeTier).where(col(PlanVolumeTier.plan_version_id).in_(ids)))


def _effective_us(plan: Plan) -> int | None:
    moment = plan.effective_from
    if moment is None:
        return None
    if moment.utcoffset() is None:
        raise ValueError(f"plan {plan.name!r}: effective_from must carry a time zone")
    return to_epoch_us(moment)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _version_values(plan: Plan) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(plan, name) for name in _PLAIN}
    values.update({name: _text(getattr(plan, name)) for name in _DECIMALS})
    values["effective_from_us"] = _effective_us(plan)
    values["volume_meter"] = plan.volume.meter if plan.volume else None
    values["volume_mode"] = plan.volume.mode if plan.volume else None
    return values


def _tier_rows(plan: Plan, version_id: int) -> list[PlanSizeTier | PlanVolumeTier]:
    rows: list[PlanSizeTier | PlanVolumeTier] = [
        PlanSizeTier(
            plan_version_id=version_id,
            position=position,
            above_input_tokens=tier.above_input_tokens,
            **{name: _text(getattr(tier, name)) for name in _TIER_PRICES},
        )
        for position, tier in enumerate(plan.size_tiers)
    ]
    if plan.volume is not None:
        rows += [
            PlanVolumeTier(
                plan_version_id=version_id,
                position=position,
                up_to=tier.up_to,
                price=str(tier.price),
            )
            for position, tier in enumerate(plan.volume.tiers)
        ]
    return rows
