"""Why it changed: a month's cost against the month before, split into the parts an owner asks
about (more requests, bigger requests, model mix, prices, fixed charges), in one line.

The parts are store/change_query.py's `change_between` (core/change.py: a Shapley
decomposition), rounded to cents by `Change.shown`, so the shown parts add up exactly to the
shown difference. The Dashboard reads the change itself (`show_month`, on a reader thread); the
Reports page hands over the change its report already holds (`show_change`).
"""

from __future__ import annotations

import html
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from meterbook.app.context import AppContext
from meterbook.app.formatting import money, month_title, warning_color
from meterbook.app.tasks import Latest
from meterbook.core.change import DECOMPOSITION, Change, cents
from meterbook.core.cost import MissingRate
from meterbook.core.periods import zone
from meterbook.errors import Refused
from meterbook.logs import log_unexpected
from meterbook.store import readers
from meterbook.store.change_query import change_between
from meterbook.store.cost_query import CostQuery
from meterbook.store.database import Database
from meterbook.store.overview import previous_month

# Each part's words when it raised the cost, and when it lowered it.
_WORDS = {
    "volume": ("more requests", "fewer requests"),
    "size": ("bigger requests", "smaller requests"),
    "mix": ("model mix", "model mix"),
    "price": ("prices", "prices"),
    "fixed": ("fixed charges", "fixed charges"),
    "billed_lines": ("lines billed without usage", "lines billed without usage"),
}
_ALWAYS = ("volume", "size", "mix", "price", "fixed")  # billed_lines only when it is not 0


def month_change(db: Database, tz_name: str, month: str) -> tuple[Change, str]:
    """The change from the month before `month` to `month` ('YYYY-MM'), and the currency."""
    with db.engine.connect() as conn:
        currency = readers.home_currency(conn)
        q = CostQuery(tz=zone(tz_name), home_currency=currency, rates=readers.rates_for(conn))
        change = change_between(conn, previous_month(month), month, q,
                                readers.load_plans(conn))
    return change, currency


def expected_reason(exc: BaseException) -> str | None:
    """A sentence for a failure the owner can fix (a missing exchange rate, a refused
    period); None for one that is a fault (logged by the caller)."""
    if isinstance(exc, MissingRate):
        return (f"it needs the exchange rate of {exc.currency} for {month_title(exc.month)}, "
                "which nobody saved (add it in Settings)")
    return str(exc) if isinstance(exc, Refused) else None


def signed(amount: Decimal, currency: str) -> str:
    """'+$1.50', '-$2.00', '+$0.00': a change always says which way it went."""
    return ("+" if amount >= 0 else "") + money(amount, currency)


def change_sentence(now: str, before: str, change: Change, currency: str
                    ) -> tuple[str, list[tuple[str, Decimal]]]:
    """('April 2026 vs March 2026: +$5.50', [(words, part)...]) in cents; the parts add up
    to the shown difference."""
    shown = change.shown()
    difference = cents(change.after) - cents(change.before)
    parts = [(_WORDS[name][0 if shown[name] >= 0 else 1], shown[name])
             for name in shown if name in _ALWAYS or shown[name]]
    return f"{now} vs {before}: {signed(difference, currency)}", parts


class ChangePanel(QFrame):
    """A card: the difference from the month before, and its parts."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, link: bool = True):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("change-panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.parts: list[tuple[str, Decimal]] = []  # what is shown, for tests and readers
        self.headline = ""
        self._reads = Latest(ctx.tasks, self, "work out why the cost changed")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(2)
        top = QHBoxLayout()
        title = QLabel("Why it changed")
        title.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        top.addWidget(title, 1)
        self.details = QPushButton("Details in Reports…")
        self.details.setFlat(True)
        self.details.setCursor(Qt.CursorShape.PointingHandCursor)
        self.details.setToolTip("Open the Reports page: the change per vendor and model")
        self.details.clicked.connect(lambda: ctx.open_page.emit("reports"))
        self.details.setVisible(link)
        top.addWidget(self.details)
        layout.addLayout(top)
        self.text = QLabel("…")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setWordWrap(True)
        # Room for two lines always: a narrow window wraps the parts onto a second line.
        self.text.setMinimumHeight(2 * self.text.fontMetrics().lineSpacing())
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)
        # Rich text, so that Qt wraps the long sentence instead of one line across the screen.
        self.setToolTip(f"<p>{html.escape(DECOMPOSITION)}</p>")

    def show_month(self, month: str, tz_name: str, so_far: bool = False) -> None:
        """Read and show the change from the month before `month` ('YYYY-MM'); `so_far`: the
        month is still running (its part of a month is set against a whole one)."""
        db = self.ctx.db
        title = month_title(month) + (" so far" if so_far else "")
        self.clear()  # never the month before's change under this month's figures

        def failed(exc: BaseException) -> None:
            amber = warning_color(self.palette()).name()
            self.parts = []
            reason = expected_reason(exc) or f"{exc} (details in {log_unexpected(exc)})"
            self.text.setText(f"<span style='color:{amber}'>Cannot say why the cost "
                              f"changed: {html.escape(reason, quote=False)}</span>")

        self._reads.read(lambda: month_change(db, tz_name, month),
                         lambda found: self.show_change(
                             title, month_title(previous_month(month)), *found), failed)

    def clear(self) -> None:
        """Forget the figures shown: a new question is on its way."""
        self.parts, self.headline = [], ""
        self.text.setText("…")

    def show_change(self, now: str, before: str, change: Change, currency: str) -> None:
        headline, self.parts = change_sentence(now, before, change, currency)
        self.headline = headline
        if not (change.before or change.after):
            self.text.setText(f"<b>{html.escape(headline)}</b>: no spend in either period.")
            return
        listed = ", ".join(f"{signed(amount, currency)} {words}" for words, amount in self.parts)
        self.text.setText(f"<b>{html.escape(headline)}</b>: {html.escape(listed)}")
