"""Standing alerts in the app: one watcher per database, the Dashboard's banner, the tray.

The store raises and withdraws alerts itself after every import, undo, re-price and plan
change (store/alerts.check_alerts); every such change ends with `ctx.changed()`. The watcher
(one per AppContext, a child of it: `alert_watch(ctx)`) then reads the standing alerts once and
tells the banner and the Budgets page what waits, and the tray what is new since its last read.
Its first read finds what stood already when the app started: the banner shows those, the tray
stays quiet (old news is not a pop-up). An alert acknowledged anywhere is acknowledged in the
database, so the next read takes it off the banner, the Budgets page and the tray's list alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.context import AppContext
from meterbook.app.formatting import money, warning_color
from meterbook.app.tasks import Latest
from meterbook.core.periods import zone
from meterbook.store.alerts import FORECAST, SPIKE, THRESHOLD, Alert, acknowledge, standing_alerts

SHOWN = 3  # the banner's lines at most; the rest is "+N more"


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b}"  # "14 Dec" (no %-d: not on every platform)


def alert_line(alert: Alert, tz: ZoneInfo, currency: str) -> str:
    """One line for people, times in the report zone: "Budget 'All AI' passed 80 % on 14 Dec
    at 09:30"."""
    if alert.kind == THRESHOLD:
        at = alert.crossed_at.astimezone(tz)
        return f"Budget '{alert.budget}' passed {alert.threshold} % on {_day(at)} at {at:%H:%M}"
    if alert.kind == FORECAST:
        return (f"Budget '{alert.budget}' is forecast to reach "
                f"{money(alert.amount, currency)}, over its amount")
    day = datetime.strptime(alert.day, "%Y-%m-%d")
    return (f"{alert.vendor.title()} spent {money(alert.amount, currency)} on {_day(day)}, "
            f"above its usual {money(alert.norm, currency)} a day")


KIND_WORDS = {THRESHOLD: "Threshold", FORECAST: "Forecast", SPIKE: "Spike"}


@dataclass(frozen=True)
class Standing:
    """What one read found: every standing alert, and how to word them."""

    alerts: list[Alert]
    tz: ZoneInfo
    currency: str

    @property
    def waiting(self) -> list[Alert]:
        return [a for a in self.alerts if not a.acknowledged]

    def line(self, alert: Alert) -> str:
        return alert_line(alert, self.tz, self.currency)


class AlertWatch(QObject):
    """Reads the standing alerts after every change of data (and once at the start)."""

    changed = Signal(object)  # a Standing, after each read
    raised = Signal(object)  # (Standing, [new unacknowledged Alert]) after a later read

    def __init__(self, ctx: AppContext):
        super().__init__(ctx)
        self.ctx = ctx
        self.standing: Standing | None = None
        self._known: set[int] | None = None  # ids seen standing; None before the first read
        self._reads = Latest(ctx.tasks, self, "read the alerts")
        ctx.data_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        ctx = self.ctx
        if ctx.is_closed:
            return

        def job() -> Standing:
            return Standing(standing_alerts(ctx.db), zone(ctx.report_timezone()),
                            ctx.home_currency())

        self._reads.read(job, self._read)

    def _read(self, standing: Standing) -> None:
        new = [] if self._known is None else [
            a for a in standing.waiting if a.id not in self._known]
        # Every standing id is known, acknowledged ones too: an alert is new once only.
        self._known = {a.id for a in standing.alerts}
        self.standing = standing
        self.changed.emit(standing)
        if new:
            self.raised.emit((standing, new))

    def acknowledge(self, alert_id: int | str) -> None:
        """Acknowledge one alert (its id) or "all"; then every page reads again."""
        db = self.ctx.db
        self.ctx.tasks.write("acknowledge the alert",
                             lambda _p, _c: acknowledge(db, alert_id),
                             on_done=lambda _n: self.ctx.changed(),
                             on_error=lambda _e: self.ctx.changed())  # gone already: re-read


def alert_watch(ctx: AppContext) -> AlertWatch:
    """The context's one watcher (made on first use): the banner, the tray and the Budgets
    page share its reads."""
    found = ctx.findChild(AlertWatch)
    return found if found is not None else AlertWatch(ctx)


class AlertBanner(QFrame):
    """A strip above the Dashboard's cards: one line per waiting alert (up to SHOWN) with
    Acknowledge, "+N more", and Show budgets. Hidden while nothing waits."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("alert-banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(12, 6, 12, 6)
        self.body: QWidget | None = None
        self.lines: list[QLabel] = []  # the alert lines shown (tests read them)
        self.acknowledge_buttons: list[QPushButton] = []
        self.show_budgets: QPushButton | None = None
        self.more: QLabel | None = None
        self.hide()
        self.watch = alert_watch(ctx)
        self.watch.changed.connect(self.show_alerts)
        if self.watch.standing is not None:
            self.show_alerts(self.watch.standing)

    def _link(self, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setFlat(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(slot)
        return button

    def show_alerts(self, standing: Standing) -> None:
        # Rebuilt whole: a handful of lines, after a change of data only.
        if self.body is not None:
            self.body.hide()
            self.body.deleteLater()
        self.body = QWidget(self)
        rows = QVBoxLayout(self.body)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(0)
        self.lines, self.acknowledge_buttons, self.more = [], [], None
        waiting = standing.waiting
        amber = warning_color(self.palette()).name()
        for n, alert in enumerate(waiting[:SHOWN]):
            row = QHBoxLayout()
            label = QLabel(f"<span style='color:{amber}'>⚠</span> {standing.line(alert)}")
            label.setTextFormat(Qt.TextFormat.RichText)
            ack = self._link("Acknowledge", lambda _=False, i=alert.id: self.watch.acknowledge(i))
            ack.setToolTip("Mark this alert as seen: it leaves the banner")
            row.addWidget(label, 1)
            row.addWidget(ack)
            if n == 0:
                self.show_budgets = self._link(
                    "Show budgets", lambda: self.ctx.open_page.emit("budgets"))
                row.addWidget(self.show_budgets)
            rows.addLayout(row)
            self.lines.append(label)
            self.acknowledge_buttons.append(ack)
        if len(waiting) > SHOWN:
            self.more = QLabel(f"+{len(waiting) - SHOWN} more on the Budgets page")
            self.more.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            rows.addWidget(self.more)
        self.outer.addWidget(self.body)
        self.setVisible(bool(waiting))


class AlertTray(QObject):
    """A tray notification for each read that finds new alerts, where the desktop has a tray;
    where it has none, nothing (the banner still shows them). `tray`: any object with
    showMessage(title, text) (tests pass a fake)."""

    def __init__(self, ctx: AppContext, tray=None, parent: QObject | None = None):
        super().__init__(parent)
        if tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            tray = QSystemTrayIcon(QApplication.windowIcon(), self)
            tray.setToolTip("Meterbook")
            tray.show()
        self.tray = tray
        alert_watch(ctx).raised.connect(self._notify)

    def _notify(self, payload) -> None:
        standing, new = payload
        if self.tray is None:
            return
        lines = [standing.line(a) for a in new[:SHOWN]]
        if len(new) > SHOWN:
            lines.append(f"+{len(new) - SHOWN} more")
        title = "Budget alert" if len(new) == 1 else f"{len(new)} budget alerts"
        self.tray.showMessage(title, "\n".join(lines))

    def close(self) -> None:
        if isinstance(self.tray, QSystemTrayIcon):
            self.tray.hide()
