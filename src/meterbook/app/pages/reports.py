"""The Reports page: the monthly report (reports/monthly.py) of a month, quarter or year, for
everything or one vendor or project, previewed as its HTML page and exported as a file.

The month follows the Dashboard's (AppContext.month_selected) until the owner picks another.
The preview is the HTML writer's own page, built on a reader thread (never on the UI thread);
an export asks where to save (a default name such as meterbook-2026-11.pdf), writes in the
background (whole or not at all: reports/file_output.write_atomic) and then offers to open the
folder it went to.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.change_panel import ChangePanel, expected_reason
from meterbook.app.context import AppContext
from meterbook.app.formatting import month_title, warning_color
from meterbook.app.pages.base import Page
from meterbook.app.report_export import FORMATS, export_report, report_data, save_report
from meterbook.app.tasks import Latest
from meterbook.logs import log_unexpected
from meterbook.reports import monthly, report_html
from meterbook.store import readers
from meterbook.store.database import Database
from meterbook.store.overview import month_status
from meterbook.store.usage_store import Meters

_FILTERS = {"pdf": "PDF documents (*.pdf)", "html": "Web pages (*.html)",
            "csv": "CSV files (*.csv)", "xlsx": "Excel workbooks (*.xlsx)"}
KINDS = ("Month", "Quarter", "Year")
# Formats whose charts are the app's chart widgets drawn offscreen (app/report_export.py):
# Qt draws widgets on the GUI thread only, so these are gathered in the background and
# drawn and written there; CSV and XLSX are wholly written in the background.
DRAWN = ("pdf", "html")


def _when(generated_at: datetime | None) -> datetime:
    return generated_at or datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class ReportChoice:
    """What a report is of: a month, or the days [first, last]; and its scope."""

    label: str  # "April 2026", "Q2 2026", "2026"
    stem: str  # "2026-04", "2026-Q2", "2026": the file name's
    month: str | None = None
    first: str | None = None
    last: str | None = None
    vendor: str | None = None
    project: str | None = None

    def arguments(self) -> dict:
        return {"month": self.month, "first": self.first, "last": self.last,
                "vendor": self.vendor, "project": self.project}

    def file_name(self, fmt: str) -> str:
        """meterbook-2026-04.pdf; meterbook-2026-04-openai.csv for a scope."""
        scope = "-".join(s for s in (self.vendor, self.project) if s)
        scope = re.sub(r"[^A-Za-z0-9._-]+", "_", scope).strip("._")
        return f"meterbook-{self.stem}{'-' + scope if scope else ''}.{fmt}"


@dataclass(frozen=True)
class Choices:
    months: tuple[str, ...]  # months with usage, and the current one, oldest first
    default_month: str  # the Dashboard's: this month, or the latest with usage
    current: str  # the clock's month, still running
    vendors: tuple[str, ...]
    projects: tuple[str, ...]


def read_choices(db: Database, now: datetime | None) -> Choices:
    with db.engine.connect() as conn:
        tz_name = readers.effective_timezone(conn)
        keys = Meters(conn).keys.values()
    choice = month_status(db, tz_name, now).choice
    return Choices(tuple(sorted({*choice.months, choice.current})), choice.month, choice.current,
                   tuple(sorted({k[0] for k in keys})), tuple(sorted({k[2] for k in keys} - {""})))


def periods_of(kind: str, months: tuple[str, ...]) -> list[tuple[str, str, str | None, str | None,
                                                                  str | None]]:
    """(label, stem, month, first, last) of every month, quarter or year, newest first."""
    if kind == "Month":
        return [(month_title(m), m, m, None, None) for m in reversed(months)]
    found = []
    for m in reversed(months):
        y, n = int(m[:4]), int(m[5:])
        if kind == "Year":
            item = (str(y), str(y), None, f"{y}-01-01", f"{y}-12-31")
        else:
            q = (n - 1) // 3 + 1
            after = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
            item = (f"Q{q} {y}", f"{y}-Q{q}", None, f"{y}-{3 * q - 2:02d}-01",
                    (after - timedelta(days=1)).isoformat())
        if item not in found:
            found.append(item)
    return found


class ReportsPage(Page):
    key, title = "reports", "Reports"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 now: datetime | None = None):
        super().__init__(ctx, parent)
        self.now = now  # None: the clock's; tests fix it
        self.month: str | None = None  # picked here or on the Dashboard; None: its default
        self.choices: Choices | None = None
        self.report: monthly.MonthlyReport | None = None  # what the preview shows
        self._answered = False
        self.folder = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())
        self.exported: Path | None = None
        self._choice_reads = Latest(ctx.tasks, self, "read the report's months and scopes")
        self._preview_reads = Latest(ctx.tasks, self, "make the report's preview")
        self._build()
        ctx.month_selected.connect(self._dashboard_month)

    # -- layout ----------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(QLabel("<h2>Reports</h2>"))
        # Three rows under one column of labels: what, whose, and the files.
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        self.kind = self._combo("Period kind", "A month, a quarter or a year")
        self.kind.addItems(KINDS)
        self.period = self._combo("Period", "The months, quarters or years with usage")
        self.vendor = self._combo("Vendor", "Only this vendor's usage")
        self.project = self._combo("Project", "Only this project's usage")
        for row, (label, first, second) in enumerate((
                ("Report for", self.kind, self.period),
                ("Scope", self.vendor, self.project))):
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(first, row, 1)
            grid.addWidget(second, row, 2)
        grid.setColumnStretch(3, 1)
        self.kind.activated.connect(lambda _i: self._fill_periods())
        self.period.activated.connect(self._period_picked)
        self.vendor.activated.connect(lambda _i: self._read_preview())
        self.project.activated.connect(lambda _i: self._read_preview())

        grid.addWidget(QLabel("Export as"), 2, 0)
        buttons = QHBoxLayout()
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt in FORMATS:
            button = QPushButton(f"{fmt.upper()}…")
            button.setToolTip(f"Save the report as a {fmt.upper()} file")
            button.clicked.connect(lambda _c=False, f=fmt: self.export(f))
            self.export_buttons[fmt] = button
            buttons.addWidget(button)
        grid.addLayout(buttons, 2, 1, 1, 2, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(grid)
        said = QHBoxLayout()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()  # until there is something to say: no gap above the preview
        said.addWidget(self.message, 1)
        self.open_folder = QPushButton("Open folder")
        self.open_folder.setToolTip("Show the folder the report was saved in")
        self.open_folder.clicked.connect(self._open_folder)
        self.open_folder.hide()
        said.addWidget(self.open_folder)
        layout.addLayout(said)

        self.change = ChangePanel(self.ctx, link=False)
        layout.addWidget(self.change)
        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Report preview")
        self.preview.setOpenLinks(False)
        self.preview.setFrameShape(QFrame.Shape.StyledPanel)
        layout.addWidget(self.preview, 1)
        self._enable(False)

    @staticmethod
    def _combo(name: str, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setToolTip(tip)
        # A fixed width: a long project name from an import must not widen the page.
        combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        return combo

    def _enable(self, ready: bool) -> None:
        for button in self.export_buttons.values():
            button.setEnabled(ready)

    # -- choosing ----------------------------------------------------------------------------------

    def _dashboard_month(self, first_day: date) -> None:
        self.month = f"{first_day:%Y-%m}"
        self.kind.setCurrentIndex(KINDS.index("Month"))
        self._mark_stale()

    def refresh(self) -> None:
        db, now = self.ctx.db, self.now
        self._choice_reads.read(lambda: read_choices(db, now), self._show_choices,
                                self._failed)

    def _show_choices(self, choices: Choices) -> None:
        self.choices = choices
        for combo, everything, names in ((self.vendor, "All vendors", choices.vendors),
                                         (self.project, "All projects", choices.projects)):
            kept = combo.currentData()
            combo.clear()
            combo.addItem(everything, None)
            for name in names:
                combo.addItem(name, name)
            combo.setCurrentIndex(max(combo.findData(kept), 0))
        self._fill_periods()

    def _fill_periods(self) -> None:
        if self.choices is None:
            return
        months = self.choices.months
        month = self.month or self.choices.default_month
        if month not in months:  # the Dashboard may show a month without usage
            months = tuple(sorted({*months, month}))
        kind = self.kind.currentText()
        self.period.clear()
        for label, stem, m, first, last in periods_of(kind, months):
            self.period.addItem(label, (stem, m, first, last))
            if m == month or (first and first <= f"{month}-01" <= last):
                self.period.setCurrentIndex(self.period.count() - 1)
        self._read_preview()

    def _period_picked(self, index: int) -> None:
        _stem, m, first, _last = self.period.itemData(index)
        self.month = m or first[:7]
        self._read_preview()

    def current_choice(self) -> ReportChoice | None:
        data = self.period.currentData()
        if data is None:
            return None
        stem, m, first, last = data
        return ReportChoice(self.period.currentText(), stem, m, first, last,
                            self.vendor.currentData(), self.project.currentData())

    # -- the preview -------------------------------------------------------------------------------

    def _read_preview(self) -> None:
        choice = self.current_choice()
        if choice is None:
            return
        db, now = self.ctx.db, _when(self.now)
        self.report, self._answered = None, False
        self._enable(False)
        self.change.clear()  # never the change of the period chosen before
        self.preview.setPlainText(f"Making the report for {choice.label}…")

        def job() -> tuple[monthly.MonthlyReport, str]:
            data = report_data(db, generated_at=now, **choice.arguments())
            return data, report_html.as_text(data)

        self._preview_reads.read(job, self._show_preview, self._failed)

    def _show_preview(self, found: tuple[monthly.MonthlyReport, str]) -> None:
        self.report, page = found
        self._answered = True
        self.preview.setHtml(page)
        self.change.show()
        period = self.report.period
        month = len(period.label) == 7  # "2026-04", not "2026-01-01 to 2026-03-31"
        running = self.choices is not None and period.label == self.choices.current
        self.change.show_change((month_title(period.label) if month else period.label)
                                + (" so far" if running else ""),
                                month_title(period.previous_label) if month
                                else period.previous_label, self.report.change,
                                self.report.currency)
        self._enable(True)

    def is_loaded(self) -> bool:
        """The preview of the latest choice is on screen, or why there is none."""
        return self._answered

    def _failed(self, exc: BaseException) -> None:
        self.report, self._answered = None, True
        self.change.hide()  # no report, no change to explain
        reason = expected_reason(exc)
        if reason is not None:
            text = f"No report: {reason}."
        else:
            text = f"The report could not be made: {exc} (details in {log_unexpected(exc)})"
        self.preview.setPlainText(text)

    # -- exporting ---------------------------------------------------------------------------------

    def export(self, fmt: str) -> None:
        choice = self.current_choice()
        if choice is None:
            return
        suggested = str(Path(self.folder) / choice.file_name(fmt))
        path, _filter = QFileDialog.getSaveFileName(
            self, f"Export the report as {fmt.upper()}", suggested, _FILTERS[fmt])
        if not path:
            return
        if not path.lower().endswith(f".{fmt}"):
            path += f".{fmt}"
        self.folder = str(Path(path).parent)
        self.exported = None
        self.open_folder.hide()
        self._say(f"Writing {Path(path).name}…")
        db, now, arguments = self.ctx.db, self.now, choice.arguments()
        title = f"export the report as {fmt.upper()}"
        if fmt in DRAWN:
            # The figures (the slow part: the month's queries) are gathered in the background;
            # only the drawing of the charts, Qt widgets, happens here on the GUI thread.
            def gather(*_progress) -> monthly.MonthlyReport:
                return report_data(db, generated_at=now, **arguments)

            def draw(report: monthly.MonthlyReport) -> None:
                self._export_here(lambda: save_report(db, report, fmt, path))

            self.ctx.tasks.read(gather, draw, self._export_failed, title=title)
        else:
            def job(*_progress) -> Path:
                return export_report(db, fmt, path, generated_at=now, **arguments)

            self.ctx.tasks.read(job, self._exported, self._export_failed, title=title)

    def _export_here(self, job) -> None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            path = job()
        except Exception as exc:  # shown to the person, as a failed background export is
            QApplication.restoreOverrideCursor()
            self._export_failed(exc)
        else:
            QApplication.restoreOverrideCursor()
            self._exported(path)

    def _exported(self, path: Path) -> None:
        self.exported = path
        self._say(f"Saved {path.name} in {path.parent}.")
        self.open_folder.show()

    def _export_failed(self, exc: BaseException) -> None:
        text = expected_reason(exc)
        if text is not None:
            text = f"Not exported: {text}"
        else:
            text = f"The report could not be written: {exc} (details in {log_unexpected(exc)})"
        self._say(text, warn=True)

    def _say(self, text: str, warn: bool = False) -> None:
        amber = warning_color(self.palette()).name()
        self.message.setText(f"<span style='color:{amber}'>{html.escape(text)}</span>"
                             if warn else html.escape(text))
        self.message.show()

    def _open_folder(self) -> None:
        if self.exported is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.exported.parent)))
