"""Re-pricing in slices and billing months gives the charges of pricing everything at once."""

import csv
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from meterbook.core.plans import Plan, Volume, VolumeTier
from meterbook.importers.pipeline import import_files
from meterbook.store import repricing
from meterbook.store.database import open_database
from meterbook.store.plan_ops import save_plan_set

START = datetime(2026, 1, 1, tzinfo=UTC)
GRADUATED = Plan(name="labels", vendor="google", model="vision", effective_from=START,
                 volume=Volume(meter="requests", mode="graduated", tiers=(
                     VolumeTier(up_to=20, price=D("0")), VolumeTier(price=D("0.01")))))
VOLUME = Plan(name="ocr", vendor="google", model="ocr", effective_from=START,
              billing_timezone="Asia/Tokyo",
              volume=Volume(meter="requests", mode="volume", tiers=(
                  VolumeTier(up_to=30, price=D("0.02")), VolumeTier(price=D("0.01")))))


def charges_after_import(tmp_path, name):
    db = open_database(str(tmp_path / f"{name}.db"))
    save_plan_set(db, [GRADUATED, VOLUME])
    path = tmp_path / "usage.csv"
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["timestamp", "vendor", "model", "requests", "request_id"])
        for i in range(90):  # three months, both plans, records near month ends too
            when = START + timedelta(hours=23 * i)
            out.writerow([when.strftime("%Y-%m-%dT%H:%M:%SZ"), "google",
                          "vision" if i % 2 else "ocr", 1 + i % 4, f"r{i}"])
    import_files(db, [path])
    # and once more from scratch, as a plan change does
    save_plan_set(db, [GRADUATED, VOLUME])
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT request_id, charge_nano FROM usage_record "
                                    "JOIN usage_charge ON record_id = id").all()
    db.close()
    return dict(rows)


def test_slices_of_three_records_price_like_one_slice(tmp_path, monkeypatch):
    whole = charges_after_import(tmp_path, "whole")
    monkeypatch.setattr(repricing, "_SLICE", 3)
    sliced = charges_after_import(tmp_path, "sliced")
    assert sliced == whole and len(whole) == 90
    # and the tiers did bite: some vision records are free, some are not
    assert {c == 0 for r, c in whole.items() if int(r[1:]) % 2} == {True, False}


@pytest.mark.parametrize("slice_size", [1, 7])
def test_a_volume_month_counts_its_total_across_slices(tmp_path, monkeypatch, slice_size):
    monkeypatch.setattr(repricing, "_SLICE", slice_size)
    charges = charges_after_import(tmp_path, f"v{slice_size}")
    monkeypatch.setattr(repricing, "_SLICE", 200_000)
    assert charges == charges_after_import(tmp_path, f"w{slice_size}")
