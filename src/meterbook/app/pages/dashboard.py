"""The Dashboard page (being built)."""

from __future__ import annotations

from meterbook.app.pages.base import ComingPage


class DashboardPage(ComingPage):
    key, title, icon = "dashboard", "Dashboard", "SP_ComputerIcon"
    coming = "This page is being built."
