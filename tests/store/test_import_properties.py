"""A graduated month costs the same whether its records come in one import or several."""

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterbook.core.plans import Plan, Volume, VolumeTier
from meterbook.importers.pipeline import import_files
from meterbook.store.cost_query import CostQuery, run_cost_query
from meterbook.store.database import open_database
from meterbook.store.plan_ops import save_plan_set
from meterbook.store.plan_store import load_plans

START = datetime(2026, 3, 1, tzinfo=UTC)
PLAN = Plan(name="labels", vendor="google", model="vision", effective_from=START,
            volume=Volume(meter="requests", mode="graduated", tiers=(
                VolumeTier(up_to=100, price=D("0")), VolumeTier(up_to=250, price=D("0.01")),
                VolumeTier(price=D("0.004")))))

records = st.lists(st.tuples(st.integers(0, 60 * 24 * 30), st.integers(1, 60)),
                   min_size=1, max_size=30)


def write(path, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["timestamp", "vendor", "model", "requests", "request_id"])
        for minute, q, rid in rows:
            when = START + timedelta(minutes=minute)
            out.writerow([when.strftime("%Y-%m-%dT%H:%M:%SZ"), "google", "vision", q, rid])


def charges(db):
    with db.engine.connect() as conn:
        per_record = dict(conn.exec_driver_sql(
            "SELECT request_id, charge_nano FROM usage_record "
            "JOIN usage_charge ON record_id = id").all())
    with db.session() as session:
        report = run_cost_query(session.connection(), CostQuery(by="month"),
                                load_plans(session))
    return per_record, report.total.cost


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=records, cut=st.integers(0, 30), later_first=st.booleans())
def test_a_month_costs_the_same_in_one_import_or_several(tmp_path_factory, rows, cut,
                                                         later_first):
    folder = tmp_path_factory.mktemp("imports")
    rows = [(minute, q, f"r{i}") for i, (minute, q) in enumerate(rows)]
    one = open_database(str(folder / "one.db"))
    save_plan_set(one, [PLAN])
    write(folder / "all.csv", rows)
    import_files(one, [folder / "all.csv"])

    several = open_database(str(folder / "several.db"))
    save_plan_set(several, [PLAN])
    parts = [rows[:cut], rows[cut:]]
    if later_first:
        parts.reverse()
    for n, part in enumerate(parts):
        write(folder / f"part{n}.csv", part)
        import_files(several, [folder / f"part{n}.csv"])
    # Records at the same instant are tiered in import order, which splitting can change;
    # their total is the same either way, so compare totals, and per record when instants
    # differ.
    (per_one, total_one), (per_several, total_several) = charges(one), charges(several)
    assert total_several == total_one
    instants = [m for m, _, _ in rows]
    if len(set(instants)) == len(instants):
        assert per_several == per_one
    one.close()
    several.close()
