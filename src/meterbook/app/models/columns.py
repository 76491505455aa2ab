"""One table model over a column spec: the shape every fixed-column table of the app takes.

A page declares its columns (title, text, sort key, alignment, colour, tooltip) as data, in
the manner of moneyGuru's toolkit-free table adapters, and gets a sortable, filterable Qt
model over the rows a store query returned. Sorting and filtering are on the Python list: a
QSortFilterProxyModel would call data() twice per comparison, a million Python calls to sort
tens of thousands of rows, where list.sort with a key takes milliseconds. (The Usage table,
millions of rows read lazily by id, has a model of its own: usage_model.py.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

Row = TypeVar("Row")

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object behind an index

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Column(Generic[Row]):
    """One column: how a row reads in it. `text` and the optional parts take the row and the
    model (for the currency and time zone it shows in)."""

    title: str
    text: Callable[[Row, Any], str]
    sort_key: Callable[[Row], object] | None = None  # None: the column does not sort
    numeric: bool = False  # right-aligned, header too
    foreground: Callable[[Row], Any] | None = None  # a QColor, or None for the default
    font: Callable[[Row], Any] | None = None
    tooltip: Callable[[Row, Any], str | None] | None = None

    @property
    def alignment(self) -> int:
        return int(_RIGHT if self.numeric else _LEFT)


class ColumnTableModel(QAbstractTableModel, Generic[Row]):
    """Rows shown through `columns`; `matches(row, needle)` decides what a filter keeps."""

    def __init__(self, columns: Sequence[Column[Row]],
                 matches: Callable[[Row, str], bool] | None = None, parent=None):
        super().__init__(parent)
        self.columns = tuple(columns)
        self._matches = matches
        self._all: list[Row] = []
        self._rows: list[Row] = []
        self._filter = ""
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.currency = "USD"
        self.tz = None  # a ZoneInfo, set with the rows

    # -- content -------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Row], currency: str = "USD", tz=None) -> None:
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

    def _visible(self) -> list[Row]:
        if not self._filter or self._matches is None:
            return list(self._all)
        return [r for r in self._all if self._matches(r, self._filter)]

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def rows(self) -> list[Row]:
        """The rows shown, in the order shown."""
        return list(self._rows)

    # -- Qt ------------------------------------------------------------------------------------

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._rows)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self.columns[section].alignment
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, column = self._rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row, self)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column.alignment
        if role == Qt.ItemDataRole.ForegroundRole and column.foreground:
            return column.foreground(row)
        if role == Qt.ItemDataRole.FontRole and column.font:
            return column.font(row)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip(row, self)
        if role == ROW_ROLE:
            return row
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column].sort_key is None:
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
        key = self.columns[column].sort_key
        self._all.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
