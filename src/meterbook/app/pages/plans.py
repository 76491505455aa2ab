"""The Plans page (being built)."""

from __future__ import annotations

from meterbook.app.pages.base import ComingPage


class PlansPage(ComingPage):
    key, title, icon = "plans", "Plans", "SP_FileDialogContentsView"
    coming = "This page is being built."
