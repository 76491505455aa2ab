"""Saving plans: moving a version's start is one transaction (all or nothing)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from meterbook.core.plans import Plan, PlanFileError
from meterbook.store.database import open_database
from meterbook.store.plan_ops import list_plans, save_plan_set

MARCH, APRIL = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)


@pytest.fixture
def db(store_url):
    database = open_database(store_url)
    yield database
    database.close()


def test_a_version_moved_to_another_start_replaces_the_old_one(db):
    save_plan_set(db, [Plan(name="p", vendor="acme", input=D("1"), effective_from=MARCH)])
    moved = Plan(name="p", vendor="acme", input=D("1"), effective_from=APRIL)
    result = save_plan_set(db, [moved], remove=[("p", MARCH)])
    assert [p.effective_from for _, p in list_plans(db)] == [APRIL]
    assert (result.saved, result.replaced) == (1, 1)


def test_a_refused_move_keeps_the_old_version(db):
    save_plan_set(db, [Plan(name="p", vendor="acme", model="x*", effective_from=MARCH),
                       Plan(name="q", vendor="acme", model="y*", effective_from=MARCH)])
    # moving p onto q's model makes the two tie: refused, and nothing changes
    tied = Plan(name="p", vendor="acme", model="y*", effective_from=APRIL)
    with pytest.raises(PlanFileError):
        save_plan_set(db, [tied], remove=[("p", MARCH)])
    assert sorted((p.name, p.effective_from) for _, p in list_plans(db)) == [
        ("p", MARCH), ("q", MARCH)]
