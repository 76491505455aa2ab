"""The plan editor's GUI model: a Plan as the texts people type, checked as a plan file is.

Toolkit-free (design.md, moneyGuru's core/gui): the Qt editor only copies texts in and out and
shows `problems()` beside the fields. Every field, table cell and problem is named by the dotted
key that plan_files uses ("input", "size_tiers[2].above_input_tokens", "volume.tiers[3].up_to"),
so a problem found here lands beside the widget that holds the text.

The rules are not written again here: the texts become the table a TOML file would hold and
plan_files' own reader checks it, so the editor refuses exactly what `plans import` refuses.
An empty text means "leave the key out", i.e. its default (pricing-plans.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from meterbook.core.money import MICRO, from_nano
from meterbook.core.plan_checks import check_plan_set
from meterbook.core.plan_files import _Lines, _PlanReader
from meterbook.core.plans import TIER_PRICE_KEYS, Plan, PlanFileError, PlanProblem
from meterbook.core.pricing import PricingEngine
from meterbook.core.records import PricingRow

# The plan's own keys, in the order of pricing-plans.md (the tables are handled apart).
TEXT_FIELDS = ("name", "vendor", "model", "project", "service_tier", "currency", "source",
               "billing_timezone")
DATE_FIELDS = ("effective_from",)
INT_FIELDS = ("priority", "token_unit", "unit_size", "free_trial_days")
PRICE_FIELDS = ("input", "cached_input", "cache_write", "output", "request", "unit_price",
                "multiplier", "monthly_fee", "monthly_minimum")
VOLUME_FIELDS = ("volume.meter", "volume.mode")
FIELDS = (*TEXT_FIELDS, *DATE_FIELDS, *INT_FIELDS, *PRICE_FIELDS, *VOLUME_FIELDS)

# The editable tables: their key prefix and their columns.
SIZE_TIERS = "size_tiers"
VOLUME_TIERS = "volume.tiers"
COLUMNS = {
    SIZE_TIERS: ("above_input_tokens", *TIER_PRICE_KEYS),
    VOLUME_TIERS: ("up_to", "price"),
}
_INT_COLUMNS = {"above_input_tokens", "up_to"}
_CELL = re.compile(r"(size_tiers|volume\.tiers)\[(\d+)\]\.(\w+)$")
_WHOLE = re.compile(r"[+-]?\d[\d_, ]*")  # "1,000,000" and "1_000" are whole numbers too
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_TIE = re.compile(r"ties with (.+?): both can price")  # plan_checks' words for a tie
SOURCE = "the plan editor"  # how refusals name where the plan came from


def cell_key(table: str, row: int, column: str) -> str:
    """The key of a table cell, rows counted from 0 as widgets do ("size_tiers[1].input")."""
    return f"{table}[{row + 1}].{column}"


@dataclass(frozen=True)
class SampleRequest:
    """What the preview prices: one request (or a bucket of them) as a record would hold it."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    requests: int = 1
    units: Decimal = Decimal(0)


class PlanForm:
    """The texts of one plan version being edited; `to_plan()` gives the Plan they say."""

    def __init__(self, texts: dict[str, str] | None = None,
                 size_tiers: Sequence[dict[str, str]] = (),
                 volume_tiers: Sequence[dict[str, str]] = ()):
        self.texts = {key: "" for key in FIELDS}
        self.texts["volume.mode"] = "graduated"
        self.texts.update(texts or {})
        self.rows: dict[str, list[dict[str, str]]] = {
            SIZE_TIERS: [self._row(SIZE_TIERS, r) for r in size_tiers],
            VOLUME_TIERS: [self._row(VOLUME_TIERS, r) for r in volume_tiers],
        }

    @staticmethod
    def _row(table: str, values: dict[str, str]) -> dict[str, str]:
        return {column: values.get(column, "") for column in COLUMNS[table]}

    # -- plan <-> texts ------------------------------------------------------------------------

    @classmethod
    def from_plan(cls, plan: Plan) -> PlanForm:
        texts = {key: _text(getattr(plan, key)) for key in
                 (*TEXT_FIELDS, *INT_FIELDS, *PRICE_FIELDS)}
        texts["effective_from"] = _moment_text(plan.effective_from)
        volume_rows: list[dict[str, str]] = []
        if plan.volume is not None:
            texts["volume.meter"] = plan.volume.meter
            texts["volume.mode"] = plan.volume.mode
            volume_rows = [{"up_to": _text(t.up_to), "price": _text(t.price)}
                           for t in plan.volume.tiers]
        size_rows = [{c: _text(getattr(t, c)) for c in COLUMNS[SIZE_TIERS]}
                     for t in plan.size_tiers]
        return cls(texts, size_rows, volume_rows)

    @classmethod
    def blank(cls, vendor: str = "") -> PlanForm:
        """A new plan: every text empty, i.e. the spec's defaults (the editor shows them as
        placeholders, so typing "2" into an empty price gives "2", not "02")."""
        return cls({"vendor": vendor})

    @staticmethod
    def defaults() -> dict[str, str]:
        """What each empty text stands for, as text: "0" for a price, "*" for the model..."""
        return PlanForm.from_plan(Plan(name="", vendor="")).texts

    def copy(self) -> PlanForm:
        return PlanForm(dict(self.texts), self.rows[SIZE_TIERS], self.rows[VOLUME_TIERS])

    # -- editing ---------------------------------------------------------------------------------

    def get(self, key: str) -> str:
        cell = _CELL.match(key)
        if cell:
            table, row, column = cell.group(1), int(cell.group(2)) - 1, cell.group(3)
            return self.rows[table][row][column]
        return self.texts[key]

    def set(self, key: str, text: str) -> None:
        """Set a field ("input") or a table cell ("size_tiers[1].input", rows from 1)."""
        cell = _CELL.match(key)
        if cell:
            table, row, column = cell.group(1), int(cell.group(2)) - 1, cell.group(3)
            if column not in COLUMNS[table]:
                raise KeyError(key)
            self.rows[table][row][column] = text
        elif key in self.texts:
            self.texts[key] = text
        else:
            raise KeyError(key)

    def add_row(self, table: str, values: dict[str, str] | None = None) -> int:
        """Append a row to a table; its index (from 0)."""
        self.rows[table].append(self._row(table, values or {}))
        return len(self.rows[table]) - 1

    def remove_row(self, table: str, row: int) -> None:
        del self.rows[table][row]

    # -- checking --------------------------------------------------------------------------------

    def problems(self, others: Sequence[Plan] = ()) -> dict[str, str]:
        """key -> what is wrong with it; empty when the texts make a plan that can be saved.

        `others` are the plans it would be saved beside (without the version being edited):
        a duplicate start or a tie with one of them is a problem too, as saving would say.
        """
        plan, found = self._read()
        if plan is not None and others:
            found = check_plan_set([*others, plan])
            # Only what concerns this plan: the others were saved, so they were fine together.
            found = [_as_seen_by(plan, p) for p in found
                     if plan.label in (p.plan, *_tied_with(p))]
        messages: dict[str, str] = {}
        for problem in found:
            key = problem.key or "name"
            messages[key] = f"{messages[key]}; {problem.message}" if key in messages \
                else problem.message
        return messages

    def to_plan(self) -> Plan:
        """The plan the texts say; PlanFileError with every problem if they say none."""
        plan, problems = self._read()
        if plan is None:
            raise PlanFileError(SOURCE, problems)
        return plan

    def _read(self) -> tuple[Plan | None, list[PlanProblem]]:
        # plan_files' reader over the table a plan file would hold; no text, no line numbers.
        reader = _PlanReader(self.table(), 0, _Lines(""))
        return reader.read(), reader.problems

    def table(self) -> dict[str, Any]:
        """The [[plan]] table of a TOML file that says what the texts say."""
        table: dict[str, Any] = {}
        for key in ("name", "vendor"):  # required: an empty one is reported, not defaulted
            table[key] = self.texts[key].strip()
        for key in ("model", "project", "service_tier", "currency", "source",
                    "billing_timezone", *PRICE_FIELDS):
            text = self.texts[key].strip()
            if text:
                table[key] = text
        for key in INT_FIELDS:
            text = self.texts[key].strip()
            if text:
                table[key] = _whole(text)
        text = self.texts["effective_from"].strip()
        if text:
            table["effective_from"] = _moment(text)
        sizes = [self._cells(SIZE_TIERS, row) for row in self.rows[SIZE_TIERS]]
        if sizes:
            table["size_tiers"] = sizes
        meter = self.texts["volume.meter"].strip()
        tiers = [self._cells(VOLUME_TIERS, row) for row in self.rows[VOLUME_TIERS]]
        if meter or tiers:
            # An empty choice is left out, so the reader says it is required and what to pick.
            volume = {"meter": meter, "mode": self.texts["volume.mode"].strip(), "tiers": tiers}
            table["volume"] = {k: v for k, v in volume.items() if v != ""}
        return table

    @staticmethod
    def _cells(table: str, row: dict[str, str]) -> dict[str, Any]:
        cells: dict[str, Any] = {}
        for column in COLUMNS[table]:
            text = row[column].strip()
            if text:
                cells[column] = _whole(text) if column in _INT_COLUMNS else text
        return cells

    # -- preview ---------------------------------------------------------------------------------

    def preview(self, sample: SampleRequest) -> Decimal | None:
        """What the sample costs under the plan as typed; None while the texts have problems."""
        plan, _ = self._read()
        return None if plan is None else preview(plan, sample)


def preview(plan: Plan, sample: SampleRequest) -> Decimal | None:
    """The usage charge of one sample request under `plan`, priced by the engine itself.

    The sample is taken as the month's first usage after the free trial: a volume-tiered plan
    prices it from the bottom of its tiers, and a trial would make every preview 0. Fixed monthly
    charges are not part of a request's cost (pricing-plans.md). None: the engine left it
    unpriced, which a plan that matches everything should never do.
    """
    if sample.units < 0 or min(sample.input_tokens, sample.cached_input_tokens,
                               sample.cache_write_tokens, sample.output_tokens,
                               sample.requests) < 0:
        raise ValueError("a sample request has no negative quantities")
    # Match any record and be in force at any time, so only the prices decide.
    anywhere = replace(plan, model="*", project="*", service_tier=None, effective_from=None,
                        free_trial_days=0)
    units_micro = sample.units * MICRO
    if units_micro != units_micro.to_integral_value():
        raise ValueError("units have at most 6 decimal places")
    row = PricingRow(order=0, ts=0, meter=(plan.vendor.lower(), "sample", "", ""),
                     requests=sample.requests, input_tokens=sample.input_tokens,
                     cached_input_tokens=sample.cached_input_tokens,
                     cache_write_tokens=sample.cache_write_tokens,
                     output_tokens=sample.output_tokens, units=int(units_micro))
    [(charge, _index)] = PricingEngine([anywhere]).price([row])
    return None if charge is None else from_nano(charge)


def price_summary(plan: Plan) -> str:
    """A plan's prices in one short line, for lists (the app's and the command line's). A
    multiplier (batch plans: 0.5) is applied to the prices shown and said, so that a
    half-price plan never reads as the list price."""
    k = plan.multiplier
    parts = []
    unit = f"/{plan.token_unit:,} tok" if plan.token_unit != 1_000_000 else "/M tok"
    if plan.input or plan.output:
        parts.append(f"in {_price(plan.input, k)} out {_price(plan.output, k)}{unit}")
    if plan.request:
        parts.append(f"{_price(plan.request, k)}/request")
    if plan.unit_price:
        parts.append(f"{_price(plan.unit_price, k)}/{plan.unit_size:,} units")
    if k != 1:
        if parts:
            parts[-1] += f" (×{k} applied)"
        else:
            parts.append(f"charge ×{k}")
    if plan.volume:
        parts.append(f"{plan.volume.mode} tiers on {plan.volume.meter}")
    if plan.size_tiers:
        parts.append(f"{len(plan.size_tiers)} size tier(s)")
    if plan.monthly_fee:
        parts.append(f"fee {plan.monthly_fee}/month")
    if plan.monthly_minimum:
        parts.append(f"minimum {plan.monthly_minimum}/month")
    return "; ".join(parts) or "free"


def _price(price: Decimal, multiplier: Decimal) -> Decimal | str:
    """price x multiplier, exact, with at least the cents: 10.00 x 0.5 = 5.00, 0.625 x 0.5 =
    0.3125; the price as written when there is no multiplier."""
    if multiplier == 1:
        return price
    value = (price * multiplier).normalize()
    return f"{value:.2f}" if value.as_tuple().exponent >= -2 else f"{value:f}"


# --- texts ----------------------------------------------------------------------------------


def _as_seen_by(plan: Plan, problem: PlanProblem) -> PlanProblem:
    """A tie named under the other plan, reworded to name the other plan, as the editor of
    this one needs: "ties with <other>", never "ties with <this plan>"."""
    found = _TIE.match(problem.message)
    if problem.plan == plan.label or not found:
        return problem
    message = f"ties with {problem.plan}" + problem.message[found.end(1):]
    return PlanProblem(plan.label, problem.key, message)


def _tied_with(problem: PlanProblem) -> tuple[str, ...]:
    # check_plan_set names a tie once, under the first plan: find the second in its message.
    found = _TIE.match(problem.message)
    return (found.group(1),) if found else ()


def _text(value: Any) -> str:
    # str() of a Decimal keeps it as written: "2.50" stays "2.50".
    return "" if value is None else str(value)


def _moment_text(moment: datetime | None) -> str:
    """"" (always), "2026-01-01" for midnight UTC, else the UTC date-time to the second."""
    if moment is None:
        return ""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    if utc.time() == time(0):
        return f"{utc:%Y-%m-%d}"
    return utc.replace(tzinfo=None).isoformat(timespec="seconds")


def _whole(text: str) -> Any:
    """A whole number as people type it; anything else goes through as text for the reader to
    refuse in its own words."""
    if _WHOLE.fullmatch(text):
        return int(re.sub(r"[_, ]", "", text))
    return text


def _moment(text: str) -> Any:
    """A date or date-time as TOML would give it (no offset: UTC); else the text, refused."""
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return text
