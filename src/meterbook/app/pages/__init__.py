"""The pages of the main window, one module each, listed here in the sidebar's order.

The list names each page's module rather than importing it: the window builds a page (and
imports its module, with whatever it alone needs: the Compare engine, the report writers, the
plan editor...) on its first visit, so that a start shows the Dashboard without paying for the
nine pages behind it (issue 8, item 8: the Dashboard within 1.5 s of a fresh start).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class PageEntry:
    """A page as the sidebar and the View menu know it before it is built. `key` and `title`
    are the Page subclass's own (tests/app/test_window_pages.py checks that they agree)."""

    key: str
    title: str
    module: str  # under meterbook.app.pages
    class_name: str

    def page_class(self) -> type:
        """The Page subclass; its module is imported now if it was not yet."""
        module = importlib.import_module(f"{__name__}.{self.module}")
        return getattr(module, self.class_name)


PAGES: tuple[PageEntry, ...] = (
    PageEntry("dashboard", "Dashboard", "dashboard", "DashboardPage"),
    PageEntry("usage", "Usage", "usage", "UsagePage"),
    PageEntry("conversations", "Conversations", "conversations", "ConversationsPage"),
    PageEntry("trends", "Trends", "trends", "TrendsPage"),
    PageEntry("plans", "Plans", "plans", "PlansPage"),
    PageEntry("budgets", "Budgets", "budgets", "BudgetsPage"),
    PageEntry("compare", "Compare", "compare", "ComparePage"),
    PageEntry("reports", "Reports", "reports", "ReportsPage"),
    PageEntry("imports", "Imports", "imports", "ImportsPage"),
    PageEntry("settings", "Settings", "settings", "SettingsPage"),
)
