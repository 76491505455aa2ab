"""The Plans page: the saved plans by vendor with their versions, and the plan editor.

Everything that changes plans goes through the one writer (ctx.tasks.write) and plan_ops, which
checks the whole set and re-prices in the same transaction; the page only shows progress and,
when a change is refused, every problem at once. Reads go through the reader pool.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.context import AppContext
from meterbook.app.formatting import count, warning_color
from meterbook.app.icons import draw_icons
from meterbook.app.pages.base import Page
from meterbook.app.pages.plan_editor import PlanEditor
from meterbook.core.catalog import catalog_entry, catalog_plans
from meterbook.core.plan_form import SOURCE, PlanForm, price_summary
from meterbook.core.plans import Plan, PlanFileError, PlanProblem
from meterbook.store.database import Database
from meterbook.store.plan_ops import (
    SavedPlans,
    export_plans,
    import_plan_file,
    list_plans,
    remove_plan,
    save_plan_set,
)  # fmt: skip

PlanKey = tuple[str, datetime | None]  # a version: its name and start, as plan_ops keys it
ROLE = Qt.ItemDataRole.UserRole


def plan_key(plan: Plan) -> PlanKey:
    return plan.name, plan.effective_from


def _start(plan: Plan) -> datetime:
    return plan.effective_from or datetime.min.replace(tzinfo=UTC)


def replace_version(db: Database, old: PlanKey, plan: Plan, progress=None) -> SavedPlans:
    """Save `plan` in place of the saved version `old`, whose name or start was edited: one
    transaction, so the old version is gone only if the new one is saved."""
    return save_plan_set(db, [plan], SOURCE, progress, remove=[old])


def describe(problem: PlanProblem) -> str:
    """A refusal as people read it: "Plan — key: message (line 4)"."""
    where = " — ".join(part for part in (problem.plan, problem.key) if part)
    line = f" (line {problem.line})" if problem.line else ""
    return f"{where}: {problem.message}{line}" if where else f"{problem.message}{line}"


class ProblemsDialog(QDialog):
    """Every reason a change was refused, in one list that can be copied."""

    def __init__(self, parent: QWidget, title: str, heading: str, lines: list[str]):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 320)
        layout = QVBoxLayout(self)
        label = QLabel(heading)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.list = QListWidget()
        self.list.addItems(lines)
        self.list.setWordWrap(True)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def lines(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]


class CatalogDialog(QDialog):
    """The bundled catalog by vendor; the chosen plan's versions are added to the user's."""

    def __init__(self, parent: QWidget | None = None, owned: set[str] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Add a plan from the catalog")
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        intro = QLabel("List prices bundled with Meterbook, with the page each was checked "
                       "against. Adding one copies all its versions into your plans, where "
                       "you can edit them.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search plans, models, vendors…")
        self.search.textChanged.connect(self._filter)
        layout.addWidget(self.search)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Plan", "Model", "Prices", "Source"])
        self.tree.setColumnWidth(0, 240)
        self.tree.setColumnWidth(1, 150)
        self.tree.setColumnWidth(2, 260)
        latest: dict[str, Plan] = {}
        for plan in catalog_plans():
            if plan.name not in latest or _start(plan) > _start(latest[plan.name]):
                latest[plan.name] = plan
        vendors: dict[str, QTreeWidgetItem] = {}
        for plan in latest.values():
            parent_item = vendors.get(plan.vendor)
            if parent_item is None:
                parent_item = vendors[plan.vendor] = QTreeWidgetItem(self.tree, [plan.vendor])
                parent_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                _bold(parent_item)
            name = plan.name + (" (in your plans)" if plan.name in (owned or ()) else "")
            prices = f"{plan.currency} {price_summary(plan)}"
            item = QTreeWidgetItem(parent_item, [name, plan.model, prices,
                                                 plan.source or ""])
            item.setData(0, ROLE, plan.name)
            item.setToolTip(3, plan.source or "")
        self.tree.expandAll()
        self.tree.itemDoubleClicked.connect(lambda item, _c: self.chosen() and self.accept())
        self.tree.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.tree)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = self.buttons.addButton("Add plan",
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def chosen(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, ROLE)

    def select(self, name: str) -> None:
        for item in self._plan_items():
            if item.data(0, ROLE) == name:
                self.tree.setCurrentItem(item)

    def _selected(self) -> None:
        self.add_button.setEnabled(self.chosen() is not None)

    def _plan_items(self) -> list[QTreeWidgetItem]:
        root = self.tree.invisibleRootItem()
        return [root.child(v).child(p) for v in range(root.childCount())
                for p in range(root.child(v).childCount())]

    def _filter(self, text: str) -> None:
        wanted = text.strip().casefold()
        root = self.tree.invisibleRootItem()
        for v in range(root.childCount()):
            vendor = root.child(v)
            shown = 0
            for p in range(vendor.childCount()):
                item = vendor.child(p)
                words = " ".join(item.text(c) for c in range(3)) + " " + vendor.text(0)
                hide = bool(wanted) and wanted not in words.casefold()
                item.setHidden(hide)
                shown += not hide
            vendor.setHidden(shown == 0)


def _may_shrink(label: QLabel) -> None:
    """A long message is cut at the window's edge rather than widening the window."""
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(100)


class _EditorScroll(QScrollArea):
    """Scrolls the plan editor, which lays its fields out for the width there is."""

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if isinstance(self.widget(), PlanEditor):
            self.widget().reflow(self.viewport().width())


def _bold(item: QTreeWidgetItem) -> None:
    font = QFont(item.font(0))
    font.setBold(True)
    item.setFont(0, font)


class PlansPage(Page):
    key, title = "plans", "Plans"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.plans: list[Plan] = []
        self._drawn: list[tuple[QAction | QPushButton, str]] = []  # what shows which icon
        self.editing: PlanKey | None = None  # the saved version in the editor; None: a draft
        self.dirty = False
        self.busy = False
        self.loaded = False  # the first read came back
        self.problems_dialog: ProblemsDialog | None = None
        self._select_after: PlanKey | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_toolbar())
        splitter = QSplitter()
        splitter.addWidget(self._build_tree())
        splitter.addWidget(self._build_editor())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 830])
        layout.addWidget(splitter, 1)
        draw_icons(self, self._drawn)
        self._show_draft(PlanForm.blank(), "No plan selected")

    # -- building --------------------------------------------------------------------------------

    def _button(self, text: str, slot: Callable, icon: str | None = None) -> QPushButton:
        button = QPushButton(text)
        if icon:
            self._drawn.append((button, icon))
        button.clicked.connect(lambda _=False: slot())
        return button

    def _build_toolbar(self) -> QToolBar:
        # A toolbar rather than a row of buttons: on a narrow window the last ones fold into
        # its » menu instead of setting a minimum width for the whole window.
        bar = QToolBar("Plans")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        def add(text: str, slot: Callable, icon: str, keys: str) -> QAction:
            action = bar.addAction(text)
            self._drawn.append((action, icon))
            action.triggered.connect(lambda _=False: slot())
            # Only while the Plans page is shown: the keys mean nothing on the other pages.
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
            native = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{text.rstrip('…')} ({native})")
            # Toolbar buttons take no focus by default: Tab would never reach these.
            bar.widgetForAction(action).setFocusPolicy(Qt.FocusPolicy.TabFocus)
            return action

        self.new_action = add("New plan", self.new_plan, "new", "Ctrl+Shift+N")
        self.version_action = add("New version", self.new_version, "version",
                                  "Ctrl+Shift+V")
        self.catalog_action = add("Add from catalog…", self.add_from_catalog, "catalog",
                                  "Ctrl+Shift+A")
        bar.addSeparator()
        self.import_action = add("Import TOML…", self.import_toml, "import",
                                 "Ctrl+Shift+I")
        self.export_action = add("Export TOML…", self.export_toml, "export", "Ctrl+Shift+E")
        bar.addSeparator()
        self.delete_action = add("Delete plan", self.delete_plan, "delete", "Ctrl+Del")
        self.new_button, self.version_button, self.catalog_button = (
            bar.widgetForAction(a) for a in (self.new_action, self.version_action,
                                             self.catalog_action))
        return bar

    def _build_tree(self) -> QWidget:
        self.tree = QTreeWidget()
        # One column: the editor beside it shows the prices, the tooltips sum them up.
        self.tree.setHeaderLabels(["Plans by vendor"])
        self.tree.setUniformRowHeights(True)
        self.tree.itemSelectionChanged.connect(self._tree_selected)
        return self.tree

    def _build_editor(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(6, 0, 0, 0)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        _may_shrink(self.heading)
        layout.addWidget(self.heading)
        self.editor = PlanEditor()
        self.editor.edited.connect(self._edited)
        self.scroll = scroll = _EditorScroll()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.editor)
        layout.addWidget(scroll, 1)
        self.empty_label = QLabel(
            "<p style='font-size: 12pt'>No plans yet.</p><p>A plan says what a vendor charges, "
            "so that your usage can be priced. Start with <b>Add from catalog…</b> for a "
            "vendor's list prices, <b>Import TOML…</b> for a plan file, or <b>New plan</b> to "
            "type one in.</p>")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.empty_label, 1)
        bar = QHBoxLayout()
        self.status_label = QLabel()
        _may_shrink(self.status_label)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.revert_button = self._button("Revert", self.revert)
        self.save_button = self._button("Save", self.save, "backup")
        self.save_button.setDefault(True)
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        bar.addWidget(self.status_label, 1)
        bar.addWidget(self.progress)
        bar.addWidget(self.revert_button)
        bar.addWidget(self.save_button)
        layout.addLayout(bar)
        return panel

    # -- reading ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        db = self.ctx.db
        self.ctx.tasks.read(lambda: [p for _, p in list_plans(db)], self._loaded,
                            lambda exc: self._failed("Could not read the plans", exc))

    def _loaded(self, plans: list[Plan]) -> None:
        self.plans = plans
        self.loaded = True
        wanted = self._select_after or self.editing
        self._select_after = None
        if wanted is not None and self._find(wanted) is None:
            wanted = None  # deleted, or renamed elsewhere
        if wanted is None and not self.dirty and plans:
            wanted = self._first_plan()  # open on a plan rather than an empty form
        self._fill_tree(wanted)
        if wanted is not None and not self.dirty:
            self._load_version(wanted)
        else:
            self.editor.others = self._others(self.editing)
            self.editor.recheck()
            self._update_state()

    def _first_plan(self) -> PlanKey:
        """The version in force of the first plan the tree shows."""
        first = min(self.plans, key=lambda p: (p.vendor, p.name.casefold()))
        versions = sorted((p for p in self.plans if p.name == first.name), key=_start)
        now = datetime.now(UTC)
        return plan_key(next((p for p in reversed(versions) if _start(p) <= now), versions[0]))

    def _find(self, key: PlanKey) -> Plan | None:
        return next((p for p in self.plans if plan_key(p) == key), None)

    def _others(self, key: PlanKey | None) -> list[Plan]:
        return [p for p in self.plans if plan_key(p) != key]

    def _fill_tree(self, selected: PlanKey | None) -> None:
        self.tree.blockSignals(True)
        self.tree.clear()
        families: dict[str, list[Plan]] = defaultdict(list)
        for plan in self.plans:
            families[plan.name].append(plan)
        vendors: dict[str, list[list[Plan]]] = defaultdict(list)
        for versions in families.values():
            versions.sort(key=_start)
            vendors[versions[-1].vendor].append(versions)
        now = datetime.now(UTC)
        for vendor in sorted(vendors):
            vendor_item = QTreeWidgetItem(self.tree, [vendor])
            vendor_item.setToolTip(0, f"{len(vendors[vendor])} plan(s)")
            vendor_item.setData(0, ROLE, None)
            _bold(vendor_item)
            for versions in sorted(vendors[vendor], key=lambda v: v[0].name.casefold()):
                current = next((p for p in reversed(versions) if _start(p) <= now), versions[0])
                plan_item = QTreeWidgetItem(vendor_item, [versions[0].name])
                plan_item.setData(0, ROLE, plan_key(current))
                plan_item.setToolTip(
                    0, f"model {current.model}: {current.currency} {price_summary(current)}")
                for plan in reversed(versions):  # newest first, as a history reads
                    start = "always" if plan.effective_from is None else \
                        f"from {plan.effective_from:%Y-%m-%d}"
                    state = " · in force" if plan is current else (
                        " · coming" if _start(plan) > now else "")
                    item = QTreeWidgetItem(plan_item, [start + state])
                    item.setData(0, ROLE, plan_key(plan))
                    item.setToolTip(0, f"{plan.currency} {price_summary(plan)}")
                    if plan_key(plan) == selected:
                        self.tree.setCurrentItem(item)
                        plan_item.setExpanded(True)
            vendor_item.setExpanded(True)
        self.tree.blockSignals(False)

    # -- choosing what to edit -------------------------------------------------------------------

    def _tree_selected(self) -> None:
        item = self.tree.currentItem()
        key = None if item is None else item.data(0, ROLE)
        if key is None or key == self.editing:
            return
        if not self._may_discard():
            self._fill_tree(self.editing)
            return
        if item.childCount():
            item.setExpanded(True)
        self._load_version(key)

    def _may_discard(self) -> bool:
        if not self.dirty:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", "Discard the changes to this plan?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    def _load_version(self, key: PlanKey) -> None:
        plan = self._find(key)
        if plan is None:
            return
        self.editing = key
        self.dirty = False
        self.editor.load(PlanForm.from_plan(plan), self._others(key))
        self._update_state()

    def _show_draft(self, form: PlanForm, heading: str | None = None) -> None:
        self.editing = None
        self.dirty = heading is None  # a new plan or version is a change until saved
        self._draft_heading = heading
        self.editor.load(form, list(self.plans))
        self._update_state()

    def _edited(self) -> None:
        self.dirty = True
        self._update_state()

    def _update_state(self) -> None:
        # Nothing to edit: say how to begin instead of showing an empty form full of red.
        empty = self.editing is None and not self.dirty and self.loaded and not self.plans
        self.empty_label.setVisible(empty)
        self.scroll.setVisible(not empty)
        form = self.editor.form
        name = form.get("name").strip() or "(unnamed)"
        amber = warning_color(self.palette()).name()
        if self.editing is None:
            title = self._draft_heading if not self.dirty and self._draft_heading else \
                f"{name} <span style='color:{amber}'>· new, not saved yet</span>"
        else:
            start = form.get("effective_from")
            since = f"in force from {start.replace('T', ' ')}" if start else \
                "in force from the start"
            title = f"{name} <span style='color:#6b7280'>· version {since}</span>"
            if self.dirty:
                title += f" <span style='color:{amber}'>· unsaved changes</span>"
        self.heading.setText(f"<h3 style='margin:2px'>{title}</h3>")
        problems = len(self.editor.problems)
        can_save = self.dirty and not problems and not self.busy
        self.save_button.setEnabled(can_save)
        self.save_button.setToolTip(f"Fix the {problems} field(s) marked in red first"
                                    if problems else "")
        self.revert_button.setEnabled(self.dirty and not self.busy)
        # While a change is being written, what is shown is what is being saved: edits then
        # would be lost when the saved version comes back.
        self.editor.setEnabled(not self.busy)
        self.tree.setEnabled(not self.busy)
        self.version_action.setEnabled(self.editing is not None and not self.busy)
        self.delete_action.setEnabled(self.editing is not None and not self.busy)
        for action in (self.new_action, self.catalog_action, self.import_action):
            action.setEnabled(not self.busy)

    # -- commands --------------------------------------------------------------------------------

    def new_plan(self) -> None:
        if not self._may_discard():
            return
        item = self.tree.currentItem()
        vendor = ""
        if item is not None:
            while item.parent() is not None:
                item = item.parent()
            vendor = item.text(0)
        self.tree.clearSelection()
        self._show_draft(PlanForm.blank(vendor))
        self.editor.fields["name"].setFocus()

    def new_version(self) -> None:
        """A copy of the selected version starting today (or the day after the latest)."""
        if self.editing is None or not self._may_discard():
            return
        name = self.editing[0]
        latest = max((_start(p) for p in self.plans if p.name == name),
                     default=datetime.min.replace(tzinfo=UTC))
        today = datetime.now(UTC).date()
        if latest.year > 1 and latest.date() >= today:
            today = latest.date() + timedelta(days=1)
        form = self.editor.form.copy()
        form.set("effective_from", today.isoformat())
        self.tree.clearSelection()
        self._show_draft(form)

    def revert(self) -> None:
        if self.editing is not None:
            self._load_version(self.editing)
        else:
            self._show_draft(PlanForm.blank(), "No plan selected")

    def save(self) -> None:
        try:
            plan = self.editor.form.to_plan()
        except PlanFileError as refused:
            self._refused("The plan was not saved", refused)
            return
        old, db = self.editing, self.ctx.db

        def job(progress, _cancelled):
            if old is not None and old != plan_key(plan):
                return replace_version(db, old, plan, progress)
            return save_plan_set(db, [plan], SOURCE, progress)

        def done(result: SavedPlans) -> None:
            self.editing, self.dirty = plan_key(plan), False
            self._select_after = plan_key(plan)
            self._update_state()  # the heading says "saved" before the plans are read again
            self._finish(f"Saved {plan.label}: {_repriced(result)}.")

        self._run(f"Saving {plan.label}", job, done, "The plan was not saved")

    def delete_plan(self, confirm: bool = True) -> None:
        if self.editing is None:
            return
        name = self.editing[0]
        versions = sum(p.name == name for p in self.plans)
        if confirm and QMessageBox.question(
                self, "Delete plan", f"Delete {name!r} and its {versions} version(s)? Usage it "
                "priced is priced again by the other plans, or left unpriced.") \
                != QMessageBox.StandardButton.Yes:
            return
        db = self.ctx.db

        def done(repriced: int) -> None:
            self._show_draft(PlanForm.blank(), "No plan selected")
            self._finish(f"Deleted {name}: {count(repriced)} records priced again.")

        self._run(f"Deleting {name}", lambda _p, _c: remove_plan(db, name), done,
                  "The plan was not deleted")

    def add_from_catalog(self, name: str | None = None) -> None:
        if name is None:
            dialog = CatalogDialog(self, {p.name for p in self.plans})
            if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.chosen():
                return
            name = dialog.chosen()
        versions = catalog_entry(name)
        db = self.ctx.db

        def done(result: SavedPlans) -> None:
            if not self.dirty:
                self._select_after = plan_key(versions[-1])
            self._finish(f"Added {versions[-1].name} from the catalog: {_repriced(result)}.")

        self._run(f"Adding {name}", lambda progress, _c: save_plan_set(
            db, versions, f"the catalog ({name})", progress), done, "The plan was not added")

    def import_toml(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Import plans", "",
                                                  "Plan files (*.toml);;All files (*)")
            if not path:
                return
        db = self.ctx.db

        def done(result: SavedPlans) -> None:
            self._finish(f"Imported {result.saved} plan versions from {Path(path).name}: "
                         f"{_repriced(result)}.")

        self._run(f"Importing {Path(path).name}", lambda _p, _c: import_plan_file(db, path),
                  done, "The plans were not imported")

    def export_toml(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export plans", "plans.toml",
                                                  "Plan files (*.toml)")
            if not path:
                return
        db = self.ctx.db

        def job() -> int:
            return Path(path).write_text(export_plans(db), encoding="utf-8")

        self.ctx.tasks.read(job, lambda _n: self._say(f"Plans exported to {path}."),
                            lambda exc: self._failed("The plans were not exported", exc))

    # -- background work -------------------------------------------------------------------------

    def _run(self, title: str, job, on_done: Callable, failure: str) -> None:
        self.busy = True
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.progress.show()
        self.status_label.setText(f"{title}…")
        self._update_state()

        def progress(done: int, total: int) -> None:
            if total:
                self.progress.setRange(0, total)
                self.progress.setValue(done)
                self.status_label.setText(f"{title}: re-pricing {count(done)} of "
                                          f"{count(total)} records…")

        def failed(exc: BaseException) -> None:
            self._idle()
            if isinstance(exc, PlanFileError):
                self._refused(failure, exc)
            else:
                self._failed(failure, exc)

        def done(result) -> None:
            self._idle()
            on_done(result)

        self.ctx.tasks.write(title, job, done, failed, progress)

    def _idle(self) -> None:
        self.busy = False
        self.progress.hide()
        self._update_state()

    def _finish(self, message: str) -> None:
        self._say(message)
        self.ctx.changed()

    def _say(self, message: str) -> None:
        self.status_label.setText(message)
        self.ctx.status.emit(message)

    def _refused(self, heading: str, refused: PlanFileError) -> None:
        lines = [describe(p) for p in refused.problems]
        if not lines:  # import_plan_file's undecodable file
            lines = [f"{refused.path} is not a UTF-8 text file."]
        n = len(lines)
        self._show_problems(heading, f"{heading}: {n} problem{'s' if n > 1 else ''} to fix. "
                            "Nothing was changed.", lines)

    def _failed(self, heading: str, exc: BaseException) -> None:
        self.status_label.setText(f"{heading}.")
        self._show_problems(heading, f"{heading}. Nothing was changed.", [str(exc)])

    def _show_problems(self, title: str, heading: str, lines: list[str]) -> None:
        if self.problems_dialog is not None:
            self.problems_dialog.close()
        self.problems_dialog = ProblemsDialog(self, title, heading, lines)
        self.problems_dialog.open()  # not exec(): the window keeps running behind it


def _repriced(result: SavedPlans) -> str:
    return f"{count(result.repriced)} record{'s' if result.repriced != 1 else ''} re-priced"
