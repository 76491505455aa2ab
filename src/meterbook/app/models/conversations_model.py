"""Table models of the Conversations page: one row a conversation, one row a request.

Both are column specs over the shared ColumnTableModel (app/models/columns.py): the rows a
store query returned (store/conversations.py), turned into text, alignment and colour here.
Money follows `meterbook cost --source auto`: a billed cost line counts the vendor's bill; a
figure that needs a missing exchange rate reads "unavailable", never a converted guess.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtGui import QFont

from meterbook.app.formatting import (
    both_amounts_text,
    count,
    money,
    muted_color,
    plural,
    priced_by_text,
    warning_color,
    when_text,
)  # fmt: skip
from meterbook.app.models.columns import Column, ColumnTableModel
from meterbook.store.conversations import BILLED, ConversationRow, RequestRow

NO_CONVERSATION = "(no conversation)"
UNAVAILABLE = "unavailable"  # a cost that needs an exchange rate the database lacks
COST_PLACES = 4  # AI requests cost fractions of a cent: two places would show most as $0.00


def detail_money(amount: Decimal, currency: str) -> str:
    """Money in a table column: always COST_PLACES places, so the points line up."""
    return money(amount, currency, COST_PLACES)


def summary_money(amount: Decimal, currency: str) -> str:
    """A single figure: cents, except below one unit, where cents would turn $0.004 into
    $0.00."""
    return money(amount, currency, 2 if abs(amount) >= 1 or not amount else COST_PLACES)


def _italic() -> QFont:
    font = QFont()
    font.setItalic(True)
    return font


# --- conversations ------------------------------------------------------------------------------


def conversation_cost_text(row: ConversationRow, currency: str) -> str:
    if row.cost is None:
        return UNAVAILABLE
    # A cost nobody computed is not $0: say so.
    return "unpriced" if row.fully_unpriced else detail_money(row.cost, currency)


def _span_tip(row: ConversationRow, model) -> str:
    return (f"{', '.join(row.models)}\nfrom {when_text(row.first_us, model.tz)} "
            f"to {when_text(row.last_us, model.tz)}")


def _lines_tip(row: ConversationRow, _model) -> str | None:
    if not row.billed_records:
        return None
    return (f"{plural(row.records, 'line')} of usage, {count(row.billed_records)} of them "
            "billed cost lines: the vendor's money for a day, with no requests or tokens")


def _cost_tip(row: ConversationRow, model) -> str | None:
    if row.cost is None:
        return "A cost here needs an exchange rate the database lacks (see above)."
    if row.unpriced_requests:
        return (f"{count(row.unpriced_requests)} of {count(row.requests)} requests have no "
                "plan that prices them: their cost is not included.")
    return _lines_tip(row, model)


def _no_talk_color(row: ConversationRow):
    return None if row.conversation else muted_color()


CONVERSATION_COLUMNS: tuple[Column[ConversationRow], ...] = (
    Column("Conversation", lambda r, m: r.conversation or NO_CONVERSATION,
           sort_key=lambda r: (r.conversation == "", r.conversation.casefold()),
           foreground=_no_talk_color,
           font=lambda r: None if r.conversation else _italic(), tooltip=_span_tip),
    Column("First request", lambda r, m: when_text(r.first_us, m.tz),
           sort_key=lambda r: r.first_us, tooltip=_span_tip),
    Column("Requests", lambda r, m: count(r.requests), sort_key=lambda r: r.requests,
           numeric=True, tooltip=_lines_tip),
    Column("Input", lambda r, m: count(r.input_tokens), sort_key=lambda r: r.input_tokens,
           numeric=True),
    Column("Cached", lambda r, m: count(r.cached_input_tokens),
           sort_key=lambda r: r.cached_input_tokens, numeric=True,
           tooltip=lambda r, m: (f"{count(r.cache_write_tokens)} tokens written to the cache"
                                 if r.cache_write_tokens else None)),
    Column("Output", lambda r, m: count(r.output_tokens), sort_key=lambda r: r.output_tokens,
           numeric=True),
    # Unknown (fully unpriced, or unavailable) below every known cost, even $0.
    Column("Cost", lambda r, m: conversation_cost_text(r, m.currency),
           sort_key=lambda r: (r.cost is not None and not r.fully_unpriced, r.cost or 0),
           numeric=True,
           foreground=lambda r: warning_color() if r.fully_unpriced or r.cost is None
           else None, tooltip=_cost_tip),
    Column("Unpriced", lambda r, m: (f"{count(r.unpriced_requests)} unpriced"
                                     if r.unpriced_requests else ""),
           sort_key=lambda r: r.unpriced_requests, numeric=True,
           foreground=lambda r: warning_color() if r.unpriced_requests else None,
           tooltip=lambda r, m: _cost_tip(r, m) if r.unpriced_requests else None),
)  # fmt: skip


def _conversation_matches(row: ConversationRow, needle: str) -> bool:
    return needle in (row.conversation or NO_CONVERSATION).casefold() or any(
        needle in m.casefold() for m in row.models)


class ConversationsModel(ColumnTableModel[ConversationRow]):
    """Conversations, sortable on every column and filtered by id or model name."""

    def __init__(self, parent=None):
        super().__init__(CONVERSATION_COLUMNS, _conversation_matches, parent)


# --- one conversation's requests -----------------------------------------------------------------


def request_cost_text(row: RequestRow, currency: str) -> str:
    if row.missing_rate is not None:
        return UNAVAILABLE
    return "unpriced" if row.cost is None else detail_money(row.cost, currency)


def _priced_by(row: RequestRow) -> str:
    billed = row.priced_by == BILLED
    return priced_by_text(billed, row.plan if billed else row.priced_by) or "no plan"


def _request_cost_tip(row: RequestRow, model) -> str | None:
    if row.missing_rate is not None:
        currency, month = row.missing_rate
        return f"No exchange rate into {model.currency} for {currency} in {month}."
    if row.priced_by == BILLED and row.cost is not None:
        if row.computed is not None:
            # Both figures, the bill first: it is what counts, as in `meterbook cost`.
            return both_amounts_text(detail_money(row.cost, model.currency),
                                     detail_money(row.computed, model.currency), row.plan)
        return "The vendor's own figure for this line, from the export"
    return None


def _request_warning(row: RequestRow):
    return warning_color() if row.unpriced or row.missing_rate is not None else None


REQUEST_COLUMNS: tuple[Column[RequestRow], ...] = (
    Column("Time", lambda r, m: when_text(r.timestamp_us, m.tz)),
    Column("Model", lambda r, m: r.model, tooltip=lambda r, m: f"{r.vendor} {r.model}"),
    Column("Request", lambda r, m: r.request_id),
    Column("Requests", lambda r, m: count(r.requests), numeric=True),
    Column("Input", lambda r, m: count(r.input_tokens), numeric=True),
    Column("Cached", lambda r, m: count(r.cached_input_tokens), numeric=True,
           tooltip=lambda r, m: (f"{count(r.cache_write_tokens)} tokens written to the cache"
                                 if r.cache_write_tokens else None)),
    Column("Output", lambda r, m: count(r.output_tokens), numeric=True),
    Column("Cost", lambda r, m: request_cost_text(r, m.currency), numeric=True,
           foreground=_request_warning, tooltip=_request_cost_tip),
    Column("Priced by", lambda r, m: _priced_by(r), foreground=_request_warning,
           tooltip=_request_cost_tip),
)  # fmt: skip


class RequestsModel(ColumnTableModel[RequestRow]):
    """The records of one conversation, in time order (read-only, not sortable)."""

    def __init__(self, parent=None):
        super().__init__(REQUEST_COLUMNS, parent=parent)
