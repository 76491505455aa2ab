"""Reading settings, exchange rates and plans with plain SQL, without the ORM.

Read-only commands (`meterbook cost` above all) start faster without loading SQLModel and
pydantic, and these reads are all they need; the ORM modules (settings, plan_store) use the
same functions for their reads.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy.engine import Connection

from meterbook.core.plans import Plan, SizeTier, Volume, VolumeTier
from meterbook.core.records import from_epoch_us
from meterbook.store.sql import sql

HOME_CURRENCY_KEY = "home_currency"
REPORT_TIMEZONE_KEY = "report_timezone"
DEFAULT_HOME_CURRENCY = "USD"

# Plan fields stored as they are (text and integers) in plan_version columns of the same name.
_PLAIN = (
    "name", "vendor", "model", "project", "service_tier", "currency", "priority", "source",
    "token_unit", "unit_size", "free_trial_days", "billing_timezone",
)  # fmt: skip
# Decimal fields stored as decimal text; the None-able ones stay NULL when the plan leaves them out.
_DECIMALS = (
    "input", "cached_input", "cache_write", "output", "request", "unit_price", "multiplier",
    "monthly_fee", "monthly_minimum",
)  # fmt: skip
_TIER_PRICES = ("input", "cached_input", "cache_write", "output", "request", "unit_price")




def get_setting(conn: Connection, key: str) -> str | None:
    return conn.exec_driver_sql(sql(conn, "SELECT value FROM setting WHERE key = ?"),
                                (key,)).scalar_one_or_none()


def home_currency(conn: Connection) -> str:
    """The currency totals are shown in; USD until set."""
    return get_setting(conn, HOME_CURRENCY_KEY) or DEFAULT_HOME_CURRENCY


def report_timezone(conn: Connection) -> str | None:
    """The saved report time zone; None when unset (the caller falls back to the computer's)."""
    return get_setting(conn, REPORT_TIMEZONE_KEY)


def effective_timezone(conn: Connection) -> str:
    """The saved report time zone, else this computer's, else UTC."""
    return report_timezone(conn) or computer_timezone()


def computer_timezone() -> str:
    """This computer's IANA zone name, else UTC."""
    try:
        import tzlocal

        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # no zone configured on this computer
        return "UTC"


def rates_for(conn: Connection) -> dict[tuple[str, str], Decimal]:
    """Every saved rate keyed by (currency, month)."""
    rows = conn.exec_driver_sql("SELECT currency, month, rate FROM exchange_rate")
    return {(currency, month): Decimal(rate) for currency, month, rate in rows}


def load_plans(conn: Connection) -> list[tuple[int, Plan]]:
    """Every saved plan version as (id, plan), by name and then effective_from (always first)."""
    versions = conn.exec_driver_sql("SELECT * FROM plan_version").all()
    size_tiers = defaultdict(list)
    for tier in conn.exec_driver_sql("SELECT * FROM plan_size_tier ORDER BY position"):
        size_tiers[tier.plan_version_id].append(tier)
    volume_tiers = defaultdict(list)
    for tier in conn.exec_driver_sql("SELECT * FROM plan_volume_tier ORDER BY position"):
        volume_tiers[tier.plan_version_id].append(tier)
    # Sorted here rather than in SQL: databases disagree on where NULL sorts.
    versions = sorted(versions, key=lambda v: (v.name, *_effective_key(v.effective_from_us), v.id))
    return [
        (v.id, _to_plan(v, size_tiers.get(v.id, []), volume_tiers.get(v.id, []))) for v in versions
    ]


def _effective_key(us: int | None) -> tuple[bool, int]:
    return (us is not None, us or 0)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _to_plan(
    row, size_tiers: list, volume_tiers: list
) -> Plan:
    volume = None
    if row.volume_meter is not None:
        volume = Volume(
            meter=row.volume_meter,
            mode=row.volume_mode or "",
            tiers=tuple(VolumeTier(price=Decimal(t.price), up_to=t.up_to) for t in volume_tiers),
        )
    effective = None if row.effective_from_us is None else from_epoch_us(row.effective_from_us)
    return Plan(
        **{name: getattr(row, name) for name in _PLAIN},
        **{name: _decimal(getattr(row, name)) for name in _DECIMALS},
        effective_from=effective,
        volume=volume,
        size_tiers=tuple(
            SizeTier(
                above_input_tokens=t.above_input_tokens,
                **{name: _decimal(getattr(t, name)) for name in _TIER_PRICES},
            )
            for t in size_tiers
        ),
    )
