"""The Imports page: drop usage exports, see what they are, import them, undo an import.

The flow for the files of one drop (one batch, as usage-data.md promises):
1. read the first lines of each file and recognise its format, on a reader thread;
2. for a CSV no format knows, the column-mapping dialog (one per distinct header);
3. import_files on the one writer, with a progress bar and Cancel (the pipeline rolls back);
4. the result: what was added, or the refused lines with "Import the valid lines".
The history below lists the batches, each undoable.

Workers never touch widgets: the functions at the top are plain Python run by ctx.tasks, and
the page hears back through their callbacks on the UI thread.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.formatting import count, file_size, plural
from meterbook.app.pages.base import Page
from meterbook.app.pages.import_words import (
    import_notes,
    known_formats,
    month_text,
    summary_text,
)  # fmt: skip
from meterbook.app.pages.mapping_dialog import MappingDialog
from meterbook.app.tables import configure_table
from meterbook.importers import pipeline
from meterbook.importers.errors import ImportRefused, LineError
from meterbook.importers.mapped_import import Mapped, import_mapped
from meterbook.importers.mapping import ColumnMapping
from meterbook.importers.mapping_form import FileInfo, MappingForm, inspect_file, saved_profiles
from meterbook.store.batches import undo_batch
from meterbook.store.import_history import BatchSummary, batch_summary, history_rows

SHOWN_ERRORS = 1000  # a file with a million bad lines must not freeze the table


def _by_header(infos: list[FileInfo]) -> list[list[FileInfo]]:
    """One dialog per distinct header: files of the same shape share a mapping."""
    groups: dict[tuple, list[FileInfo]] = {}
    for info in infos:
        groups.setdefault(tuple(info.header), []).append(info)
    return list(groups.values())


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    configure_table(table)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    table.setMinimumHeight(40)  # the window may be small: the tables scroll
    table.setTabKeyNavigation(False)  # arrows move in the table; Tab moves on (to Undo...)
    return table


def _cell(value, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(count(value) if isinstance(value, int) else str(value))
    if right or isinstance(value, int):
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _lines_box(title: str, what: str, columns: bool = True) -> tuple[QGroupBox, QTableWidget]:
    """A titled table of lines of the files: refused ones, or ones to check (whose warnings
    name no column)."""
    box = QGroupBox(title)
    table = _table(["File", "Line", *(["Column"] if columns else []), what])
    header = table.horizontalHeader()
    for column in range(table.columnCount() - 1):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    QVBoxLayout(box).addWidget(table)
    return box, table


# --- the page ---------------------------------------------------------------------------------


class ImportsPage(Page):
    key, title = "imports", "Imports"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.task = None  # the running import (a Task), for Cancel
        self.mapping_dialog: MappingDialog | None = None
        self._busy = False  # from a drop until its result is shown
        self._closed = False  # the window closed: start nothing more
        self._watching = None
        self._paths: list[str] = []
        self._infos: list[FileInfo] = []
        self._mapped: dict[str, Mapped] = {}
        self._to_map: list[list[FileInfo]] = []
        self._profiles: dict[str, ColumnMapping] = {}
        self._refused: set[str] = set()  # names of the files the last refusal named
        self._shown_batch: int | None = None  # the import the headline tells of
        self._remapping = False  # the dialog is for files refused, not for unknown ones
        self._month: date | None = None  # the month "Show ..." opens

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Imports</h2>"))
        top.addStretch(1)
        self.choose_button = QPushButton("Import files…")
        self.choose_button.clicked.connect(lambda: self.import_files(None))
        top.addWidget(self.choose_button)
        layout.addLayout(top)

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_drop_zone())
        self.stack.addWidget(self._build_current())
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.stack)
        splitter.addWidget(self._build_history())
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout.addWidget(splitter, 1)

    # -- building --------------------------------------------------------------------------------

    def _build_drop_zone(self) -> QWidget:
        zone = QFrame()
        zone.setObjectName("dropZone")
        zone.setStyleSheet("#dropZone { border: 2px dashed palette(mid); border-radius: 8px; }")
        layout = QVBoxLayout(zone)
        layout.addStretch(1)
        known = known_formats()
        text = QLabel(
            "<p style='font-size:14pt'>Drop usage exports anywhere on this window</p>"
            "<p>or use <b>Import files…</b> (File ▸ Import usage, Ctrl+O). Several files "
            "dropped together become one import, which you can undo below.</p>"
            f"<p style='color:gray'>Recognised without help: {known}. Any other CSV is read "
            "through a column mapping that you set once.</p>")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(text)
        layout.addStretch(1)
        return zone

    def _build_current(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.valid_button = QPushButton("Import the valid lines")
        self.valid_button.clicked.connect(self.import_valid_lines)
        self.valid_button.hide()
        self.map_button = QPushButton("Map the columns…")
        self.map_button.setToolTip("Say by hand what each column of the refused file holds, "
                                   "and import it again")
        self.map_button.clicked.connect(self.map_refused)
        self.map_button.hide()
        self.month_button = QPushButton()
        self.month_button.clicked.connect(self.show_month)
        self.month_button.hide()
        headline_row = QHBoxLayout()
        headline_row.addWidget(self.headline, 1)
        for button in (self.month_button, self.valid_button, self.map_button):
            headline_row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(headline_row)

        progress_row = QHBoxLayout()
        progress_row.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress_label = QLabel()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        self.progress_box.setLayout(progress_row)
        layout.addWidget(self.progress_box)

        files_row = QHBoxLayout()
        self.file_list = QListWidget()
        self.file_list.setMaximumWidth(280)
        self.file_list.currentRowChanged.connect(self._show_preview)
        preview_box = QVBoxLayout()
        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        self.preview = _table([])
        preview_box.addWidget(self.preview_label)
        preview_box.addWidget(self.preview, 1)
        files_row.addWidget(self.file_list)
        files_row.addLayout(preview_box, 1)
        layout.addLayout(files_row, 1)  # the refused lines, when any, matter more

        self.refused_box, self.refused_table = _lines_box("Refused lines", "What is wrong")
        layout.addWidget(self.refused_box, 2)
        # Imported all the same, but worth a look (dated after the import).
        self.checked_box, self.checked_table = _lines_box("Lines to check", "What to check",
                                                         columns=False)
        self.checked_box.hide()
        layout.addWidget(self.checked_box, 2)
        return box

    def _build_history(self) -> QWidget:
        box = QGroupBox("Import history")
        layout = QVBoxLayout(box)
        self.history = _table(["#", "Imported", "Files", "Format", "Lines", "Added",
                               "Already there", "Refused"])
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.history.horizontalHeader()
        header.setStretchLastSection(False)
        for column in (0, 1, 3, 4, 5, 6, 7):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.history.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.history)
        row = QHBoxLayout()
        self.history_note = QLabel()
        self.history_note.setStyleSheet("color: gray;")
        row.addWidget(self.history_note, 1)
        self.undo_button = QPushButton("Undo this import…")
        self.undo_button.clicked.connect(self.undo_selected)
        row.addWidget(self.undo_button)
        layout.addLayout(row)
        self._update_buttons()
        return box

    # -- history ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        ctx = self.ctx
        self.ctx.tasks.read(lambda: history_rows(ctx.db, ctx.report_timezone()),
                            self._show_history, self._read_failed)

    def _show_history(self, rows: list[tuple]) -> None:
        # The selection stays with its import, never with a row number: after an undo the next
        # import must not slip under the selection with Undo enabled.
        kept = self.selected_batch()
        self.history.clearSelection()
        self.history.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = _cell(value)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, value)
                self.history.setItem(r, c, item)
            if row[0] == kept:
                self.history.selectRow(r)
        self.history_note.setText("No imports yet." if not rows else
                                  "Undo removes an import's records and re-prices what "
                                  "depended on them.")
        self._update_buttons()

    def _read_failed(self, exc: BaseException) -> None:
        self.history_note.setText(f"The history cannot be read: {exc}")

    def selected_batch(self) -> int | None:
        rows = self.history.selectionModel().selectedRows()
        if not rows:
            return None
        return self.history.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def _update_buttons(self) -> None:
        self.undo_button.setEnabled(self.selected_batch() is not None and not self._busy)

    def undo_selected(self) -> None:
        batch = self.selected_batch()
        if batch is None:
            return
        row = self.history.selectionModel().selectedRows()[0].row()
        files, added = self.history.item(row, 2).text(), self.history.item(row, 5).text()
        answer = QMessageBox.question(
            self, "Undo import",
            f"Undo import #{batch} ({files})?\n\nIts {added} records are removed, and the "
            "costs that depended on them are worked out again. The files themselves are not "
            "touched; you can import them again later.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._busy = True
        self._update_buttons()
        db = self.ctx.db
        self.ctx.tasks.write(f"Undoing import #{batch}",
                             lambda _p, _c: undo_batch(db, batch),
                             lambda removed: self._undone(batch, removed), self._undo_failed)

    def _undone(self, batch: int, removed: int) -> None:
        self._busy = False
        done = f"Import #{batch} undone: {plural(removed, 'record')} removed."
        self.ctx.status.emit(done)
        if self._shown_batch == batch:  # the headline told of it: it no longer holds
            self._shown_batch = None
            self._finish(f"<b>{done}</b>")
        self.ctx.changed()

    def _undo_failed(self, exc: BaseException) -> None:
        self._busy = False
        self._update_buttons()
        QMessageBox.warning(self, "Undo import", f"The import could not be undone: {exc}")

    # -- importing: 1. look at the files -----------------------------------------------------------

    def import_files(self, paths: list[str] | None = None) -> None:
        """Import files as one batch; None asks for them with a file dialog."""
        self._watch_window()
        if self._busy:
            self.ctx.status.emit("An import is already under way: wait for it, or cancel it, "
                                 "then drop the files again.")
            return
        if paths is None:
            paths, _ = QFileDialog.getOpenFileNames(
                self, "Import usage exports", "", "Usage exports (*.csv *.tsv *.txt *.json);;"
                "All files (*)")
        paths = [p for p in paths or [] if p]
        if not paths:
            return
        self._busy, self._paths, self._mapped, self.task = True, list(paths), {}, None
        self._shown_batch, self._remapping = None, False
        self._update_buttons()
        self._show_current()
        names = ", ".join(Path(p).name for p in paths)
        self._headline(f"Reading <b>{names}</b>…")
        self.file_list.clear()
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview_label.clear()
        self._show_errors([], can_skip=False)  # what the last import refused is gone
        self._show_month(None)
        self._show_progress(False)
        db = self.ctx.db
        self.ctx.tasks.read(lambda: ([inspect_file(db, p) for p in paths], saved_profiles(db)),
                            self._inspected, self._failed)

    def _inspected(self, result) -> None:
        self._infos, self._profiles = result
        if self._closed:
            return
        self.file_list.clear()
        for info in self._infos:
            if info.errors:
                what = "cannot be imported"
            elif info.needs_mapping:
                what = "columns to map"
            elif info.empty:
                what = "empty"
            else:
                what = info.title
            self.file_list.addItem(f"{info.name}\n{what} · {file_size(info.size)}")
        self.file_list.setCurrentRow(0)
        self.file_list.setVisible(len(self._infos) > 1)
        broken = [info for info in self._infos if info.errors]
        if broken:
            errors = [e for info in broken for e in info.errors]
            names = ", ".join(info.name for info in broken)
            self._finish(f"<b>Nothing was imported.</b> {names} cannot be imported; "
                         "the reason is below.", errors, can_skip=False)
            return
        self._to_map = _by_header([info for info in self._infos if info.needs_mapping])
        self._map_next()

    # -- 2. map the columns of unknown files -------------------------------------------------------

    def _map_next(self) -> None:
        if not self._to_map:
            self.start(skip_bad_lines=False)
            return
        group = self._to_map[0]
        first = group[0]
        self.file_list.setCurrentRow(self._infos.index(first))
        names = ", ".join(info.name for info in group)
        earlier = self._mapped.get(first.path)
        if not self._remapping:
            self._headline(f"<b>{first.name}</b> is not an export Meterbook knows: map its "
                           "columns to go on.")
            reason = None
        else:
            self._headline(f"Mapping the columns of <b>{names}</b> by hand…")
            reason = (f"<b>{names}</b> was refused. Say what each column holds, and how its "
                      "dates and numbers are written; the import then starts again.")
        form = MappingForm([info.name for info in group], first.header, first.sample,
                           self._profiles, self.ctx.home_currency(),
                           start=earlier and earlier.mapping)
        dialog = MappingDialog(self, form, reason)
        dialog.finished.connect(lambda code, d=dialog: self._mapped_group(d, code))
        self.mapping_dialog = dialog
        dialog.open()

    def _mapped_group(self, dialog: MappingDialog, code: int) -> None:
        self.mapping_dialog = None
        dialog.deleteLater()
        if self._closed:
            return
        if code != MappingDialog.DialogCode.Accepted:
            self._finish("<b>Nothing was imported:</b> the columns were not mapped.")
            return
        chosen = Mapped(dialog.mapping(), dialog.profile_name())
        for info in self._to_map.pop(0):
            self._mapped[info.path] = chosen
        self._map_next()

    # -- 3. import on the writer -------------------------------------------------------------------

    def start(self, skip_bad_lines: bool) -> None:
        db, paths, mapped = self.ctx.db, list(self._paths), dict(self._mapped)
        names = ", ".join(Path(p).name for p in paths)
        self._headline(f"Importing <b>{names}</b>…")
        self._show_errors([], can_skip=False)
        self.progress.setValue(0)
        self.progress_label.setText("")
        self._show_progress(True)
        self.task = self.ctx.tasks.write(
            f"Importing {names}",
            lambda progress, cancelled: import_mapped(db, paths, mapped, skip_bad_lines,
                                                      progress, cancelled),
            self._imported, self._failed, self._progressed)

    def _progressed(self, done: int, total: int) -> None:
        if total <= 0 or done >= total:
            # The lines are read; pricing and the rollup follow, of no known length.
            self.progress.setRange(0, 0)
            self.progress_label.setText("Pricing and saving…")
            return
        self.progress.setRange(0, 1000)
        self.progress.setValue(done * 1000 // total)
        self.progress_label.setText(f"{file_size(done)} of {file_size(total)}")

    def cancel(self) -> None:
        """Stop the running import; the pipeline rolls it back whole."""
        if self.task is not None:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Cancelling…")

    def import_valid_lines(self) -> None:
        self.start(skip_bad_lines=True)

    # -- 4. the result -----------------------------------------------------------------------------

    def _imported(self, summary: pipeline.ImportSummary) -> None:
        self.task = None
        if summary.batch is None:
            # Empty lines (OpenAI's days of no usage) were never stored: not "already in".
            kept = summary.lines - summary.refused - summary.empty_lines
            text = (f"<b>Nothing new.</b> The {count(kept)} lines read are already in the "
                    "database, so nothing was added." + import_notes(summary, duplicates=False))
        else:
            text = (f"<b>Imported {plural(summary.added, 'record')}</b> as import "
                    f"#{summary.batch} ({summary.profile}).{import_notes(summary)}")
            self._shown_batch = summary.batch
        self._finish(text, summary.errors, can_skip=False)
        self._show_lines(self.checked_box, "Lines to check", summary.warnings,
                         summary.future_lines)
        if summary.batch is not None:
            # What came in (months, amount) is read back from the database, as cost reads it.
            ctx, batch = self.ctx, summary.batch
            ctx.tasks.read(lambda: batch_summary(ctx.db, batch, ctx.report_timezone()),
                           lambda found: self._summarised(summary, found))
        self.ctx.changed()  # every page reloads, this one's history too

    def _summarised(self, summary: pipeline.ImportSummary, found: BatchSummary) -> None:
        if self._shown_batch != found.batch:  # undone, or another import began meanwhile
            return
        text = (f"<b>Imported {summary_text(found)}</b> as import #{found.batch} "
                f"({summary.profile}).{import_notes(summary)}")
        self._headline(text)
        self._show_month(found.last_month)

    def _show_month(self, first_day: date | None) -> None:
        """Offer to show a month on the Dashboard (the latest of the import); None hides it."""
        self._month = first_day
        if first_day is not None:
            self.month_button.setText(f"Show {month_text(first_day)}")
        self.month_button.setVisible(first_day is not None)

    def show_month(self) -> None:
        if self._month is not None:
            self.ctx.select_month(self._month)
            self.ctx.open_page.emit("dashboard")

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        if isinstance(exc, pipeline.ImportCancelled):
            self._finish("<b>Import cancelled.</b> Nothing was changed.")
        elif isinstance(exc, ImportRefused):
            summary = getattr(exc, "summary", None)
            if summary is None:  # the file as a whole (not text, a header gone bad...)
                self._finish("<b>Nothing was imported.</b> The reason is below.", exc.errors,
                             can_skip=False)
                return
            valid = summary.lines - summary.refused
            ways = ["correct the file and drop it again"]
            if self._refusal_to_map({error.file for error in exc.errors}):
                ways.append("map its columns by hand")
            if valid > 0:  # "import the 0 valid lines" would offer nothing
                ways.append(f"import the {count(valid)} valid lines now (the refused lines "
                            "are kept with the import)")
            choice = " or ".join([", ".join(ways[:-1]), ways[-1]] if len(ways) > 1 else ways)
            self._finish(
                f"<b>Nothing was imported:</b> {count(summary.refused)} of "
                f"{count(summary.lines)} lines have problems, listed below. You may {choice}.",
                exc.errors, can_skip=valid > 0)
        else:
            self._finish(f"<b>The import failed:</b> {exc}. Nothing was changed.")

    def _finish(self, text: str, errors: list[LineError] | None = None,
                can_skip: bool = False) -> None:
        self._busy = False
        self._show_progress(False)
        self._headline(text)
        self._show_errors(errors or [], can_skip)
        self._show_month(None)
        self._update_buttons()

    def _show_errors(self, errors: list[LineError], can_skip: bool) -> None:
        self.valid_button.setVisible(can_skip)
        self._refused = {error.file for error in errors}
        self.map_button.setVisible(bool(self._refusal_to_map(self._refused)))
        self._show_lines(self.refused_box, "Refused lines", errors, len(errors))
        self._show_lines(self.checked_box, "Lines to check", [], 0)  # of an earlier import

    def _show_lines(self, box: QGroupBox, title: str, lines: list[LineError],
                    total: int) -> None:
        """Fill one of the boxes of lines (refused, or to check), hidden when it has none;
        `total` counts the lines when the list holds only the first ones."""
        table: QTableWidget = box.findChild(QTableWidget)
        box.setVisible(bool(lines))
        shown = lines[:SHOWN_ERRORS]
        title = f"{title} ({count(max(total, len(lines)))})"
        if total > len(shown):
            title += f": the first {count(len(shown))} are shown"
        box.setTitle(title)
        table.setRowCount(len(shown))
        for r, error in enumerate(shown):
            line = error.line if error.line > 0 else "whole file"
            values = (error.file, line, error.column or "", error.message)
            if table.columnCount() < len(values):
                values = (error.file, line, error.message)
            for c, value in enumerate(values):
                table.setItem(r, c, _cell(value))

    # -- mapping a refused file by hand ------------------------------------------------------------

    def _refusal_to_map(self, refused: set[str]) -> list[FileInfo]:
        """The refused files whose columns can be mapped by hand: the ones the refusal names,
        or every file of the drop when it names none of them (a JSON file or a folder is
        refused with no columns to map)."""
        if not refused:
            return []
        named = [info for info in self._infos if info.name in refused]
        return [info for info in named or self._infos if info.mappable]

    def map_refused(self) -> None:
        """Open the mapping dialog on the refused files, then import the drop again."""
        infos = self._refusal_to_map(self._refused)
        if not infos or self._busy:
            return
        self._busy, self._remapping = True, True
        self._update_buttons()
        self._show_errors([], can_skip=False)
        self._to_map = _by_header(infos)
        self._map_next()

    # -- helpers ---------------------------------------------------------------------------------

    def _show_current(self) -> None:
        """The drop zone gives way to the current import, which needs more of the height."""
        if self.stack.currentIndex() != 1:
            self.stack.setCurrentIndex(1)
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([total * 2 // 3, total - total * 2 // 3])

    def _headline(self, text: str) -> None:
        self.headline.setText(f"<p style='font-size:11pt'>{text}</p>")

    def _show_progress(self, running: bool) -> None:
        self.progress_box.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.choose_button.setEnabled(not running)

    def _show_preview(self, row: int) -> None:
        if not 0 <= row < len(self._infos):
            return
        info = self._infos[row]
        if info.errors:
            what = "cannot be imported"
        elif info.needs_mapping:
            what = "not a format Meterbook knows: its columns are mapped by you"
        elif info.empty:
            what = "an empty file: nothing to import"
        else:
            what = f"recognised as <b>{info.title}</b>"
        lines = f"the first {len(info.rows)} lines" if info.rows else "no lines to show"
        self.preview_label.setText(f"<b>{info.name}</b> ({file_size(info.size)}): {what}. "
                                   f"Below, {lines}.")
        self.preview.clear()
        self.preview.setColumnCount(len(info.header))
        self.preview.setHorizontalHeaderLabels(info.header)
        self.preview.setRowCount(len(info.rows))
        for r, cells in enumerate(info.rows):
            for c, value in enumerate(cells[:len(info.header)]):
                self.preview.setItem(r, c, QTableWidgetItem(value))
        self.preview.resizeColumnsToContents()
        # No taller than its lines (plus a scroll bar): the refused lines below need the room.
        table = self.preview
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setMaximumHeight(table.horizontalHeader().height() + rows
                               + table.horizontalScrollBar().sizeHint().height()
                               + 2 * table.frameWidth())

    def _watch_window(self) -> None:
        """Hear when the window closes: its tasks are then cancelled, and what comes back
        from a reader must not start an import on a writer that has stopped."""
        window = self.window()
        if window is not self and window is not self._watching:
            window.installEventFilter(self)
            self._watching = window

    def eventFilter(self, watched, event) -> bool:
        if watched is self._watching and event.type() == QEvent.Type.Close:
            self._closed = True
            if self.mapping_dialog is not None:
                self.mapping_dialog.reject()
        return False
