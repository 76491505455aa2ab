"""What every table of the app shares, set in one call: `configure_table(view)`.

- Long texts are cut in the middle ("claude-3-5…20241022"), so two dated models still differ,
  and a cut cell shows its whole text in a tooltip (unless the model has a tooltip of its own).
- The sort arrow gets room of its own in the header: right-aligned titles ("Cost") are drawn
  left of it instead of under it, whatever the style draws.
- Tab leaves the table for the next control instead of walking its cells; arrows move inside.

`give_way(view, columns)` lets a narrow window hide the least useful columns first, so the ones
that matter (Cost, Plan) stay in view down to 1024x640.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QProxyStyle,
    QStyle,
    QStyleOptionHeader,
    QToolTip,
)  # fmt: skip

_CELL_MARGIN = 8  # the text's margins inside a cell, both sides together
_ARROW_GAP = 4  # between a header's title and its sort arrow
_STRETCH_ROOM = (120, 260)  # what a stretched column needs: its text, within these bounds


class _HeaderStyle(QProxyStyle):
    """Draws a header's title beside its sort arrow, never under it.

    Some styles (Fusion among them) lay the arrow over the right end of the title's rectangle,
    so a right-aligned title is hidden by it; the title's rectangle is cut before the arrow.
    """

    def subElementRect(self, element, option, widget=None) -> QRect:
        rect = super().subElementRect(element, option, widget)
        if (element == QStyle.SubElement.SE_HeaderLabel
                and isinstance(option, QStyleOptionHeader)
                and option.sortIndicator != QStyleOptionHeader.SortIndicator.None_
                and option.orientation == Qt.Orientation.Horizontal):
            arrow = super().subElementRect(QStyle.SubElement.SE_HeaderArrow, option, widget)
            if arrow.isValid() and arrow.left() > rect.left():
                rect.setRight(min(rect.right(), arrow.left() - _ARROW_GAP))
        return rect

    def drawControl(self, element, option, painter, widget=None) -> None:
        if element == QStyle.ControlElement.CE_HeaderLabel and isinstance(
                option, QStyleOptionHeader) and widget is not None:
            # Styles that draw the title over the whole section (Fusion) get the cut rectangle.
            label = QStyleOptionHeader(option)
            label.rect = option.rect.intersected(
                self.subElementRect(QStyle.SubElement.SE_HeaderLabel, option, widget))
            super().drawControl(element, label, painter, widget)
            return
        super().drawControl(element, option, painter, widget)


class _ElidedTips(QObject):
    """Shows a cut cell's whole text as its tooltip (the model's own tooltip comes first)."""

    def __init__(self, view: QAbstractItemView):
        super().__init__(view)
        self.view = view

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.ToolTip:
            return False
        index = self.view.indexAt(event.pos())
        if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole):
            return False  # the model's own tooltip, shown as usual
        text = _cut_text(self.view, index)
        if text is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPos(), text, self.view.viewport(),
                              self.view.visualRect(index))
        return True


def _cut_text(view: QAbstractItemView, index: QModelIndex) -> str | None:
    """A cell's whole text when its column is too narrow to show it all; None when it fits."""
    text = index.data(Qt.ItemDataRole.DisplayRole)
    if text is None:
        return None
    room = view.visualRect(index).width() - _CELL_MARGIN
    return str(text) if view.fontMetrics().horizontalAdvance(str(text)) > room else None


def configure_table(view: QAbstractItemView) -> QAbstractItemView:
    """Give a table (or tree) the app's common behaviour; returns it for chaining."""
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    view.setTabKeyNavigation(False)
    view.setWordWrap(False)  # one line a row: cut in the middle, the rest in the tooltip
    view.viewport().installEventFilter(_ElidedTips(view))
    header: QHeaderView | None = getattr(view, "horizontalHeader", None) and \
        view.horizontalHeader()
    if header is None and hasattr(view, "header"):
        header = view.header()
    if header is not None:
        style = _HeaderStyle(view.style().name())
        style.setParent(header)  # lives and dies with the header
        header.setStyle(style)
    return view


class _GiveWay(QObject):
    """Hides the columns titled `titles` (least useful first) while the table is too narrow
    for all its columns, and shows them again, in the reverse order, when there is room."""

    def __init__(self, view: QAbstractItemView, titles: tuple[str, ...]):
        super().__init__(view)
        self.view, self.titles = view, titles
        self.hidden: list[int] = []  # hidden here, in the order they gave way
        self._pending = False
        # The viewport, not the view: it also narrows when a vertical scroll bar appears.
        view.viewport().installEventFilter(self)
        model = view.model()
        for signal in (model.modelReset, model.layoutChanged, model.rowsInserted):
            signal.connect(self.later)

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.later()
        return False

    def later(self, *_args) -> None:
        # After the page has sized its columns for the new rows (it reacts to the same signal).
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self.fit)

    def _needed(self) -> int:
        header = self.view.horizontalHeader()
        total = 0
        for column in range(header.count()):
            if header.isSectionHidden(column):
                continue
            stretched = header.sectionResizeMode(column) == QHeaderView.ResizeMode.Stretch or (
                header.stretchLastSection() and column == _last_shown(header))
            if stretched:
                wanted = max(self.view.sizeHintForColumn(column), header.sectionSizeHint(column))
                total += min(max(wanted, _STRETCH_ROOM[0]), _STRETCH_ROOM[1])
            else:
                total += header.sectionSize(column)
        return total

    def _columns(self) -> list[int]:
        """The columns that may give way, by their titles (the model may move them)."""
        model, horizontal = self.view.model(), Qt.Orientation.Horizontal
        where = {model.headerData(c, horizontal): c for c in range(model.columnCount())}
        return [where[title] for title in self.titles if title in where]

    def fit(self) -> None:
        self._pending = False
        header = self.view.horizontalHeader()
        room = self.view.viewport().width()
        if room <= 0:
            return
        for column in self._columns():
            if self._needed() <= room:
                break
            if not header.isSectionHidden(column):
                header.hideSection(column)
                self.hidden.append(column)
        while self.hidden:
            column = self.hidden[-1]
            header.showSection(column)
            # A page that sized its columns while this one was hidden may have measured it
            # as empty: at least its title's width, or it comes back as ":hed".
            wanted = header.sectionSizeHint(column) + 2 * _CELL_MARGIN
            if header.sectionSize(column) < wanted:
                header.resizeSection(column, wanted)
            if self._needed() > room:
                header.hideSection(column)
                break
            self.hidden.pop()


def _last_shown(header: QHeaderView) -> int:
    return max((c for c in range(header.count()) if not header.isSectionHidden(c)), default=-1)


def give_way(view: QAbstractItemView, titles: tuple[str, ...]) -> None:
    """On a narrow window, hide the columns of these titles (the least useful first) before
    the others slide out of view; they come back when the window is wide enough."""
    _GiveWay(view, titles)
