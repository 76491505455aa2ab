"""Plan files: reading every key, refusing bad files with every problem, lossless writing."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import SHARED

from meterbook.core.plan_files import read_plans, write_plans
from meterbook.core.plans import Plan, PlanFileError, SizeTier, Volume, VolumeTier

SPEC = SHARED / "spec" / "pricing-plans.md"

FULL = Plan(
    name="OpenAI gpt-4o",
    vendor="openai",
    model="gpt-4o*",
    project="team-?",
    service_tier="batch",
    currency="EUR",
    effective_from=datetime(2026, 1, 1, tzinfo=UTC),
    priority=-3,
    source="https://example.com/pricing",
    token_unit=1000,
    input=Decimal("2.50"),
    cached_input=Decimal("1.25"),
    cache_write=Decimal("3.125"),
    output=Decimal("10.00"),
    request=Decimal("0.002"),
    unit_price=Decimal("1.50"),
    unit_size=1000,
    multiplier=Decimal("0.5"),
    size_tiers=(
        SizeTier(200000, input=Decimal("5.00"), output=Decimal("22.50")),
        SizeTier(
            1000000, input=Decimal("6"), cached_input=Decimal("3"), cache_write=Decimal("7"),
            output=Decimal("30"), request=Decimal("0.01"), unit_price=Decimal("2"),
        ),
    ),
    volume=Volume(
        "input_tokens", "volume",
        (VolumeTier(Decimal("0"), 1000), VolumeTier(Decimal("0.0015"), 5000000),
         VolumeTier(Decimal("0.0010"))),
    ),
    monthly_fee=Decimal("20.00"),
    monthly_minimum=Decimal("50.00"),
    free_trial_days=7,
    billing_timezone="Europe/Paris",
)  # fmt: skip


def problems_of(text: str) -> list:
    with pytest.raises(PlanFileError) as caught:
        read_plans(text, "test.toml")
    assert caught.value.path == "test.toml"
    return caught.value.problems


def only_problem(text: str):
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --- reading -----------------------------------------------------------------------------------


def spec_examples() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", SPEC.read_text(), re.S)


@pytest.mark.skipif(not SPEC.exists(), reason="the shared spec is not here")
def test_spec_examples_read_and_round_trip():
    every_key, vision = spec_examples()
    (plan,) = read_plans(every_key)
    assert plan.vendor == "openai" and plan.service_tier == "batch"
    assert plan.input == Decimal("2.50") and str(plan.input) == "2.50"
    assert plan.size_tiers == (SizeTier(200000, input=Decimal("5"), output=Decimal("22.5")),)
    # The spec lists these after [plan.volume]; they are read as the plan's keys.
    assert plan.monthly_fee == Decimal(20) and plan.free_trial_days == 7
    assert plan.billing_timezone == "UTC" and plan.volume.meter == "requests"
    (google,) = read_plans(vision)
    assert google.volume == Volume(
        "requests", "graduated",
        (VolumeTier(Decimal(0), 1000), VolumeTier(Decimal("0.0015"), 5000000),
         VolumeTier(Decimal("0.0010"))),
    )  # fmt: skip
    for text in (every_key, vision):
        plans = read_plans(text)
        assert read_plans(write_plans(plans)) == plans


def test_defaults():
    (plan,) = read_plans('[[plan]]\nname = "P"\nvendor = "OpenAI"\n')
    assert plan == Plan(name="P", vendor="openai")
    assert plan.cached_input is None and plan.cache_write is None
    assert plan.model == "*" and plan.project == "*" and plan.token_unit == 1_000_000


def test_every_key_written_and_read_back():
    text = write_plans([FULL])
    assert read_plans(text) == [FULL]
    data = tomllib.loads(text)["plan"][0]
    assert data["input"] == "2.50" and data["output"] == "10.00"  # text kept as written
    assert data["effective_from"] == date(2026, 1, 1)  # midnight UTC: a plain date
    assert data["volume"]["tiers"][-1] == {"price": "0.0010"}


def test_write_omits_defaults_and_keeps_given_optional_prices():
    text = write_plans([Plan(name="P", vendor="v", cached_input=Decimal("0"))])
    assert tomllib.loads(text)["plan"] == [{"name": "P", "vendor": "v", "cached_input": "0"}]
    # "0.00" is not the default text "0": written, so the file says what was given.
    text = write_plans([Plan(name="P", vendor="v", input=Decimal("0.00"))])
    assert tomllib.loads(text)["plan"][0]["input"] == "0.00"


def test_write_sorts_versions_and_uses_utc_datetimes():
    later = Plan("B", "v", effective_from=datetime(2026, 2, 1, 13, 30, tzinfo=UTC))
    # 02:00 in Paris is 01:00 UTC: not midnight UTC, so a date-time.
    paris = Plan(
        "B", "v", effective_from=datetime(2026, 1, 1, 2, 0, tzinfo=ZoneInfo("Europe/Paris"))
    )
    always = Plan("B", "v")
    first = Plan("A", "v", effective_from=datetime(2027, 1, 1, tzinfo=UTC))
    text = write_plans([later, paris, first, always])
    data = tomllib.loads(text)["plan"]
    assert [p["name"] for p in data] == ["A", "B", "B", "B"]
    assert "effective_from" not in data[1]
    assert data[2]["effective_from"] == datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert data[3]["effective_from"] == datetime(2026, 2, 1, 13, 30, tzinfo=UTC)
    assert read_plans(text) == [first, always, paris, later]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T10:20:30", datetime(2026, 3, 1, 10, 20, 30, tzinfo=UTC)),
        ("2026-03-01 10:20:30.5", datetime(2026, 3, 1, 10, 20, 30, 500000, tzinfo=UTC)),
        ("2026-03-01T10:20:30+02:00", datetime(2026, 3, 1, 8, 20, 30, tzinfo=UTC)),
        ("2026-03-01T00:30:00-01:00", datetime(2026, 3, 1, 1, 30, tzinfo=UTC)),
    ],
)
def test_effective_from_forms(value, expected):
    (plan,) = read_plans(f'[[plan]]\nname = "P"\nvendor = "v"\neffective_from = {value}\n')
    assert plan.effective_from == expected
    assert plan.effective_from.utcoffset() == timedelta(0)


def test_currency_upper_cased_and_vendor_lower_cased():
    (plan,) = read_plans('[[plan]]\nname = "P"\nvendor = "AzURE"\ncurrency = "eur"\n')
    assert (plan.vendor, plan.currency) == ("azure", "EUR")


def test_array_of_tables_forms():
    text = """
[[plan]]
name = "P"
vendor = "v"
[[plan.size_tiers]]
above_input_tokens = 10
input = "1"
[[plan.size_tiers]]
above_input_tokens = 20
output = "2"
[plan.volume]
meter = "units"
mode = "volume"
[[plan.volume.tiers]]
up_to = 5
price = "1"
[[plan.volume.tiers]]
price = "0.5"
"""
    (plan,) = read_plans(text)
    assert plan.size_tiers == (SizeTier(10, input=Decimal(1)), SizeTier(20, output=Decimal(2)))
    assert plan.volume.tiers == (VolumeTier(Decimal(1), 5), VolumeTier(Decimal("0.5")))


# --- problems ----------------------------------------------------------------------------------

HEAD = '[[plan]]\nname = "P"\nvendor = "v"\n'  # lines 1-3


@pytest.mark.parametrize(
    ("body", "key", "line", "words"),
    [
        ("colour = 1", "colour", 4, "unknown key"),
        ("input = 2.5", "input", 4, 'write "2.5"'),
        ("output = 3", "output", 4, "decimal strings"),
        ('request = "abc"', "request", 4, "not a decimal"),
        ('unit_price = "NaN"', "unit_price", 4, "not a decimal"),
        ('cached_input = "-0.1"', "cached_input", 4, "negative"),
        ('multiplier = "-1"', "multiplier", 4, "negative"),
        ("monthly_fee = true", "monthly_fee", 4, "decimal strings"),
        ("token_unit = 0", "token_unit", 4, "positive"),
        ("unit_size = -5", "unit_size", 4, "positive"),
        ('unit_size = "5"', "unit_size", 4, "whole number"),
        ("priority = 1.5", "priority", 4, "whole number"),
        ("priority = true", "priority", 4, "whole number"),
        ("free_trial_days = -1", "free_trial_days", 4, "0 or more"),
        ('currency = "EURO"', "currency", 4, "currency code"),
        ('currency = "U1D"', "currency", 4, "currency code"),
        ('billing_timezone = "Mars/Olympus"', "billing_timezone", 4, "time zone"),
        ('billing_timezone = "../etc"', "billing_timezone", 4, "time zone"),
        ("effective_from = 10:00:00", "effective_from", 4, "date"),
        ('effective_from = "2026-01-01"', "effective_from", 4, "date"),
        ('model = ""', "model", 4, "non-empty"),
        ("service_tier = 1", "service_tier", 4, "non-empty"),
        ('size_tiers = "big"', "size_tiers", 4, "[[plan.size_tiers]]"),
        ('volume = "big"', "volume", 4, "[plan.volume]"),
    ],
)
def test_each_problem_with_key_and_line(body, key, line, words):
    problem = only_problem(HEAD + body + "\n")
    assert (problem.plan, problem.key, problem.line) == ("P", key, line)
    assert words in problem.message


@pytest.mark.parametrize(
    ("text", "plan", "key", "line", "words"),
    [
        ('[[plan]]\nvendor = "v"\n', "#1", "name", 1, "required"),
        (HEAD + '[[plan]]\nname = "Q"\n', "Q", "vendor", 4, "required"),
        ('[[plan]]\nname = "  "\nvendor = "v"\n', "#1", "name", 2, "non-empty"),
        ('[[plan]]\nname = "P"\nvendor = 3\n', "P", "vendor", 3, "non-empty"),
        (
            HEAD + "[[plan.size_tiers]]\nabove_input_tokens = 10\nfoo = 1\n",
            "P",
            "size_tiers[1].foo",
            6,
            "unknown key",
        ),
        (
            HEAD + '[[plan.size_tiers]]\nabove_input_tokens = 10\nmultiplier = "1"\n',
            "P",
            "size_tiers[1].multiplier",
            6,
            "plan keys go above",
        ),
        (
            HEAD + "[[plan.size_tiers]]\nabove_input_tokens = 10\n"
            "[[plan.size_tiers]]\nabove_input_tokens = 20\ninput = 1\n",
            "P",
            "size_tiers[2].input",
            8,
            "decimal strings",
        ),
        (
            HEAD + "[[plan.size_tiers]]\nabove_input_tokens = 10\n"
            "[[plan.size_tiers]]\nabove_input_tokens = 10\n",
            "P",
            "size_tiers[2].above_input_tokens",
            7,
            "strictly increasing",
        ),
        (
            HEAD + '[[plan.size_tiers]]\ninput = "1"\n',
            "P",
            "size_tiers[1].above_input_tokens",
            4,
            "required",
        ),
        (
            HEAD + "size_tiers = [ { above_input_tokens = 5 },\n"
            '  { above_input_tokens = 6, output = "-1" } ]\n',
            "P",
            "size_tiers[2].output",
            5,
            "negative",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "tokens"\nmode = "graduated"\ntiers = [{price = "1"}]\n',
            "P",
            "volume.meter",
            5,
            "not a meter",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "tiered"\ntiers = [{price = "1"}]\n',
            "P",
            "volume.mode",
            6,
            "not a mode",
        ),
        (
            HEAD + '[plan.volume]\nmode = "volume"\ntiers = [{price = "1"}]\n',
            "P",
            "volume.meter",
            4,
            "required",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\ntiers = []\n',
            "P",
            "volume.tiers",
            7,
            "needs tiers",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\n',
            "P",
            "volume.tiers",
            4,
            "needs tiers",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\nextra = 1\n'
            'tiers = [{price = "1"}]\n',
            "P",
            "volume.extra",
            7,
            "unknown key",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\n'
            'tiers = [ { up_to = 10, price = "1" },\n { up_to = 20, price = "2" } ]\n',
            "P",
            "volume.tiers[2].up_to",
            8,
            "last tier must have no up_to",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\n'
            'tiers = [ { price = "1" },\n { price = "2" } ]\n',
            "P",
            "volume.tiers[1].up_to",
            7,
            "only the last tier",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\ntiers = [\n'
            '  { up_to = 10, price = "1" },\n  { up_to = 10, price = "2" },\n'
            '  { price = "3" },\n]\n',
            "P",
            "volume.tiers[2].up_to",
            9,
            "strictly increasing",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\n'
            'tiers = [ { up_to = 0, price = "1" }, { price = "2" } ]\n',
            "P",
            "volume.tiers[1].up_to",
            7,
            "positive",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\n'
            'tiers = [ { up_to = 5 }, { price = "2", cap = 1 } ]\n',
            "P",
            "volume.tiers[1].price",
            7,
            "required",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\n'
            '[[plan.volume.tiers]]\nup_to = 5\nprice = "1"\n[[plan.volume.tiers]]\nprice = 2\n',
            "P",
            "volume.tiers[2].price",
            11,
            "decimal strings",
        ),
        (
            HEAD + 'monthly_fee = "1"\n[plan.volume]\nmeter = "units"\nmode = "volume"\n'
            'tiers = [{price = "1"}]\nmonthly_fee = "2"\n',
            "P",
            "volume.monthly_fee",
            9,
            "twice",
        ),
        (
            HEAD + '[plan.volume]\nmeter = "units"\nmode = "volume"\n'
            'tiers = [{price = "1"}]\nfree_trial_days = -2\n',
            "P",
            "free_trial_days",
            8,
            "0 or more",
        ),
    ],
)
def test_nested_problems(text, plan, key, line, words):
    problems = [p for p in problems_of(text) if p.key == key]
    assert len(problems) == 1, [str(p) for p in problems_of(text)]
    problem = problems[0]
    assert (problem.plan, problem.line) == (plan, line)
    assert words in problem.message


def test_every_problem_reported_together():
    text = """\
title = "catalog"
[[plan]]
vendor = "OpenAI"
input = 2.5
output = "-1"

[[plan]]
name = "B"
vendor = "v"
currency = "dollars"
[[plan.size_tiers]]
above_input_tokens = 100
[[plan.size_tiers]]
above_input_tokens = 50
[plan.volume]
meter = "requests"
mode = "graduated"
tiers = [ { up_to = 10, price = "0" }, { price = "1" }, { up_to = 5, price = 1, zz = 2 } ]
"""
    found = {(p.plan, p.key, p.line) for p in problems_of(text)}
    assert found == {
        ("", "title", 1),
        ("#1", "name", 2),
        ("#1", "input", 4),
        ("#1", "output", 5),
        ("B", "currency", 10),
        ("B", "size_tiers[2].above_input_tokens", 14),
        ("B", "volume.tiers[2].up_to", 18),
        ("B", "volume.tiers[3].price", 18),
        ("B", "volume.tiers[3].zz", 18),
        ("B", "volume.tiers[3].up_to", 18),
    }


def test_problem_text_names_file_plan_key_and_line():
    with pytest.raises(PlanFileError) as caught:
        read_plans(HEAD + "input = 1\n", "plans/x.toml")
    assert str(caught.value).startswith("plans/x.toml: line 4: plan 'P', key 'input': ")


def test_syntax_error_reports_tomllib_message_and_line():
    problem = only_problem(HEAD + 'input = "1"\noutput = \n')
    assert problem.line == 5 and problem.plan == "P"
    assert "line 5" in problem.message


@pytest.mark.parametrize("text", ["", "# nothing\n", "plan = []\n"])
def test_file_without_plans(text):
    problem = only_problem(text)
    assert problem.key == "plan" and "no [[plan]]" in problem.message


def test_single_plan_table_is_refused():
    problem = only_problem('[plan]\nname = "P"\nvendor = "v"\n')
    assert problem.key == "plan" and "[[plan]]" in problem.message


# --- round trip property -----------------------------------------------------------------------

prices = st.decimals(min_value=0, max_value=10**7, allow_nan=False, allow_infinity=False)
optional_prices = st.none() | prices
texts = st.text(min_size=1, max_size=12)
globs = st.text(alphabet="abcXYZ-.*?[]é", min_size=1, max_size=10)


@st.composite
def size_tiers(draw):
    aboves = sorted(draw(st.sets(st.integers(0, 10**9), max_size=3)))
    return tuple(
        SizeTier(above, **{k: draw(optional_prices) for k in
                           ("input", "cached_input", "cache_write", "output", "request",
                            "unit_price")})
        for above in aboves
    )  # fmt: skip


@st.composite
def volumes(draw):
    bounds = sorted(draw(st.sets(st.integers(1, 10**12), max_size=3)))
    tiers = [VolumeTier(draw(prices), up_to) for up_to in bounds]
    tiers.append(VolumeTier(draw(prices)))
    meter = draw(st.sampled_from(["requests", "units", "input_tokens", "output_tokens"]))
    return Volume(meter, draw(st.sampled_from(["graduated", "volume"])), tuple(tiers))


moments = (
    st.none()
    | st.dates().map(lambda d: datetime.combine(d, time(0), tzinfo=UTC))
    | (st.datetimes(timezones=st.just(UTC)))
)

plans = st.builds(
    Plan,
    name=texts.filter(str.strip),
    vendor=st.from_regex(r"[a-z][a-z0-9.-]{0,8}", fullmatch=True),
    model=globs,
    project=globs,
    service_tier=st.none() | texts,
    currency=st.from_regex(r"[A-Z]{3}", fullmatch=True),
    effective_from=moments,
    priority=st.integers(-(2**40), 2**40),
    source=st.none() | st.text(max_size=20),
    token_unit=st.integers(1, 10**9),
    input=prices,
    cached_input=optional_prices,
    cache_write=optional_prices,
    output=prices,
    request=prices,
    unit_price=prices,
    unit_size=st.integers(1, 10**6),
    multiplier=prices,
    size_tiers=size_tiers(),
    volume=st.none() | volumes(),
    monthly_fee=prices,
    monthly_minimum=prices,
    free_trial_days=st.integers(0, 400),
    billing_timezone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]),
)


def _sort_key(plan: Plan):
    return (plan.name, plan.effective_from is not None, plan.effective_from or 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(plans, min_size=1, max_size=3))
def test_random_plans_survive_write_then_read(written):
    read = read_plans(write_plans(written))
    assert read == sorted(written, key=_sort_key)
    # Equal decimals are not enough: the text of every price survives too.
    for before, after in zip(sorted(written, key=_sort_key), read, strict=True):
        assert str(before.input) == str(after.input)
        assert str(before.multiplier) == str(after.multiplier)


def test_line_numbers_with_crlf_and_unicode_line_separators():
    text = '[[plan]]\r\nname = "P"\r\nsource = "a\u2028b"\r\nvendor = "v"\r\ninput = 1\r\n'
    problem = only_problem(text)
    assert (problem.key, problem.line) == ("input", 5)
