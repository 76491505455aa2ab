"""Column widths and splitter positions, remembered like the window's geometry.

Always in the window's own settings object (MainWindow.settings), never a QSettings() of a
page's: screenshot mode and tests give the window a throwaway one, and what they do must not
reach the person's settings. Each page's tables and splitters are found by kind, in the order
the page built them ("layout/usage/columns/0"); only widths are kept, not sorting or hidden
columns, so a column a narrow window hid comes back on a wide one.

A page that sizes its columns to their text does so only while `widths_settled(header)` is
false: restored widths, or widths fitted once, are the person's from then on.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QHeaderView, QSplitter, QWidget

_SETTLED = "meterbookWidthsSettled"  # a dynamic property of a header


def widths_settled(header: QHeaderView) -> bool:
    """Whether the header's widths were restored (or fitted once): no page may refit them."""
    return bool(header.property(_SETTLED))


def settle_widths(header: QHeaderView) -> None:
    header.setProperty(_SETTLED, True)


def _headers(page: QWidget) -> list[QHeaderView]:
    return [h for h in page.findChildren(QHeaderView)
            if h.orientation() == Qt.Orientation.Horizontal and h.window() is page.window()]


def _splitters(page: QWidget) -> list[QSplitter]:
    return [s for s in page.findChildren(QSplitter) if s.window() is page.window()]


def save_view_state(settings: QSettings, key: str, page: QWidget) -> None:
    for n, header in enumerate(_headers(page)):
        widths = [-1 if header.isSectionHidden(c) else header.sectionSize(c)
                  for c in range(header.count())]
        settings.setValue(f"layout/{key}/columns/{n}", ",".join(map(str, widths)))
    for n, splitter in enumerate(_splitters(page)):
        settings.setValue(f"layout/{key}/splitter/{n}", splitter.saveState())


def restore_view_state(settings: QSettings, key: str, page: QWidget) -> None:
    for n, header in enumerate(_headers(page)):
        text = settings.value(f"layout/{key}/columns/{n}")
        widths = _widths(text)
        if len(widths) != header.count():
            continue  # saved by a version with other columns
        last = header.count() - 1 if header.stretchLastSection() else -1
        for column, width in enumerate(widths):
            # A stretched column takes what is left: a width from a wider window would
            # push the others out of view.
            if width > 0 and column != last and header.sectionResizeMode(column) == \
                    QHeaderView.ResizeMode.Interactive:
                header.resizeSection(column, width)
        settle_widths(header)
    for n, splitter in enumerate(_splitters(page)):
        state = settings.value(f"layout/{key}/splitter/{n}")
        if state is not None:
            splitter.restoreState(state)


def _widths(text) -> list[int]:
    try:
        return [int(part) for part in str(text).split(",")] if text else []
    except ValueError:
        return []
