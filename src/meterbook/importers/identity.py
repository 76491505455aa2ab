"""Record identity for idempotent imports (usage-data.md, "Idempotent").

A record with a request_id is "r:<vendor>:<request_id>"; any other record is its content's
hash and its occurrence in the file, so that importing the same file again adds nothing while
two identical lines of one file stay two real charges. The import's stage rows of every format
use these (stage_rows.py, and canonical.py's staged fast path through a StageRows).
"""

from __future__ import annotations

import hashlib

from meterbook.core.money import to_nano
from meterbook.core.records import UsageRecord, to_epoch_us
from meterbook.importers.cells import UNIT_SCALE


def content_digest(record: UsageRecord) -> bytes:
    """16-byte blake2b of a record's normalised content.

    Normalised as the store keeps it: the instant in epoch microseconds, units in micro-units,
    billed cost in nano-units, an absent text as "". The repr() of the tuple of those values
    is unambiguous (strings are quoted and escaped) and costs one C call.
    """
    units = record.units
    billed = record.billed_cost
    content = (
        to_epoch_us(record.timestamp), record.vendor, record.model, record.requests,
        record.input_tokens, record.cached_input_tokens, record.cache_write_tokens,
        record.output_tokens, int((units * UNIT_SCALE).to_integral_value()) if units else 0,
        record.unit_name or "", record.request_id or "", record.conversation_id or "",
        record.project or "", record.user or "", record.api_key or "", record.service_tier or "",
        None if billed is None else to_nano(billed), record.currency or "",
    )  # fmt: skip
    return hashlib.blake2b(repr(content).encode("utf-8", "surrogatepass"), digest_size=16).digest()


class OccurrenceCounter:
    """Numbers the identical lines of one file; use one counter per file.

    Holds one 16-byte digest and a count per distinct content of the records *without* a
    request_id (about 120 bytes each), so memory grows only with those.
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def key(self, record: UsageRecord) -> str:
        """The file's next record's identity: "r:<vendor>:<request_id>", else
        "c:<content hash>:<occurrence>", the occurrence being 1 for the first line of the file
        with this content, 2 for the second identical line... (two identical lines are two
        real charges)."""
        if record.request_id:
            return f"r:{record.vendor}:{record.request_id}"
        digest = content_digest(record)
        occurrence = self._seen.get(digest, 0) + 1
        self._seen[digest] = occurrence
        return f"c:{digest.hex()}:{occurrence}"

    def __len__(self) -> int:
        return len(self._seen)
