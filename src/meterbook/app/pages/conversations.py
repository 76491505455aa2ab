"""The Conversations page (being built)."""

from __future__ import annotations

from meterbook.app.pages.base import ComingPage


class ConversationsPage(ComingPage):
    key, title, icon = "conversations", "Conversations", "SP_MessageBoxInformation"
    coming = "This page is being built."
