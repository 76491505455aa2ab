"""The database the monthly report tests share: two months, a price change, a vendor's bill."""

from __future__ import annotations

# Chat (openai gpt-*): 1.00 per 1k input, 2.00 per 1k output, 5.00 a month; from April 1st
# 1.50 and 3.00 (the fee stays 5.00). Claude: 2.00 per 1k in, 10.00 per 1k out.
PLANS = """
[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
token_unit = 1000
input = "1.00"
output = "2.00"
monthly_fee = "5.00"

[[plan]]
name = "Chat"
vendor = "openai"
model = "gpt-*"
effective_from = 2026-04-01
token_unit = 1000
input = "1.50"
output = "3.00"
monthly_fee = "5.00"

[[plan]]
name = "Claude"
vendor = "anthropic"
model = "claude-*"
token_unit = 1000
input = "2.00"
output = "10.00"
"""

# Each month, by hand:
#   gpt-4o (web), 2 requests of 1,000 in + 500 out:
#       March 2 x (1.00 + 1.00) = 4.00;  April 2 x (1.50 + 1.50) = 6.00
#   claude-haiku (api), 1,000 in + 100 out: computed 2.00 + 1.00 = 3.00, billed 3.10 (counted);
#       and 1,000 in without a bill: computed 2.00                  line: 3.10 + 2.00 = 5.10
#   web-search (anthropic, api): a billed line without usage, 0.40
#   legacy (anthropic, api): billed 0.25, no plan covers it (the bill counts)
#   mistral-large: no plan, 1 request unpriced
#   Chat's fee: 5.00 a month
#   March: 4.00 + 5.10 + 0.40 + 0.25 + 5.00 = 14.75;  April: 6.00 + 5.10 + 0.40 + 0.25 + 5.00
#   = 16.75
USAGE = """\
timestamp,vendor,model,request_id,conversation_id,project,requests,input_tokens,output_tokens,billed_cost
2026-03-02T09:00:00Z,openai,gpt-4o,o1,c1,web,1,1000,500,
2026-03-03T09:00:00Z,openai,gpt-4o,o2,c2,web,1,1000,500,
2026-03-04T09:00:00Z,anthropic,claude-haiku,a1,c3,api,1,1000,100,3.10
2026-03-05T09:00:00Z,anthropic,web-search,,,api,0,0,0,0.40
2026-03-05T10:00:00Z,anthropic,claude-haiku,a3,,api,1,1000,0,
2026-03-05T11:00:00Z,anthropic,legacy,a4,,api,1,100,0,0.25
2026-03-06T09:00:00Z,mistral,mistral-large,m1,,api,1,500,50,
2026-04-02T09:00:00Z,openai,gpt-4o,o3,c4,web,1,1000,500,
2026-04-03T09:00:00Z,openai,gpt-4o,o4,c5,web,1,1000,500,
2026-04-04T09:00:00Z,anthropic,claude-haiku,a2,c6,api,1,1000,100,3.10
2026-04-05T09:00:00Z,anthropic,web-search,,,api,0,0,0,0.40
2026-04-05T10:00:00Z,anthropic,claude-haiku,a5,,api,1,1000,0,
2026-04-05T11:00:00Z,anthropic,legacy,a6,,api,1,100,0,0.25
2026-04-06T09:00:00Z,mistral,mistral-large,m2,,api,1,500,50,
"""

# Names an attacker could put in an export: formulas for spreadsheets, markup for the page.
HOSTILE = """\
timestamp,vendor,model,request_id,conversation_id,project,requests,input_tokens,output_tokens
2026-04-07T09:00:00Z,openai,=1+1,h1,<script>alert(1)</script>,=HYPERLINK("http://x"),1,1000,0
2026-04-08T09:00:00Z,openai,gpt-4o,h2,@SUM(A1),+cmd,1,1000,0
2026-04-09T09:00:00Z,openai,gpt-4o,h3,c7,-2+3,1,1000,0
"""


def load_with_cli(cli, folder) -> None:
    """Save PLANS and import USAGE through the `meterbook` command (the `cli` fixture)."""
    (folder / "plans.toml").write_text(PLANS, encoding="utf-8")
    (folder / "usage.csv").write_text(USAGE, encoding="utf-8")
    assert cli("plans", "import", str(folder / "plans.toml")).code == 0
    assert cli("import", str(folder / "usage.csv")).code == 0
