"""Records -> the import's stage rows (core/records.py STAGE_ROW): meter ids and identities per
file.

A record with a request_id gets "" for its identity: the store's copy builds
"r:<vendor>:<request_id>" itself (staging.py), which spares the reader a string per row.

The canonical CSV's fast path builds the same rows straight from the cells (canonical.py,
`staged`); every other format, and every row the fast path leaves to the exact one, comes
through `StageRows.row`.
"""

from __future__ import annotations

from meterbook.core.money import MICRO, to_nano
from meterbook.core.records import STAGE_ROW, UsageRecord, to_epoch_us
from meterbook.importers.identity import OccurrenceCounter
from meterbook.store.usage_store import Meters


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
        self.constant = frozenset(n for n, column in enumerate(STAGE_ROW)
                                  if column.lacking in fields)

    def row(self, r: UsageRecord) -> tuple:
        """The record's stage row: STAGE_ROW's columns, written out in its order for speed
        (tests/importers/test_canonical.py checks it against the fast path's row, which is
        made from STAGE_ROW by name)."""
        billed = r.billed_cost
        return (
            "" if r.request_id else self.occurrences.key(r), to_epoch_us(r.timestamp),
            self.meters.id_for(r),
            r.requests, r.input_tokens, r.cached_input_tokens, r.cache_write_tokens,
            r.output_tokens, int(r.units * MICRO), r.request_id or "", r.conversation_id or "",
            r.user or "", r.api_key or "", "" if billed is None else to_nano(billed),
            "" if billed is None else r.currency,
        )  # fmt: skip
