"""The staged import (store/staging.py) stores what the plain inserts store, rollup included.

The staged copy adds charges and rollup sums itself; the portable writer (other databases)
inserts row by row and rebuilds the rollup from the records. Both must leave the same tables,
and the rollup must equal a rebuild from scratch (rollup.py: a pure function of the records).
"""

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterbook.core.plans import Plan, Volume, VolumeTier
from meterbook.importers import pipeline
from meterbook.importers.pipeline import import_files
from meterbook.store import readers, repricing, rollup
from meterbook.store.database import open_database
from meterbook.store.plan_ops import save_plan_set

START = datetime(2026, 3, 1, tzinfo=UTC)
PLANS = [
    Plan(name="mini", vendor="openai", model="gpt-4o-mini", input=D("0.15"), output=D("0.60"),
         effective_from=START),
    # Volume-tiered: its records wait for their billing month (a New York month).
    Plan(name="labels", vendor="google", model="vision", effective_from=START,
         billing_timezone="America/New_York",
         volume=Volume(meter="requests", mode="graduated", tiers=(
             VolumeTier(up_to=5, price=D("0")), VolumeTier(price=D("0.01"))))),
]  # fmt: skip
HEADER = ["timestamp", "vendor", "model", "requests", "input_tokens", "output_tokens",
          "request_id", "billed_cost", "currency"]
# gpt-4o has no plan: unpriced. Rows without a request id are identified by content.
MODELS = [("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("google", "vision")]

lines = st.lists(st.tuples(
    st.integers(0, 60 * 24 * 62),  # minutes after START: two months
    st.sampled_from(MODELS),
    st.integers(1, 3), st.integers(0, 5000), st.integers(0, 900),
    st.one_of(st.none(), st.integers(0, 40)),  # request id (repeats are duplicates)
    st.one_of(st.none(), st.decimals(0, 5, places=3)),
), min_size=1, max_size=40)


def minute(row) -> int:
    return row[0]


def write(path, rows):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for minute, (vendor, model), q, tokens_in, tokens_out, rid, billed in rows:
            when = START + timedelta(minutes=minute)
            out.writerow([when.strftime("%Y-%m-%dT%H:%M:%SZ"), vendor, model, q, tokens_in,
                          tokens_out, "" if rid is None else f"r{rid}",
                          "" if billed is None else billed, "" if billed is None else "EUR"])
    return path


def tables(db) -> dict[str, list]:
    with db.engine.connect() as conn:
        return {
            "records": conn.exec_driver_sql(
                "SELECT * FROM usage_record ORDER BY id").all(),
            "charges": conn.exec_driver_sql(
                "SELECT * FROM usage_charge ORDER BY record_id").all(),
            "rollup": conn.exec_driver_sql(
                "SELECT * FROM usage_rollup ORDER BY hour, meter_id, plan_version_id, currency"
            ).all(),
        }


def rebuilt_rollup(db) -> list:
    with db.engine.begin() as conn:
        rollup.rebuild(conn, None, None)
        return conn.exec_driver_sql(
            "SELECT * FROM usage_rollup ORDER BY hour, meter_id, plan_version_id, currency"
        ).all()


def import_twice(folder, name, files, staging, monkeypatch):
    """Import the files one by one (with small chunks, so that chunks meet duplicates)."""
    monkeypatch.setattr(pipeline, "_STAGING", staging)
    monkeypatch.setattr(pipeline, "_CHUNK", 7)
    db = open_database(str(folder / name))
    save_plan_set(db, PLANS)
    for path in files:
        import_files(db, [path])
    return db


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=lines, second=lines, in_order=st.booleans())
def test_staged_and_portable_imports_store_the_same(tmp_path_factory, monkeypatch, first,
                                                    second, in_order):
    folder = tmp_path_factory.mktemp("staged")
    if in_order:  # as exports are written: tiered rows are then priced as they come
        first, second = sorted(first, key=minute), sorted(second, key=minute)
    files = [write(folder / "a.csv", first), write(folder / "b.csv", second)]
    staged = import_twice(folder, "staged.db", files, True, monkeypatch)
    portable = import_twice(folder, "portable.db", files, False, monkeypatch)
    try:
        found = tables(staged)
        assert found == tables(portable)
        assert found["rollup"] == rebuilt_rollup(staged)
        # Every charge is what pricing all the usage again from scratch gives.
        with staged.engine.begin() as conn:
            assert repricing.reprice(conn, readers.load_plans(conn), None, None) == 0
    finally:
        staged.close()
        portable.close()


@pytest.mark.parametrize("staging, fork", [(True, False), (True, True), (False, False)],
                         ids=["staged", "staged-in-a-process", "portable"])
def test_duplicates_across_chunks_get_no_charge_and_no_rollup(tmp_path, monkeypatch, staging,
                                                              fork):
    rows = [  # minute, meter, requests, in, out, request id, billed
        (0, MODELS[0], 1, 1000, 100, 1, None),
        (1, MODELS[0], 1, 2000, 200, 2, D("0.5")),
        (2, MODELS[0], 1, 1000, 100, 1, None),  # request r1 again: a duplicate
        (3, MODELS[1], 2, 10, 10, None, None),  # no plan: unpriced
    ]
    path = write(tmp_path / "a.csv", rows)
    monkeypatch.setattr(pipeline, "_STAGING", staging)
    monkeypatch.setattr(pipeline, "_CHUNK", 2)  # r1's copy is in the second chunk
    if fork:
        monkeypatch.setattr(pipeline, "_FORK_FROM_BYTES", 0)
    db = open_database(str(tmp_path / "t.db"))
    save_plan_set(db, PLANS)
    summary = import_files(db, [path])
    assert (summary.added, summary.duplicates) == (3, 1)
    found = tables(db)
    # mini: 0.15 $/M in, 0.60 $/M out. r1: 1000 * 0.15e-6 + 100 * 0.60e-6 = 0.00021 $;
    # r2: 2000 * 0.15e-6 + 200 * 0.60e-6 = 0.00042 $. The gpt-4o line has no charge.
    assert [(c.record_id, c.charge_nano) for c in found["charges"]] == [
        (1, 210_000), (2, 420_000)]
    # One hour, three (meter, plan, currency) groups: r1 unbilled, r2 billed in EUR, gpt-4o.
    sums = sorted((r.records, r.requests, r.charge_nano, r.billed_nano, r.unbilled_charge_nano,
                   r.unbilled_requests, r.currency) for r in found["rollup"])
    assert sums == [(1, 1, 210_000, 0, 210_000, 1, ""), (1, 1, 420_000, 500_000_000, 0, 0, "EUR"),
                    (1, 2, 0, 0, 0, 2, "")]
    db.close()
