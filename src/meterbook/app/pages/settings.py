"""The Settings page (being built)."""

from __future__ import annotations

from meterbook.app.pages.base import ComingPage


class SettingsPage(ComingPage):
    key, title, icon = "settings", "Settings", "SP_FileDialogInfoView"
    coming = "This page is being built."
