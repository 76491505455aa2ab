"""The Compare page's alternative picker: a small form per kind of alternative, checked for
people before anything is priced.

Every quick form goes through core/quick_plans (the same functions as the command line), so a
form refuses exactly what `plans import` would refuse, every problem at once. A form's own
messages come first: a price that is not a number is named with the field it was typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.formatting import warning_color
from meterbook.app.pages.plans import describe
from meterbook.core.catalog import catalog_entry, catalog_names
from meterbook.core.plans import Plan, PlanFileError
from meterbook.core.quick_plans import (
    Alternative,
    alternative_from_file,
    fee_with_included,
    flat_per_request,
    per_token,
    volume_tiered,
)  # fmt: skip


@dataclass(frozen=True)
class Chosen:
    """An alternative on the page's list. `over_saved`: it only covers its own vendor, so the
    saved plans keep pricing the rest when compared. `saved`: it is a saved plan already (no
    "Save as plan")."""

    alternative: Alternative
    over_saved: bool = True
    saved: bool = False


class FormError(ValueError):
    """What the person typed cannot make a plan: one sentence per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


KINDS = (("flat", "A flat price per request"), ("token", "Per-token at these prices"),
         ("tiers", "This price with these volume tiers"),
         ("fee", "This fee with this many requests included"), ("saved", "A saved plan"),
         ("catalog", "A plan from the bundled catalog"), ("file", "A plan file (TOML)…"))


# The typed fields of each quick form: (name, label, placeholder).
FIELDS = {
    "flat": (("price", "Price per request", "e.g. 0.002"),),
    "token": (("input", "Input per 1M tokens", "e.g. 2.50"),
              ("output", "Output per 1M tokens", "e.g. 10"),
              ("cached", "Cached input per 1M", "optional")),
    "tiers": (("tiers", "Per request, tiers", "100000 at 0.002, 0.001"),),
    "fee": (("fee", "Monthly fee", "e.g. 500"), ("included", "Requests included", "e.g. 100000"),
            ("then", "Then per request", "e.g. 0.004")),
}


class _Fields:
    """Reads the typed values, collecting every problem before saying any."""

    def __init__(self):
        self.problems: list[str] = []

    def price(self, edit: QLineEdit, what: str, optional: bool = False) -> Decimal | None:
        text = edit.text().strip().replace(",", "")
        if not text and optional:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.problems.append(f"{what}: type a number such as 0.002 (not "
                                 f"{text!r})." if text else f"{what}: type a price.")
            return None
        if value < 0:
            self.problems.append(f"{what}: a price cannot be negative ({text}).")
            return None
        return value

    def whole(self, edit: QLineEdit, what: str) -> int | None:
        text = edit.text().strip().replace(",", "").replace("_", "")
        if not text.isdigit():
            self.problems.append(f"{what}: type a whole number of requests such as 100000"
                                 + (f" (not {text!r})." if text else "."))
            return None
        return int(text)

    def tiers(self, edit: QLineEdit, what: str) -> list[tuple[int | None, Decimal]]:
        """'100000 at 0.002, 1000000 at 0.0015, 0.001': up to N requests at a price, the
        last one without a bound (every further request)."""
        out: list[tuple[int | None, Decimal]] = []
        parts = [p.strip() for p in edit.text().split(";" if ";" in edit.text() else ",")]
        for n, part in enumerate(p for p in parts if p):
            words = part.split()
            bound, price = (words[0], words[-1]) if len(words) == 3 and words[1] == "at" else (
                None, part)
            try:
                amount = Decimal(price)
                up_to = None if bound is None else int(bound.replace("_", ""))
            except (InvalidOperation, ValueError):
                self.problems.append(f"{what}, tier {n + 1}: write it as 'UP-TO at PRICE' "
                                     f"(e.g. 100000 at 0.002), not {part!r}.")
                continue
            out.append((up_to, amount))
        if not out:
            self.problems.append(f"{what}: give at least one tier, e.g. "
                                 "'100000 at 0.002, 0.001'.")
        elif out[-1][0] is not None:
            out.append((None, out[-1][1]))  # the last price goes on for every further request
        return out

    def text(self, edit: QLineEdit | QComboBox, what: str) -> str:
        value = (edit.currentText() if isinstance(edit, QComboBox) else edit.text()).strip()
        if not value:
            self.problems.append(f"{what}: choose or type one.")
        return value

    def done(self) -> None:
        if self.problems:
            raise FormError(self.problems)


class AlternativePicker(QWidget):
    """Pick the kind of alternative, fill its small form, Add: `added` carries a Chosen."""

    added = Signal(object)

    def __init__(self, currency=lambda: "USD", saved_plans=lambda: [],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.currency, self.saved_plans = currency, saved_plans
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of alternative")
        for key, text in KINDS:
            self.kind.addItem(text, key)
        layout.addWidget(self.kind)
        self.forms = QStackedWidget()
        self.fields: dict[str, dict[str, QWidget]] = {}
        for key, _text in KINDS:
            self.forms.addWidget(self._form(key))
        self.kind.currentIndexChanged.connect(self._kind_changed)
        layout.addWidget(self.forms)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add this alternative to the list to compare")
        self.add_button.clicked.connect(self.add)
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self._kind_changed()

    def _form(self, key: str) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        fields: dict[str, QWidget] = {}

        def line(name: str, label: str, hint: str, text: str = "") -> None:
            edit = QLineEdit(text)
            edit.setPlaceholderText(hint)
            edit.setAccessibleName(label)
            edit.returnPressed.connect(self.add)
            fields[name] = edit
            form.addRow(label, edit)

        if key in ("flat", "token", "tiers", "fee"):
            vendor = QComboBox()
            vendor.setEditable(True)
            vendor.setAccessibleName("Vendor")
            fields["vendor"] = vendor
            form.addRow("Vendor", vendor)
            line("model", "Models", "* for every model", "*")
        for name, label, hint in FIELDS.get(key, ()):
            line(name, label, hint)
        if key in ("saved", "catalog"):
            names = QComboBox()
            names.setAccessibleName("Plan")
            fields["name"] = names
            form.addRow("Plan", names)
        elif key == "file":
            form.addRow(QLabel("Add opens a file dialog: the file's plans are the "
                               "alternative, checked as <code>plans import</code> checks "
                               "them."))
        self.fields[key] = fields
        return box

    def _kind_changed(self) -> None:
        self.forms.setCurrentIndex(self.kind.currentIndex())
        key = self.kind.currentData()
        if key == "catalog" and not self.fields[key]["name"].count():
            self.fields[key]["name"].addItems(catalog_names())
        self.message.setText("")

    def set_vendors(self, vendors: list[str]) -> None:
        for fields in self.fields.values():
            box = fields.get("vendor")
            if isinstance(box, QComboBox):
                typed = box.currentText()
                box.clear()
                box.addItems(vendors)
                if typed:
                    box.setCurrentText(typed)

    def set_saved_names(self, names: list[str]) -> None:
        box = self.fields["saved"]["name"]
        kept = box.currentText()
        box.clear()
        box.addItems(names)
        if kept in names:
            box.setCurrentText(kept)

    # -- building the alternative ------------------------------------------------------------------

    def add(self) -> None:
        try:
            chosen = self.build()
        except FormError as exc:
            self.say("Not added:\n" + "\n".join(exc.problems), warn=True)
            return
        except PlanFileError as exc:
            where = exc.path if self.kind.currentData() == "file" else "the plan"
            self.say(f"Not added, {where} has problems:\n"
                      + "\n".join(describe(p) for p in exc.problems), warn=True)
            return
        if chosen is None:  # the file dialog was cancelled
            return
        self.say(f"Added {chosen.alternative.name}.")
        self.added.emit(chosen)

    def say(self, text: str, warn: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {warning_color(self.palette()).name()};"
                                   if warn else "")

    def build(self) -> Chosen | None:
        """The alternative the current form describes; FormError or PlanFileError when it
        cannot be one (every problem listed)."""
        key = self.kind.currentData()
        f, read = self.fields[key], _Fields()
        if key == "file":
            path, _ = QFileDialog.getOpenFileName(self, "Compare with a plan file", "",
                                                  "Plan files (*.toml)")
            return Chosen(alternative_from_file(path), over_saved=False) if path else None
        if key in ("saved", "catalog"):
            name = read.text(f["name"], "Plan")
            read.done()
            plans: list[Plan] = ([p for p in self.saved_plans() if p.name == name]
                                 if key == "saved" else catalog_entry(name))
            return Chosen(Alternative(name, tuple(plans)), saved=key == "saved")
        vendor, model = read.text(f["vendor"], "Vendor"), read.text(f["model"], "Models") or "*"
        common = {"model": model, "currency": self.currency()}
        if key == "flat":
            price = read.price(f["price"], "Price per request")
            read.done()
            return Chosen(flat_per_request(vendor, price, **common))
        if key == "token":
            prices = (read.price(f["input"], "Input per 1M tokens"),
                      read.price(f["output"], "Output per 1M tokens"),
                      read.price(f["cached"], "Cached input per 1M", optional=True))
            read.done()
            return Chosen(per_token(vendor, prices[0], prices[1], cached_input=prices[2],
                                    **common))
        if key == "tiers":
            tiers = read.tiers(f["tiers"], "Tiers")
            read.done()
            return Chosen(volume_tiered(vendor, tiers, **common))
        fee = read.price(f["fee"], "Monthly fee")
        included = read.whole(f["included"], "Requests included")
        then = read.price(f["then"], "Then per request")
        read.done()
        return Chosen(fee_with_included(vendor, fee, included, then, **common))
