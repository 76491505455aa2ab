"""Staged writes of new usage: each chunk of priced records travels as a small SQLite database.

Why: with Python's lock, a thread that inserts rows one by one (binding each) and a thread
that parses the file take turns instead of running side by side; measured, a million-line
import spent as long waiting as working. So the parsing thread packs each chunk into an
in-memory database of its own (`StagePacker`, binding there), and the writing thread copies
it into the store with a handful of INSERT ... SELECT statements (`apply_stage`), during which
SQLite holds no Python lock: parsing and writing overlap on two cores. The same statements
add the charges and the hourly rollup, so neither needs a pass of its own afterwards.

A stage row (core/records.py STAGE_ROW, declared there once) starts with the dedupe key ("" for
a record with a request_id: the copy builds "r:<vendor>:<request_id>" itself, in C), then the
pricing engine's row layout (timestamp, meter, counts), so the engine prices stage tuples as
they are. Absent texts and amounts are "" rather than None: the sqlite3 module binds None
several times slower than text, and the copy turns "" back into NULL. Record ids are the
stage's rowids (1, 2, ...) plus the chunk's first id less one.

Each row travels with its price as the engine gives it, (charge, plan index) (the packer
flattens the two without building a new tuple per row): (None, None) when no plan prices it,
(None, -1) while it waits for its billing month's volume tiers (it gets no charge here and
no rollup; the import prices it afterwards by month, store/repricing.py). The stage's own
`plans` table turns plan indexes into plan version ids.
"""

from __future__ import annotations

import sqlite3
from itertools import chain, compress

from meterbook.core.records import STAGE_COLUMNS, STAGE_ROW
from meterbook.store.rollup import US_PER_HOUR

_ROWS_AT_ONCE = 32  # 32 * 17 parameters: under SQLite's limit of 999 in old versions
# What a column holds when a chunk leaves it out (StagePacker.pack's `constant`): the value
# every row of a file has for a field its header lacks.
_DEFAULTS = {column.name: column.default for column in STAGE_ROW if column.default is not None}
_COLUMNS_WITH_DEFAULTS = ", ".join(
    f'"{c}"' + (f" DEFAULT {_DEFAULTS[c]}" if c in _DEFAULTS else "") for c in STAGE_COLUMNS)


class StagePacker:
    """Packs chunks of stage rows into serialized SQLite databases (on the parsing thread)."""

    def __init__(self, plan_ids: list[int]) -> None:
        """`plan_ids`: the plan version id of each plan index of the pricing engine."""
        self.con = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        # No types, no constraints, no index: the stage is written once and read once.
        self.con.execute(f"CREATE TABLE s (id INTEGER PRIMARY KEY, {_COLUMNS_WITH_DEFAULTS})")
        self.con.execute("CREATE TABLE plans (idx INTEGER PRIMARY KEY, plan_id INTEGER)")
        self.con.executemany("INSERT INTO plans VALUES (?, ?)", enumerate(plan_ids))
        self.statements: dict[frozenset[int], tuple[str, str, list[bool]]] = {}

    def _statements(self, constant: frozenset[int]) -> tuple[str, str, list[bool]]:
        found = self.statements.get(constant)
        if found is None:
            kept = [n for n in range(len(STAGE_COLUMNS)) if n not in constant]
            names = ", ".join(f'"{STAGE_COLUMNS[n]}"' for n in kept)
            one = f"({', '.join('?' * len(kept))})"
            mask = [n in kept for n in range(len(STAGE_COLUMNS))]
            found = self.statements[constant] = (
                f"INSERT INTO s ({names}) VALUES {one}",
                f"INSERT INTO s ({names}) VALUES {', '.join([one] * _ROWS_AT_ONCE)}",
                mask * _ROWS_AT_ONCE)
        return found

    def pack(self, rows: list[tuple], prices: list[tuple],
             constant: frozenset[int] = frozenset()) -> bytes:
        """Rows of STAGE_ROW with their STAGE_PRICE in `prices`, one for one; the
        columns numbered in `constant` hold their defaults in every row (fields the file does
        not have) and are left to the table's DEFAULT."""
        # Rows go in _ROWS_AT_ONCE per statement: each statement takes SQLite's and Python's
        # locks once, and the writing thread wants both; one row at a time, the two threads
        # spend more time waiting for each other than working (measured: twice as long).
        # Binding costs per value: leaving out constant columns (a C-level compress()) saved
        # a third of the packing on a typical export.
        one, many, mask = self._statements(constant)
        whole = len(rows) - len(rows) % _ROWS_AT_ONCE
        flat = chain.from_iterable
        self.con.execute("BEGIN")
        step = _ROWS_AT_ONCE
        self.con.executemany(many, [
            tuple(compress(flat(flat(zip(rows[i:i + step], prices[i:i + step], strict=True))),
                           mask))
            for i in range(0, whole, step)])
        self.con.executemany(one, [tuple(compress(row + price, mask))
                                   for row, price in zip(rows[whole:], prices[whole:],
                                                         strict=True)])
        self.con.execute("COMMIT")
        data = self.con.serialize()
        self.con.execute("DELETE FROM s")  # rowids start again at 1
        return data

    def close(self) -> None:
        self.con.close()


_TEXTS = ("request_id", "conversation_id", "user", "api_key", "billed_nano", "currency")
_NULLABLE = ", ".join(f"NULLIF(\"{c}\", '')" for c in _TEXTS)
_COPY_RECORDS = f"""
    INSERT INTO main.usage_record (id, batch_id, timestamp_us, meter_id, requests,
        input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, units_micro,
        request_id, conversation_id, "user", api_key, billed_nano, currency, dedupe_key)
    SELECT id + ?, ?, timestamp_us, meter_id, requests, input_tokens, cached_input_tokens,
        cache_write_tokens, output_tokens, units_micro,
        {_NULLABLE},
        CASE dedupe_key WHEN '' THEN 'r:' || (SELECT vendor FROM main.meter m
            WHERE m.id = meter_id) || ':' || request_id ELSE dedupe_key END
    FROM stage.s WHERE true
    ON CONFLICT (dedupe_key) DO NOTHING"""
# Rows whose dedupe key was already stored (or came twice) were not inserted: drop them.
_DROP_DUPLICATES = """
    DELETE FROM stage.s
    WHERE NOT EXISTS (SELECT 1 FROM main.usage_record r WHERE r.id = stage.s.id + ?)"""
_COPY_CHARGES = """
    INSERT INTO main.usage_charge (record_id, charge_nano, plan_version_id)
    SELECT s.id + ?, s.charge_nano, p.plan_id
    FROM stage.s JOIN stage.plans p ON p.idx = s.plan_index"""
# The sums of store/rollup.py, added to what the rollup holds (new records add, never change).
_ADD_ROLLUP = f"""
    INSERT INTO main.usage_rollup (hour, meter_id, plan_version_id, currency, records,
        requests, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
        units_micro, charge_nano, billed_nano, unbilled_charge_nano, unbilled_requests)
    SELECT timestamp_us / {US_PER_HOUR}, meter_id, coalesce(plan_id, 0), currency, count(*),
        sum(requests), sum(input_tokens), sum(cached_input_tokens), sum(cache_write_tokens),
        sum(output_tokens), sum(units_micro), coalesce(sum(charge_nano), 0),
        coalesce(sum(NULLIF(billed_nano, '')), 0),
        coalesce(sum(CASE WHEN billed_nano = '' THEN charge_nano END), 0),
        coalesce(sum(CASE WHEN billed_nano = '' THEN requests END), 0)
    FROM stage.s LEFT JOIN stage.plans ON idx = plan_index
    WHERE plan_index IS NULL OR plan_index >= 0  -- not those waiting for their month
    GROUP BY timestamp_us / {US_PER_HOUR}, meter_id, coalesce(plan_id, 0), currency
    ON CONFLICT (hour, meter_id, plan_version_id, currency) DO UPDATE SET
        records = records + excluded.records, requests = requests + excluded.requests,
        input_tokens = input_tokens + excluded.input_tokens,
        cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
        cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        units_micro = units_micro + excluded.units_micro,
        charge_nano = charge_nano + excluded.charge_nano,
        billed_nano = billed_nano + excluded.billed_nano,
        unbilled_charge_nano = unbilled_charge_nano + excluded.unbilled_charge_nano,
        unbilled_requests = unbilled_requests + excluded.unbilled_requests"""


def attach_stage(con: sqlite3.Connection) -> None:
    """Give the store's connection the `stage` schema that apply_stage fills."""
    names = {row[1] for row in con.execute("PRAGMA database_list")}
    if "stage" not in names:
        con.execute("ATTACH DATABASE ':memory:' AS stage")


def clear_stage(con: sqlite3.Connection) -> None:
    """Free the last chunk (DETACH is refused inside the transaction that used the stage)."""
    con.deserialize(_EMPTY, name="stage")


def _empty_database() -> bytes:
    with sqlite3.connect(":memory:") as con:
        con.execute("CREATE TABLE s (id INTEGER PRIMARY KEY)")
        data = con.serialize()
    con.close()
    return data


_EMPTY = _empty_database()


def apply_stage(con: sqlite3.Connection, data: bytes, first_id: int, batch_id: int,
                count: int) -> int:
    """Copy one packed chunk into usage_record, usage_charge and usage_rollup, in the open
    transaction of `con` (the store's sqlite3 connection, with attach_stage done). Returns
    how many records were new."""
    con.deserialize(data, name="stage")
    offset = first_id - 1
    cursor = con.cursor()
    try:
        inserted = cursor.execute(_COPY_RECORDS, (offset, batch_id)).rowcount
        if inserted != count:
            cursor.execute(_DROP_DUPLICATES, (offset,))
        if inserted:
            cursor.execute(_COPY_CHARGES, (offset,))
            cursor.execute(_ADD_ROLLUP)
    finally:
        cursor.close()
    return inserted
