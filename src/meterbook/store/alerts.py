"""Budget alerts: raised when a threshold is crossed or the forecast goes over the amount,
once per budget, threshold and period; acknowledged by the owner; withdrawn when the spend
falls back under (an undo, a re-price, a plan change), and raised again if it is crossed again.

`check_alerts` runs after every import, undo, re-price and plan change (the jobs call
`check_alerts_safely`: a failed check is logged and never fails the job). The same table holds
spike alerts (vendor, day, amount, norm, limit: core/spikes.py's rule over
store/daily_spend.py's series), raised by the same check, once per vendor and day, and
withdrawn like thresholds when the day falls back under its limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Connection

from meterbook.core.budgets import Budget
from meterbook.core.pause_points import pause_point
from meterbook.core.periods import zone
from meterbook.core.records import from_epoch_us, to_epoch_us
from meterbook.store import readers
from meterbook.store.budget_status import BudgetFigures, budget_status
from meterbook.store.budgets import load_budgets
from meterbook.store.daily_spend import spikes_in
from meterbook.store.database import Database
from meterbook.store.sql import sql

THRESHOLD, FORECAST, SPIKE = "threshold", "forecast", "spike"


def clock() -> datetime:
    """The time of a check when the caller gives none (tests pass their own)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str  # THRESHOLD, FORECAST or SPIKE
    budget: str | None  # the budget's name (None for a spike)
    threshold: int | None
    period_start: str | None  # YYYY-MM-DD
    crossed_at: datetime | None
    amount: Decimal | None  # the forecast, or the spike day's spend
    vendor: str | None
    day: str | None
    norm: Decimal | None
    limit: Decimal | None
    raised_at: datetime
    acknowledged_at: datetime | None
    withdrawn_at: datetime | None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def message(self) -> str:
        """One line for people: the banner, the tray, `budget status`."""
        if self.kind == THRESHOLD:
            return (f"{self.budget}: {self.threshold}% of the budget reached on "
                    f"{self.crossed_at:%Y-%m-%d %H:%M} UTC (period from {self.period_start})")
        if self.kind == FORECAST:
            return (f"{self.budget}: the forecast ({self.amount:,.2f}) is over the budget "
                    f"(period from {self.period_start})")
        return (f"{self.vendor}: {self.amount:,.2f} spent on {self.day}, above its usual "
                f"{self.norm:,.2f} (limit {self.limit:,.2f})")


_SELECT = """SELECT a.id, a.kind, b.name, a.threshold, a.period_start, a.crossed_at_us,
    a.amount, a.vendor, a.day, a.norm, a.limit_amount, a.raised_at_us, a.acknowledged_at_us,
    a.withdrawn_at_us FROM budget_alert a LEFT JOIN budget b ON b.id = a.budget_id"""


def _alert(row) -> Alert:
    (aid, kind, name, threshold, period_start, crossed, amount, vendor, day, norm, limit,
     raised, acknowledged, withdrawn) = row
    return Alert(aid, kind, name, threshold, period_start, _moment(crossed), _number(amount),
                 vendor, day, _number(norm), _number(limit), from_epoch_us(raised),
                 _moment(acknowledged), _moment(withdrawn))


def _moment(us: int | None) -> datetime | None:
    return None if us is None else from_epoch_us(us)


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def standing_alerts(db_or_conn: Database | Connection) -> list[Alert]:
    """Alerts not withdrawn (acknowledged ones included: see Alert.acknowledged), oldest
    first."""
    if isinstance(db_or_conn, Database):
        with db_or_conn.engine.connect() as conn:
            return standing_alerts(conn)
    rows = db_or_conn.exec_driver_sql(
        f"{_SELECT} WHERE a.withdrawn_at_us IS NULL ORDER BY a.raised_at_us, a.id")
    return [_alert(r) for r in rows]


def acknowledge(db: Database, alert_id: int | str, now: datetime | None = None) -> int:
    """Acknowledge one standing alert by id, or every one ("all"); how many were. KeyError
    for an id that is no standing, unacknowledged alert."""
    at = to_epoch_us(now or clock())
    with db.engine.begin() as conn:
        if alert_id == "all":
            done = conn.exec_driver_sql(sql(conn, """UPDATE budget_alert
                SET acknowledged_at_us = ? WHERE withdrawn_at_us IS NULL
                AND acknowledged_at_us IS NULL"""), (at,)).rowcount
        else:
            done = conn.exec_driver_sql(sql(conn, """UPDATE budget_alert
                SET acknowledged_at_us = ? WHERE id = ? AND withdrawn_at_us IS NULL
                AND acknowledged_at_us IS NULL"""), (at, int(alert_id))).rowcount
        pause_point("alerts:acknowledged")
    if not done and alert_id != "all":
        raise KeyError(alert_id)
    return done


def check_alerts_safely(db: Database, now: datetime | None = None) -> list[Alert]:
    """check_alerts for the jobs that change spend: a failure is logged, never raised, so an
    import or undo that worked is never reported as failed because of its alerts."""
    try:
        return check_alerts(db, now)
    except Exception as exc:  # any failure: the job itself succeeded
        from meterbook.logs import log_unexpected

        log_unexpected(exc, "meterbook.alerts")
        return []


def check_alerts(db: Database, now: datetime | None = None, tz_name: str | None = None
                 ) -> list[Alert]:
    """Raise the alerts that now stand and were not raised yet; withdraw those that no longer
    stand. Budgets: looks at the period holding `now`, the one holding the latest record (an
    import of last month's export) and those of the alerts standing. Spikes: the last
    SPIKE_DAYS days up to `now`. Returns the alerts raised now."""
    now = now or clock()
    at = to_epoch_us(now)
    with db.engine.begin() as conn:
        tz = zone(tz_name or readers.effective_timezone(conn))
        today = now.astimezone(tz).date()
        raised_ids = _settle_spikes(conn, today, str(tz), at)
        budgets = load_budgets(conn)
        if budgets:
            raised_ids += _settle_budgets(conn, budgets, tz, today, at)
        pause_point("alerts:before-commit")
    found = {a.id: a for a in standing_alerts(db)}
    return [found[i] for i in raised_ids if i in found]


# Spike alerts look back this many days: a runaway script is news for a month; an import of
# an old export does not raise alarms about last year's days.
SPIKE_DAYS = 35


def _settle_spikes(conn: Connection, today: date, tz_name: str, at: int) -> list[int]:
    """Raise each spike of the recent days not standing yet; withdraw a standing one whose day
    is no longer a spike (an undo, a re-price took it back under its limit)."""
    first = today - timedelta(days=SPIKE_DAYS - 1)
    found = {(s.vendor, s.day.isoformat()): s for s in spikes_in(conn, first, today, tz_name)}
    standing = conn.exec_driver_sql(sql(conn, """SELECT id, vendor, day FROM budget_alert
        WHERE kind = 'spike' AND withdrawn_at_us IS NULL AND day >= ? AND day <= ?"""),
        (first.isoformat(), today.isoformat())).all()
    for aid, vendor, day in standing:
        if (vendor, day) not in found:
            _withdraw(conn, aid, at)
    raised = [_raise_spike(conn, s.vendor, s.day.isoformat(), s.amount, s.norm, s.limit, at)
              for s in found.values()]
    return [aid for aid in raised if aid is not None]


def _settle_budgets(conn: Connection, budgets, tz, today: date, at: int) -> list[int]:
    raised_ids: list[int] = []
    standing = {(bid, kind, start, threshold): aid for aid, kind, bid, threshold, start in
                conn.exec_driver_sql("""SELECT id, kind, budget_id, threshold, period_start
                    FROM budget_alert WHERE withdrawn_at_us IS NULL
                    AND kind IN ('threshold', 'forecast')""")}
    months = {(today.year, today.month)}
    latest = conn.exec_driver_sql("SELECT max(timestamp_us) FROM usage_record").scalar()
    if latest is not None:
        moment = from_epoch_us(latest).astimezone(tz)
        months.add((moment.year, moment.month))
    months |= {(int(start[:4]), int(start[5:7])) for _, _, start, _ in standing}
    seen = set()
    for year, month in sorted(months):
        status = budget_status(conn, year, month, today, str(tz), budgets)
        for figures in status.budgets:
            key = (figures.budget_id, figures.first)
            if key in seen:
                continue  # two months of one quarter or year: the same period
            seen.add(key)
            raised_ids += _settle(conn, figures, today, standing, at)
    return raised_ids


def _settle(conn: Connection, figures: BudgetFigures, today, standing, at: int) -> list[int]:
    """Raise and withdraw one budget period's alerts; the ids raised."""
    budget: Budget = figures.budget
    bid, start = figures.budget_id, figures.first.isoformat()
    raised = []
    crossed = {c.threshold: c for c in figures.crossings}
    for threshold, crossing in crossed.items():
        if (bid, THRESHOLD, start, threshold) not in standing:
            raised.append(_insert(conn, THRESHOLD, bid, at, threshold=threshold,
                                  period_start=start,
                                  crossed_at_us=to_epoch_us(crossing.crossed_at)))
    for (a_bid, kind, a_start, threshold), aid in standing.items():
        if (a_bid, kind, a_start) == (bid, THRESHOLD, start) and threshold not in crossed:
            _withdraw(conn, aid, at)
    value = figures.forecast.value
    over = budget.forecast_alert and value is not None and value > budget.amount
    forecast_key = (bid, FORECAST, start, None)
    if over and forecast_key not in standing and today <= figures.last:
        raised.append(_insert(conn, FORECAST, bid, at, period_start=start,
                              amount=str(value)))
    elif not over and forecast_key in standing:
        _withdraw(conn, standing[forecast_key], at)
    return raised


def _insert(conn: Connection, kind: str, budget_id: int | None, at: int, **values) -> int:
    columns = ["kind", "budget_id", "raised_at_us", *values]
    params = (kind, budget_id, at, *values.values())
    marks = ", ".join("?" for _ in columns)
    raised = conn.exec_driver_sql(sql(conn, f"""INSERT INTO budget_alert ({", ".join(columns)})
        VALUES ({marks}) RETURNING id"""), params).scalar_one()
    pause_point("alerts:raised")
    return raised


def _withdraw(conn: Connection, alert_id: int, at: int) -> None:
    conn.exec_driver_sql(sql(conn, "UPDATE budget_alert SET withdrawn_at_us = ? WHERE id = ?"),
                         (at, alert_id))
    pause_point("alerts:withdrawn")


def record_spike(db: Database, vendor: str, day: str, amount: Decimal, norm: Decimal,
                 limit: Decimal, now: datetime | None = None) -> Alert | None:
    """Raise a spike alert for a vendor's day, unless one stands already; the alert raised."""
    with db.engine.begin() as conn:
        aid = _raise_spike(conn, vendor, day, amount, norm, limit, to_epoch_us(now or clock()))
    if aid is None:
        return None
    return next(a for a in standing_alerts(db) if a.id == aid)


def _raise_spike(conn: Connection, vendor: str, day: str, amount: Decimal, norm: Decimal,
                 limit: Decimal, at: int) -> int | None:
    """The id of the spike alert raised, or None when one stands for this vendor and day
    (acknowledged or not: never twice)."""
    exists = conn.exec_driver_sql(sql(conn, """SELECT id FROM budget_alert WHERE
        kind = 'spike' AND vendor = ? AND day = ? AND withdrawn_at_us IS NULL"""),
        (vendor, day)).first()
    if exists:
        return None
    return _insert(conn, SPIKE, None, at, vendor=vendor, day=day, amount=str(amount),
                   norm=str(norm), limit_amount=str(limit))
