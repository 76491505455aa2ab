"""Saved budgets and the forecast settings, read with plain SQL and written in one transaction.

The forecast settings live in the `setting` table, so that the command line and the app
forecast alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.engine import Connection

from meterbook.core.budgets import Budget, BudgetError, refuse_duplicate
from meterbook.core.forecast import ForecastSettings
from meterbook.core.money import parse_decimal
from meterbook.core.records import to_epoch_us
from meterbook.store import readers
from meterbook.store.database import Database
from meterbook.store.sql import sql

FORECAST_WINDOW_KEY = "forecast_window_days"
FORECAST_GROWTH_KEY = "forecast_growth_per_month"
FORECAST_SEASONAL_KEY = "forecast_seasonal"  # "12=1.5,1=0.8"

_COLUMNS = "name, amount, period, vendor, model, project, thresholds, forecast_alert"


def load_budgets(conn: Connection) -> list[tuple[int, Budget]]:
    """Every saved budget with its id, by name."""
    rows = conn.exec_driver_sql(f"SELECT id, {_COLUMNS} FROM budget ORDER BY name")
    return [(bid, _to_budget(*rest)) for bid, *rest in rows]


def _to_budget(name, amount, period, vendor, model, project, thresholds, forecast_alert):
    return Budget(name=name, amount=Decimal(amount), period=period, vendor=vendor, model=model,
                  project=project, thresholds=tuple(int(t) for t in thresholds.split(",")),
                  forecast_alert=bool(forecast_alert))


def save_budget(db: Database, budget: Budget, replace: bool = False,
                now: datetime | None = None) -> bool:
    """Save a budget; True when it replaced one of the same name (which keeps its id, and so
    its alerts: the next check withdraws those the new figures no longer reach). Without
    `replace`, a name in use is refused with BudgetError and nothing changes."""
    values = (budget.name, str(budget.amount), budget.period, budget.vendor, budget.model,
              budget.project, ",".join(map(str, budget.thresholds)), budget.forecast_alert)
    with db.engine.begin() as conn:
        existing = conn.exec_driver_sql(sql(conn, "SELECT id FROM budget WHERE name = ?"),
                                        (budget.name,)).scalar_one_or_none()
        if existing is not None:
            if not replace:
                refuse_duplicate(budget.name, [budget.name])
            conn.exec_driver_sql(sql(conn, """UPDATE budget SET name = ?, amount = ?,
                period = ?, vendor = ?, model = ?, project = ?, thresholds = ?,
                forecast_alert = ? WHERE id = ?"""), (*values, existing))
            return True
        created = to_epoch_us(now or datetime.now(UTC))
        conn.exec_driver_sql(sql(conn, f"""INSERT INTO budget ({_COLUMNS}, created_us)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""), (*values, created))
    return False


def remove_budget(db: Database, name: str) -> None:
    """Delete a budget and its alerts; BudgetError when there is none of that name."""
    with db.engine.begin() as conn:
        found = conn.exec_driver_sql(sql(conn, "SELECT id FROM budget WHERE name = ?"),
                                     (name,)).scalar_one_or_none()
        if found is None:
            raise BudgetError(f"there is no budget named {name!r} (see `meterbook budget list`)")
        # Explicitly, not by ON DELETE CASCADE alone: a database without foreign keys enforced
        # (PostgreSQL enforces them, SQLite only when asked) must lose them too.
        conn.exec_driver_sql(sql(conn, "DELETE FROM budget_alert WHERE budget_id = ?"), (found,))
        conn.exec_driver_sql(sql(conn, "DELETE FROM budget WHERE id = ?"), (found,))


# --- forecast settings -----------------------------------------------------------------------


def forecast_settings(conn: Connection) -> ForecastSettings:
    """The saved settings, or the defaults (14 days, no growth, no seasons)."""
    window = readers.get_setting(conn, FORECAST_WINDOW_KEY)
    growth = readers.get_setting(conn, FORECAST_GROWTH_KEY)
    seasonal = readers.get_setting(conn, FORECAST_SEASONAL_KEY)
    return ForecastSettings(
        window_days=int(window) if window else ForecastSettings.window_days,
        growth_per_month=Decimal(growth) if growth else Decimal(0),
        seasonal=parse_seasonal(seasonal.split(",")) if seasonal else {})


def save_forecast_settings(db: Database, settings: ForecastSettings) -> None:
    seasonal = ",".join(f"{m}={f}" for m, f in sorted(settings.seasonal.items()))
    with db.engine.begin() as conn:
        for key, value in ((FORECAST_WINDOW_KEY, str(settings.window_days)),
                           (FORECAST_GROWTH_KEY, str(settings.growth_per_month)),
                           (FORECAST_SEASONAL_KEY, seasonal)):
            conn.exec_driver_sql(sql(conn, "DELETE FROM setting WHERE key = ?"), (key,))
            conn.exec_driver_sql(sql(conn, "INSERT INTO setting (key, value) VALUES (?, ?)"),
                                 (key, value))


def parse_seasonal(items: list[str]) -> dict[int, Decimal]:
    """['12=1.5', '1=0.8'] -> {12: Decimal('1.5'), 1: Decimal('0.8')}; ValueError naming the
    bad item."""
    found: dict[int, Decimal] = {}
    for item in items:
        month, sep, factor = item.partition("=")
        if not sep or not month.strip().isdigit():
            raise ValueError(f"seasonal factor {item!r}: write it as MONTH=FACTOR, e.g. 12=1.5")
        try:
            value = parse_decimal(factor)
        except ValueError:
            raise ValueError(f"seasonal factor {item!r}: {factor!r} is not a number") from None
        found[int(month)] = value
    return found
