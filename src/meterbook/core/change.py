"""Why the cost changed between two periods, in money, with parts that add up exactly.

Each vendor and model (a "cell") costs, in a period,

    cost = R x s x t x p
    R  every request of the period (volume)
    s  the cell's share of those requests (model mix)
    t  its tokens per request (size; requests per request, i.e. 1, for a cell priced per
       request without tokens)
    p  its cost per token (price: moves with plan versions and with a model's input/output
       token mix)

and the change of a product is split between its four factors by the Shapley decomposition
(the "symmetric" or Sato-Vartia-free index decomposition): each factor's part is its marginal
effect averaged over every order in which the factors could change from before to after. For
a product of factors it is exact (the parts add up to the difference with nothing left over),
symmetric (no factor is favoured by going first), and, unlike the logarithmic mean Divisia
index (LMDI), it copes with a model that is new or gone (a share of zero). A cell present in
one period only keeps its size and price from the other: its whole change is mix and volume.

Two parts lie outside the product: the change of fixed charges (fees, true-ups: they depend
on no request), and money billed on lines without requests or tokens (a vendor's cost export
line: there is no size or price to speak of).

All arithmetic is in Fractions; `shown_cents` rounds parts to cents by the largest-remainder
method so that the rounded parts still add up to the rounded difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from itertools import combinations
from math import factorial

PARTS = ("volume", "size", "mix", "price", "fixed", "billed_lines")
PART_LABELS = {
    "volume": "more or fewer requests",
    "size": "bigger or smaller requests (tokens per request)",
    "mix": "a different model mix",
    "price": "price changes (plan versions; cost per token)",
    "fixed": "fixed charges (fees, minimums)",
    "billed_lines": "lines billed without usage counts",
}
_FACTORS = ("volume", "mix", "size", "price")
METHOD = ("Shapley (symmetric) decomposition of cost = requests x model share x tokens per "
          "request x cost per token, per vendor and model")
# The method in a few sentences: the reports' "Method" line and the Dashboard's tooltip.
DECOMPOSITION = (
    f"Why it changed: {METHOD}. Each part is a factor's effect averaged over every order in "
    "which the factors could change, so the parts add up exactly to the difference; a model "
    "new or gone this period counts as model mix. Fixed charges and lines billed without "
    "usage counts are parts of their own. Parts are rounded to cents by the largest "
    "remainder, so the shown parts add up to the shown difference.")


@dataclass(frozen=True)
class Cell:
    """One vendor and model in one period: requests, tokens and usage cost (home currency)."""

    requests: int = 0
    tokens: int = 0
    cost: Decimal = Decimal(0)


@dataclass(frozen=True)
class ChangeLine:
    vendor: str
    model: str  # "" for a vendor's fixed charges
    before: Decimal
    after: Decimal
    parts: dict[str, Fraction]

    @property
    def difference(self) -> Decimal:
        return self.after - self.before

    def shown(self) -> dict[str, Decimal]:
        """The parts in cents, adding up to the line's shown difference."""
        return shown_cents(self.parts, cents(self.after) - cents(self.before))


@dataclass(frozen=True)
class Change:
    before: Decimal  # the earlier period's total (usage and fixed)
    after: Decimal
    lines: list[ChangeLine] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return self.after - self.before

    @property
    def parts(self) -> dict[str, Fraction]:
        total = dict.fromkeys(PARTS, Fraction(0))
        for line in self.lines:
            for name, value in line.parts.items():
                total[name] += value
        return total

    def shown(self) -> dict[str, Decimal]:
        """The parts in cents, adding up exactly to the shown (rounded) difference."""
        return shown_cents(self.parts, cents(self.after) - cents(self.before))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def shown_cents(parts: Mapping[str, Fraction], target: Decimal) -> dict[str, Decimal]:
    """Largest-remainder rounding: each part floored to a cent, then the cents still missing
    to reach `target` go one each to the parts with the largest remainders (taken back from
    the smallest when the floors overshoot)."""
    names = list(parts)
    floors = {n: (parts[n] * 100).__floor__() for n in names}
    missing = int(target * 100) - sum(floors.values())
    by_remainder = sorted(names, key=lambda n: (-(parts[n] * 100 - floors[n]), names.index(n)))
    step = 1 if missing >= 0 else -1
    order = by_remainder if step == 1 else by_remainder[::-1]
    i = 0
    while missing and order:
        floors[order[i % len(order)]] += step
        missing -= step
        i += 1
    return {n: Decimal(floors[n]) / 100 for n in names}


def _factors(cell: Cell, total_requests: int, per_request: bool
             ) -> tuple[Fraction, Fraction, Fraction, Fraction] | None:
    """(R, s, t, p) of a cell whose cost they multiply to; None when it has no usage."""
    size = cell.requests if per_request else cell.tokens
    if not cell.requests or not size:
        return None
    return (Fraction(total_requests), Fraction(cell.requests, total_requests),
            Fraction(size, cell.requests), Fraction(cell.cost) / size)


def shapley(before: tuple[Fraction, ...], after: tuple[Fraction, ...]) -> list[Fraction]:
    """Each factor's Shapley part of prod(after) - prod(before); they sum to it exactly."""
    n = len(before)
    parts = []
    for k in range(n):
        others = [j for j in range(n) if j != k]
        part = Fraction(0)
        for size in range(n):
            weight = Fraction(factorial(size) * factorial(n - size - 1), factorial(n))
            for moved in combinations(others, size):
                product = after[k] - before[k]
                for j in others:
                    product *= after[j] if j in moved else before[j]
                part += weight * product
        parts.append(part)
    return parts


def _usage_parts(before: Cell, after: Cell, r_before: int, r_after: int
                 ) -> dict[str, Fraction]:
    parts = dict.fromkeys(PARTS, Fraction(0))
    per_request = not (before.tokens or after.tokens)
    fa = _factors(before, r_before, per_request)
    fb = _factors(after, r_after, per_request)
    if fa is None and fb is None:  # money without usage counts on both sides
        parts["billed_lines"] = Fraction(after.cost) - Fraction(before.cost)
        return parts
    # Absent on one side: its share is 0 there, size and price as on the other side.
    if fa is None:
        parts["billed_lines"] -= Fraction(before.cost)
        fa = (Fraction(r_before), Fraction(0), fb[2], fb[3])
    if fb is None:
        parts["billed_lines"] += Fraction(after.cost)
        fb = (Fraction(r_after), Fraction(0), fa[2], fa[3])
    for name, value in zip(_FACTORS, shapley(fa, fb), strict=True):
        parts[name] += value
    return parts


def decompose(before: Mapping[tuple[str, str], Cell], after: Mapping[tuple[str, str], Cell],
              fixed_before: Mapping[str, Decimal], fixed_after: Mapping[str, Decimal]
              ) -> Change:
    """The change from `before` to `after`: cells keyed (vendor, model), fixed charges per
    vendor. One line per cell and one per vendor with fixed charges, sorted."""
    r_before = sum(c.requests for c in before.values())
    r_after = sum(c.requests for c in after.values())
    lines = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key, Cell()), after.get(key, Cell())
        lines.append(ChangeLine(key[0], key[1], a.cost, b.cost,
                                _usage_parts(a, b, r_before, r_after)))
    zero = Decimal(0)
    for vendor in sorted(set(fixed_before) | set(fixed_after)):
        a, b = fixed_before.get(vendor, zero), fixed_after.get(vendor, zero)
        if a or b:
            parts = dict.fromkeys(PARTS, Fraction(0))
            parts["fixed"] = Fraction(b) - Fraction(a)
            lines.append(ChangeLine(vendor, "", a, b, parts))
    total_before = sum((c.cost for c in before.values()), zero) + sum(fixed_before.values(), zero)
    total_after = sum((c.cost for c in after.values()), zero) + sum(fixed_after.values(), zero)
    return Change(total_before, total_after, lines)
