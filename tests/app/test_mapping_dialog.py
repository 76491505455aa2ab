"""The column-mapping dialog with the keyboard alone: Tab reaches every choice and Import,
in the order they are read, and is not trapped in the table of columns."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from meterbook.app.pages.mapping_dialog import MappingDialog
from meterbook.importers.mapping_form import MappingForm


def test_tab_reaches_every_choice_and_import(qtbot):
    form = MappingForm(["shop.csv"], ["Datum", "Dienst", "Anfragen", "Kosten"],
                       [["28.02.2026", "translate-pro", "12", "1,50"]])
    form.vendor = "deepl"  # with the day-first date, nothing is missing: Import is enabled
    dialog = MappingDialog(None, form)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert dialog.import_button.isEnabled()
    expected = [*dialog.combos, dialog.vendor_edit, dialog.date_combo, dialog.decimal_comma,
                dialog.currency_edit, dialog.save_check, dialog.save_name,
                dialog.import_button, dialog.buttons.button(dialog.buttons.StandardButton.Cancel)]
    reached = []
    for _ in expected:
        widget = QApplication.focusWidget()
        # An editable combo's focus is in its line edit: count the combo.
        reached.append(widget.parent() if widget.parent() in expected else widget)
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
    # The buttons come in the platform's order (Cancel first on Linux desktops).
    assert reached[:-2] == expected[:-2] and set(reached[-2:]) == set(expected[-2:])
    # Space on Import imports: the dialog is accepted with the choices made.
    dialog.import_button.setFocus()
    qtbot.keyClick(dialog.import_button, Qt.Key.Key_Space)
    assert dialog.result() == MappingDialog.DialogCode.Accepted
    assert dialog.mapping().vendor == "deepl"
