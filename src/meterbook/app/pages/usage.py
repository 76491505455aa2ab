"""The Usage page (being built)."""

from __future__ import annotations

from meterbook.app.pages.base import ComingPage


class UsagePage(ComingPage):
    key, title, icon = "usage", "Usage", "SP_FileDialogListView"
    coming = "This page is being built."
