"""Azure cost exports (usage-data.md): EA, MCA and legacy layouts, as billed cost lines.

The three layouts name the same facts differently (EA: `Date` MM/DD/YYYY, `Cost`,
`BillingCurrency`; MCA: `Date` YYYY-MM-DD, `CostInBillingCurrency`, `BillingCurrencyCode`;
legacy: `UsageDateTime`, `PreTaxCost`, `Currency`), so one reader serves all three with a table
of column names. Every line is a charge: vendor "azure", requests = 0, timestamp = the usage date
at midnight UTC, billed_cost and currency as exported.

Azure OpenAI (and other Foundry model) meters are decoded from MeterName, e.g.
"gpt 4o 1120 Inp glbl Tokens": words such as Inp/Input/Inpt, Outp/Output/opt and cached/cchd
give the token bucket, glbl/DZone/regnl and Batch the deployment, and what is left is the model
("gpt-4o-1120"). `Quantity` counts blocks of `UnitOfMeasure` ("1K", "1M", "10 Hours", "1/Hour",
"100000000"), so the amount used is Quantity x block size.

Decisions where usage-data.md is silent:
- Non-AI lines (storage, VMs, ...) are kept: they are the owner's bill, and dropping them would
  make billed totals disagree with the invoice. Their model is MeterName as written (else the
  product or meter category when a line has no meter name).
- A meter is a token meter when its name says Tokens and its unit is a plain count block; with
  an input/output/cached word its tokens go to that bucket, otherwise they are units named
  "tokens". Anything else is units with the unit name of UnitOfMeasure ("hours", "units/month",
  "units" for a bare count).
- The model keeps the meter's MMDD version as written ("gpt-4o-1120"; Azure's meters carry no
  year). A model name that starts with a digit ("5.4 inp Gl 1M Tokens") gets "gpt-" in front
  when the line's product or subcategory says GPT or OpenAI.
- service_tier of a model meter is its deployment: "batch" for Batch meters, else "global",
  "datazone" or "regional" (Azure prices these differently); non-AI lines have none.
- Tokens = Quantity x block rounded half-even to a whole token; units are rounded half-even to
  6 decimal places (the store keeps micro-units; the billed cost is exact either way).
- A negative Quantity (a refund or correction) counts no usage (tokens and units 0) and keeps
  its negative cost: the record cannot hold negative usage, and the bill needs the credit.
- A block size of 0 ("0 Unassigned") is no block size: the quantity counts as written.
- project = ResourceGroup, else SubscriptionName, else none.
- Dates: both MM/DD/YYYY and ISO dates are read in every layout (they cannot be confused);
  a missing currency or cost refuses the line rather than guessing USD.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TextIO

from meterbook.core.records import UsageRecord
from meterbook.importers import cells as convert
from meterbook.importers.formats import Format, Item, Reading, register
from meterbook.importers.rows import NOT_TEXT, Line, read_csv

VENDOR = "azure"

EXPECT_DATE = "expected a date like 09/21/2023 (MM/DD/YYYY) or 2023-09-21"
EXPECT_QUANTITY = "expected a decimal number"


@dataclass(frozen=True)
class Layout:
    """Where one export layout keeps the date, the cost and the currency (lower-case names)."""

    date: str
    cost: str
    currency: str

    def required(self) -> tuple[str, ...]:
        return (self.date, self.cost, self.currency, "metername")


EA = Layout(date="date", cost="cost", currency="billingcurrency")
MCA = Layout(date="date", cost="costinbillingcurrency", currency="billingcurrencycode")
LEGACY = Layout(date="usagedatetime", cost="pretaxcost", currency="currency")

_QUANTITY = ("quantity", "usagequantity")
_PRODUCT = ("product", "productname")

# ---------------------------------------------------------------------------------------------
# Cells


_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


@convert.spreadsheet_form(convert.dotted_date)
def azure_date(raw: str) -> datetime:
    """MM/DD/YYYY (EA), optionally with a time, or an ISO date/time (MCA, legacy); UTC."""
    text = raw.strip()
    if not text:
        raise convert.Bad(f"is empty; {EXPECT_DATE}")
    match = _US_DATE.fullmatch(text)
    if match:
        month, day, year, hour, minute, second = (int(g or 0) for g in match.groups())
        try:
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError as exc:
            raise convert.Bad(f"{convert.show(raw)} is not a valid date ({exc}); "
                              f"{EXPECT_DATE}") from None
    try:
        return convert.instant(text)
    except convert.Bad:
        raise convert.Bad(f"{convert.show(raw)} is not a date; {EXPECT_DATE}") from None


@convert.spreadsheet_form(convert.comma_number)
def quantity(raw: str) -> Decimal:
    text = raw.strip()
    if not text:
        return convert.ZERO
    value = convert.decimal(text, EXPECT_QUANTITY)
    if value and value.adjusted() > 15:  # int() or quantize() of 1E+999999 would hang or fail
        raise convert.Bad(f"{convert.show(raw)} is absurdly large; {EXPECT_QUANTITY}")
    return value


_BLOCK = re.compile(r"(\d+(?:\.\d+)?)([KMB](?![A-Za-z]))?\s*(.*)", re.IGNORECASE)
_SUFFIX = {"k": 10**3, "m": 10**6, "b": 10**9}
_PLURAL = {"hour": "hours", "day": "days", "month": "months", "minute": "minutes",
           "second": "seconds", "year": "years", "unit": "units"}


def unit_block(raw: str) -> tuple[Decimal, str]:
    """UnitOfMeasure -> (block size, unit name): "10 Hours" -> (10, "hours"),
    "1K" -> (1000, "units"), "1 /Month" -> (1, "units/month"), "GB" -> (1, "gb")."""
    text = raw.strip()
    match = _BLOCK.fullmatch(text)
    if match:
        number, suffix, rest = match.groups()
        size = Decimal(number) * _SUFFIX[suffix.lower()] if suffix else Decimal(number)
        if not size:
            size = Decimal(1)  # "0 Unassigned": not a block size
    else:
        size, rest = Decimal(1), text
    name = rest.strip().lower()
    if not name or name.startswith("/"):
        name = "units" + name
    name = _PLURAL.get(name, name)
    return size, name


# ---------------------------------------------------------------------------------------------
# Meter names of AI models


_INPUT = frozenset({"inp", "input", "inpt", "prompt"})
_OUTPUT = frozenset({"outp", "output", "outpt", "opt", "completion"})
_CACHED = frozenset({"cached", "cchd", "cd"})
_ZONES = {"glbl": "global", "glb": "global", "gl": "global", "global": "global",
          "dz": "datazone", "dzone": "datazone", "dzn": "datazone", "datazone": "datazone",
          "regnl": "regional", "rgnl": "regional", "regional": "regional"}
_TOKEN_WORDS = frozenset({"tokens", "token"})
_NOISE = frozenset({"1k", "1m"}) | _TOKEN_WORDS


@dataclass(frozen=True)
class ModelMeter:
    model: str
    bucket: str | None  # "input", "output", "cached" or None (tokens of no known kind)
    tier: str | None


def model_meter(meter_name: str, family: str = "") -> ModelMeter | None:
    """The model, token bucket and deployment of a token meter's name; None for other meters.

    `family` is the line's product and subcategory ("Azure OpenAI GPT5"), which tells whether a
    bare version such as "5.4" is a GPT model."""
    text = re.sub(r"\bdata\s+zone\b", "datazone", meter_name.lower())
    words = [w for w in re.split(r"[\s_\-]+", text) if w]
    if not _TOKEN_WORDS & set(words):
        return None
    bucket = tier = None
    kept = []
    for word in words:
        if word in _CACHED:
            bucket = "cached"
        elif word in _INPUT:
            bucket = bucket or "input"
        elif word in _OUTPUT:
            bucket = "output" if bucket != "cached" else bucket
        elif word == "batch":
            tier = "batch"
        elif word in _ZONES:
            tier = tier or _ZONES[word]
        elif word not in _NOISE:
            kept.append(word)
    if not kept:
        return None
    model = "-".join(kept)
    if model[0].isdigit() and re.search(r"gpt|openai", family, re.IGNORECASE):
        model = "gpt-" + model
    return ModelMeter(model, bucket, tier)


# ---------------------------------------------------------------------------------------------
# Lines


_BUCKET_FIELD = {"input": "input_tokens", "output": "output_tokens",
                 "cached": "cached_input_tokens"}


def _first(line: Line, names: tuple[str, ...]) -> str:
    """The first of these columns the file has; else the first (an absent column reads as "")."""
    return next((name for name in names if line.has(name)), names[0])


def _line_record(layout: Layout, line: Line) -> UsageRecord:
    timestamp = line.take(layout.date, azure_date)
    cost = line.take(layout.cost, convert.money)
    if cost is None:
        line.refuse(layout.cost, "is empty; every cost line needs an amount")
    currency = line.take(layout.currency, convert.currency)
    if currency is None:
        line.refuse(layout.currency,
                    "is empty; expected the billing currency, a 3-letter code like USD")
    quantity_column = _first(line, _QUANTITY)
    used = line.take(quantity_column, quantity)
    size, unit_name = unit_block(line.text("unitofmeasure"))
    amount = max(used, convert.ZERO) * size  # a negative quantity (a credit) counts no usage

    meter_name = line.text("metername")
    family = f"{line.text(_first(line, _PRODUCT))} {line.text('metersubcategory')}"
    decoded = model_meter(meter_name, family) if unit_name in ("units", "tokens") else None
    record = UsageRecord(
        timestamp=timestamp, vendor=VENDOR, model="", requests=0,
        project=line.text("resourcegroup") or line.text("subscriptionname") or None,
        billed_cost=cost, currency=currency,
    )
    if decoded:
        record.model, record.service_tier = decoded.model, decoded.tier
        if decoded.bucket:
            tokens = int(amount.to_integral_value(ROUND_HALF_EVEN))
            if tokens > convert.MAX_COUNT:
                line.refuse(quantity_column,
                            f"gives {tokens} tokens, absurdly many (above 2**53)")
            setattr(record, _BUCKET_FIELD[decoded.bucket], tokens)
            return record
        unit_name = "tokens"
    else:
        record.model = (meter_name or line.text(_first(line, _PRODUCT))
                        or line.text("metercategory"))
        if not record.model:
            line.refuse("metername", "is empty, and so are the product and meter category; "
                                     "expected the name of what was charged")
    if amount > convert.MAX_UNITS:  # checked first: quantize() fails on huge numbers
        line.refuse(quantity_column, f"gives {amount} {unit_name}, absurdly many (above 10**12)")
    units = amount
    if convert.places(units) > convert.UNIT_PLACES:
        units = units.quantize(Decimal(1).scaleb(-convert.UNIT_PLACES), ROUND_HALF_EVEN)
    record.units, record.unit_name = units, unit_name
    return record


def _reader(layout: Layout) -> Callable[[TextIO, str], Iterator[Item]]:
    def read(text: TextIO, file_name: str, reading: Reading | None = None
             ) -> Iterator[Item]:
        return read_csv(text, file_name, [(name,) for name in layout.required()],
                        lambda line: _line_record(layout, line),
                        separator=", ", undecodable=NOT_TEXT, reading=reading)

    return read


# ---------------------------------------------------------------------------------------------
# Recognition: each layout by the columns only it has, so no header is claimed twice.


def is_ea_header(names: object) -> bool:
    return (isinstance(names, list) and set(EA.required()) <= set(names)
            and MCA.cost not in names)


def is_mca_header(names: object) -> bool:
    return isinstance(names, list) and set(MCA.required()) <= set(names)


def is_legacy_header(names: object) -> bool:
    return (isinstance(names, list) and set(LEGACY.required()) <= set(names)
            and EA.cost not in names and MCA.cost not in names)


AZURE_EA = register(Format(
    profile="azure-ea", title="Azure EA cost export", kind="csv",
    recognise=is_ea_header, read=_reader(EA),
))
AZURE_MCA = register(Format(
    profile="azure-mca", title="Azure MCA cost export", kind="csv",
    recognise=is_mca_header, read=_reader(MCA),
))
AZURE_LEGACY = register(Format(
    profile="azure-legacy", title="Azure legacy cost export", kind="csv",
    recognise=is_legacy_header, read=_reader(LEGACY),
))
