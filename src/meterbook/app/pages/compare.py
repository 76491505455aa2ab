"""The Compare page: "would this traffic cost less priced another way?", on the owner's own usage.

Left, the question: the period, the scope and the alternatives (AlternativePicker's forms, a
saved or catalog plan, a plan file), each removable or saved as a plan. Right, the answer from
store/compare.compare, the same function as `meterbook compare`: the totals side by side, the
cost of each month per scenario, the break-even flat price per vendor and model, and the
per-request cost histogram with the flat price drawn across it.

Every comparison runs on a reader thread (Latest: only the newest answer is drawn); "Save as
plan" goes through the one writer. A change of period or scope compares again by itself, once
the owner pauses (RECOMPARE_MS): stepping through months with the arrow keys asks once. On a
first visit with no alternative chosen, the flat form is pre-filled with a round price near the
break-even of the costliest model and added, so the page opens on an answer rather than on
empty forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.charts.histogram import CostHistogram
from meterbook.app.charts.palette import palette_of
from meterbook.app.charts.scenario_lines import Scenario, ScenarioLines
from meterbook.app.context import AppContext
from meterbook.app.formatting import (
    count,
    missing_rates_text,
    money,
    month_title,
    warning_color,
)  # fmt: skip
from meterbook.app.pages.base import Page
from meterbook.app.pages.compare_forms import AlternativePicker, Chosen
from meterbook.app.pages.compare_tables import (
    BREAK_EVEN_COLUMNS,
    TOTAL_COLUMNS,
    as_saved,
    break_even_rows,
    equivalents_text,
    fill,
    make_table,
    per_conversation_rows,
    priced_as,
    scope_of,
    suggestion,
    totals_rows,
)  # fmt: skip
from meterbook.app.pages.plans import describe
from meterbook.app.tasks import Latest
from meterbook.core.compare import is_flat_per_request
from meterbook.core.glob import matches
from meterbook.core.plans import Plan, PlanFileError
from meterbook.store import readers
from meterbook.store.compare import SAVED, Comparison, MissingRates, compare
from meterbook.store.compare_save import save_alternative as save_plan
from meterbook.store.spend_series import Distribution, usage_span
from meterbook.store.usage_store import Meters

ALL = "All"
# A million records take a second or two to compare: wait for the owner to stop changing the
# period or scope (arrow keys through the months, typing a date) before asking.
RECOMPARE_MS = 300
NOTHING_TO_PRICE = ("No usage in this period and scope: nothing to compare. Pick another period "
                    "or scope above, or import usage files on the Imports page.")


@dataclass
class _Answer:
    """What one read brings back: the choices of scope, and the comparison (None: refused)."""

    tz: str
    currency: str
    span: tuple[date, date] | None
    keys: list[tuple[str, str, str]]  # (vendor, model, project) of every meter
    saved: list[Plan]
    comparison: Comparison | None
    problem: str = ""


class ComparePage(Page):
    key, title = "compare", "Compare"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.chosen: list[Chosen] = []
        self.answer: _Answer | None = None
        self.suggested = False  # the first visit's alternative was offered (once)
        self.comparing = False  # a comparison is on its way
        self._reads = Latest(ctx.tasks, self, "compare pricing")
        self._recompare = QTimer(self, singleShot=True, interval=RECOMPARE_MS)
        self._recompare.timeout.connect(self.run_compare)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Compare pricing</h2>"))
        split = QSplitter(Qt.Orientation.Horizontal)
        # The question scrolls on a short screen rather than making the window taller.
        question = QScrollArea()
        question.setWidgetResizable(True)
        question.setFrameShape(QFrame.Shape.NoFrame)
        question.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        question.setWidget(self._build_question())
        question.setMinimumWidth(270)
        split.addWidget(question)
        split.addWidget(self._build_answer())
        split.setStretchFactor(1, 1)
        split.setSizes([280, 1000])
        layout.addWidget(split, 1)

    # -- building ------------------------------------------------------------------------------

    def _build_question(self) -> QWidget:
        box = QWidget()
        box.setMinimumWidth(260)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 6, 0)
        scope = QGroupBox("Usage to price")
        form = QVBoxLayout(scope)
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        self.from_date, self.to_date = QDateEdit(), QDateEdit()
        dates = QHBoxLayout()
        for edit, tip in ((self.from_date, "First day"), (self.to_date, "Last day")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setToolTip(tip)
            edit.setEnabled(False)
        for widget in (self.from_date, QLabel("to"), self.to_date):
            dates.addWidget(widget)
        self.period.currentIndexChanged.connect(self._period_changed)
        self.period.currentIndexChanged.connect(self._asked_changed)
        for edit in (self.from_date, self.to_date):
            edit.dateChanged.connect(self._dates_changed)
        self.vendor, self.model, self.project = QComboBox(), QComboBox(), QComboBox()
        for combo, name in ((self.vendor, "Vendor"), (self.model, "Model"),
                            (self.project, "Project")):
            combo.setAccessibleName(name)
        self.vendor.activated.connect(self._vendor_changed)
        self.model.activated.connect(self._asked_changed)
        self.project.activated.connect(self._asked_changed)
        form.addWidget(self.period)
        form.addLayout(dates)
        scoped = QHBoxLayout()
        for combo in (self.vendor, self.model, self.project):
            combo.setMinimumContentsLength(6)
            scoped.addWidget(combo, 1)
        form.addLayout(scoped)
        column.addWidget(scope)
        alternatives = QGroupBox("Alternatives")
        alt = QVBoxLayout(alternatives)
        self.picker = AlternativePicker(lambda: self.answer.currency if self.answer else "USD",
                                        lambda: self.answer.saved if self.answer else [])
        self.picker.added.connect(self.add_alternative)
        alt.addWidget(self.picker)
        self.alternatives = QListWidget()
        self.alternatives.setAccessibleName("Alternatives to compare")
        self.alternatives.setMaximumHeight(90)
        self.alternatives.currentRowChanged.connect(self._selection_changed)
        alt.addWidget(self.alternatives)
        buttons = QHBoxLayout()
        self.remove_button = QPushButton("Remove")
        self.save_button = QPushButton("Save as plan")
        self.save_button.setToolTip("Save the selected alternative as a plan: it then prices "
                                    "your usage as any plan does")
        self.remove_button.clicked.connect(self.remove_alternative)
        self.save_button.clicked.connect(self.save_alternative)
        for button in (self.remove_button, self.save_button):
            button.setEnabled(False)
            buttons.addWidget(button)
        alt.addLayout(buttons)
        column.addWidget(alternatives)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setDefault(True)
        self.compare_button.clicked.connect(self.run_compare)
        column.addWidget(self.compare_button)
        column.addStretch(1)
        return box

    def _build_answer(self) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(6, 0, 0, 0)
        self.note = QLabel("Comparing…")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.note)
        self.totals = make_table(TOTAL_COLUMNS)
        column.addWidget(self.totals)
        self.tabs = QTabWidget()
        self.lines = ScenarioLines()
        self.break_even = make_table(BREAK_EVEN_COLUMNS)
        self.equivalents = QLabel("")
        self.equivalents.setWordWrap(True)
        self.equivalents.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        break_even = QWidget()
        break_column = QVBoxLayout(break_even)
        break_column.addWidget(self.break_even, 1)
        legend = QLabel("Break-even: the flat price per request that would have cost what "
                        "your saved plans cost. Pay more: the share of requests that flat price "
                        "would charge more than their token cost; money moved: what they would "
                        "pay above it.")
        legend.setWordWrap(True)  # never wider than a small screen
        break_column.addWidget(legend)
        break_column.addWidget(self.equivalents)
        histogram = QWidget()
        hist_column = QVBoxLayout(histogram)
        self.histogram_model = QComboBox()
        self.histogram_model.setAccessibleName("Vendor and model of the histogram")
        self.histogram_model.activated.connect(lambda _i: self._show_histogram())
        hist_column.addWidget(self.histogram_model)
        self.histogram = CostHistogram()
        # A long vendor and model name must wrap, not widen the window past a small screen.
        self.histogram.title.setWordWrap(True)
        hist_column.addWidget(self.histogram, 1)
        self.per_conversation = make_table(("Month",))
        for widget, name in ((self.lines, "Cost per month"),
                             (histogram, "Per-request cost"),
                             (break_even, "Break-even"),
                             (self.per_conversation, "Per conversation")):
            self.tabs.addTab(widget, name)
        column.addWidget(self.tabs, 1)
        column.addStretch(0)  # takes the room only when the tabs are hidden: the note stays up
        return box

    # -- the question --------------------------------------------------------------------------

    def _period_changed(self) -> None:
        custom = self.period.currentData() == "custom"
        self.from_date.setEnabled(custom)
        self.to_date.setEnabled(custom)

    def _vendor_changed(self) -> None:
        self._fill_scope(self.answer.keys if self.answer else [])
        self._asked_changed()

    def _dates_changed(self) -> None:
        if self.period.currentData() == "custom":  # else the dates only show the span
            self._asked_changed()

    def _asked_changed(self) -> None:
        """The period or scope changed: compare again when the owner pauses. (The lists
        refilled from an answer block their signals, so an answer never asks again.)"""
        self._recompare.start()

    def _fill_scope(self, keys: list[tuple[str, str, str]]) -> None:
        vendor = self.vendor.currentText() or ALL
        chosen = [k for k in keys if vendor in (ALL, k[0])]
        for combo, names, label in (
                (self.vendor, sorted({k[0] for k in keys}), "All vendors"),
                (self.model, sorted({k[1] for k in chosen}), "All models"),
                (self.project, sorted({k[2] or "" for k in chosen} - {""}), "All projects")):
            kept = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(label, None)
            for name in names:
                combo.addItem(name, name)
            found = combo.findData(kept)
            combo.setCurrentIndex(max(found, 0))
            combo.blockSignals(False)

    def _fill_periods(self, span: tuple[date, date] | None) -> None:
        kept = self.period.currentData()
        self.period.blockSignals(True)
        self.period.clear()
        self.period.addItem("All usage", "all")
        if span is not None:
            y, m = span[1].year, span[1].month
            while (y, m) >= (span[0].year, span[0].month):
                label = f"{y:04d}-{m:02d}"
                self.period.addItem(month_title(label), label)
                y, m = (y - 1, 12) if m == 1 else (y, m - 1)
            for edit, day in ((self.from_date, span[0]), (self.to_date, span[1])):
                if not edit.isEnabled():
                    edit.setDate(QDate(day.year, day.month, day.day))
        self.period.addItem("Custom dates", "custom")
        self.period.setCurrentIndex(max(self.period.findData(kept), 0))
        self.period.blockSignals(False)
        self._period_changed()

    def asked(self) -> tuple:
        """The period and scope picked, as plain values a worker thread can use."""
        return (self.period.currentData(), self.from_date.date().toPython(),
                self.to_date.date().toPython(), self.vendor.currentData(),
                self.model.currentData(), self.project.currentData())

    def add_alternative(self, chosen: Chosen) -> None:
        name = chosen.alternative.name
        if name == SAVED or any(c.alternative.name == name for c in self.chosen):
            self.picker.say(f"{name!r} is on the list already.", warn=True)
            return
        self.chosen.append(chosen)
        self.alternatives.addItem(name)
        self.alternatives.setCurrentRow(self.alternatives.count() - 1)

    def remove_alternative(self) -> None:
        row = self.alternatives.currentRow()
        if row < 0:
            return
        del self.chosen[row]
        self.alternatives.takeItem(row)
        self._selection_changed(self.alternatives.currentRow())

    def _selection_changed(self, row: int) -> None:
        picked = 0 <= row < len(self.chosen)
        self.remove_button.setEnabled(picked)
        self.save_button.setEnabled(picked and not self.chosen[row].saved
                                    and not self.ctx.db.read_only)

    # -- reading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.run_compare()

    def run_compare(self) -> None:
        self._recompare.stop()  # this comparison answers the change that was waiting
        db, chosen, asked = self.ctx.db, list(self.chosen), self.asked()

        def job() -> _Answer:
            with db.engine.connect() as conn:
                tz = readers.effective_timezone(conn)
                plans = readers.load_plans(conn)
                saved = [p for _, p in plans]
                keys = sorted({k[:3] for k in Meters(conn).keys.values()})
                answer = _Answer(tz, readers.home_currency(conn), usage_span(conn, tz), keys,
                                 saved, None)
                try:
                    alternatives = [priced_as(c, saved) for c in chosen]
                    answer.comparison = compare(conn, scope_of(asked, tz), plans,
                                                alternatives, answer.currency,
                                                readers.rates_for(conn))
                except MissingRates as exc:
                    answer.problem = (missing_rates_text(exc.pairs, answer.currency) + ": add "
                                      "the rates on the Settings page to compare.")
                except PlanFileError as exc:
                    answer.problem = ("An alternative cannot be priced beside the saved "
                                      "plans:\n" + "\n".join(describe(p) for p in exc.problems))
                return answer

        self.note.setText("Comparing…")
        self.comparing = True
        self._reads.read(job, self._answered, self._failed)

    def is_loaded(self) -> bool:
        """The answer to the last question is shown (screenshots wait for it)."""
        return not self.comparing and not self._recompare.isActive()

    def _failed(self, exc: BaseException) -> None:
        self.comparing = False
        self._warn(f"The comparison could not be made: {exc}")

    def _warn(self, text: str) -> None:
        self.note.setText(text)
        self.note.setStyleSheet(f"color: {warning_color(self.palette()).name()};")

    def _answered(self, answer: _Answer) -> None:
        self.answer, self.comparing = answer, False
        self._fill_periods(answer.span)
        self._fill_scope(answer.keys)
        self.picker.set_vendors(sorted({k[0] for k in answer.keys}))
        self.picker.set_saved_names(list(dict.fromkeys(p.name for p in answer.saved)))
        self.note.setStyleSheet("")
        c = answer.comparison
        if c is None:
            self._warn(answer.problem)
            return self._clear()
        saved = c.scenarios[0]
        if c.empty or not (saved.requests or saved.cost):
            # Nothing any plan could price: say why instead of a table of zeros.
            self._clear()
            self.note.setText(NOTHING_TO_PRICE if c.empty else (
                f"The {count(c.records)} records here hold no requests or priced usage"
                + (": they are lines of a vendor's cost export, which carry the vendor's money "
                   "but no token counts" if c.billed_only else "")
                + ". Import usage exports (with requests and tokens) to compare pricing."))
            return
        if not self.suggested and not self.chosen and self._suggest(c):
            return
        self.suggested = True
        self._show(c)

    def _suggest(self, c: Comparison) -> bool:
        """Add the first visit's alternative (compare_tables.suggestion) and compare again."""
        self.suggested = True
        found = suggestion(c)
        if found is None:
            return False
        vendor, price = found
        self.picker.kind.setCurrentIndex(self.picker.kind.findData("flat"))
        fields = self.picker.fields["flat"]
        fields["vendor"].setCurrentText(vendor)
        fields["model"].setText("*")
        fields["price"].setText(f"{price.normalize():f}")
        self.picker.add()
        if not self.chosen:
            return False
        shown = money(price, c.currency, 4)
        self.picker.say(f"Suggested to start with: {vendor} at a flat {shown} per request, "
                         "near what its requests cost you now. Change the price and Add, or "
                         "pick another kind of alternative.")
        self.run_compare()
        return True

    # -- the answer ----------------------------------------------------------------------------

    def _clear(self) -> None:
        """Nothing to show: no table or chart of an earlier answer stays in view."""
        self.totals.setVisible(False)
        self.tabs.setVisible(False)
        self.totals.setRowCount(0)
        self.break_even.setRowCount(0)
        self.per_conversation.setRowCount(0)

    def _show(self, c: Comparison) -> None:
        cur = c.currency
        period = ("all usage" if c.from_label is None and c.to_label is None else
                  f"from {c.from_label or 'the first record'} up to {c.to_label or 'the last'}")
        parts = [f"{count(c.records)} records, {period}, priced in {cur}. Differences are "
                 "against your saved plans; nothing is saved until you say so."]
        if not self.chosen:
            parts.append("Add an alternative on the left to see what it would have cost.")
        if c.billed_only:
            parts.append(f"{count(c.billed_only)} billed cost lines (money from a vendor's "
                         "cost export, no token counts) are left out: no plan can price them.")
        self.note.setText("\n".join(parts))
        fill(self.totals, totals_rows(c))
        self.totals.setVisible(True)
        self.tabs.setVisible(True)
        # As tall as its rows: the charts below get the rest.
        height = (self.totals.horizontalHeader().height() + 4
                  + self.totals.horizontalScrollBar().sizeHint().height()
                  + sum(self.totals.rowHeight(r) for r in range(self.totals.rowCount())))
        self.totals.setFixedHeight(min(height, 220))
        self._show_months(c)
        self._show_break_even(c)
        self.histogram_model.blockSignals(True)
        kept = self.histogram_model.currentText()
        self.histogram_model.clear()
        for m in c.models:
            self.histogram_model.addItem(f"{m.vendor} · {m.model}", (m.vendor, m.model))
        biggest = max(range(len(c.models)), key=lambda i: c.models[i].break_even.cost,
                      default=0)
        found = self.histogram_model.findText(kept)
        self.histogram_model.setCurrentIndex(found if found >= 0 else biggest)
        self.histogram_model.blockSignals(False)
        self._show_histogram()

    def _show_months(self, c: Comparison) -> None:
        labels = [m.month for m in c.scenarios[0].months]
        months = [date(int(x[:4]), int(x[5:7]), 1) for x in labels]
        names = [s.name for s in c.scenarios]
        colours = palette_of(self.ctx).colours("scenario", names)
        self.lines.set_scenarios(months, [
            Scenario(s.name, tuple(m.cost for m in s.months), saved=s.name == SAVED)
            for s in c.scenarios], colours, c.currency, "Cost per month under each pricing")
        fill(self.per_conversation, per_conversation_rows(c), ["Month", *names])

    def _show_break_even(self, c: Comparison) -> None:
        fill(self.break_even, break_even_rows(c))
        self.equivalents.setText(equivalents_text(c))

    def _show_histogram(self) -> None:
        c = self.answer.comparison if self.answer else None
        wanted = self.histogram_model.currentData()
        figures = c.model(*wanted) if c is not None and wanted else None
        if figures is None:
            return
        values = sorted(figures.request_costs(SAVED))
        flat, named = self._flat_price(figures.vendor, figures.model)
        if flat is None:
            flat, named = figures.break_even.price, "break-even"
        sp = figures.spread
        self.histogram.set_distribution(
            Distribution("request", c.currency, values, 0, sp.median if sp else None,
                         sp.p90 if sp else None),
            f"{figures.vendor} · {figures.model}, cost per request today; tinted: the requests "
            f"a flat price ({named}) would charge less than they cost", flat)

    def _flat_price(self, vendor: str, model: str) -> tuple[Decimal | None, str]:
        """The price of the first flat per-request alternative covering this vendor."""
        for chosen in self.chosen:
            for plan in chosen.alternative.plans:
                if (plan.vendor.lower() == vendor.lower() and matches(plan.model, model)
                        and is_flat_per_request(plan)):
                    return plan.request, chosen.alternative.name
        return None, ""

    # -- saving --------------------------------------------------------------------------------

    def save_alternative(self) -> None:
        row = self.alternatives.currentRow()
        if not 0 <= row < len(self.chosen):
            return
        alternative = self.chosen[row].alternative
        db = self.ctx.db
        to_save = as_saved(self.chosen[row], self.answer.saved if self.answer else [])
        self.save_button.setEnabled(False)

        def done(result) -> None:
            self.chosen[row] = Chosen(alternative, saved=True)
            self.picker.say(f"Saved {alternative.name} as a plan: it now prices your usage "
                             f"as any plan ({count(result.repriced)} records re-priced). See "
                             "the Plans page.")
            self.ctx.changed()

        def failed(exc: BaseException) -> None:
            self._selection_changed(self.alternatives.currentRow())
            if isinstance(exc, PlanFileError):
                self.picker.say("Not saved:\n" + "\n".join(describe(p) for p in exc.problems),
                                 warn=True)
            else:
                self.picker.say(f"Not saved: {exc}", warn=True)

        self.ctx.tasks.write(f"Saving {alternative.name} as a plan",
                             lambda progress, _c: save_plan(db, to_save), done, failed)
