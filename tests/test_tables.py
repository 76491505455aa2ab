"""The one table writer of the command line: fitted to a terminal without losing what tells
rows apart; whole when written to a pipe."""

from __future__ import annotations

from meterbook.reports.listings import batches_table
from meterbook.reports.tables import Column, Fit, elide_middle, render
from meterbook.store.tables import ImportBatch

HAIKUS = ["claude-haiku-4-5-20251001", "claude-haiku-4-5-20250929", "claude-haiku-4-5"]


def test_long_model_names_are_elided_in_the_middle_and_stay_distinct():
    columns = [Column("MODEL", fit=Fit.ELIDE), Column("COST", right=True)]
    rows = [[name, "1.00"] for name in HAIKUS]
    lines = render(columns, rows, width=24)
    # 24 = MODEL 18 + gap 2 + COST 4: "claude-haiku-4-5-20251001" (25) loses 8 characters.
    assert lines == [
        "MODEL               COST",
        "claude-ha…20251001  1.00",
        "claude-ha…20250929  1.00",
        "claude-haiku-4-5    1.00",
    ]


def test_elision_never_makes_two_values_read_the_same():
    # Cut to 10 both would read "gpt-4…7-18"; the column keeps the width that tells them apart.
    columns = [Column("MODEL", fit=Fit.ELIDE), Column("PLAN", fit=Fit.WRAP)]
    rows = [["gpt-4o-mini-2024-07-18", "a plan with a long name"],
            ["gpt-4o-maxi-2024-07-18", "another plan"]]
    lines = render(columns, rows, width=30)
    models = [line[:line.index("  ")] for line in lines[1:] if line.startswith("gpt")]
    assert len(models) == 2 and models[0] != models[1]
    assert all(len(line) <= 30 for line in lines)
    assert elide_middle("gpt-4o-mini-2024-07-18", 10) == elide_middle("gpt-4o-maxi-2024-07-18",
                                                                       10)  # the trap


def test_wrapped_cells_lose_nothing_and_break_prices_only_at_spaces():
    columns = [Column("PLAN", fit=Fit.WRAP), Column("PRICES", fit=Fit.WRAP)]
    rows = [["Claude Opus 5 (batch)", "in 2.50 out 12.50/M tok (×0.5 applied)"]]
    lines = render(columns, rows, width=40)
    # 21 + 2 + 38 = 61 > 40: 21 to give. Each column has one cell, so the wider gives first:
    # PRICES 38 -> 21, then one each in turn: 19 and 19 (19 + 2 + 19 = 40).
    assert lines == [
        "PLAN                 PRICES",
        "Claude Opus 5        in 2.50 out 12.50/M",
        "(batch)              tok (×0.5 applied)",
    ]


def test_a_file_name_longer_than_its_column_breaks_after_a_hyphen_and_goes_on_indented():
    columns = [Column("BATCH", right=True), Column("FILES", fit=Fit.WRAP, narrowest=10)]
    rows = [["1", "completions_usage_2026-03-01_2026-04-01.csv\nshort.csv"]]
    lines = render(columns, rows, width=7 + 24)
    # FILES gets 24: "completions_usage_2026-" (23) + "03-" would be 26. The rest goes on
    # indented by 2, so that it does not read as a file of its own.
    assert lines == [
        "BATCH  FILES",
        "    1  completions_usage_2026-",
        "         03-01_2026-04-01.csv",
        "       short.csv",
    ]


def test_a_table_that_cannot_fit_is_left_whole():
    columns = [Column("KEY", fit=Fit.ELIDE), *(Column(f"N{i}", right=True) for i in range(8))]
    rows = [["conversation-0001", *["1,000,000"] * 8]]
    assert render(columns, rows, width=80) == render(columns, rows, width=None)
    assert "conversation-0001" in render(columns, rows, width=80)[1]


def test_without_a_width_nothing_is_cut():
    columns = [Column("MODEL", fit=Fit.ELIDE), Column("PRICES", fit=Fit.WRAP)]
    rows = [[HAIKUS[0], "in 1.00 out 5.00/M tok; fee 20.00/month"]]
    assert render(columns, rows) == [
        "MODEL                      PRICES",
        "claude-haiku-4-5-20251001  in 1.00 out 5.00/M tok; fee 20.00/month",
    ]


def test_imports_list_aligns_a_batch_of_several_formats_and_files():
    batches = [
        ImportBatch(id=1, created_us=1_772_353_800_000_000, profile="anthropic-cost,canonical",
                    files="claude_api_cost_2026_02.csv\nusage.csv", lines=1234, added=1200,
                    duplicates=34, refused=0),
        ImportBatch(id=12, created_us=1_772_440_200_000_000, profile="openai-usage",
                    files="completions_usage.csv", lines=5, added=5),
    ]
    # 1_772_353_800 s = 2026-03-01 08:30 UTC; + 86,400 s = 2026-03-02 08:30 UTC
    assert batches_table(batches) == [
        "BATCH  WHEN (UTC)        FORMAT          LINES  ADDED  DUPL.  REFUSED  FILES",
        "    1  2026-03-01 08:30  anthropic-cost  1,234  1,200     34        0  "
        "claude_api_cost_2026_02.csv",
        "                         canonical                                     usage.csv",
        "",
        "   12  2026-03-02 08:30  openai-usage        5      5      0        0  "
        "completions_usage.csv",
    ]


def test_a_multiplier_is_applied_to_the_prices_shown_and_said():
    from decimal import Decimal as D

    from meterbook.core.plans import Plan, Volume, VolumeTier
    from meterbook.reports.plan_listing import price_summary

    half = Plan(name="Batch", vendor="google", input=D("0.625"), output=D("5.00"),
                multiplier=D("0.5"), monthly_fee=D("10.00"))
    # 0.625 x 0.5 = 0.3125 (all its digits); 5.00 x 0.5 = 2.50; the fee is not a usage charge
    assert price_summary(half) == "in 0.3125 out 2.50/M tok (×0.5 applied); fee 10.00/month"
    tiers = Plan(name="Tiers", vendor="acme", multiplier=D("0.8"), volume=Volume(
        "units", "graduated", (VolumeTier(D("1.00")),)))
    assert price_summary(tiers) == "charge ×0.8; graduated tiers on units"
    assert price_summary(Plan(name="List", vendor="acme", input=D("3"), output=D("15"))) == (
        "in 3 out 15/M tok")  # no multiplier: the prices as written


def test_the_ellipsis_moves_where_the_middle_would_hide_the_difference():
    bedrock = ["anthropic.claude-haiku-4-5-20250929-v1:0",
               "anthropic.claude-haiku-4-5-20251001-v1:0",
               "anthropic.claude-sonnet-4-5-20250929-v1:0"]
    columns = [Column("MODEL", fit=Fit.ELIDE), Column("COST", right=True)]
    lines = render(columns, [[name, "1.00"] for name in bedrock], width=26)
    # MODEL gets 26 - 2 - 4 = 20. Cut in the middle, haiku 0929 and sonnet 0929 would both
    # read "anthropic.…0929-v1:0"; the column keeps more of the end instead.
    assert elide_middle(bedrock[0], 20) == elide_middle(bedrock[2], 20)  # the trap
    models = [line[:20] for line in lines[1:]]
    assert len(set(models)) == 3 and all("…" in m for m in models)
    assert all(len(line) <= 26 for line in lines)
    assert [m.endswith(("0929-v1:0", "1001-v1:0")) for m in models] == [True, True, True]
