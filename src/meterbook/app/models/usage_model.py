"""The Usage page's table: every record, from a list of ids, rows read as they come into view.

Like Anki's browser, the model holds only record ids (8 bytes each in an array) and reads
rows a page at a time into a small LRU cache, so a million records cost a few megabytes and
open as fast as the first screen can be read. Listing the ids and sorting them run on a
reader thread (ctx.tasks.read); the UI thread only reads pages of 200 rows by primary key,
about a millisecond each.

Each query (opening, a filter, a sort) is two steps: the first few hundred ids and the count
(from the indexes and the rollup, at once in time order) show the first screen, then the full
list of ids arrives and fills the rest of the scroll range, which shows "…" in between; the
totals (requests, cost, unpriced) are added up beside it. All are one "latest answer wins"
read (app/tasks.py): an answer to an older query is dropped.

Cost follows `meterbook cost --source auto`: a record's billed cost when its export carried one
(marked "vendor's bill" in the Priced by column), else what a plan computed; "unpriced" only
when it has neither.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from decimal import Decimal
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QDate,
    QDateTime,
    QLocale,
    QModelIndex,
    Qt,
    QTime,
    Signal,
)  # fmt: skip
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette

from meterbook.app.context import AppContext
from meterbook.app.formatting import both_amounts_text, count, money, priced_by_text
from meterbook.app.tasks import Latest
from meterbook.core.records import from_epoch_us
from meterbook.store import readers
from meterbook.store.usage_query import (
    UsageFilter,
    UsageRow,
    UsageTotals,
    fetch_rows,
    usage_count,
    usage_ids,
    usage_totals,
)  # fmt: skip

# (header, sort key) per column; every column sorts.
COLUMNS = (
    ("Time", "time"), ("Vendor", "vendor"), ("Model", "model"), ("Project", "project"),
    ("Requests", "requests"), ("Input", "input"), ("Output", "output"),
    ("Cost", "cost"), ("Priced by", "plan"),
)  # fmt: skip
TIME, VENDOR, MODEL, PROJECT, REQUESTS, INPUT, OUTPUT, COST, PLAN = range(len(COLUMNS))
RECORD_ID_ROLE = Qt.ItemDataRole.UserRole + 1
UNPRICED = "unpriced"
LOADING = "…"
COST_PLACES = 4  # a request costs fractions of a cent: two places would show most as $0.00

PAGE = 200  # rows read together: a few screens, one query of ~1 ms
MAX_PAGES = 50  # pages kept (10,000 rows): scrolling back is free, memory stays small
FIRST = 500  # ids read before the first screen shows; the rest follow on a reader thread

_HEADER_TIPS = {
    INPUT: "Input tokens not read from the cache (hover a cell for the cached ones)",
    OUTPUT: "Output tokens",
    COST: "What the record cost, as `meterbook cost` counts it: the vendor's bill when the "
          "export carried one, else what Meterbook computed with a plan",
    PLAN: "The vendor's bill, or the saved plan that priced the record",
}
_NUMERIC = frozenset({REQUESTS, INPUT, OUTPUT, COST})
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ROOT = QModelIndex()
_LAYOUT_ARGS = ("QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint")


def local_time(ts_us: int, tz: ZoneInfo, seconds: bool = False) -> str:
    """An instant as local time in the report zone, in the user's date format."""
    local = from_epoch_us(ts_us).astimezone(tz)
    locale = QLocale()
    if locale.language() == QLocale.Language.C:  # the C locale's own format reads oddly
        return f"{local:%Y-%m-%d %H:%M:%S}" if seconds else f"{local:%Y-%m-%d %H:%M}"
    moment = QDateTime(QDate(local.year, local.month, local.day),
                       QTime(local.hour, local.minute, local.second))
    short = QLocale.FormatType.ShortFormat
    if seconds:
        # The long format would name the computer's zone, not the report's: add seconds to
        # the short one instead ("HH:mm" -> "HH:mm:ss", "h:mm AP" -> "h:mm:ss AP").
        seconds_format = locale.timeFormat(short).replace("mm", "mm:ss", 1)
        return locale.toString(moment, f"{locale.dateFormat(short)} {seconds_format}")
    return locale.toString(moment, short)


def charge_text(row: UsageRow) -> str:
    """The record's cost for the table (its bill, else its computed charge); "unpriced" when
    it has neither."""
    amount = row.amount
    if amount is None:
        return UNPRICED
    return cell_money(*amount)


def cell_money(amount: Decimal, currency: str) -> str:
    smallest = Decimal(1).scaleb(-COST_PLACES)
    if 0 < abs(amount) < smallest / 2:
        # Rounded it would read $0.0000, which looks free: say it is under a hundredth cent.
        return "< " + money(smallest, currency, COST_PLACES)
    return money(amount, currency, COST_PLACES)


def row_priced_by(row: UsageRow) -> str:
    return priced_by_text(row.source == "billed", row.plan_name)


def both_amounts(row: UsageRow) -> str | None:
    """Both figures of a billed line a plan covers too; None for any other record."""
    if row.source != "billed" or row.charge is None:
        return None
    return both_amounts_text(exact_money(row.billed, row.billed_currency or ""),
                             cell_money(row.charge, row.charge_currency or ""), row.plan_name)


def exact_money(amount: Decimal, currency: str) -> str:
    """Every digit the engine kept (up to 9 places), at least the currency's usual 2."""
    exponent = amount.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return money(amount, currency, places)


class _Colors:
    """Amber for unpriced rows, chosen for the palette in use so dark mode stays readable."""

    def __init__(self, palette: QPalette):
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        self.row = QBrush(QColor("#3d2e0a" if dark else "#fef3c7"))
        self.text = QBrush(QColor("#fcd34d" if dark else "#92400e"))
        self.muted = QBrush(palette.color(QPalette.ColorRole.PlaceholderText))


class UsageTableModel(QAbstractTableModel):
    """Rows are records in the order of `sort_key`; `reload()` re-reads after data changes."""

    loading = Signal(bool)  # a list of ids is being read (or sorted) in the background
    loaded = Signal()  # a new list is in place: rows, count and order are current
    counted = Signal(object)  # the UsageTotals of the current filter (see totals_known)

    def __init__(self, ctx: AppContext, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.tz = ZoneInfo("UTC")
        self.filter = UsageFilter()
        self.sort_key, self.descending = "time", True
        self.totals = UsageTotals()
        self.totals_known = True  # False: only totals.records is known yet (adding up)
        self.complete = True  # False while only the first ids are known
        self._ids = array("q")
        self._rows = 0  # what rowCount says: the full count even before every id is here
        self._pages: OrderedDict[int, list[tuple[UsageRow, tuple[str, ...]] | None]] = (
            OrderedDict())
        self._reads = Latest(ctx.tasks, self, "read usage")
        self._busy = False
        self._colors = _Colors(QGuiApplication.palette())

    # -- the Qt model ------------------------------------------------------------------------------

    def rowCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if section in _NUMERIC else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(section)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in _NUMERIC else _LEFT
        entry = self._entry(index.row())
        if entry is None:  # not read yet (the full id list is on its way) or just deleted
            if role == Qt.ItemDataRole.DisplayRole:
                return LOADING if column == TIME else ""
            if role == Qt.ItemDataRole.ForegroundRole:
                return self._colors.muted
            return None
        row, texts = entry
        if role == Qt.ItemDataRole.DisplayRole:
            return texts[column]
        if role == RECORD_ID_ROLE:
            return row.id
        if not row.priced:
            if role == Qt.ItemDataRole.BackgroundRole:
                return self._colors.row
            if role == Qt.ItemDataRole.ForegroundRole and column in (COST, PLAN):
                return self._colors.text
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key, descending = COLUMNS[column][1], order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending):
            return
        self.sort_key, self.descending = key, descending
        self._query(reorder=True)

    # -- what the page calls -------------------------------------------------------------------

    def set_filter(self, usage_filter: UsageFilter) -> None:
        self.filter = usage_filter
        self.reload()

    def set_timezone(self, tz: ZoneInfo) -> None:
        if tz != self.tz:
            self.tz = tz
            self._forget_pages()

    def reload(self) -> None:
        """Read the ids again (after an import, an undo, a plan change, a new filter)."""
        self._query(reorder=False)

    @property
    def busy(self) -> bool:
        """The current query's answer (or its second part) is still on its way."""
        return self._busy

    def record(self, row: int) -> UsageRow | None:
        entry = self._entry(row) if 0 <= row < self._rows else None
        return None if entry is None else entry[0]

    def row_of(self, record_id: int) -> int:
        """The row showing this record, or -1."""
        try:
            return self._ids.index(record_id)
        except ValueError:
            return -1

    def refresh_colors(self) -> None:
        """The palette changed (dark mode switched): repaint with colours that suit it."""
        self._colors = _Colors(QGuiApplication.palette())
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(self._rows - 1, len(COLUMNS) - 1))

    # -- reading ids (reader threads) --------------------------------------------------------

    def _query(self, reorder: bool) -> None:
        f, key, descending, engine = self.filter, self.sort_key, self.descending, self.ctx.db.engine
        tz = self.tz  # the report zone: which month converts a foreign currency
        # The first ids come at once in time order (straight off the index) and in a fraction
        # of the time of the full sort in any other (SQLite keeps just the top ones). A text
        # search reads every record whatever the limit, so it lists them all in one go.
        two_steps = not f.words

        def first():
            with engine.connect() as conn:
                ids = usage_ids(conn, f, key, descending, limit=FIRST if two_steps else None)
                number = usage_count(conn, f)
                rows = fetch_rows(conn, ids[:PAGE])
            return ids, number, rows

        def totals():
            with engine.connect() as conn:
                return usage_totals(conn, f, tz, readers.home_currency(conn))

        def rest():
            with engine.connect() as conn:
                return usage_ids(conn, f, key, descending)

        self._set_busy(True)
        # `ticket` is bound before any answer can come (answers arrive through the event loop).
        ticket = self._reads.read(
            first, lambda result: self._first(ticket, result, reorder, two_steps, rest, totals),
            self._failed)

    def _first(self, ticket, result, reorder, two_steps, rest, totals) -> None:
        ids, number, rows = result
        self.totals, self.totals_known = UsageTotals(records=number), False
        complete = not two_steps or len(ids) < FIRST
        total = len(ids) if complete else number
        if reorder and self.complete and complete and total == self._rows:
            self._reorder(ids)
        else:
            self.beginResetModel()
            self._ids, self._rows, self.complete = ids, total, complete
            self._pages.clear()
            self.endResetModel()
        self._keep_page(0, rows)
        self.counted.emit(self.totals)
        self.loaded.emit()
        ticket.read(totals, self._totals, self._failed)
        if complete:
            self._set_busy(False)
        else:  # the same answer's second part: a newer query makes it stale too
            ticket.read(rest, self._rest, self._failed)

    def _totals(self, totals: UsageTotals) -> None:
        self.totals, self.totals_known = totals, True
        self.counted.emit(totals)

    def _rest(self, ids: array) -> None:
        self._set_busy(False)
        known = len(self._ids)
        if len(ids) == self._rows and ids[:known] == self._ids:
            # The usual case: the same rows, now every one of them has its id. A page read
            # before holds only the ids known then: forget the one that ends short.
            self._ids, self.complete = ids, True
            for number in [n for n in self._pages if (n + 1) * PAGE > known]:
                del self._pages[number]
            if self._rows > known:
                self.dataChanged.emit(self.index(known, 0),
                                      self.index(self._rows - 1, len(COLUMNS) - 1))
        else:  # records came or went in between: start over from what is there now
            self.beginResetModel()
            self._ids, self._rows, self.complete = ids, len(ids), True
            self._pages.clear()
            self.endResetModel()
        self.loaded.emit()

    def _reorder(self, ids: array) -> None:
        """Same records, new order, all known at once (a short list): a layout change keeps
        the selection on the same records. (A long list is reset; the page then selects the
        record again by its id.)"""
        hint = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
        # PySide's default overload of these signals takes no argument; the hint tells views
        # that only the order of rows changes.
        self.layoutAboutToBeChanged[_LAYOUT_ARGS].emit([], hint)
        old = self.persistentIndexList()
        moved = [self._ids[i.row()] if 0 <= i.row() < len(self._ids) else -1 for i in old]
        self._ids = ids
        self._pages.clear()
        new = []
        for index, record_id in zip(old, moved, strict=True):
            row = self.row_of(record_id) if record_id >= 0 else -1
            new.append(self.index(row, index.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(old, new)
        self.layoutChanged[_LAYOUT_ARGS].emit([], hint)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.ctx.status.emit(f"Could not read usage: {exc}")

    def _set_busy(self, busy: bool) -> None:
        """Only the newest query's answer counts, so it alone says whether one is awaited."""
        if busy != self._busy:
            self._busy = busy
            self.loading.emit(busy)

    # -- reading rows (UI thread, a page at a time) ----------------------------------------------

    def _entry(self, row: int):
        number, offset = divmod(row, PAGE)
        page = self._pages.get(number)
        if page is None:
            if row >= len(self._ids):
                return None
            page = self._read_page(number)
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    def _read_page(self, number: int) -> list:
        ids = self._ids[number * PAGE:(number + 1) * PAGE]
        with self.ctx.db.engine.connect() as conn:
            rows = fetch_rows(conn, ids)
        return self._keep_page(number, rows)

    def _keep_page(self, number: int, rows: dict[int, UsageRow]) -> list:
        ids = self._ids[number * PAGE:(number + 1) * PAGE]
        page = [None if (row := rows.get(i)) is None else (row, self._texts(row)) for i in ids]
        self._pages[number] = page
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def _forget_pages(self) -> None:
        self._pages.clear()
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(self._rows - 1, len(COLUMNS) - 1))

    # -- text --------------------------------------------------------------------------------------

    def _texts(self, row: UsageRow) -> tuple[str, ...]:
        """Every column's text, made once per row read rather than at every paint."""
        return (local_time(row.timestamp_us, self.tz), row.vendor, row.model, row.project,
                count(row.requests), count(row.input_tokens), count(row.output_tokens),
                charge_text(row), row_priced_by(row))

    def _tooltip(self, row: UsageRow, column: int) -> str | None:
        amount = row.amount
        if column in (COST, PLAN) and amount is None:
            return (f"No saved plan covers {row.vendor} {row.model} at this time, and the "
                    "export gave no billed cost, so this record has no cost. Add or extend a "
                    "plan on the Plans page.")
        if column in (COST, PLAN) and row.source == "billed":
            return both_amounts(row) or (
                f"billed {exact_money(*amount)}: the vendor's own figure from the export "
                "(a cost line: money, no token counts)")
        if column == COST and amount is not None:
            return exact_money(*amount)
        if column == INPUT and (row.cached_input_tokens or row.cache_write_tokens):
            return (f"{count(row.input_tokens)} uncached, {count(row.cached_input_tokens)} "
                    f"cached, {count(row.cache_write_tokens)} written to cache")
        return None
