"""Records -> the import's stage rows (store/staging.py): meter ids and identities per file.

A record with a request_id gets "" for its identity: the store's copy builds
"r:<vendor>:<request_id>" itself (staging.py), which spares the reader a string per row.

The canonical CSV's fast path builds the same rows straight from the cells (canonical.py,
`staged`); every other format, and every row the fast path leaves to the exact one, comes
through `StageRows.row`.
"""

from __future__ import annotations

from meterbook.core.money import MICRO, to_nano
from meterbook.core.records import UsageRecord, to_epoch_us
from meterbook.importers.identity import OccurrenceCounter
from meterbook.store.usage_store import Meters

# Canonical fields -> their stage column (store/staging.py STAGE_COLUMNS), for those with a
# default the stage table knows.
_COLUMN_OF = {
    "requests": 3, "input_tokens": 4, "cached_input_tokens": 5, "cache_write_tokens": 6,
    "output_tokens": 7, "units": 8, "request_id": 9, "conversation_id": 10, "user": 11,
    "api_key": 12, "billed_cost": 13,
}  # fmt: skip


class StageRows:
    """Stage rows of one file: a file's identical lines are numbered within the file.

    `rows` is where a fast path puts the rows it makes (the pipeline takes them from there
    every `tick` rows or so)."""

    __slots__ = ("constant", "meters", "occurrences", "rows", "tick")

    def __init__(self, meters: Meters, tick: int = 20_000):
        self.meters = meters
        self.occurrences = OccurrenceCounter()
        self.rows: list[tuple] = []
        self.tick = tick
        # Stage columns (numbers) that hold their default in every row of this file, which
        # the packer need not bind: a format that knows (the canonical CSV's header) says.
        self.constant: frozenset[int] = frozenset()

    def lacks(self, fields) -> None:
        """The file has none of these canonical fields: their stage columns are constant."""
        fields = set(fields)
        self.constant = frozenset(n for field, n in _COLUMN_OF.items() if field in fields)
        if "billed_cost" in fields:  # no bill, no currency whatever the file says
            self.constant |= {_COLUMN_OF["billed_cost"] + 1}

    def row(self, r: UsageRecord) -> tuple:
        billed = r.billed_cost
        return (
            "" if r.request_id else self.occurrences.key(r), to_epoch_us(r.timestamp),
            self.meters.id_for(r),
            r.requests, r.input_tokens, r.cached_input_tokens, r.cache_write_tokens,
            r.output_tokens, int(r.units * MICRO), r.request_id or "", r.conversation_id or "",
            r.user or "", r.api_key or "", "" if billed is None else to_nano(billed),
            "" if billed is None else r.currency,
        )  # fmt: skip
