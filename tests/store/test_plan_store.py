"""Saved plans: lossless round trip and replace-by-(name, effective_from)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from meterbook.core.plans import Plan, SizeTier, Volume, VolumeTier
from meterbook.store.database import open_database
from meterbook.store.plan_store import delete_plan, load_plans, save_plans
from meterbook.store.tables import PlanSizeTier, PlanVolumeTier


@pytest.fixture
def db(store_url):
    with open_database(store_url) as database:
        yield database


FULL = Plan(
    name="Claude Sonnet",
    vendor="anthropic",
    model="claude-sonnet-*",
    project="research",
    service_tier="priority",
    currency="EUR",
    effective_from=datetime(2026, 1, 1, 12, 30, 15, 123456, tzinfo=UTC),
    priority=5,
    source="https://example.com/pricing (2026-01-01)",
    token_unit=1000,
    input=Decimal("3.00"),
    cached_input=Decimal("0.30"),
    cache_write=Decimal("3.75"),
    output=Decimal("15"),
    request=Decimal("0.0001"),
    unit_price=Decimal("1E-7"),
    unit_size=1000,
    multiplier=Decimal("1.10"),
    size_tiers=(
        SizeTier(
            above_input_tokens=200_000,
            input=Decimal("6"),
            cached_input=Decimal("0.6"),
            cache_write=Decimal("7.5"),
            output=Decimal("22.50"),
            request=Decimal("0.0002"),
            unit_price=Decimal("0.000001"),
        ),
        SizeTier(above_input_tokens=1_000_000, output=Decimal("30")),
    ),
    volume=Volume(
        meter="requests",
        mode="graduated",
        tiers=(
            VolumeTier(price=Decimal("0"), up_to=1000),
            VolumeTier(price=Decimal("0.0015"), up_to=5_000_000),
            VolumeTier(price=Decimal("0.0010")),
        ),
    ),
    monthly_fee=Decimal("20.00"),
    monthly_minimum=Decimal("50.00"),
    free_trial_days=7,
    billing_timezone="America/New_York",
)


def test_every_field_of_the_full_plan_is_set():
    defaults = Plan(name="x", vendor="y")
    unset = [f.name for f in fields(Plan) if getattr(FULL, f.name) == getattr(defaults, f.name)]
    assert unset == []


def _exact(plan: Plan) -> str:
    # Decimal equality ignores the written form ("3.00" == 3); repr does not.
    return repr(plan)


def test_round_trip_is_lossless(db):
    minimal = Plan(name="Minimal", vendor="openai")
    with db.session() as session:
        ids, replaced = save_plans(session, plans=[FULL, minimal])
        session.commit()
    assert replaced == []
    with db.session() as session:
        loaded = load_plans(session)
    assert [pid for pid, _ in loaded] == ids
    assert [_exact(plan) for _, plan in loaded] == [_exact(FULL), _exact(minimal)]
    assert loaded[0][1] == FULL
    assert loaded[0][1].effective_from.tzinfo is not None


def test_plans_load_by_name_then_date_with_always_first(db):
    later = replace(FULL, effective_from=datetime(2026, 6, 1, tzinfo=UTC))
    always = replace(FULL, effective_from=None)
    other = Plan(name="A plan", vendor="openai")
    with db.session() as session:
        save_plans(session, plans=[later, FULL, other, always])
        session.commit()
        assert [p for _, p in load_plans(session)] == [other, always, FULL, later]


def test_saving_the_same_name_and_date_replaces_that_version_only(db):
    other_version = replace(FULL, effective_from=datetime(2026, 6, 1, tzinfo=UTC))
    with db.session() as session:
        (full_id, other_id), _ = save_plans(session, plans=[FULL, other_version])
        session.commit()

    edited = replace(
        FULL,
        output=Decimal("16"),
        size_tiers=(SizeTier(above_input_tokens=100, input=Decimal("5")),),
        volume=None,
    )
    with db.session() as session:
        ids, replaced = save_plans(session, plans=[edited])
        session.commit()
    assert replaced == [FULL]
    assert _exact(replaced[0]) == _exact(FULL)
    assert ids == [full_id]  # the version keeps its id
    with db.session() as session:
        assert load_plans(session) == [(full_id, edited), (other_id, other_version)]
        # The old tiers went with the old version.
        assert len(session.exec(select(PlanSizeTier)).all()) == 1 + len(FULL.size_tiers)
        assert len(session.exec(select(PlanVolumeTier)).all()) == len(FULL.volume.tiers)


def test_a_version_given_twice_is_refused(db):
    with db.session() as session, pytest.raises(ValueError, match="given twice"):
        save_plans(session, plans=[FULL, replace(FULL, output=Decimal(1))])


def test_naive_effective_from_is_refused(db):
    naive = replace(FULL, effective_from=datetime(2026, 1, 1))
    with db.session() as session, pytest.raises(ValueError, match="time zone"):
        save_plans(session, plans=[naive])


def test_nothing_is_saved_without_the_callers_commit(db):
    with db.session() as session:
        save_plans(session, plans=[FULL])
        session.rollback()
    with db.session() as session:
        assert load_plans(session) == []


def test_delete_plan_removes_every_version_and_its_tiers(db):
    later = replace(FULL, effective_from=datetime(2026, 6, 1, tzinfo=UTC))
    keep = Plan(name="Keep", vendor="openai")
    with db.session() as session:
        (_, _, keep_id), _ = save_plans(session, plans=[later, FULL, keep])
        session.commit()
    with db.session() as session:
        assert delete_plan(session, name=FULL.name) == [FULL, later]
        assert delete_plan(session, name="No such plan") == []
        session.commit()
    with db.session() as session:
        assert load_plans(session) == [(keep_id, keep)]
        assert session.exec(select(PlanSizeTier)).all() == []
        assert session.exec(select(PlanVolumeTier)).all() == []
