"""The Imports page (being built)."""

from __future__ import annotations

from meterbook.app.pages.base import ComingPage


class ImportsPage(ComingPage):
    key, title, icon = "imports", "Imports", "SP_ArrowDown"
    coming = "This page is being built."
