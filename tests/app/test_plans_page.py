"""The Plans page used as a person would: pick a plan, type, press Save, see the charges change.

The database holds one plan, "Acme chat" (2.00 in / 8.00 out per 1M tokens from 2026-01-01),
and two records priced by it:
  r1: 1,000 input + 500 output = 1,000 x 2 / 1M + 500 x 8 / 1M = 0.002 + 0.004 = 0.006
  r2: 3,000 input              = 3,000 x 2 / 1M                 = 0.006
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from meterbook.app.context import AppContext
from meterbook.app.pages.plans import CatalogDialog, PlansPage
from meterbook.core.catalog import catalog_entry, catalog_plans
from meterbook.core.plan_form import SIZE_TIERS
from meterbook.core.plans import Plan
from meterbook.importers.pipeline import import_files
from meterbook.store.database import open_database
from meterbook.store.plan_ops import list_plans, save_plan_set

ACME = Plan(name="Acme chat", vendor="acme", model="chat*", input=D("2.00"), output=D("8.00"),
            effective_from=datetime(2026, 1, 1, tzinfo=UTC))
USAGE = """timestamp,vendor,model,requests,input_tokens,output_tokens,request_id
2026-02-01T10:00:00Z,acme,chat-large,1,1000,500,r1
2026-02-02T10:00:00Z,acme,chat-large,1,3000,0,r2
"""
WAIT = 10_000  # ms


@pytest.fixture
def db(tmp_path, store_url):
    database = open_database(store_url)
    save_plan_set(database, [ACME])
    usage = tmp_path / "usage.csv"
    usage.write_text(USAGE)
    import_files(database, [usage])
    yield database
    database.close()


def open_page(qtbot, db) -> PlansPage:
    ctx = AppContext(db)
    page = PlansPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    qtbot.waitUntil(lambda: page.loaded, timeout=WAIT)
    return page


@pytest.fixture
def page(qtbot, db):
    shown = open_page(qtbot, db)
    yield shown
    shown.ctx.tasks.shutdown()


def charges(db) -> dict[str, int]:
    """request id -> charge in nano-units; unpriced records have none."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT request_id, charge_nano FROM usage_record "
                                    "JOIN usage_charge ON record_id = id").all()
    return dict(rows)


def tree_item(page: PlansPage, text: str):
    found = page.tree.findItems(text, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
    assert found, f"{text!r} is not in the tree"
    return found[0]


def click_item(qtbot, page: PlansPage, text: str) -> None:
    item = tree_item(page, text)
    page.tree.scrollToItem(item)
    qtbot.mouseClick(page.tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.tree.visualItemRect(item).center())


def retype(qtbot, widget, text: str) -> None:
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def save_and_wait(qtbot, page: PlansPage) -> None:
    assert page.save_button.isEnabled()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.busy and not page.dirty, timeout=WAIT)


def test_the_plans_are_grouped_by_vendor_with_their_versions(page):
    vendor = tree_item(page, "acme")
    assert vendor.parent() is None
    plan = vendor.child(0)
    assert plan.text(0) == "Acme chat"
    assert plan.child(0).text(0) == "from 2026-01-01 · in force"
    # the page opens on a plan, not on an empty form
    assert page.editing == ("Acme chat", ACME.effective_from)
    assert page.editor.fields["input"].text() == "2.00"


def test_edit_a_plan_and_see_the_charges_change(qtbot, page, db):
    assert charges(db) == {"r1": 6_000_000, "r2": 6_000_000}
    click_item(qtbot, page, "Acme chat")
    assert page.editor.fields["name"].text() == "Acme chat"
    assert not page.save_button.isEnabled()  # nothing changed yet
    retype(qtbot, page.editor.fields["input"], "3.00")
    # the preview prices the sample (1,000 in, 500 out) as typed: 0.003 + 0.004
    assert "$0.007" in page.editor.cost_label.text()
    assert "unsaved changes" in page.heading.text()
    save_and_wait(qtbot, page)
    # r1: 1,000 x 3 / 1M + 500 x 8 / 1M = 0.007; r2: 3,000 x 3 / 1M = 0.009
    assert charges(db) == {"r1": 7_000_000, "r2": 9_000_000}
    assert "2 records re-priced" in page.status_label.text()
    assert [p.input for _, p in list_plans(db)] == [D("3.00")]
    qtbot.waitUntil(lambda: page.plans and page.plans[0].input == D("3.00"), timeout=WAIT)


def test_an_invalid_price_is_shown_beside_its_field_and_cannot_be_saved(qtbot, page, db):
    click_item(qtbot, page, "Acme chat")
    retype(qtbot, page.editor.fields["output"], "ten")
    label = page.editor.problem_labels["output"]
    assert label.isVisible() and label.text() == "'ten' is not a decimal number"
    assert not page.save_button.isEnabled()
    assert "Fix the fields" in page.editor.cost_label.text()
    retype(qtbot, page.editor.fields["output"], "-1")
    assert label.text() == "'-1' is negative; prices must be 0 or more"
    retype(qtbot, page.editor.fields["output"], "8.50")
    assert not label.isVisible()
    assert page.save_button.isEnabled()

    # a size tier row left empty is a problem too, named under the table
    page.editor.size_tiers_buttons[0].click()
    table_problem = page.editor.problem_labels[SIZE_TIERS]
    assert table_problem.text() == "Row 1, input above: above_input_tokens is required"
    assert not page.save_button.isEnabled()
    page.editor.tables[SIZE_TIERS].item(0, 0).setText("200000")
    page.editor.tables[SIZE_TIERS].item(0, 1).setText("5.00")
    assert not table_problem.isVisible()
    save_and_wait(qtbot, page)
    [saved] = [p for _, p in list_plans(db)]
    assert saved.output == D("8.50")
    assert saved.size_tiers[0].above_input_tokens == 200_000
    # nothing was typed into the database while the output price was wrong
    assert charges(db) == {"r1": 6_250_000, "r2": 6_000_000}  # 0.002 + 500 x 8.5 / 1M


def test_unsaved_changes_are_reverted_or_kept_when_another_version_is_picked(
        qtbot, page, monkeypatch):
    save_plan_set(page.ctx.db, [Plan(name="Other", vendor="acme", model="other")])
    page.ctx.changed()
    qtbot.waitUntil(lambda: len(page.plans) == 2, timeout=WAIT)
    retype(qtbot, page.editor.fields["input"], "9")
    # picking another plan asks first; Cancel keeps the edit where it was
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Cancel)
    click_item(qtbot, page, "Other")
    assert page.editing[0] == "Acme chat" and page.editor.fields["input"].text() == "9"
    qtbot.mouseClick(page.revert_button, Qt.MouseButton.LeftButton)
    assert page.editor.fields["input"].text() == "2.00" and not page.dirty
    click_item(qtbot, page, "Other")  # nothing to lose: no question
    assert page.editing[0] == "Other"


def test_a_plan_that_ties_with_a_saved_one_is_refused_beside_the_model(qtbot, page):
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.editor.fields["vendor"].text() == "acme"  # the vendor that was selected
    qtbot.keyClicks(page.editor.fields["name"], "Acme rival")
    retype(qtbot, page.editor.fields["model"], "chat*")
    problem = page.editor.problem_labels["model"]
    assert problem.isVisible() and "ties with Acme chat" in problem.text()
    assert not page.save_button.isEnabled()
    retype(qtbot, page.editor.fields["model"], "chat-large")  # more specific: it wins
    assert not problem.isVisible()
    assert page.save_button.isEnabled()


def test_a_new_version_keeps_old_usage_at_the_old_price(qtbot, page, db):
    click_item(qtbot, page, "Acme chat")
    qtbot.mouseClick(page.version_button, Qt.MouseButton.LeftButton)
    assert page.editor.form.get("effective_from") >= date.today().isoformat()
    assert page.editor.fields["input"].text() == "2.00"  # a copy of the selected version
    retype(qtbot, page.editor.fields["input"], "1.00")
    save_and_wait(qtbot, page)
    assert len(list_plans(db)) == 2
    assert charges(db) == {"r1": 6_000_000, "r2": 6_000_000}  # February: the old version
    qtbot.waitUntil(lambda: tree_item(page, "Acme chat").childCount() == 2, timeout=WAIT)


def test_moving_a_versions_start_replaces_it(qtbot, page, db):
    click_item(qtbot, page, "Acme chat")
    page.editor.date_edit.setDate(QDate(2026, 3, 1))
    save_and_wait(qtbot, page)
    assert [p.effective_from for _, p in list_plans(db)] == [datetime(2026, 3, 1, tzinfo=UTC)]
    assert charges(db) == {}  # February's usage is now before every version: unpriced
    qtbot.mouseClick(page.editor.always, Qt.MouseButton.LeftButton)
    save_and_wait(qtbot, page)
    assert [p.effective_from for _, p in list_plans(db)] == [None]
    assert charges(db) == {"r1": 6_000_000, "r2": 6_000_000}


def test_add_a_plan_from_the_catalog(qtbot, page, db, monkeypatch):
    dialog = CatalogDialog(page, {"Acme chat"})
    qtbot.addWidget(dialog)
    vendors = {dialog.tree.topLevelItem(i).text(0)
               for i in range(dialog.tree.topLevelItemCount())}
    assert {p.vendor for p in catalog_plans()} == vendors
    wanted = catalog_plans()[0]
    assert not dialog.add_button.isEnabled()
    dialog.search.setText(wanted.name)
    visible = [i for i in dialog._plan_items() if not i.isHidden()]
    assert 0 < len(visible) < len(dialog._plan_items())  # the search narrowed the list
    [item] = [i for i in visible if i.data(0, Qt.ItemDataRole.UserRole) == wanted.name]
    assert item.text(3) == wanted.source  # where the price came from

    def choose(self):
        self.select(wanted.name)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(CatalogDialog, "exec", choose)
    qtbot.mouseClick(page.catalog_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.editing is not None and page.editing[0] == wanted.name,
                    timeout=WAIT)
    saved = sorted((p for _, p in list_plans(db) if p.name == wanted.name),
                   key=lambda p: p.effective_from or datetime.min.replace(tzinfo=UTC))
    assert saved == catalog_entry(wanted.name)
    assert tree_item(page, wanted.name).parent().text(0) == wanted.vendor
    assert page.editor.fields["source"].text() == wanted.source


def test_export_then_import_gives_back_the_same_plans(qtbot, page, db, tmp_path, monkeypatch):
    path = tmp_path / "plans.toml"
    page.export_toml(str(path))
    qtbot.waitUntil(lambda: "exported" in page.status_label.text(), timeout=WAIT)
    assert 'name = "Acme chat"' in path.read_text()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.delete_action.trigger()
    qtbot.waitUntil(lambda: not page.busy and not page.plans, timeout=WAIT)
    assert charges(db) == {}
    assert page.empty_label.isVisible()  # nothing left: the page says how to begin
    page.import_toml(str(path))
    qtbot.waitUntil(lambda: not page.busy and bool(page.plans), timeout=WAIT)
    assert [p for _, p in list_plans(db)] == [ACME]
    assert charges(db) == {"r1": 6_000_000, "r2": 6_000_000}
    assert "Imported 1 plan versions" in page.status_label.text()


def test_a_refused_file_shows_every_problem_and_changes_nothing(qtbot, page, db, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[plan]]\nname = "Broken"\ninput = 2.5\noutput = "-3"\n')
    page.import_toml(str(bad))
    qtbot.waitUntil(lambda: page.problems_dialog is not None
                    and page.problems_dialog.isVisible(), timeout=WAIT)
    lines = page.problems_dialog.lines()
    assert lines == [
        "Broken — vendor: vendor is required (line 1)",
        'Broken — input: prices are decimal strings: write "2.5", with the quotes (line 3)',
        "Broken — output: '-3' is negative; prices must be 0 or more (line 4)",
    ]
    assert [p for _, p in list_plans(db)] == [ACME]
    assert not page.busy


def test_an_empty_database_says_how_to_begin(qtbot, tmp_path):
    db = open_database(str(tmp_path / "empty.db"))
    try:
        page = open_page(qtbot, db)
        assert page.empty_label.isVisible() and not page.scroll.isVisible()
        assert "Add from catalog" in page.empty_label.text()
        qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
        assert page.scroll.isVisible()
        assert "new, not saved yet" in page.heading.text()
        page.ctx.tasks.shutdown()
    finally:
        db.close()


def test_a_new_plan_shows_the_defaults_as_placeholders(qtbot, page, db):
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    fields = page.editor.fields
    # Empty, the defaults greyed behind: typing replaces them instead of adding to "0".
    assert [fields[k].text() for k in ("input", "output", "model", "multiplier")] == \
        ["", "", "", ""]
    assert [fields[k].placeholderText() for k in ("input", "output", "multiplier")] == \
        ["0", "0", "1"]
    qtbot.keyClicks(fields["name"], "Acme mini")
    qtbot.keyClicks(fields["model"], "mini*")
    qtbot.keyClicks(fields["input"], "2.00")
    assert fields["input"].text() == "2.00"
    save_and_wait(qtbot, page)
    qtbot.waitUntil(lambda: "new, not saved" not in page.heading.text(), timeout=WAIT)
    [mini] = [p for _, p in list_plans(db) if p.name == "Acme mini"]
    assert (mini.input, mini.output, mini.multiplier) == (D("2.00"), D(0), D(1))
    # Saved without a start date: the heading says so in words.
    assert "version in force from the start" in page.heading.text()
    assert "always" not in page.heading.text()


def test_a_new_size_tier_row_shows_its_problem_in_view(qtbot, page):
    page.resize(1090, 690)  # the Plans page of a 1280x800 window
    click_item(qtbot, page, "Acme chat")
    page.editor.size_tiers_buttons[0].click()
    table = page.editor.tables[SIZE_TIERS]
    problem = page.editor.problem_labels[SIZE_TIERS]
    # The size tiers' tab is shown, with the row and what it lacks, whole, in the page.
    assert table.isVisible() and problem.isVisible()
    assert problem.text() == "Row 1, input above: above_input_tokens is required"
    viewport = page.scroll.viewport()
    for widget in (table, problem):
        corner = widget.mapTo(viewport, widget.rect().bottomRight())
        assert viewport.rect().contains(corner), f"{widget!r} is cut at {corner}"
    tab = page.editor.tabs.tabText(page.editor.tabs.currentIndex())
    assert tab == "Size tiers (1) — to fix"
    assert "(Size tiers)" in page.editor.cost_label.text()


@pytest.mark.parametrize(("width", "side_by_side"), [(1090, True), (830, False)])
def test_the_editor_fields_fit_the_width(qtbot, page, width, side_by_side):
    # 1090 and 830: the Plans page in a 1280x800 and in a 1024x640 window.
    page.resize(width, 600)
    click_item(qtbot, page, "Acme chat")
    tokens, name = page.editor.fields["input"], page.editor.fields["name"]

    def beside() -> bool:
        return tokens.mapTo(page.editor, tokens.rect().topLeft()).x() > \
            name.mapTo(page.editor, name.rect().topRight()).x()

    qtbot.waitUntil(lambda: beside() == side_by_side)  # once the layout has run
    # Nothing is cut at the right: no sideways scrolling.
    qtbot.waitUntil(lambda: not page.scroll.horizontalScrollBar().isVisible())
    assert page.editor.width() <= page.scroll.viewport().width()
