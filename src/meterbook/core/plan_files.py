"""Plan files (pricing-plans.md): TOML text <-> `Plan` objects.

`read_plans` refuses a file with every problem it can find at once, each tied to a plan, a dotted
key and a line, so that people fix a file in one pass. `write_plans` writes what `read_plans`
reads back into equal plans, and only the keys that say something (not the defaults).

Rules that belong to several plans together (duplicate versions, ties) live in plan_checks.py:
they also apply to plans already in the database, which a single file cannot see.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w

from meterbook.core.money import parse_decimal
from meterbook.core.plans import (
    METERS,
    MODES,
    TIER_PRICE_KEYS,
    Plan,
    PlanFileError,
    PlanProblem,
    SizeTier,
    Volume,
    VolumeTier,
)

# Plan keys in the order of the spec, which is also the order write_plans uses.
_TEXT_KEYS = ("model", "project", "service_tier", "source")
_PRICE_KEYS = (
    "input", "cached_input", "cache_write", "output", "request", "unit_price", "multiplier",
    "monthly_fee", "monthly_minimum",
)  # fmt: skip
_OPTIONAL_PRICES = ("cached_input", "cache_write")
_PLAN_KEYS = (
    "name", "vendor", "model", "project", "service_tier", "currency", "effective_from",
    "priority", "source", "token_unit", "input", "cached_input", "cache_write", "output",
    "request", "unit_price", "unit_size", "multiplier", "size_tiers", "volume", "monthly_fee",
    "monthly_minimum", "free_trial_days", "billing_timezone",
)  # fmt: skip
_SIZE_TIER_KEYS = ("above_input_tokens", *TIER_PRICE_KEYS)
_VOLUME_KEYS = ("meter", "mode", "tiers")
_VOLUME_TIER_KEYS = ("up_to", "price")
_HOISTABLE = frozenset(_PLAN_KEYS) - {"size_tiers", "volume"}
_DEFAULTS = Plan(name="", vendor="")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


# --- reading ---------------------------------------------------------------------------------


def read_plans(text: str, path: str = "<plans>") -> list[Plan]:
    """Every `[[plan]]` of a plan file, in file order; PlanFileError lists every problem."""
    lines = _Lines(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"at line (\d+)", message)
        line = int(found.group(1)) if found else None
        raise PlanFileError(path, [PlanProblem(lines.plan_at(line), "", message, line)]) from None

    problems: list[PlanProblem] = []
    for key in data:
        if key != "plan":
            problems.append(
                PlanProblem(
                    "",
                    key,
                    f"unknown key {key!r} (plans go in [[plan]] tables)",
                    lines.top_key_line(key),
                )
            )
    tables = data.get("plan")
    if tables is None:
        problems.append(PlanProblem("", "plan", "the file has no [[plan]] table"))
        raise PlanFileError(path, problems)
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(
            PlanProblem("", "plan", "plans must be [[plan]] tables", lines.top_key_line("plan"))
        )
        raise PlanFileError(path, problems)
    if not tables:
        problems.append(PlanProblem("", "plan", "the file has no [[plan]] table"))

    plans = []
    for index, table in enumerate(tables):
        reader = _PlanReader(table, index, lines)
        plan = reader.read()
        # In file order within a plan, so people can fix them top to bottom.
        problems.extend(sorted(reader.problems, key=lambda p: p.line or 0))
        plans.append(plan)
    if problems:
        raise PlanFileError(path, problems)
    return plans


class _PlanReader:
    """Reads one [[plan]] table, collecting problems instead of stopping at the first."""

    def __init__(self, table: dict[str, Any], index: int, lines: _Lines):
        self.table = table
        self.index = index
        self.lines = lines
        self.problems: list[PlanProblem] = []
        self.hoisted: set[str] = set()
        name = table.get("name")
        # A nameless plan is named by its position, as people count: "#1" is the first.
        self.label = name if isinstance(name, str) and name.strip() else f"#{index + 1}"

    def problem(self, key: str, message: str) -> None:
        where = f"volume.{key}" if key in self.hoisted else key
        line = self.lines.locate(self.index, where)
        self.problems.append(PlanProblem(self.label, key, message, line))

    def read(self) -> Plan | None:
        t = self.table = self.hoist(self.table)
        self.unknown_keys(t, _PLAN_KEYS, "")
        fields: dict[str, Any] = {}
        for key in ("name", "vendor"):
            value = t.get(key)
            if key not in t:
                self.problem(key, f"{key} is required")
            elif not isinstance(value, str) or not value.strip():
                self.problem(key, f"{key} must be non-empty text")
            else:
                fields[key] = value
        if "vendor" in fields:
            # Records carry lower-case vendors; matching is case-insensitive anyway.
            fields["vendor"] = fields["vendor"].lower()
        for key in _TEXT_KEYS:
            if key in t:
                value = t[key]
                if not isinstance(value, str) or (key != "source" and not value):
                    self.problem(key, f"{key} must be non-empty text")
                else:
                    fields[key] = value
        if "currency" in t:
            value = t["currency"]
            if isinstance(value, str) and _CURRENCY.fullmatch(value):
                fields["currency"] = value.upper()
            else:
                self.problem("currency", f"{value!r} is not a currency code (3 letters, e.g. USD)")
        if "effective_from" in t:
            fields["effective_from"] = self.moment(t["effective_from"])
        if "priority" in t:
            fields["priority"] = self.integer(t, "priority", "priority", minimum=None)
        for key, minimum in (("token_unit", 1), ("unit_size", 1), ("free_trial_days", 0)):
            if key in t:
                fields[key] = self.integer(t, key, key, minimum=minimum)
        for key in _PRICE_KEYS:
            if key in t:
                fields[key] = self.price(t[key], key)
        if "billing_timezone" in t:
            fields["billing_timezone"] = self.timezone(t["billing_timezone"])
        if "size_tiers" in t:
            fields["size_tiers"] = self.size_tiers(t["size_tiers"])
        if "volume" in t:
            fields["volume"] = self.volume(t["volume"])
        if self.problems:
            return None
        return Plan(**fields)

    def hoist(self, table: dict[str, Any]) -> dict[str, Any]:
        """Plan keys written after [plan.volume], as the spec's own key list shows them.

        TOML puts every key after a [plan.volume] header into the volume table, but a plan key
        there (monthly_fee, billing_timezone, ...) means nothing else, so it is read as the
        plan's. Size tiers share price keys with plans, so nothing is hoisted from them.
        """
        volume = table.get("volume")
        if not isinstance(volume, dict):
            return table
        plan_keys = [k for k in volume if k in _HOISTABLE]
        if not plan_keys:
            return table
        table = {**table, "volume": {k: v for k, v in volume.items() if k not in plan_keys}}
        for key in plan_keys:
            if key in table:
                self.problem(
                    f"volume.{key}", f"{key} is given twice, for the plan and in [plan.volume]"
                )
            else:
                table[key] = volume[key]
                self.hoisted.add(key)
        return table

    # -- single values --

    def unknown_keys(self, table: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key in allowed:
                continue
            hint = ""
            if prefix and key in _PLAN_KEYS:
                hint = " here: plan keys go above the [[plan.size_tiers]] and [plan.volume] tables"
            self.problem(prefix + key, f"unknown key {key!r}{hint}")

    def price(self, value: Any, key: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.problem(key, f'prices are decimal strings: write "{value}", with the quotes')
            else:
                self.problem(key, f'prices are decimal strings like "2.50", not {value!r}')
            return None
        try:
            amount = parse_decimal(value)
        except ValueError as exc:
            self.problem(key, str(exc))
            return None
        if amount < 0:
            self.problem(key, f"{value!r} is negative; prices must be 0 or more")
            return None
        return amount

    def integer(self, table: dict[str, Any], name: str, key: str, minimum: int | None) -> Any:
        value = table[name]
        # bool is an int subclass in Python, but `true` is no number in a plan file.
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"{name} must be a whole number, not {value!r}")
            return None
        if minimum is not None and value < minimum:
            wanted = "positive" if minimum == 1 else f"{minimum} or more"
            self.problem(key, f"{name} must be {wanted}, not {value}")
            return None
        return value

    def moment(self, value: Any) -> datetime | None:
        # datetime is a subclass of date: test it first.
        if isinstance(value, datetime):
            if value.tzinfo is None:  # the spec: no offset means UTC
                return value.replace(tzinfo=UTC)
            return value.astimezone(UTC)
        if isinstance(value, date):
            return datetime.combine(value, time(0), tzinfo=UTC)
        self.problem(
            "effective_from",
            f"effective_from must be a TOML date or date-time, like 2026-01-01, not {value!r}",
        )
        return None

    def timezone(self, value: Any) -> str | None:
        if isinstance(value, str) and value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                pass
            else:
                return value
        self.problem(
            "billing_timezone", f"{value!r} is not a known IANA time zone (e.g. UTC, Europe/Paris)"
        )
        return None

    # -- nested tables --

    def size_tiers(self, value: Any) -> tuple[SizeTier, ...]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem("size_tiers", "size_tiers must be [[plan.size_tiers]] tables")
            return ()
        tiers = []
        previous: int | None = None
        for number, tier in enumerate(value, start=1):
            prefix = f"size_tiers[{number}]."
            self.unknown_keys(tier, _SIZE_TIER_KEYS, prefix)
            above = None
            if "above_input_tokens" not in tier:
                self.problem(prefix + "above_input_tokens", "above_input_tokens is required")
            else:
                above = self.integer(tier, "above_input_tokens", prefix + "above_input_tokens", 0)
            if above is not None:
                if previous is not None and above <= previous:
                    self.problem(
                        prefix + "above_input_tokens",
                        f"size tiers must be in strictly increasing above_input_tokens: "
                        f"{above} follows {previous}",
                    )
                previous = above
            prices = {k: self.price(tier[k], prefix + k) for k in TIER_PRICE_KEYS if k in tier}
            if above is not None:
                tiers.append(SizeTier(above_input_tokens=above, **prices))
        return tuple(tiers)

    def volume(self, value: Any) -> Volume | None:
        if not isinstance(value, dict):
            self.problem("volume", "volume must be a [plan.volume] table")
            return None
        self.unknown_keys(value, _VOLUME_KEYS, "volume.")
        choices = {}
        for key, allowed in (("meter", METERS), ("mode", MODES)):
            choice = value.get(key)
            if key not in value:
                self.problem(f"volume.{key}", f"{key} is required, one of {', '.join(allowed)}")
            elif choice not in allowed:
                self.problem(
                    f"volume.{key}", f"{choice!r} is not a {key}; use one of {', '.join(allowed)}"
                )
            else:
                choices[key] = choice
        tiers = self.volume_tiers(value.get("tiers", []))
        if len(choices) < 2 or tiers is None:
            return None
        return Volume(meter=choices["meter"], mode=choices["mode"], tiers=tiers)

    def volume_tiers(self, value: Any) -> tuple[VolumeTier, ...] | None:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem("volume.tiers", 'tiers must be a list of { up_to = N, price = "P" }')
            return None
        if not value:
            self.problem("volume.tiers", "a volume block needs tiers; the last has no up_to")
            return None
        tiers = []
        previous: int | None = None
        for number, tier in enumerate(value, start=1):
            prefix = f"volume.tiers[{number}]."
            last = number == len(value)
            self.unknown_keys(tier, _VOLUME_TIER_KEYS, prefix)
            price = None
            if "price" not in tier:
                self.problem(prefix + "price", "price is required")
            else:
                price = self.price(tier["price"], prefix + "price")
            up_to = None
            if "up_to" in tier:
                up_to = self.integer(tier, "up_to", prefix + "up_to", 1)
                if last:
                    self.problem(
                        prefix + "up_to",
                        "the last tier must have no up_to: it takes "
                        "everything above the tier before it",
                    )
                if up_to is not None:
                    if previous is not None and up_to <= previous:
                        self.problem(
                            prefix + "up_to",
                            f"tiers must have strictly increasing "
                            f"up_to: {up_to} follows {previous}",
                        )
                    previous = up_to
            elif not last:
                self.problem(prefix + "up_to", "only the last tier may leave out up_to")
            if price is not None:
                tiers.append(VolumeTier(price=price, up_to=up_to))
        return tuple(tiers)


# --- where keys are in the text ----------------------------------------------------------------

_PLAN_HEADER = re.compile(r"\s*\[\[\s*plan\s*\]\]")
_SUB_HEADER = re.compile(r"\s*(\[\[?)\s*plan\s*\.\s*([A-Za-z0-9_\-. ]+?)\s*\]")
_TABLE_HEADER = re.compile(r"\s*\[\[?\s*[A-Za-z0-9_\-.\"' ]+\]")


@dataclass
class _Block:
    name: str  # dotted, without "plan.": "volume", "size_tiers", "volume.tiers"
    array: bool
    header: int  # 0-based line of the header
    end: int  # 0-based line after the block


class _Lines:
    """Best-effort line numbers for dotted keys, by scanning the text for table headers.

    tomllib does not say where values are; this finds the n-th [[plan]] header and, inside it,
    the sub-table or the `key =` line a problem is about. Keys it cannot place fall back to the
    nearest enclosing header, so a problem always points somewhere useful.
    """

    def __init__(self, text: str):
        # TOML lines end at LF (or CRLF) only; str.splitlines would also split at \f, \u2028...
        self.text = text.split("\n")
        headers = [n for n, line in enumerate(self.text) if _PLAN_HEADER.match(line)]
        self.sections: list[tuple[int, int, list[_Block]]] = []
        for k, start in enumerate(headers):
            end = headers[k + 1] if k + 1 < len(headers) else len(self.text)
            self.sections.append((start, end, self._blocks(start, end)))

    def _blocks(self, start: int, end: int) -> list[_Block]:
        blocks: list[_Block] = []
        for n in range(start + 1, end):
            if not _TABLE_HEADER.match(self.text[n]):
                continue
            if blocks:
                blocks[-1].end = n
            found = _SUB_HEADER.match(self.text[n])
            name = re.sub(r"\s+", "", found.group(2)) if found else "?"
            blocks.append(_Block(name, bool(found and found.group(1) == "[["), n, end))
        return blocks

    def _key(self, start: int, end: int, key: str) -> int | None:
        """0-based line of `key =` (or `key.sub =`) between start and end."""
        k = re.escape(key)
        pattern = re.compile(rf"\s*(?:{k}|\"{k}\"|'{k}')\s*[=.]")
        for n in range(start, end):
            if pattern.match(self.text[n]):
                return n
        return None

    def top_key_line(self, key: str) -> int | None:
        end = self.sections[0][0] if self.sections else len(self.text)
        n = self._key(0, end, key)
        return None if n is None else n + 1

    def plan_at(self, line: int | None) -> str:
        """The plan a (syntax error) line falls in: its name if the text shows it, else "#n"."""
        if line is None:
            return ""
        label = ""
        for k, (start, end, blocks) in enumerate(self.sections):
            if start < line:
                top_end = blocks[0].header if blocks else end
                n = self._key(start + 1, top_end, "name")
                row = self.text[n] if n is not None else ""
                found = re.match(r"\s*name\s*=\s*\"([^\"]+)\"", row)
                label = found.group(1) if found else f"#{k + 1}"
        return label

    def locate(self, plan_index: int, key: str) -> int | None:
        """1-based line of a dotted key like "volume.tiers[2].up_to" in the plan_index-th plan."""
        if plan_index >= len(self.sections):
            return None
        start, end, blocks = self.sections[plan_index]
        line = start  # the [[plan]] header: where a missing key would go
        region = (start + 1, blocks[0].header if blocks else end)
        path: list[str] = []
        for name, index in re.findall(r"([^.\[\]]+)(?:\[(\d+)\])?", key):
            path.append(name)
            dotted = ".".join(path)
            same = [b for b in blocks if b.name == dotted and b.array == bool(index)]
            wanted = int(index) - 1 if index else 0
            if wanted < len(same):
                block = same[wanted]
                line, region = block.header, (block.header + 1, block.end)
                continue
            found = self._key(region[0], region[1], name)
            if found is None:
                break
            line = found
            if index:
                brace = self._nth_inline_table(found, end, int(index))
                line = brace if brace is not None else found
            # Inline tables are one line in TOML: the rest of the key is on this line.
            break
        return line + 1

    def _nth_inline_table(self, first: int, end: int, nth: int) -> int | None:
        """0-based line of the nth `{` directly inside the array that starts at line `first`."""
        depth, count, quote = 0, 0, ""
        for n in range(first, end):
            row = self.text[n]
            column = row.find("=") + 1 if n == first else 0
            while column < len(row):
                char = row[column]
                if quote:
                    if char == "\\" and quote == '"':
                        column += 1
                    elif char == quote:
                        quote = ""
                elif char in "\"'":
                    quote = char
                elif char == "#":
                    break
                elif char in "[{":
                    depth += 1
                    if char == "{" and depth == 2:
                        count += 1
                        if count == nth:
                            return n
                elif char in "]}":
                    depth -= 1
                    if depth == 0:
                        return None
                column += 1
        return None


# --- writing ---------------------------------------------------------------------------------


def write_plans(plans: list[Plan]) -> str:
    """A plan file that read_plans turns back into equal plans, sorted by name and start."""
    ordered = sorted(
        plans,
        key=lambda p: (
            p.name,
            p.effective_from is not None,
            _utc(p.effective_from) if p.effective_from else 0,
        ),
    )
    header = "# Meterbook pricing plans (format: pricing-plans.md)\n\n"
    return header + tomli_w.dumps({"plan": [_plan_table(p) for p in ordered]})


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # same rule as the file format: no offset means UTC
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _plan_table(plan: Plan) -> dict[str, Any]:
    table: dict[str, Any] = {"name": plan.name, "vendor": plan.vendor}
    for key in _PLAN_KEYS[2:]:
        value = getattr(plan, key)
        default = getattr(_DEFAULTS, key)
        if key == "effective_from":
            if value is not None:
                table[key] = _moment(value)
        elif key == "size_tiers":
            if value:
                table[key] = [_size_tier(t) for t in value]
        elif key == "volume":
            if value is not None:
                table[key] = {
                    "meter": value.meter,
                    "mode": value.mode,
                    "tiers": [_volume_tier(t) for t in value.tiers],
                }
        elif isinstance(value, Decimal):
            # Compare the text, not the number: "0.00" differs from the default "0" on paper.
            if key in _OPTIONAL_PRICES or str(value) != str(default):
                table[key] = str(value)
        elif value is not None and value != default:
            table[key] = value
    return table


def _moment(moment: datetime) -> date | datetime:
    utc = _utc(moment)
    if utc.time() == time(0):
        return utc.date()
    return utc


def _size_tier(tier: SizeTier) -> dict[str, Any]:
    table: dict[str, Any] = {"above_input_tokens": tier.above_input_tokens}
    for key in TIER_PRICE_KEYS:
        value = getattr(tier, key)
        if value is not None:
            table[key] = str(value)
    return table


def _volume_tier(tier: VolumeTier) -> dict[str, Any]:
    if tier.up_to is None:
        return {"price": str(tier.price)}
    return {"up_to": tier.up_to, "price": str(tier.price)}
