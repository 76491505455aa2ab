"""A big comparison read in two halves at once, by this process and a forked one
(store/halves.py): the same figures as one read, and never half of someone's commit.

Usage is tests.helpers.WORKED_USAGE under CHAT_CLAUDE_PLANS: six records, ids 1 to 6 (openai
r1 2.00, r2 0.50, r5 0.50 over 3 requests; anthropic r3 6.00, r6 4.00; mistral r4 unpriced),
13.00 over 9 requests. With the threshold at 0 the halves are ids 1-3 and 4-6.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from tests.helpers import CHAT_CLAUDE_PLANS, WORKED_USAGE, usage_database

from meterbook.core.plans import Plan
from meterbook.core.quick_plans import checked
from meterbook.store import compare as compare_module
from meterbook.store import halves, readers
from meterbook.store.compare import Scope, compare

NOW = datetime(2026, 6, 1, tzinfo=UTC)
FLAT = checked("flat", [Plan(name="flat", vendor="openai", request=D("0.25"))])


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, CHAT_CLAUDE_PLANS, WORKED_USAGE, now=NOW, utc=True) as d:
        yield d


@pytest.fixture
def split(monkeypatch):
    """Halves for any size, here too (the test process may have threads of other tests: none
    of them touches this file); records what each read gave."""
    monkeypatch.setattr(halves, "SPLIT_FROM_IDS", 0)
    monkeypatch.setattr(halves, "fork_is_safe", lambda: True)
    seen: list[object] = []
    real = halves.read_in_halves

    def spy(*args):
        found = real(*args)
        seen.append(found)
        return found

    monkeypatch.setattr(compare_module, "read_in_halves", spy)
    return seen


def run(db):
    with db.engine.connect() as conn:
        return compare(conn, Scope(), readers.load_plans(conn), [FLAT],
                       readers.home_currency(conn), readers.rates_for(conn))


def test_two_halves_give_the_figures_of_one_read(db, split):
    result = run(db)
    assert len(split) == 1 and split[0] is not None  # the halves were read, by two processes
    saved, flat = result.scenarios
    assert (saved.cost, saved.requests, saved.unpriced_requests) == (D("13.00"), 9, 1)
    # Flat: openai's five requests (r1 1, r2 1, r5 3) at 0.25 = 1.25; anthropic and mistral
    # are not the alternative's vendors: 4 requests unpriced.
    assert (flat.cost, flat.unpriced_requests) == (D("1.25"), 4)
    assert saved.conversations == 3
    halves.SPLIT_FROM_IDS = 10**9  # the same comparison in one read
    assert run(db) == result


def test_a_commit_while_the_halves_are_read_sends_the_read_back_to_one_statement(
        db, split, monkeypatch):
    real_upper = halves._read_upper

    def upper_after_a_commit(path, *args):
        # Someone (another Meterbook) commits while the halves are being read.
        with sqlite3.connect(path) as other:
            other.execute("UPDATE usage_record SET requests = 2 WHERE id = 4")
        real_upper(path, *args)

    monkeypatch.setattr(halves, "_read_upper", upper_after_a_commit)
    result = run(db)
    assert split == [None]  # the halves were thrown away
    # Read again in one statement, after the commit: r4 (mistral, unpriced) now 2 requests.
    saved = result.scenarios[0]
    assert (saved.cost, saved.requests, saved.unpriced_requests) == (D("13.00"), 10, 2)
