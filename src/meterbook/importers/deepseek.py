"""DeepSeek's usage export (usage-data.md, "Vendor formats"): `amount-*.csv` from the usage
page's Export zip, in long form: one line per bucket x model x key x `type`.

Each line becomes one record holding just its own quantity: `input_cache_hit_tokens` ->
cached_input_tokens, `input_cache_miss_tokens` -> input_tokens, `output_tokens` ->
output_tokens, `request_count` -> requests. The token lines count 0 requests, so a bucket's
requests are counted once (by its request_count line), not once per line.

Decisions where usage-data.md is silent:
- `price` is a unit price (per token; empty on request_count lines), not the line's cost: the
  same export's cost-*.csv totals are sum(price x amount). It is not kept, and no billed cost is
  computed from it, because the amount file does not say its currency (accounts are billed in
  CNY or USD; only cost-*.csv carries the currency). Meterbook prices the tokens itself.
- timestamps carry their offset (+08:00) and are converted to UTC, so a DeepSeek day starts at
  16:00 UTC the day before. Older exports name the column `utc_date` (a date, UTC); it is read
  when `start_time_iso` is absent.
- `api_key_name` -> api_key (the `api_key` column is masked and a secret besides: not kept);
  `user_id` (the DeepSeek account) -> user.
- an empty `amount` is refused: the quantity is the line's only content. A `type` other than
  the four above is refused, naming the four.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from meterbook.core.records import UsageRecord
from meterbook.importers import cells
from meterbook.importers.formats import Format, Item, Reading, register
from meterbook.importers.rows import Line, not_canonical, read_csv

VENDOR = "deepseek"
_MODEL = cells.required_text("model")
_TYPES = {
    "input_cache_hit_tokens": "cached_input_tokens",
    "input_cache_miss_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "request_count": "requests",
}
_TIMES = ("start_time_iso", "utc_date")


def _field(raw: str) -> str:
    kind = raw.strip().lower()
    if kind not in _TYPES:
        expected = ", ".join(_TYPES)
        raise cells.Bad(f"{cells.show(raw)} is not a DeepSeek usage type; expected one of "
                        f"{expected}")
    return _TYPES[kind]


def amount_record(line: Line) -> UsageRecord:
    field = line.take("type", _field)
    time = "start_time_iso" if line.has("start_time_iso") else "utc_date"
    values = {"requests": 0, field: line.take("amount", cells.required_count)}
    return UsageRecord(
        timestamp=line.take(time, cells.instant), vendor=VENDOR,
        model=line.take("model", _MODEL), **values,
        user=line.take("user_id", cells.text), api_key=line.take("api_key_name", cells.text),
    )  # fmt: skip


def _is_amount(names: object) -> bool:
    found = set(names)  # type: ignore[arg-type]
    return ({"model", "type", "price", "amount"} <= found and not found.isdisjoint(_TIMES)
            and not_canonical(found))


def read_amount(text: TextIO, file_name: str, reading: Reading | None = None
                ) -> Iterator[Item]:
    needs = (_TIMES, ("model",), ("type",), ("amount",))
    return read_csv(text, file_name, needs, amount_record, reading=reading)


AMOUNT = register(Format(
    profile="deepseek-usage", title="DeepSeek usage export", kind="csv",
    recognise=_is_amount, read=read_amount,
))
