"""What a page is: a widget with a title that refreshes when shown and when data changes.

Its sidebar icon is resources/icons/KEY.svg (app/icons.py).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from meterbook.app.context import AppContext


class Page(QWidget):
    key = ""  # "dashboard", "usage", ... (QSettings remembers the last one)
    title = ""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._stale = True
        ctx.data_changed.connect(self._mark_stale)

    def _mark_stale(self) -> None:
        self._stale = True
        if self.isVisible():
            self.refresh()
            self._stale = False

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def refresh(self) -> None:
        """Reload what the page shows from the database."""
