"""Chunks of new records for the import pipeline: their ids, their prices and what the import
must do after them (importers/pipeline.py)."""

from __future__ import annotations

from operator import itemgetter

from sqlalchemy.engine import Connection

from meterbook.core.pricing import PricingEngine, TierState
from meterbook.core.records import STAGE_COLUMNS
from meterbook.store import repricing
from meterbook.store.rollup import US_PER_HOUR
from meterbook.store.usage_store import Meters

# Where a stage row holds its instant and its meter.
_AT, _METER = STAGE_COLUMNS.index("timestamp_us"), STAGE_COLUMNS.index("meter_id")


def last_hours(conn: Connection) -> dict[int, int]:
    """The last hour with usage, per meter, before this import (from the rollup)."""
    return dict(conn.exec_driver_sql(
        "SELECT meter_id, max(hour) FROM usage_rollup GROUP BY meter_id").all())


class Chunks:
    """Gives chunks of stage rows their record ids and prices, and remembers what they need
    afterwards: the earliest instant, and the volume-tiered plans and meters to price by
    billing month.

    Graduated tiers are priced as the rows come, with a running position per plan and billing
    month, while that gives what pricing whole months would: each chunk's tiered rows come at
    or after those of the chunks before (exports are written in time order) and, checked at
    the end (tiers_complete), no month they touch held usage of those plans before and none
    of them was already stored. Otherwise the import prices their months again from the
    store (repricing.reprice_tiered), which overwrites whatever was written here.
    """

    # What a reader in another process learnt, for tiers_complete and the passes after it.
    CARRIED = ("next_id", "earliest", "deferred", "tiered_meters", "in_order", "last_tiered",
               "tiered_from")

    def __init__(self, engine: PricingEngine, plan_ids: list[int], meters: Meters,
                 first_id: int, last_hours: dict[int, int]):
        self.engine, self.plan_ids, self.meters = engine, plan_ids, meters
        self.next_id = first_id
        self.earliest: int | None = None
        self.deferred: set[str] = set()
        self.tiered_meters: set[int] = set()
        self.last_hours = last_hours
        self.graduated = {p.name for p in engine.plans
                          if p.volume is not None and p.volume.mode == "graduated"}
        self.in_order = True  # every tiered row so far came at or after the one before
        self.last_tiered = None  # the instant of the last tiered row
        self.tiered_from: int | None = None  # the instant of the first tiered row
        self.state = TierState()
        self.state.start_pricing()

    def prepare(self, rows: list[tuple]
                ) -> tuple[list[tuple], list[tuple], list[tuple], int]:
        """(new meters, stage rows, their prices, id of the first row) for the writer; a price
        is (charge, plan index) as the engine gives it (store/staging.py)."""
        if self.in_order:
            results = self._price_in_stream(rows)
        else:
            results, names = self.engine.price_untiered(rows, self.meters.keys)
            if names:
                self.deferred |= names
                self.tiered_meters.update(row[_METER] for row, result in zip(rows, results,
                                                                             strict=True)
                                          if result[1] == -1)
        first = min(map(itemgetter(_AT), rows))
        if self.earliest is None or first < self.earliest:
            self.earliest = first
        first_id = self.next_id
        self.next_id += len(rows)
        return self.meters.take_pending(), rows, results, first_id

    def _price_in_stream(self, rows: list[tuple]) -> list[tuple]:
        """Price every row, the tiered ones with the running state, and check that this can
        still be exact: the chunk's tiered rows come at or after every earlier one, and
        their plans are graduated. Once it cannot, the import prices their months again
        from the store, which overwrites these charges (tiers_complete is then false)."""
        results, tiered = self.engine.price_in_stream(rows, self.state, self.meters.keys)
        if tiered:
            self.deferred |= tiered.keys()
            positions = [n for entries in tiered.values() for n in entries]
            instants = [rows[n][_AT] for n in positions]
            first, last = min(instants), max(instants)
            self.tiered_meters.update(rows[n][_METER] for n in positions)
            self.in_order = (tiered.keys() <= self.graduated
                             and (self.last_tiered is None or first >= self.last_tiered))
            self.tiered_from = first if self.tiered_from is None else self.tiered_from
            self.last_tiered = last
        return results

    def tiers_complete(self, nothing_skipped: bool) -> bool:
        """Whether the tiered rows priced in stream are priced as whole months would be."""
        if not self.deferred:
            return True
        if not (self.in_order and nothing_skipped):
            return False
        start = repricing.scope_start(self.tiered_from)
        for meter, key in self.meters.keys.items():
            last = self.last_hours.get(meter)
            if (last is not None and (last + 1) * US_PER_HOUR > start
                    and self.engine.tiered_names(*key[:4]) & self.deferred):
                return False  # its plan's month held usage before this import
        return True
