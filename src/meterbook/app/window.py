"""The main window: a sidebar of pages, menus, a toolbar and a status bar.

The window only arranges pages and routes commands to them; each page adapts core/store
functions (design.md). Files dropped anywhere on the window go to the Imports page. A page is
built on its first visit (pages/__init__.py says why); `window.pages[key]` builds it if need be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QToolBar,
    QWidget,
)  # fmt: skip

from meterbook import __version__
from meterbook.app.alert_banner import AlertTray
from meterbook.app.context import AppContext
from meterbook.app.formatting import billed_note, month_title, warning_color
from meterbook.app.icons import draw_icons
from meterbook.app.models.conversations_model import summary_money
from meterbook.app.pages import PAGES, PageEntry
from meterbook.app.pages.base import Page
from meterbook.app.tasks import Latest
from meterbook.app.view_state import restore_view_state, save_view_state
from meterbook.store.overview import MonthStatus, month_status

MAX_RECENT = 8
# The pages whose "this month" the window's clock fixes (tests pass a fixed `now`).
CLOCKED_PAGES = ("dashboard", "budgets")


class PagesOnVisit(Mapping[str, Page]):
    """The window's pages by key, in the sidebar's order. Every key is there from the start;
    its page is built by `build` on first access (a visit, a command that needs it, a test)."""

    def __init__(self, build: Callable[[PageEntry], Page]):
        self._entries = {entry.key: entry for entry in PAGES}
        self._build = build
        self._built: dict[str, Page] = {}

    def __getitem__(self, key: str) -> Page:
        page = self._built.get(key)
        if page is None:
            page = self._built[key] = self._build(self._entries[key])
        return page

    def __contains__(self, key: object) -> bool:
        return key in self._entries  # without building it

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def built(self) -> dict[str, Page]:
        """The pages built so far (the others have nothing to save or refresh)."""
        return dict(self._built)


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, settings: QSettings | None = None,
                 now: datetime | None = None):
        super().__init__()
        self.ctx = ctx
        self.now = now  # "this month" for the Dashboard and the status bar; None: the clock's
        self.settings = settings or QSettings()
        self.db_name = ctx.db.display_name + (" (read-only)" if ctx.db.read_only else "")
        self.setWindowTitle(f"Meterbook — {self.db_name}")
        self.setAcceptDrops(True)
        self.pages = PagesOnVisit(self._build_page)
        # The Dashboard's month as last picked (ctx.month_selected), for a page built later.
        self.selected_month: date | None = None
        ctx.usage_slice.connect(self._usage_slice)
        self._build_body()
        self.alert_tray = AlertTray(ctx, parent=self)  # new alerts pop up where there is a tray
        self._build_actions()
        self._build_status()
        ctx.open_page.connect(self.show_page)
        ctx.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        ctx.data_changed.connect(self.refresh_status)
        ctx.month_selected.connect(self._status_follows)
        ctx.tasks.busy_changed.connect(self._busy)
        self._restore()
        self._remember_recent(ctx.db.location)  # a server's URL without its password
        self.refresh_status()

    # -- layout ----------------------------------------------------------------------------------

    def _build_body(self) -> None:
        body = QWidget()
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        self.sidebar = QListWidget()
        self.sidebar.setFixedWidth(190)
        self.sidebar.setIconSize(QSize(20, 20))
        self.stack = QStackedWidget()
        for entry in PAGES:
            item = QListWidgetItem(entry.title)
            item.setData(Qt.ItemDataRole.UserRole, entry.key)
            self.sidebar.addItem(item)
        self.sidebar.currentRowChanged.connect(self._show_row)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)

    def _action(self, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        # triggered(bool) would hand its `checked` flag over as the list of files: ask for them.
        self.import_action = self._action("&Import usage…", lambda: self.import_files(None),
                                          QKeySequence.StandardKey.Open)
        self.refresh_action = self._action("&Refresh", self.ctx.changed,
                                           QKeySequence.StandardKey.Refresh)
        self.backup_action = self._action("&Back up database…", self.backup, None)
        # Each page's icon is resources/icons/KEY.svg; all in the palette's colours.
        draw_icons(self, [(self.sidebar.item(row), key) for row, key in enumerate(self.pages)]
                   + [(self.import_action, "import"), (self.refresh_action, "refresh"),
                      (self.backup_action, "backup")])
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self._action("&New database…", self.new_database,
                                         QKeySequence.StandardKey.New))
        file_menu.addAction(self._action("&Open database…", self.open_database, "Ctrl+Shift+O"))
        file_menu.addAction(self._action("Open database &server…",
                                         lambda: self.pages["settings"].open_database_url()))
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(self.backup_action)
        file_menu.addAction(self._action("Re&store from a backup…",
                                         lambda: self.restore_backup(None)))
        file_menu.addSeparator()
        file_menu.addAction(self.import_action)
        file_menu.addAction(self._action("&Export plans…", self.export_plans, "Ctrl+E"))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))
        edit_menu = menu.addMenu("&Edit")
        edit_menu.addAction(self._action("&Copy", self._copy, QKeySequence.StandardKey.Copy))
        edit_menu.addAction(self._action("&Settings…", lambda: self.show_page("settings"),
                                         QKeySequence.StandardKey.Preferences))
        view_menu = menu.addMenu("&View")
        for number, entry in enumerate(PAGES, start=1):
            shortcut = f"Ctrl+{number}" if number < 10 else None
            view_menu.addAction(self._action(entry.title, lambda _=False, k=entry.key:
                                             self.show_page(k), shortcut))
        view_menu.addSeparator()
        view_menu.addAction(self.refresh_action)
        tools_menu = menu.addMenu("&Tools")
        self.planner_action = self._action("Plan a &budget…", self.plan_budget)
        tools_menu.addAction(self.planner_action)
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("&About Meterbook", self.about))
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.import_action, self.refresh_action, self.backup_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)

    def _build_status(self) -> None:
        bar = self.statusBar()
        self.db_label = QLabel(self.db_name)
        self.spend_label = QLabel()
        self.unpriced_label = QLabel()
        # The status bar shows the Dashboard's month (None: the one the Dashboard opens on).
        self.status_month: str | None = None
        self._status_reads = Latest(self.ctx.tasks, self, "read the month's spend")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setRange(0, 0)
        self.progress.hide()
        bar.addWidget(self.db_label, 1)
        bar.addPermanentWidget(self.unpriced_label)
        bar.addPermanentWidget(self.spend_label)
        bar.addPermanentWidget(self.progress)

    # -- pages -----------------------------------------------------------------------------------

    def _build_page(self, entry: PageEntry) -> Page:
        """A page on its first visit (PagesOnVisit): built, put in the stack, its column widths
        and splitters as the person left them, and told what it missed while it did not exist."""
        clock = {"now": self.now} if entry.key in CLOCKED_PAGES else {}
        page = entry.page_class()(self.ctx, **clock)
        self.stack.addWidget(page)
        restore_view_state(self.settings, entry.key, page)
        if self.selected_month is not None and entry.key == "budgets":
            page.select_month(self.selected_month)
        elif self.selected_month is not None and entry.key == "reports":
            page._dashboard_month(self.selected_month)
        return page

    def _show_row(self, row: int) -> None:
        if 0 <= row < len(PAGES):
            self.stack.setCurrentWidget(self.pages[PAGES[row].key])

    def _usage_slice(self, wanted: tuple) -> None:
        """A chart's bar clicked before the Usage page was ever shown: the page is built now
        and shown the slice (once built, it follows ctx.usage_slice itself)."""
        if "usage" not in self.pages.built():
            self.pages["usage"].show_slice(*wanted)

    def show_page(self, key: str) -> None:
        keys = list(self.pages)
        if key in keys:
            self.sidebar.setCurrentRow(keys.index(key))

    def current_page(self) -> Page:
        return self.stack.currentWidget()

    def _status_follows(self, first_day: date) -> None:
        # The pages built already follow ctx.month_selected themselves; one built later is
        # given the month by _build_page.
        self.selected_month = first_day
        self.status_month = f"{first_day:%Y-%m}"
        self.refresh_status()

    def refresh_status(self) -> None:
        ctx, now, month = self.ctx, self.now, self.status_month
        self._status_reads.read(
            lambda: month_status(ctx.db, ctx.report_timezone(), now=now, month=month),
            self._show_status)

    def _show_status(self, status: MonthStatus) -> None:
        """'This month: $42.20', 'February 2026: $19.97 (includes $19.97 billed by vendors)',
        or 'February 2026: unavailable (no USD rate)': the Dashboard's figures, in short."""
        figures, currency, choice = status.figures, status.currency, status.choice
        when = "This month" if choice.month == choice.current else month_title(choice.month)
        if figures.cost is None:
            lacking = ", ".join(sorted({c for c, _m in figures.missing_rates}))
            spent = f"unavailable (no {lacking} rate)"
        else:
            spent = summary_money(figures.cost, currency)
            note = billed_note(figures.billed, summary_money(figures.billed or 0, currency))
            spent += f" ({note})" if note else ""
        self.spend_label.setText(f"{when}: {spent}")
        unpriced = figures.unpriced_requests
        self.unpriced_label.setText(f"{unpriced:,} unpriced requests" if unpriced else "")
        color = warning_color(self.palette()).name()
        self.unpriced_label.setStyleSheet(f"color: {color};" if unpriced else "")
        self.spend_label.setStyleSheet(f"color: {color};" if figures.cost is None else "")

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)

    # -- commands --------------------------------------------------------------------------------

    def import_files(self, paths: list[str] | None = None) -> None:
        self.show_page("imports")
        page = self.pages["imports"]
        if hasattr(page, "import_files"):
            page.import_files(paths)

    def backup(self) -> None:
        page = self.pages["settings"]
        if hasattr(page, "backup"):
            page.backup()

    def restore_backup(self, path: str | None = None) -> None:
        """File > Restore…: put a backup in place of this database (store/restore.py keeps a
        copy of what it replaces), then open the restored database in a new window."""
        database = self.ctx.db.path
        if database is None or self.ctx.db.read_only:
            QMessageBox.information(self, "Restore", (
                "This database is on a server: restore it with the server's tools."
                if database is None else
                f"{database} is read-only: a backup cannot be restored into it."))
            return
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Restore a backup", str(database.parent),
                "Meterbook backup (*.db *.bak-*);;All files (*)")
        if not path:
            return
        answer = QMessageBox.question(self, "Restore", (
            f"Replace everything in {database.name} with the backup {Path(path).name}?\n\n"
            f"A copy of {database.name} as it is now is kept beside it."))
        if answer != QMessageBox.StandardButton.Yes:
            return
        from meterbook.store.restore import restore

        self.ctx.tasks.write("Restoring the backup",
                             lambda _p, _c: restore(database, Path(path), datetime.now()),
                             self._restored,
                             lambda exc: QMessageBox.warning(self, "Restore", str(exc)))

    def _restored(self, done) -> None:
        kept = (f"\n\nThe database it replaced is kept beside it as {done.kept.name}."
                if done.kept else "")
        QMessageBox.information(self, "Restore", (
            f"Restored {done.backup.path.name} ({done.backup.records:,} records) into "
            f"{done.database.name}.{kept}"))
        self.ctx.switch_database.emit(str(done.database))

    def plan_budget(self) -> None:
        """Tools > Plan a budget…: the planner dialog (its module imported only now)."""
        from meterbook.app.pages.planner_dialog import open_planner

        self.planner = open_planner(self.ctx, self, self.now)

    def new_database(self) -> None:
        self.pages["settings"].new_database()

    def open_database(self) -> None:
        self.pages["settings"].open_database()

    def export_plans(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plans", "plans.toml",
                                              "Plan files (*.toml)")
        if not path:
            return
        from meterbook.store.plan_ops import export_plans

        Path(path).write_text(export_plans(self.ctx.db), encoding="utf-8")
        self.ctx.status.emit(f"Plans exported to {path}")

    def _copy(self) -> None:
        widget = QApplication.focusWidget()
        if widget is not None and hasattr(widget, "copy"):
            widget.copy()

    def about(self) -> None:
        QMessageBox.about(self, "About Meterbook", (
            f"<h3>Meterbook {__version__}</h3>"
            "<p>What your AI vendors cost, priced exactly from your own exports, offline.</p>"
            f"<p>Database: {self.ctx.db.display_name}</p>"))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.value("recent", [], list) or []:
            self.recent_menu.addAction(self._action(path, lambda _=False, p=path:
                                                    self.ctx.switch_database.emit(p)))

    def _remember_recent(self, path: str) -> None:
        recent = [p for p in (self.settings.value("recent", [], list) or []) if p != path]
        self.settings.setValue("recent", [path, *recent][:MAX_RECENT])

    # -- drag and drop ---------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    # -- state -------------------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        last = self.settings.value("window/page", "dashboard")
        self.show_page(last if last in self.pages else "dashboard")

    def closeEvent(self, event) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/page", self.current_page().key)
        for key, page in self.pages.built().items():
            save_view_state(self.settings, key, page)
        # Cancelling an import rolls it back: the database stays as it was.
        self.ctx.tasks.shutdown()
        self.alert_tray.close()
        super().closeEvent(event)

    def open_url(self, url: str) -> None:
        QDesktopServices.openUrl(QUrl(url))
