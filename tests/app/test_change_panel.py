"""Why it changed, on the Dashboard: April against March in parts worked out by hand, which add
up to the difference shown. The report zone is UTC and the Dashboard's clock fixed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from meterbook.app.pages.dashboard import DashboardPage
from tests.helpers import cost_of_month, usage_database

NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
WAIT = 10_000  # ms
pytestmark = pytest.mark.usefixtures("american")  # "$1,234.50"
D = Decimal

# Chat: 1.00 per 1k input in March; from April 1st 1.50 per 1k and a 2.00 monthly fee.
PLANS = """
[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
token_unit = 1000
input = "1.00"
output = "2.00"

[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
effective_from = 2026-04-01
token_unit = 1000
input = "1.50"
output = "3.00"
monthly_fee = "2.00"
"""
# March: 1 request of 1,000 in = 1.00.  April: 2 requests of 1,500 in = 2 x 2.25 = 4.50,
# + fee 2.00 = 6.50.  Difference 5.50.
# One model, so its share is 1 both months; requests R 1 -> 2, tokens per request t 1000 ->
# 1500, cost per token p 0.001 -> 0.0015. Shapley parts of R*t*p (3 factors: weight 1/3 when
# the others are both before or both after, 1/6 for each mixed order):
#   volume = 1 x (1/3 x 1000 x .001 + 1/6 x 1500 x .001 + 1/6 x 1000 x .0015
#                 + 1/3 x 1500 x .0015) = 1/3 + 1/4 + 1/4 + 3/4 = 19/12 = 1.58333
#   size   = 500 x (1/3 x 1 x .001 + 1/6 x 2 x .001 + 1/6 x 1 x .0015 + 1/3 x 2 x .0015)
#          = 500 x .00191667 = 23/24 = 0.95833
#   price  = .0005 x (1/3 x 1000 + 1/6 x 2000 + 1/6 x 1500 + 1/3 x 3000) = 23/24 = 0.95833
#   19/12 + 23/24 + 23/24 = 84/24 = 3.50 = 4.50 - 1.00;  fixed 2.00 - 0 = 2.00
# In cents (largest remainder): floors 1.58 + 0.95 + 0.95 = 3.48, the 2 missing cents go to
# the largest remainders (size and price, .833 each): 1.58, 0.96, 0.96.
USAGE = """\
timestamp,vendor,model,request_id,requests,input_tokens,output_tokens
2026-03-10T09:00:00Z,openai,gpt-4o,m1,1,1000,0
2026-04-02T09:00:00Z,openai,gpt-4o,a1,1,1500,0
2026-04-03T09:00:00Z,openai,gpt-4o,a2,1,1500,0
"""


@pytest.fixture
def db(tmp_path):
    with usage_database(tmp_path, PLANS, USAGE, utc=True, now=NOW) as database:
        yield database


@pytest.fixture
def dashboard(qtbot, ctx):
    page = DashboardPage(ctx, now=NOW)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: bool(page.change_panel.parts), timeout=WAIT)
    return page


def test_the_dashboard_says_why_april_cost_more_than_march(dashboard, db):
    assert cost_of_month(db, "2026-04-01", "2026-05-01") - cost_of_month(
        db, "2026-03-01", "2026-04-01") == D("5.50")  # 6.50 - 1.00
    panel = dashboard.change_panel
    # April is the running month (NOW): it says so, a part of a month against a whole one.
    assert panel.headline == "April 2026 so far vs March 2026: +$5.50"
    assert panel.parts == [("more requests", D("1.58")), ("bigger requests", D("0.96")),
                           ("model mix", D("0.00")), ("prices", D("0.96")),
                           ("fixed charges", D("2.00"))]
    assert sum(amount for _words, amount in panel.parts) == D("5.50")
    assert panel.text.text().endswith(
        "+$1.58 more requests, +$0.96 bigger requests, +$0.00 model mix, +$0.96 prices, "
        "+$2.00 fixed charges")
    assert "Shapley" in panel.toolTip()


def test_march_against_february_is_all_new_requests(qtbot, dashboard, ctx):
    # February has nothing: March's 1.00 is one model appearing (its share 0 -> 1: mix),
    # with R 0 -> 1 as well; the parts still add up to +1.00.
    ctx.select_month(date(2026, 3, 1))
    panel = dashboard.change_panel
    qtbot.waitUntil(lambda: panel.headline.startswith("March 2026"), timeout=WAIT)
    assert panel.headline == "March 2026 vs February 2026: +$1.00"
    assert sum(amount for _words, amount in panel.parts) == D("1.00")
    assert dict((w, a) for w, a in panel.parts)["fixed charges"] == D("0.00")


def test_the_details_link_opens_the_reports_page(qtbot, dashboard, ctx):
    asked = []
    ctx.open_page.connect(asked.append)
    qtbot.mouseClick(dashboard.change_panel.details, Qt.MouseButton.LeftButton)
    assert asked == ["reports"]
