"""The column-spec table model: what a table built on it shows, sorts and filters."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPersistentModelIndex, Qt

from meterbook.app.models.columns import ROW_ROLE, Column, ColumnTableModel


@dataclass
class Fruit:
    name: str
    count: int


COLUMNS = (
    Column("Name", lambda r, m: r.name, sort_key=lambda r: r.name,
           tooltip=lambda r, m: f"{r.name} ({m.currency})"),
    Column("Count", lambda r, m: f"{r.count:,}", sort_key=lambda r: r.count, numeric=True),
    Column("Note", lambda r, m: "many" if r.count > 10 else ""),
)


def model_of(*rows):
    model = ColumnTableModel(COLUMNS, matches=lambda r, needle: needle in r.name.casefold())
    model.set_rows(list(rows), "EUR")
    return model


def shown(model, column=0):
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_rows_read_through_their_columns(qapp):
    model = model_of(Fruit("pear", 1200), Fruit("fig", 3))
    assert model.columnCount() == 3 and model.rowCount() == 2
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == [
        "Name", "Count", "Note"]
    assert shown(model, 1) == ["1,200", "3"]
    assert shown(model, 2) == ["many", ""]
    right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    assert model.index(0, 1).data(Qt.ItemDataRole.TextAlignmentRole) == right
    assert model.headerData(1, Qt.Orientation.Horizontal,
                            Qt.ItemDataRole.TextAlignmentRole) == right
    assert model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) == "fig (EUR)"
    assert model.index(1, 0).data(ROW_ROLE) == Fruit("fig", 3)


def test_sorting_keeps_the_selection_on_its_row(qapp):
    model = model_of(Fruit("pear", 1), Fruit("apple", 30), Fruit("fig", 7))
    held = QPersistentModelIndex(model.index(0, 0))  # pear
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert shown(model) == ["apple", "fig", "pear"]
    assert held.row() == 2 and held.data() == "pear"
    model.sort(2)  # a column without a sort key leaves the order alone
    assert shown(model) == ["apple", "fig", "pear"]


def test_a_filter_keeps_matching_rows_and_survives_new_rows_and_sorting(qapp):
    model = model_of(Fruit("pear", 1), Fruit("apple", 30), Fruit("pineapple", 7))
    model.sort(0)
    model.set_filter(" APPLE ")
    assert shown(model) == ["apple", "pineapple"]
    model.set_rows([Fruit("crab apple", 2), Fruit("plum", 5), Fruit("apple", 1)], "USD")
    assert shown(model) == ["apple", "crab apple"]  # still sorted by name, still filtered
    model.set_filter("")
    assert shown(model) == ["apple", "crab apple", "plum"]
