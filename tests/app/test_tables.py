"""What every table shares (app/tables.py), the icons (app/icons.py) and remembered layouts."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSettings, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QSplitter,
    QTableView,
    QToolTip,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.context import AppContext
from meterbook.app.icons import icon, icon_path
from meterbook.app.tables import configure_table, give_way
from meterbook.app.window import MainWindow

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
TITLES = ["Time", "Vendor", "Model", "Project", "Requests", "Cost", "Plan"]


def _view(qtbot, rows: list[list[str]]) -> tuple[QWidget, QTableView, QLineEdit]:
    """A table with a line edit after it, as pages have filters or buttons after tables."""
    model = QStandardItemModel(0, len(TITLES))
    model.setHorizontalHeaderLabels(TITLES)
    for row in rows:
        model.appendRow([QStandardItem(text) for text in row])
    box = QWidget()
    layout = QVBoxLayout(box)
    view = QTableView()
    view.setModel(model)
    after = QLineEdit()
    layout.addWidget(view)
    layout.addWidget(after)
    qtbot.addWidget(box)
    return box, view, after


ROW = ["2026-02-01 10:00", "anthropic", "claude-3-5-sonnet-20241022", "support", "1", "$0.0060",
       "Claude Sonnet"]


def test_tab_leaves_a_configured_table(qtbot):
    box, view, after = _view(qtbot, [ROW, ROW])
    configure_table(view)
    box.show()
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    assert box.focusWidget() is view  # the window's focus, whether or not it is active
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    # Without configure_table, Tab walks to the cell (0, 1) and never leaves the table.
    assert box.focusWidget() is after


def test_a_cut_cell_is_cut_in_the_middle_and_its_tooltip_holds_it_all(qtbot):
    box, view, _after = _view(qtbot, [ROW])
    configure_table(view)
    view.setColumnWidth(2, 90)  # "claude-3-5-sonnet-20241022" needs ~190 px
    box.resize(900, 200)
    box.show()
    assert view.textElideMode() == Qt.TextElideMode.ElideMiddle

    def hover(column: int) -> str:
        """The tooltip shown when the pointer rests on the cell (row 0, column)."""
        QToolTip.hideText()
        qtbot.waitUntil(lambda: not QToolTip.isVisible())
        where = view.visualRect(view.model().index(0, column)).center()
        QApplication.sendEvent(view.viewport(), QHelpEvent(
            QEvent.Type.ToolTip, where, view.viewport().mapToGlobal(where)))
        return QToolTip.text() if QToolTip.isVisible() else ""

    assert hover(2) == "claude-3-5-sonnet-20241022"
    assert hover(1) == ""  # "anthropic" fits: no tooltip to say it again
    view.setColumnWidth(2, 400)
    assert hover(2) == ""


def test_the_sort_arrow_does_not_cover_a_right_aligned_title(qtbot):
    box, view, _after = _view(qtbot, [ROW])
    configure_table(view)
    model, header, cost = view.model(), view.horizontalHeader(), TITLES.index("Cost")
    model.setHeaderData(cost, Qt.Orientation.Horizontal, _RIGHT,
                        Qt.ItemDataRole.TextAlignmentRole)
    view.setColumnWidth(cost, 70)
    box.resize(900, 200)
    box.show()

    def grab(text: str, sort: bool):
        model.setHeaderData(cost, Qt.Orientation.Horizontal, text)
        header.setSortIndicatorShown(sort)
        header.setSortIndicator(cost, Qt.SortOrder.AscendingOrder)
        rect = QRect(header.sectionViewportPosition(cost), 0, 70, header.height())
        return header.grab(rect).toImage()

    def columns_between(one, other) -> set[int]:
        """The x of every pixel that differs between two pictures of the section."""
        return {x for x in range(one.width()) for y in range(one.height())
                if one.pixel(x, y) != other.pixel(x, y)}

    arrow = columns_between(grab("", True), grab("", False))
    # The title drawn beside the arrow: what the title adds to the arrow alone.
    title = columns_between(grab("Cost", True), grab("", True))
    assert arrow and title
    assert max(title) < min(arrow)  # none of it under the arrow


def test_least_useful_columns_give_way_on_a_narrow_table(qtbot):
    box, view, _after = _view(qtbot, [ROW] * 3)
    configure_table(view)
    view.horizontalHeader().setStretchLastSection(True)
    for column in range(6):
        view.setColumnWidth(column, 100)
    give_way(view, ("Requests", "Project", "Vendor"))
    header = view.horizontalHeader()
    hidden = lambda: [t for c, t in enumerate(TITLES) if header.isSectionHidden(c)]  # noqa: E731
    # 6 columns of 100 + at least 120 for the stretched Plan = 720 px wanted; a viewport of
    # ~560 px is short by ~160: Requests (100) and then Project (100) give way, Vendor stays.
    box.resize(580, 300)
    box.show()
    qtbot.waitUntil(lambda: hidden() == ["Project", "Requests"])
    assert not header.isSectionHidden(TITLES.index("Cost"))
    # A page that sizes its columns to their text while one is hidden measures it as empty.
    view.setColumnWidth(TITLES.index("Project"), 20)
    # Wide again: they come back, at least as wide as their titles.
    box.resize(1000, 300)
    qtbot.waitUntil(lambda: hidden() == [])
    project = TITLES.index("Project")
    assert header.sectionSize(project) >= header.sectionSizeHint(project)


def test_icons_take_the_palettes_text_colour(qapp):
    path = icon_path("usage")
    assert path.name == "usage.svg" and path.is_file()
    for ink in ("#ffffff", "#1f2937"):
        palette = QPalette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(ink))
        image = icon("usage", palette).pixmap(24, 24).toImage()
        inked = {image.pixelColor(x, y).name() for x in range(24) for y in range(24)
                 if image.pixelColor(x, y).alpha() == 255}
        assert inked == {ink}


def test_column_widths_and_splitters_are_remembered_in_the_windows_settings(qtbot, db,
                                                                             tmp_path):
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    first = MainWindow(AppContext(db), settings)
    qtbot.addWidget(first)
    first.show()
    usage = first.pages["usage"]
    usage.table.horizontalHeader().resizeSection(2, 333)  # the Model column, dragged wider
    splitter = usage.findChild(QSplitter)
    splitter.setSizes([500, 300])
    moved = splitter.sizes()
    first.close()

    second = MainWindow(AppContext(db), settings)
    qtbot.addWidget(second)
    second.show()
    again = second.pages["usage"]
    assert again.table.horizontalHeader().sectionSize(2) == 333
    assert again.findChild(QSplitter).sizes() == moved
    second.close()


def test_the_sidebar_icons_follow_a_switch_to_a_dark_palette(window):
    def inks(row: int) -> set[str]:
        image = window.sidebar.item(row).icon().pixmap(24, 24).toImage()
        return {image.pixelColor(x, y).name() for x in range(24) for y in range(24)
                if image.pixelColor(x, y).alpha() == 255}

    dark = QPalette(window.palette())
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
    window.setPalette(dark)
    assert all(inks(row) == {"#eeeeee"} for row in range(window.sidebar.count()))
