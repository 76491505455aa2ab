"""The Settings page: home currency, report time zone, exchange rates, and the database file.

Every change goes through the one writer (ctx.tasks.write) with store/settings.py's functions,
then ctx.changed() so that every page shows figures in the new terms. Copies of the database
(Back up, Move) are the store's (store/backup.py): complete and checked, or no file at all.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.formatting import file_size, missing_rates_text, warning_color
from meterbook.app.pages.base import Page
from meterbook.app.pages.rate_dialogs import (
    COMMON_CURRENCIES,
    RateDialog,
    add_missing_rates,
    hint_label,
    known_currencies,
)  # fmt: skip
from meterbook.app.tables import configure_table
from meterbook.app.tasks import Latest
from meterbook.store import settings as store
from meterbook.store.backup import copy_database
from meterbook.store.errors import RatesFileError
from meterbook.store.overview import missing_rates
from meterbook.store.readers import computer_timezone
from meterbook.store.restore import default_backup_path


def read_settings(db) -> tuple[str, str | None, list, str, int | None, str | None, str]:
    """(home currency, saved time zone, rates, this computer's zone, size of the file,
    company name, report paper)."""
    with db.session() as session:
        values = (store.home_currency(session), store.report_timezone(session),
                  store.list_rates(session))
        report = (store.company_name(session.connection()),
                  store.paper_size(session.connection()))
    size = None
    if db.path is not None:
        size = sum(p.stat().st_size for p in (db.path, db.path.with_name(db.path.name + "-wal"))
                   if p.exists())
    return (*values, computer_timezone(), size, *report)


class SettingsPage(Page):
    key, title = "settings", "Settings"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.home = "USD"
        self.timezone: str | None = None
        self.company: str | None = None  # the report's company name and paper, as saved
        self._report_edits = 0  # company/paper changes made here, newest last
        self.paper = ""
        self.rates: list[tuple] = []
        self.rate_dialog: RateDialog | None = None
        self._known = known_currencies()
        outer = QVBoxLayout(self)
        outer.addWidget(QLabel("<h2>Settings</h2>"))
        # In a scroll area: the window may be made smaller than the sections side by side.
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self._build_money(), 1)
        top.addWidget(self._build_database(), 1)
        layout.addLayout(top)
        layout.addWidget(self._build_rates(), 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)

    # -- building --------------------------------------------------------------------------------

    def _build_money(self) -> QWidget:
        box = QGroupBox("Money and time")
        form = QFormLayout(box)
        self.currency_combo = QComboBox()
        self.currency_combo.setEditable(True)
        self.currency_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for code, name in COMMON_CURRENCIES.items():
            self.currency_combo.addItem(code)
            self.currency_combo.setItemData(self.currency_combo.count() - 1, name,
                                            Qt.ItemDataRole.ToolTipRole)
        self.currency_combo.lineEdit().setMaxLength(3)
        self.currency_combo.activated.connect(lambda _i: self.save_currency())
        self.currency_combo.lineEdit().editingFinished.connect(self.save_currency)
        self.currency_name = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.currency_combo)
        row.addWidget(self.currency_name, 1)
        form.addRow("Home currency:", row)
        form.addRow("", hint_label("Totals, budgets and reports are shown in this currency; costs "
                                   "in other currencies are converted with the rates below."))

        self.tz_combo = QComboBox()
        self.tz_combo.setEditable(True)
        self.tz_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.tz_combo.addItem("")  # not set: the computer's zone
        self.tz_combo.addItems(sorted(zoneinfo.available_timezones() | {"UTC"}))
        self.tz_combo.lineEdit().setPlaceholderText("this computer's zone")
        completer = QCompleter(self.tz_combo.model(), self.tz_combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)  # "paris" finds Europe/Paris
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tz_combo.setCompleter(completer)
        self.tz_combo.activated.connect(lambda _i: self.save_timezone())
        self.tz_combo.lineEdit().editingFinished.connect(self.save_timezone)
        form.addRow("Report time zone:", self.tz_combo)
        form.addRow("", hint_label("Days and months are counted in this zone. Leave it empty "
                                   "to use this computer's zone."))
        self.company_edit = QLineEdit()
        self.company_edit.setPlaceholderText("printed at the top of every report")
        self.company_edit.editingFinished.connect(self.save_report_settings)
        form.addRow("Company name:", self.company_edit)
        self.paper_combo = QComboBox()
        self.paper_combo.addItem("A4", "a4")
        self.paper_combo.addItem("US Letter", "letter")
        self.paper_combo.activated.connect(lambda _i: self.save_report_settings())
        form.addRow("Report paper:", self.paper_combo)
        self.money_problem = QLabel()
        self.money_problem.setStyleSheet("color: #b91c1c;")
        self.money_problem.setWordWrap(True)
        form.addRow(self.money_problem)
        return box

    def _build_rates(self) -> QWidget:
        box = QGroupBox("Exchange rates")
        layout = QVBoxLayout(box)
        self.rates_note = hint_label("")
        layout.addWidget(self.rates_note)
        self.rates_table = QTableWidget(0, 3)
        self.rates_table.setHorizontalHeaderLabels(["Currency", "Month", "Rate"])
        configure_table(self.rates_table)
        self.rates_table.verticalHeader().hide()
        self.rates_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rates_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rates_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rates_table.setAlternatingRowColors(True)
        self.rates_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.rates_table.itemSelectionChanged.connect(self._update_buttons)
        self.rates_table.doubleClicked.connect(lambda _i: self.edit_rate())
        layout.addWidget(self.rates_table)
        # Every rate the figures lack, at once (the Dashboard's button opens the same editor).
        self.missing: tuple = ()
        self.missing_home = self.home
        self._missing_reads = Latest(self.ctx.tasks, self, "read the missing exchange rates")
        missing_row = QHBoxLayout()
        self.missing_note = QLabel()
        self.missing_note.setWordWrap(True)
        missing_row.addWidget(self.missing_note, 1)
        self.add_missing_button = _button("Add missing rates…", self.add_missing_rates,
                                          missing_row)
        self.missing_note.hide()
        self.add_missing_button.hide()
        layout.addLayout(missing_row)
        row = QHBoxLayout()
        self.add_rate_button = _button("Add…", self.add_rate, row)
        self.edit_rate_button = _button("Edit…", self.edit_rate, row)
        self.delete_rate_button = _button("Delete", self.delete_rate, row)
        row.addStretch(1)
        self.import_rates_button = _button("Import CSV…", self.import_rates, row)
        layout.addLayout(row)
        self._update_buttons()
        return box

    def _build_database(self) -> QWidget:
        box = QGroupBox("Database")
        layout = QVBoxLayout(box)
        self.db_label = QLabel(self.ctx.db.display_name)
        self.db_label.setWordWrap(True)
        self.db_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where = "file" if self.ctx.db.path is not None else "database (password not shown)"
        layout.addWidget(QLabel(f"Everything Meterbook knows is kept in this {where}:"))
        layout.addWidget(self.db_label)
        row = QHBoxLayout()
        _button("Open…", self.open_database, row)
        _button("Server…", lambda: self.open_database_url(), row)
        _button("New…", self.new_database, row)
        self.move_button = _button("Move…", self.move_database, row)
        self.backup_button = _button("Back up…", lambda: self.backup(), row)
        row.addStretch(1)
        layout.addLayout(row)
        self.db_note = hint_label("A backup is a copy you can open like any database; keep one "
                                  "somewhere else than this computer.")
        layout.addWidget(self.db_note)
        layout.addStretch(1)
        if self.ctx.db.path is None:  # a database server: copies are the server's business
            self.move_button.setEnabled(False)
            self.backup_button.setEnabled(False)
            self.db_note.setText("This database is on a server: back it up with the server's "
                                 "own tools.")
        elif self.ctx.db.read_only:  # a copy can be made, the file cannot be moved or changed
            self.move_button.setEnabled(False)
            self.db_note.setText("This database is read-only (the file or its folder cannot be "
                                 "written): everything can be seen, nothing changed. Back up "
                                 "makes a copy you can change.")
        return box

    # -- reading ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        db = self.ctx.db
        edits = self._report_edits
        self.ctx.tasks.read(lambda: read_settings(db), lambda v: self._show(v, edits))
        self._read_missing()

    def _show(self, values, edits: int | None = None) -> None:
        self.home, self.timezone, self.rates, here, size, company, paper = values
        # A read begun before the person's latest company/paper change would put the old
        # values back (and the next save would write them): only a read begun after it may.
        if edits is None or edits == self._report_edits:
            self.company, self.paper = company, paper
            if not self.company_edit.hasFocus():
                self.company_edit.setText(company or "")
            self.paper_combo.setCurrentIndex(max(self.paper_combo.findData(paper), 0))
        tz = self.timezone
        self.tz_combo.lineEdit().setPlaceholderText(f"this computer's zone ({here})")
        self.db_label.setText(self.ctx.db.display_name
                              + (f"  ({file_size(size)})" if size is not None else ""))
        if not self.currency_combo.lineEdit().hasFocus():
            self.currency_combo.setCurrentText(self.home)
        self.currency_name.setText(COMMON_CURRENCIES.get(self.home, ""))
        if not self.tz_combo.lineEdit().hasFocus():
            self.tz_combo.setCurrentText(tz or "")
        self.rates_table.setHorizontalHeaderLabels(["Currency", "Month",
                                                    f"Rate (in {self.home})"])
        self.rates_table.setRowCount(len(self.rates))
        for r, (currency, month, rate) in enumerate(self.rates):
            for c, value in enumerate((currency, month, str(rate))):
                item = QTableWidgetItem(value)
                if c == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.rates_table.setItem(r, c, item)
        self._show_rates_note()
        self._update_buttons()

    def _show_rates_note(self) -> None:
        """Called by both reads (settings, missing rates), which answer in either order."""
        note = (f"What one unit of another currency was worth in {self.home}, month by "
                "month. A cost in a currency without a rate for its month is shown as "
                "missing, never as 0.")
        if not self.rates and not self.missing:  # when some are missing, their list says so
            note += (f" No rates yet: they are needed only for plans or bills in another "
                     f"currency than {self.home}.")
        self.rates_note.setText(note)

    def _read_missing(self) -> None:
        ctx = self.ctx
        self._missing_reads.read(lambda: missing_rates(ctx.db, ctx.report_timezone()),
                                 self._show_missing)

    def _show_missing(self, answer) -> None:
        home, missing = answer
        self.missing, self.missing_home = missing, home
        if missing:
            self.missing_note.setText(missing_rates_text(missing, home) + ".")
            self.missing_note.setStyleSheet(f"color: {warning_color(self.palette()).name()};")
        self.missing_note.setVisible(bool(missing))
        self.add_missing_button.setVisible(bool(missing))
        self._show_rates_note()

    def add_missing_rates(self) -> None:
        if self.missing:
            add_missing_rates(self.window(), self.ctx, self.missing_home, self.missing)

    # -- home currency and time zone ------------------------------------------------------------

    def save_currency(self) -> None:
        text = self.currency_combo.currentText()
        try:
            code = store.normalize_currency(text)
        except ValueError as exc:
            self.money_problem.setText(str(exc))
            return
        warning = "" if code in self._known else (
            f"{code} is not a currency code Meterbook knows; check it is the ISO code.")
        self.money_problem.setText(warning)
        if code == self.home:
            return
        rates_note = bool(self.rates)
        self._write(f"Home currency {code}",
                    lambda session: store.set_home_currency(session, code=code),
                    f"Home currency set to {code}."
                    + (" The saved exchange rates were entered against the old one: check "
                       "them." if rates_note else ""))
        self.home = code  # a second editingFinished must not save it again

    def save_timezone(self) -> None:
        text = self.tz_combo.currentText().strip()
        try:
            name = store.canonical_timezone(text) if text else None
        except ValueError as exc:
            self.money_problem.setText(f"{exc}: pick one from the list, such as "
                                       "Europe/Paris.")
            return
        self.money_problem.clear()
        if name == self.timezone:
            return  # focus leaving the field is no change
        self.timezone = name
        self._write("Report time zone", lambda session: store.set_report_timezone(
            session, name=name), f"Report time zone set to {name or 'this computer’s zone'}.")

    def save_report_settings(self) -> None:
        """The company name and paper the PDF report uses (`meterbook settings --company`)."""
        company = " ".join(self.company_edit.text().split()) or None
        paper = self.paper_combo.currentData()
        if (company, paper) == (self.company, self.paper):
            return  # focus leaving the field is no change
        self.company, self.paper = company, paper
        self._report_edits += 1

        def change(session) -> None:
            store.set_company_name(session, name=company or "")
            store.set_paper_size(session, paper=paper)

        self._write("Report settings", change, "Report company name and paper saved.")

    # -- exchange rates ----------------------------------------------------------------------------

    def selected_rate(self) -> tuple | None:
        rows = self.rates_table.selectionModel().selectedRows()
        return self.rates[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected_rate() is not None
        self.edit_rate_button.setEnabled(chosen)
        self.delete_rate_button.setEnabled(chosen)

    def add_rate(self) -> None:
        self._open_rate_dialog(None)

    def edit_rate(self) -> None:
        rate = self.selected_rate()
        if rate is not None:
            self._open_rate_dialog(rate)

    def _open_rate_dialog(self, old: tuple | None) -> None:
        dialog = RateDialog(self, self.home, old)
        dialog.accepted.connect(lambda: self._save_rate(dialog, old))
        dialog.finished.connect(lambda _code: setattr(self, "rate_dialog", None))
        self.rate_dialog = dialog
        dialog.open()  # not exec(): the window keeps painting, tests can fill it in

    def _save_rate(self, dialog: RateDialog, old: tuple | None) -> None:
        currency, month, rate = dialog.values()

        def change(session) -> None:
            if old is not None and (old[0], old[1]) != (currency, month):
                store.delete_rate(session, currency=old[0], month=old[1])
            store.set_rate(session, currency=currency, month=month, rate=rate)

        self._write("Exchange rate", change, f"1 {currency} = {rate} {self.home} in {month}.")

    def delete_rate(self) -> None:
        rate = self.selected_rate()
        if rate is None:
            return
        currency, month, _value = rate
        answer = QMessageBox.question(self, "Delete exchange rate",
                                      f"Delete the {currency} rate of {month}?")
        if answer == QMessageBox.StandardButton.Yes:
            self._write("Exchange rate", lambda session: store.delete_rate(
                session, currency=currency, month=month), f"{currency} {month} deleted.")

    def import_rates(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import exchange rates", "",
                                                  "CSV files (*.csv);;All files (*)")
        if path:
            self._write("Import rates", lambda session: store.import_rates_csv(
                session, path=path), None)

    # -- the database file -------------------------------------------------------------------------

    def open_database(self) -> None:
        """Another database in place of this one (File > Open, and this page's Open)."""
        path, _ = QFileDialog.getOpenFileName(self, "Open a Meterbook database", "",
                                              "Meterbook database (*.db);;All files (*)")
        if path:
            self.ctx.switch_database.emit(path)

    def open_database_url(self, url: str | None = None) -> None:
        """A team's database on a server, by its URL (File > Open database server…). The
        password is best left out of it: the driver reads PGPASSWORD or ~/.pgpass, and
        Meterbook remembers the URL without it."""
        if url is None:
            url, ok = QInputDialog.getText(
                self, "Open a database server",
                "The database's URL, e.g. postgresql+psycopg://ana@db.example.com/meterbook\n"
                "(leave the password out: it is read from PGPASSWORD or ~/.pgpass)")
            if not ok:
                return
        url = url.strip()
        if url:
            self.ctx.switch_database.emit(url)

    def new_database(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New Meterbook database", "meterbook.db",
                                              "Meterbook database (*.db)")
        if path:
            self.ctx.switch_database.emit(path)

    def backup(self, path: str | None = None) -> None:
        """Copy the database to a file the user chooses (the toolbar's Back up)."""
        source = self.ctx.db.path
        if source is None:
            self.ctx.status.emit("This database is on a server: back it up with its tools.")
            return
        if path is None:
            suggested = default_backup_path(source, date.today())
            path, _ = QFileDialog.getSaveFileName(self, "Back up the database", str(suggested),
                                                  "Meterbook database (*.db)")
        if not path:
            return
        target = Path(path)
        if target.resolve() == source.resolve():
            QMessageBox.warning(self, "Back up", "Choose another file than the database "
                                "itself.")
            return
        self.backup_button.setEnabled(False)
        self.ctx.tasks.write("Backing up", lambda _p, _c: copy_database(source, target),
                             lambda _r: self._copied(f"Backed up to {target}."),
                             lambda exc: self._copy_failed("The backup failed", exc))

    def move_database(self, path: str | None = None) -> None:
        """Copy the database to a new place, reopen it there, then remove the old file."""
        source = self.ctx.db.path
        if source is None:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Move the database to",
                                                  str(Path.home() / source.name),
                                                  "Meterbook database (*.db)")
        if not path or Path(path).resolve() == source.resolve():
            return
        target = Path(path)
        self.move_button.setEnabled(False)
        self.ctx.tasks.write("Moving the database",
                             lambda _p, _c: copy_database(source, target),
                             lambda _r: self._reopen(source, target),
                             lambda exc: self._copy_failed("The database was not moved", exc))

    def _copied(self, message: str) -> None:
        self.backup_button.setEnabled(True)
        self.db_note.setText(message)
        self.ctx.status.emit(message)

    def _copy_failed(self, what: str, exc: BaseException) -> None:
        self.backup_button.setEnabled(True)
        self.move_button.setEnabled(True)
        QMessageBox.warning(self, "Meterbook", f"{what}: {exc}. Nothing was changed.")

    def _reopen(self, old: Path, new: Path) -> None:
        """Open the copy in place of this database; only once that worked (this context is
        closed then) remove the old file, with its WAL and shared-memory files."""
        moved = []

        def remove_old() -> None:
            moved.append(new)
            _remove_database_files(old, new)

        self.ctx.closed.connect(remove_old)
        self.ctx.switch_database.emit(str(new))
        if not moved:  # the copy did not open: the old file stays the database
            self.ctx.closed.disconnect(remove_old)
            self.move_button.setEnabled(True)

    # -- writing -----------------------------------------------------------------------------------

    def _write(self, title: str, change, done_message: str | None) -> None:
        """Run `change(session)` on the writer, commit, then tell every page."""
        db = self.ctx.db

        def job(_progress, _cancelled):
            with db.session() as session:
                result = change(session)
                session.commit()
                return result

        def done(result) -> None:
            self.ctx.status.emit(done_message or f"{result} exchange rate(s) imported.")
            self.ctx.changed()  # every page reloads, this one too

        self.ctx.tasks.write(title, job, done, self._write_failed)

    def _write_failed(self, exc: BaseException) -> None:
        if isinstance(exc, RatesFileError):
            lines = str(exc).splitlines()
            shown = "\n".join(lines[:20]) + (f"\n… and {len(lines) - 20} more" if len(lines)
                                             > 20 else "")
            QMessageBox.warning(self, "Import exchange rates",
                                f"No rate was imported: the file has problems.\n\n{shown}")
        else:
            QMessageBox.warning(self, "Settings", f"The change was not saved: {exc}")
        self.refresh()


def _button(text: str, slot, row: QHBoxLayout) -> QPushButton:
    button = QPushButton(text)
    button.clicked.connect(lambda _checked=False: slot())
    row.addWidget(button)
    return button


def _remove_database_files(old: Path, new: Path) -> None:
    left = []
    for path in (old, old.with_name(old.name + "-wal"), old.with_name(old.name + "-shm")):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            left.append(path.name)
    if left:
        QMessageBox.information(None, "Meterbook", (
            f"The database now lives in {new}. The old file could not be removed "
            f"({', '.join(left)}); you may delete it."))
