"""What a page is: a widget with a title that refreshes when shown and when data changes.

Its sidebar icon is resources/icons/KEY.svg (app/icons.py).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

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


class ComingPage(Page):
    """A page whose feature is not there yet: says what will come.

    `coming` is rich text: commands are set in <code>, never in Markdown backticks, which a
    QLabel would show as they are."""

    coming = ""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        heading = QLabel(f"<h2>{self.title}</h2>")
        text = QLabel(self.coming)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addStretch(1)


class BudgetsPage(ComingPage):
    key, title = "budgets", "Budgets"
    coming = ("Budgets per month, vendor or project, with alerts at the thresholds you choose "
              "and a forecast of the month's end, are coming in a later release.")


class ComparePage(ComingPage):
    key, title = "compare", "Compare"
    coming = ("Compare will price your own usage under other plans side by side: pay per "
              "request or per token, another vendor, a volume contract. Until then, "
              "<code>meterbook cost --plans OTHER.toml</code> answers the same question on the "
              "command line.")

