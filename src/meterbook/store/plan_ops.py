"""Saving plans as one transaction: check the whole set, save, re-price what they can touch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from meterbook.core.pause_points import pause_point
from meterbook.core.plan_checks import check_plan_set
from meterbook.core.plan_files import read_plans, write_plans
from meterbook.core.plans import Plan, PlanFileError, PlanProblem
from meterbook.core.records import to_epoch_us
from meterbook.store import repricing
from meterbook.store.alerts import check_alerts_safely
from meterbook.store.database import Database
from meterbook.store.plan_store import delete_plan, delete_versions, load_plans, save_plans


@dataclass
class SavedPlans:
    saved: int  # plan versions saved
    replaced: int  # stored versions they replaced
    repriced: int  # records whose charge or plan changed


def _key(plan: Plan) -> tuple[str, int | None]:
    return plan.name, None if plan.effective_from is None else to_epoch_us(plan.effective_from)


def save_plan_set(
    db: Database, plans: list[Plan], source: str = "<plans>",
    progress: Callable[[int, int], None] | None = None,
    remove: list[tuple[str, object]] | None = None,
) -> SavedPlans:
    """Save plan versions (replacing those with the same name and start) and re-price.

    `remove` names saved versions, as (name, effective_from), to delete in the same
    transaction: the editor's way to rename a version or move its start. The stored plans and
    the new ones are checked together (e.g. two plans tied for the same usage); any problem
    refuses the lot with PlanFileError and changes nothing.
    """
    gone = {(name, None if start is None else to_epoch_us(start)) for name, start in remove or ()}
    with Session(db.engine) as session:
        stored = load_plans(session)
        incoming = {_key(p) for p in plans}
        after = [p for _, p in stored if _key(p) not in incoming | gone] + plans
        problems = check_plan_set(after)
        if problems:
            raise PlanFileError(source, problems)
        removed = delete_versions(session, keep=lambda p: _key(p) not in gone - incoming)
        _ids, replaced = save_plans(session, plans=plans)
        session.flush()
        vendors, earliest = repricing.plan_scope([*plans, *replaced, *removed])
        conn = session.connection()
        try:
            count = repricing.reprice(conn, load_plans(session), vendors, earliest,
                                      progress=progress)
        except OverflowError:  # a charge beyond the store's 64-bit integers: nothing saved
            raise PlanFileError(source, [PlanProblem(
                "", "", "with these prices a charge comes to more than Meterbook can store "
                "(over 9 billion): check the prices")]) from None
        pause_point("plans:before-commit")
        session.commit()
    check_alerts_safely(db)  # re-priced spend may cross a budget's threshold, or fall back
    return SavedPlans(len(plans), len(replaced) + len(removed), count)


def import_plan_file(db: Database, path: str | Path) -> SavedPlans:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        # Told like every other problem (an empty list printed nothing at all).
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise PlanFileError(str(path), [PlanProblem(
            "", "", f"the file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} cannot "
            "be read); save it as UTF-8", line)]) from exc
    return save_plan_set(db, read_plans(text, str(path)), str(path))


def remove_plan(db: Database, name: str) -> int:
    """Delete every version of a plan; its records are re-priced (by others, or unpriced)."""
    with Session(db.engine) as session:
        removed = delete_plan(session, name=name)
        if not removed:
            raise KeyError(name)
        session.flush()
        vendors, earliest = repricing.plan_scope(removed)
        count = repricing.reprice(session.connection(), load_plans(session), vendors, earliest)
        session.commit()
    check_alerts_safely(db)
    return count


def export_plans(db: Database) -> str:
    with Session(db.engine) as session:
        return write_plans([p for _, p in load_plans(session)])


def list_plans(db: Database) -> list[tuple[int, Plan]]:
    with Session(db.engine) as session:
        return load_plans(session)
