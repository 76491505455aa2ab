"""The pricing engine's rules applied to whole columns of rows at once (numpy int64), for
`meterbook compare`, which prices a million stored records under several alternatives.

Same answers as PricingEngine.price, record by record (tests/store/test_compare_fast.py checks
it on random plans and usage): the engine's own compiled versions and timelines choose each
row's version; a charge is the same integer numerator over the same denominator, rounded
half-to-even; volume tiers run over each plan's billing month in (instant, id) order as the
engine's do. Exact, not approximate: int64 only when the largest numerator the data allows fits
with room to spare (checked with Python integers first); otherwise, and for the rare shapes
not handled here, None is returned and the caller uses the engine.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from meterbook.core.periods import MonthIndex, zone
from meterbook.core.pricing import (
    CACHED,
    INPUT,
    METER,
    ORDER,
    OUTPUT,
    REQUESTS,
    TS,
    UNITS,
    WRITE,
    CompiledVersion,
    MeterInfo,
    PricingEngine,
)

_LIMIT = 2**62  # numerators stay below this in int64 (2^63 less a margin for sums of two)
_TOKEN_COLUMNS = [INPUT, CACHED, WRITE, OUTPUT, REQUESTS, UNITS]  # coefficient order


def columns_of(rows: Sequence[tuple], width: int = 9) -> np.ndarray | None:
    """The first `width` columns of the rows (the engine's nine, and any more the caller
    reads) as an int64 matrix; None when a value there is not an int64 integer."""
    try:
        return np.array([r[:width] for r in rows], dtype=np.int64).reshape(len(rows), width)
    except (TypeError, ValueError, OverflowError):
        return None


def price_columns(engine: PricingEngine, cols: np.ndarray,
                  meters: Mapping[Hashable, MeterInfo]) -> tuple[np.ndarray, np.ndarray] | None:
    """(charge nano, plan index; -1 where unpriced) per row of `cols` (columns_of), exactly as
    engine.price(rows, meters) would give them; None when int64 might not hold a numerator or a
    volume-tiered plan changes billing zone or meter between versions (the engine prices it)."""
    n = len(cols)
    charge = np.zeros(n, dtype=np.int64)
    plan = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return charge, plan
    # Column-major (a no-op for the store's own matrix): every step below reads a few columns
    # of many rows, and a column gathered from contiguous memory is several times cheaper.
    cols = np.asfortranarray(cols)
    if min(int(cols[:, c].min()) for c in _TOKEN_COLUMNS) < 0:
        return None  # the bound below assumes counts of zero or more
    largest = [int(cols[:, c].max()) for c in _TOKEN_COLUMNS]
    versions = engine.versions
    vid = _versions_of(engine, cols, meters)
    if vid is None:
        return None
    ts = cols[:, TS]
    tiered: dict[str, list[tuple[CompiledVersion, np.ndarray]]] = {}
    for k, rows_of in _groups(vid):
        if k < 0:
            continue
        v = versions[k]
        if not _fits(v, largest, n):
            return None
        in_trial = ts[rows_of] < v.trial_end
        trial, paying = rows_of[in_trial], rows_of[~in_trial]
        plan[trial] = v.index  # charge stays 0
        if v.volume is None:
            charge[paying] = _rounded(_numerators(v, cols, paying), v.den)
            plan[paying] = v.index
        elif len(paying):
            tiered.setdefault(v.plan.name, []).append((v, paying))
    for parts in tiered.values():
        if not _price_tiered(parts, cols, charge, plan):
            return None
    return charge, plan


def _versions_of(engine: PricingEngine, cols: np.ndarray,
                 meters: Mapping[Hashable, MeterInfo]) -> np.ndarray | None:
    """Each row's winning version (its number in engine.versions; -1: none) by its meter's
    timeline. A meter whose timeline has one winner (the usual case) is a table look-up for all
    its rows at once; only meters whose winner changes over time search their rows' instants.
    None when a row's meter is not in `meters`."""
    number = {id(v): k for k, v in enumerate(engine.versions)}
    known = np.array(sorted(meters), dtype=np.int64)
    at = positions_in(known, cols[:, METER])
    if at is None:
        return None  # a meter `meters` lacks: the engine says which
    single = np.full(len(known), -1, dtype=np.int64)
    changing = []
    for j in np.flatnonzero(np.bincount(at, minlength=len(known))).tolist():
        tl = engine.timeline(*meters[int(known[j])][:4])
        winners = [-1 if w is None else number[id(w)] for w in tl.winners]
        if len(winners) == 1:
            single[j] = winners[0]
        else:
            changing.append((j, tl.starts, winners))
    vid = single[at]
    ts = cols[:, TS]
    for j, starts, winners in changing:
        mine = np.flatnonzero(at == j)
        step = np.searchsorted(np.array(starts, dtype=np.int64), ts[mine], side="right")
        vid[mine] = np.array(winners, dtype=np.int64)[step - 1]
    return vid


def positions_in(known: np.ndarray, values: np.ndarray) -> np.ndarray | None:
    """Where each value is in `known` (sorted distinct int64); None when one is not there.
    Meter ids are small: a look-up table then, a binary search per value otherwise."""
    if not len(known) or not len(values):
        return None if len(values) else np.zeros(0, dtype=np.int64)
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high < 2**22:
        table = np.full(high + 1, -1, dtype=np.int64)
        inside = np.flatnonzero((known >= 0) & (known <= high))
        table[known[inside]] = inside
        at = table[values]
        return None if int(at.min()) < 0 else at
    at = np.minimum(np.searchsorted(known, values), len(known) - 1)
    return at if np.array_equal(known[at], values) else None


def _groups(keys: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(key, positions holding it, ascending) per distinct key: one stable sort, not one
    comparison of the whole column per key (a radix sort when the keys fit 16 bits)."""
    if len(keys) and int(keys.min()) >= -(2**15) and int(keys.max()) < 2**15:
        order = np.argsort(keys.astype(np.int16), kind="stable")
    else:
        order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    cuts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    starts = np.r_[0, cuts]
    ends = np.r_[cuts, len(keys)]
    return [(int(ordered[a]), order[a:b]) for a, b in zip(starts.tolist(), ends.tolist(),
                                                          strict=True)]


def _fits(v: CompiledVersion, largest: list[int], rows: int) -> bool:
    """Whether every numerator of this version stays below _LIMIT for `rows` rows whose
    columns are at most `largest` (the tiered part adds at most quantity x its dearest tier,
    and a month's running volume is at most rows x the largest quantity)."""
    sets = [v.base] + [c for _, c in v.size_tiers]
    if any(abs(c) >= _LIMIT for c in [*v.tier_coefs, *(c for cs in sets for c in cs)]):
        return False  # a coefficient itself is no int64
    bound = max(sum(x * abs(c) for x, c in zip(largest, cs, strict=True)) for cs in sets)
    if v.volume is not None:
        qty = largest[_TOKEN_COLUMNS.index(v.meter_column)]
        bound += qty * max((abs(c) for c in v.tier_coefs), default=0)
        bound = max(bound, qty * rows)
    return bound < _LIMIT and v.den < _LIMIT


def _numerators(v: CompiledVersion, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The engine's numerator per row of `rows`: the base coefficients, or the size tier the
    row's average input per request reaches (the highest threshold below it)."""
    if not v.size_tiers:
        return _numerator(cols, rows, v.base)
    size = cols[rows, INPUT] + cols[rows, CACHED] + cols[rows, WRITE]
    requests = cols[rows, REQUESTS]
    q = np.where(requests == 0, 1, requests)
    choice = np.zeros(len(rows), dtype=np.int64)  # 0: base, j + 1: size tier j
    # Lowest threshold first, each overwriting: the highest one reached wins, and of two
    # equal thresholds the one listed first (as the engine's first match).
    for j in reversed(range(len(v.size_tiers))):
        choice[size > v.size_tiers[j][0] * q] = j + 1
    num = np.zeros(len(rows), dtype=np.int64)
    for j, coefs in enumerate([v.base] + [c for _, c in v.size_tiers]):
        chosen = np.flatnonzero(choice == j)
        if len(chosen):
            num[chosen] = _numerator(cols, rows[chosen], coefs)
    return num


def _numerator(cols: np.ndarray, rows: np.ndarray, coefs: tuple[int, ...]) -> np.ndarray:
    """pricing._numerator per row of `rows`: one multiply-add per column whose price is not
    zero."""
    num = np.zeros(len(rows), dtype=np.int64)
    for column, coef in zip(_TOKEN_COLUMNS, coefs, strict=True):
        if coef:
            num += cols[rows, column] * coef
    return num


def _rounded(num: np.ndarray, den: int) -> np.ndarray:
    """num / den rounded half-to-even, as pricing._charge (floor division, then the rest)."""
    if den == 1:
        return num
    q, r = np.divmod(num, den)
    twice = 2 * r
    return q + ((twice > den) | ((twice == den) & (q & 1 == 1)))


def _price_tiered(parts: list[tuple[CompiledVersion, np.ndarray]], cols: np.ndarray,
                  charge: np.ndarray, plan: np.ndarray) -> bool:
    """One volume-tiered plan's rows (all its versions): each billing month in (instant, id)
    order, every row priced at its position in the month's running volume. False when the
    versions disagree on billing zone or meter."""
    first = parts[0][0]
    if any(v.plan.billing_timezone != first.plan.billing_timezone
           or v.meter_column != first.meter_column for v, _ in parts):
        return False
    rows_of = np.concatenate([r for _, r in parts])
    which = np.concatenate([np.full(len(r), k, dtype=np.int64) for k, (_, r) in enumerate(parts)])
    order = np.lexsort((cols[rows_of, ORDER], cols[rows_of, TS]))
    rows_of, which = rows_of[order], which[order]
    ts = cols[rows_of, TS]
    months = MonthIndex(zone(first.plan.billing_timezone), int(ts[0]), int(ts[-1]) + 1)
    month = np.searchsorted(np.array(months.starts, dtype=np.int64), ts, side="right") - 1
    qty = cols[rows_of, first.meter_column]
    running = np.cumsum(qty)
    # Month boundaries in the sorted rows (months ascend with the instant).
    starts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    ends = np.r_[starts[1:], len(month)]
    before_month = np.r_[0, running[ends[:-1] - 1]]
    lengths = ends - starts
    position = running - qty - np.repeat(before_month, lengths)  # before this row, this month
    total = np.repeat(running[ends - 1] - before_month, lengths)
    for k, (v, _) in enumerate(parts):
        mine = np.flatnonzero(which == k)
        rows = rows_of[mine]
        num = _numerators(v, cols, rows)
        if v.volume.mode == "graduated":
            num = num + _graduated(v, position[mine], qty[mine])
        else:
            num = num + qty[mine] * _price_at(v, total[mine])
        charge[rows] = _rounded(num, v.den)
        plan[rows] = v.index
    return True


def _graduated(v: CompiledVersion, before: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """pricing._graduated per row: the units before+1 .. before+qty of the month, each tier's
    overlap at its price."""
    stop = before + qty
    total = np.zeros(len(qty), dtype=np.int64)
    lower = 0
    for up_to, price in zip(v.tier_bounds, v.tier_coefs, strict=True):
        upper = stop if up_to is None else np.minimum(stop, up_to)
        overlap = upper - np.maximum(before, lower)
        total += np.where(overlap > 0, overlap, 0) * price
        if up_to is None:
            break
        lower = up_to
    return total


def _price_at(v: CompiledVersion, total: np.ndarray) -> np.ndarray:
    """pricing._tier_price_at per row: the price of the first tier the month's total fits."""
    price = np.full(len(total), v.tier_coefs[-1], dtype=np.int64)
    # Last tier first, each overwriting: the first tier that holds the total wins.
    for up_to, coef in reversed(list(zip(v.tier_bounds, v.tier_coefs, strict=True))):
        if up_to is None:
            price[:] = coef
        else:
            price[total <= up_to] = coef
    return price
