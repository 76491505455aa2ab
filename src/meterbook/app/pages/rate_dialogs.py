"""The exchange-rate dialogs of the Settings page: one rate, or every missing rate at once."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.store import settings as store

COMMON_CURRENCIES = {
    "USD": "US dollar", "EUR": "euro", "GBP": "British pound", "JPY": "Japanese yen",
    "CHF": "Swiss franc", "CAD": "Canadian dollar", "AUD": "Australian dollar",
    "NZD": "New Zealand dollar", "CNY": "Chinese yuan", "INR": "Indian rupee",
    "SEK": "Swedish krona", "NOK": "Norwegian krone", "DKK": "Danish krone",
    "PLN": "Polish złoty", "CZK": "Czech koruna", "HUF": "Hungarian forint",
    "BRL": "Brazilian real", "MXN": "Mexican peso", "SGD": "Singapore dollar",
    "HKD": "Hong Kong dollar", "KRW": "South Korean won", "ZAR": "South African rand",
    "ILS": "Israeli shekel", "TRY": "Turkish lira", "AED": "UAE dirham",
}  # fmt: skip


def known_currencies() -> set[str]:
    """The ISO codes of the currencies of every locale Qt knows: enough to warn about a typo
    (a code not in it is still accepted: the list is not the ISO 4217 register)."""
    codes = {locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode)
             for locale in QLocale.matchingLocales(QLocale.Language.AnyLanguage,
                                                   QLocale.Script.AnyScript,
                                                   QLocale.Country.AnyCountry)}
    return {code for code in codes if len(code) == 3} | set(COMMON_CURRENCIES)


def _problem_and_save(dialog: QDialog, add) -> tuple[QLabel, QPushButton]:
    """A rate dialog's foot: a red line saying what is wrong, then Save and Cancel (`add`
    places each widget in the dialog's layout)."""
    problem = QLabel()
    problem.setStyleSheet("color: #b91c1c;")
    problem.setWordWrap(True)
    add(problem)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    add(buttons)
    return problem, buttons.button(QDialogButtonBox.StandardButton.Save)


class RateDialog(QDialog):
    """One exchange rate: currency, month and what one unit was worth in the home currency."""

    def __init__(self, parent: QWidget, home: str, rate: tuple | None = None):
        super().__init__(parent)
        self.setWindowTitle("Exchange rate" if rate else "Add an exchange rate")
        self.home = home
        form = QFormLayout(self)
        self.currency = QComboBox()
        self.currency.setEditable(True)
        self.currency.addItems([c for c in COMMON_CURRENCIES if c != home])
        self.month = QLineEdit(date.today().strftime("%Y-%m"))
        self.month.setPlaceholderText("YYYY-MM")
        self.rate = QLineEdit()
        self.rate.setPlaceholderText("e.g. 1.0842")
        self.unit = QLabel()
        if rate is not None:
            self.currency.setCurrentText(rate[0])
            self.month.setText(rate[1])
            self.rate.setText(str(rate[2]))
        rate_row = QHBoxLayout()
        rate_row.addWidget(self.rate, 1)
        rate_row.addWidget(self.unit)
        form.addRow("Currency:", self.currency)
        form.addRow("Month:", self.month)
        form.addRow("One unit is worth:", rate_row)
        self.problem, self.save_button = _problem_and_save(self, form.addRow)
        self.currency.currentTextChanged.connect(self._check)
        self.month.textChanged.connect(self._check)
        self.rate.textChanged.connect(self._check)
        self._check()

    def values(self) -> tuple[str, str, str]:
        """(currency, month, rate) as validated: the rate stays decimal text, never a float."""
        currency = store.normalize_currency(self.currency.currentText())
        if currency == self.home:
            raise ValueError(f"{currency} is the home currency: its figures need no rate")
        month = store.normalize_month(self.month.text())
        rate = store.normalize_rate(self.rate.text().strip())
        return currency, month, str(rate)

    def _check(self, *_args) -> None:
        code = self.currency.currentText().strip().upper()
        self.unit.setText(f"{self.home} per {code or '…'}")
        try:
            self.values()
            problem = ""
        except ValueError as exc:
            problem = str(exc) if self.rate.text().strip() else "Type the rate."
        self.problem.setText(problem)
        self.save_button.setEnabled(not problem)

    def accept(self) -> None:
        if self.save_button.isEnabled():
            super().accept()


class MissingRatesDialog(QDialog):
    """The rate editor for a list of missing (currency, month) pairs, all at once: one line
    each, so that a home currency without rates is put right in one go, not month by month.
    Lines left empty are skipped; Save writes the rest in one transaction."""

    def __init__(self, parent: QWidget, ctx, home: str, pairs):
        super().__init__(parent)
        self.setWindowTitle("Add exchange rates")
        self.ctx, self.home, self.pairs = ctx, home, list(pairs)
        layout = QVBoxLayout(self)
        layout.addWidget(hint_label(f"What one unit of each currency was worth in {home} in that "
                                    "month. Figures that need a rate stay unavailable until it is "
                                    "saved; empty lines are skipped."))
        self.table = QTableWidget(len(self.pairs), 3)
        self.table.setHorizontalHeaderLabels(["Currency", "Month", f"Rate (in {home})"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.fields: list[QLineEdit] = []
        for row, (currency, month) in enumerate(self.pairs):
            self.table.setItem(row, 0, QTableWidgetItem(currency))
            self.table.setItem(row, 1, QTableWidgetItem(month))
            field = QLineEdit()
            field.setPlaceholderText("e.g. 0.9210")
            field.setAccessibleName(f"{currency} rate of {month}")
            field.textChanged.connect(self._check)
            self.table.setCellWidget(row, 2, field)
            self.fields.append(field)
        layout.addWidget(self.table, 1)
        self.problem, self.save_button = _problem_and_save(self, layout.addWidget)
        self.resize(480, min(520, 160 + 32 * len(self.pairs)))
        self._check()

    def values(self) -> list[tuple[str, str, str]]:
        """(currency, month, rate) of every filled line, validated; ValueError names the line."""
        out = []
        for (currency, month), field in zip(self.pairs, self.fields, strict=True):
            text = field.text().strip()
            if not text:
                continue
            try:
                out.append((currency, month, str(store.normalize_rate(text))))
            except ValueError as exc:
                raise ValueError(f"{currency} in {month}: {exc}") from None
        return out

    def _check(self, *_args) -> None:
        try:
            problem = "" if self.values() else "Type at least one rate."
        except ValueError as exc:
            problem = str(exc)
        self.problem.setText(problem)
        self.save_button.setEnabled(not problem)

    def accept(self) -> None:
        if not self.save_button.isEnabled():
            return
        rates, db, ctx = self.values(), self.ctx.db, self.ctx

        def job(_progress, _cancelled) -> int:
            with db.session() as session:
                for currency, month, rate in rates:
                    store.set_rate(session, currency=currency, month=month, rate=rate)
                session.commit()
            return len(rates)

        def done(n: int) -> None:
            ctx.status.emit(f"{n} exchange rate{'s' if n != 1 else ''} saved.")
            ctx.changed()

        def failed(exc: BaseException) -> None:
            QMessageBox.warning(self.parentWidget(), "Exchange rates",
                                f"No rate was saved: {exc}")

        ctx.tasks.write("save exchange rates", job, done, failed)
        super().accept()


def add_missing_rates(parent: QWidget, ctx, home: str, pairs) -> MissingRatesDialog:
    """Open the Settings page and, over it, the rate editor for these (currency, month)."""
    ctx.open_page.emit("settings")
    dialog = MissingRatesDialog(parent, ctx, home, pairs)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def hint_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: gray;")
    return label


