"""Table models of the Conversations page: one row a conversation, one row a request.

Both hold the rows a store query returned (store/conversations.py) and only turn them into
text, alignment and colour. The conversation model sorts and filters its own Python list:
a QSortFilterProxyModel would call data() twice per comparison, a million Python calls to
sort tens of thousands of rows, where list.sort with a key takes milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    Qt,
)  # fmt: skip
from PySide6.QtGui import QFont

from meterbook.app.formatting import (
    count,
    money,
    muted_color,
    warning_color,
    when_text,
)  # fmt: skip
from meterbook.store.conversations import ConversationRow, RequestRow

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object behind an index
NO_CONVERSATION = "(no conversation)"
COST_PLACES = 4  # AI requests cost fractions of a cent: two places would show most as $0.00

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def detail_money(amount: Decimal, currency: str) -> str:
    """Money in a table column: always COST_PLACES places, so the points line up."""
    return money(amount, currency, COST_PLACES)


def summary_money(amount: Decimal, currency: str) -> str:
    """A single figure: cents, except below one unit, where cents would turn $0.004 into
    $0.00."""
    return money(amount, currency, 2 if abs(amount) >= 1 or not amount else COST_PLACES)


# --- conversations ------------------------------------------------------------------------------

CONVERSATION_COLUMNS = ("Conversation", "First request", "Requests", "Input", "Cached",
                        "Output", "Cost", "Unpriced")
_NUMERIC = frozenset(range(2, 8))


def _sort_keys() -> list[Callable[[ConversationRow], object]]:
    return [
        lambda r: (r.conversation == "", r.conversation.casefold()),
        lambda r: r.first_us,
        lambda r: r.requests,
        lambda r: r.input_tokens,
        lambda r: r.cached_input_tokens,
        lambda r: r.output_tokens,
        # Unknown (fully unpriced) below every known cost, even $0.
        lambda r: (not r.fully_unpriced, r.cost),
        lambda r: r.unpriced_requests,
    ]


class ConversationsModel(QAbstractTableModel):
    """Conversations, sortable on every column and filtered by id or model name."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._all: list[ConversationRow] = []
        self._rows: list[ConversationRow] = []
        self._filter = ""
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.currency = "USD"
        self.tz = ZoneInfo("UTC")

    # -- content -----------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[ConversationRow], currency: str, tz: ZoneInfo) -> None:
        self.beginResetModel()
        self._all, self.currency, self.tz = list(rows), currency, tz
        if self._sort is not None:
            self._sort_all(*self._sort)
        self._rows = self._visible()
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        if needle == self._filter:
            return
        self.beginResetModel()
        self._filter = needle
        self._rows = self._visible()
        self.endResetModel()

    def _visible(self) -> list[ConversationRow]:
        needle = self._filter
        if not needle:
            return list(self._all)
        return [r for r in self._all
                if needle in (r.conversation or NO_CONVERSATION).casefold()
                or any(needle in m.casefold() for m in r.models)]

    def row_at(self, row: int) -> ConversationRow:
        return self._rows[row]

    def rows(self) -> list[ConversationRow]:
        """The rows shown, in the order shown."""
        return list(self._rows)

    # -- Qt ----------------------------------------------------------------------------------

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(CONVERSATION_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(
                CONVERSATION_COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return CONVERSATION_COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if section in _NUMERIC else _LEFT)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if column in _NUMERIC else _LEFT)
        if role == Qt.ItemDataRole.ForegroundRole:
            if (column == 7 and row.unpriced_requests) or (column == 6 and row.fully_unpriced):
                return warning_color()
            if column == 0 and not row.conversation:
                return muted_color()
            return None
        if role == Qt.ItemDataRole.FontRole and column == 0 and not row.conversation:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == ROW_ROLE:
            return row
        return None

    def _text(self, row: ConversationRow, column: int) -> str:
        if column == 0:
            return row.conversation or NO_CONVERSATION
        if column == 1:
            return when_text(row.first_us, self.tz)
        if column == 6:
            # A cost nobody computed is not $0: say so.
            return "unpriced" if row.fully_unpriced else detail_money(row.cost, self.currency)
        if column == 7:
            return f"{count(row.unpriced_requests)} unpriced" if row.unpriced_requests else ""
        return count((row.requests, row.input_tokens, row.cached_input_tokens,
                      row.output_tokens)[column - 2])

    def _tooltip(self, row: ConversationRow, column: int) -> str | None:
        if column in (0, 1):
            models = ", ".join(row.models)
            return (f"{models}\nfrom {when_text(row.first_us, self.tz)} "
                    f"to {when_text(row.last_us, self.tz)}")
        if column == 4 and row.cache_write_tokens:
            return f"{count(row.cache_write_tokens)} tokens written to the cache"
        if column in (6, 7) and row.unpriced_requests:
            return (f"{count(row.unpriced_requests)} of {count(row.requests)} requests have no "
                    "plan that prices them: their cost is not included.")
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(CONVERSATION_COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        held = [(self._rows[i.row()], i.column()) for i in old]
        self._sort = (column, order)
        self._sort_all(column, order)
        self._rows = self._visible()
        position = {id(r): n for n, r in enumerate(self._rows)}
        self.changePersistentIndexList(old, [
            self.index(position[id(r)], c) if id(r) in position else QModelIndex()
            for r, c in held])
        self.layoutChanged.emit()

    def _sort_all(self, column: int, order: Qt.SortOrder) -> None:
        key = _sort_keys()[column]
        self._all.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)


# --- one conversation's requests -----------------------------------------------------------------

REQUEST_COLUMNS = ("Time", "Model", "Request", "Requests", "Input", "Cached", "Output", "Cost",
                   "Priced by")
_REQUEST_NUMERIC = frozenset(range(3, 8))


class RequestsModel(QAbstractTableModel):
    """The records of one conversation, in time order (read-only, not sortable)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[RequestRow] = []
        self.currency = "USD"
        self.tz = ZoneInfo("UTC")

    def set_rows(self, rows: Sequence[RequestRow], currency: str, tz: ZoneInfo) -> None:
        self.beginResetModel()
        self._rows, self.currency, self.tz = list(rows), currency, tz
        self.endResetModel()

    def rows(self) -> list[RequestRow]:
        return list(self._rows)

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(REQUEST_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(REQUEST_COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return REQUEST_COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if section in _REQUEST_NUMERIC else _LEFT)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if column in _REQUEST_NUMERIC else _LEFT)
        if role == Qt.ItemDataRole.ForegroundRole and row.unpriced and column in (7, 8):
            return warning_color()
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return f"{row.vendor} {row.model}"
        if role == Qt.ItemDataRole.ToolTipRole and column == 5 and row.cache_write_tokens:
            return f"{count(row.cache_write_tokens)} tokens written to the cache"
        if role == ROW_ROLE:
            return row
        return None

    def _text(self, row: RequestRow, column: int) -> str:
        if column == 0:
            return when_text(row.timestamp_us, self.tz)
        if column == 1:
            return row.model
        if column == 2:
            return row.request_id
        if column == 7:
            return "unpriced" if row.cost is None else detail_money(row.cost, self.currency)
        if column == 8:
            return row.priced_by or "no plan"
        return count((row.requests, row.input_tokens, row.cached_input_tokens,
                      row.output_tokens)[column - 3])
