"""Series colours: Okabe-Ito (colour-blind safe), a vendor keeping its colour everywhere.

A name gets the next free colour in a stable order the first time any chart shows it, and the
choice is stored in the database's settings (store/spend_series.py), so that openai stays blue
on every chart, in every session. "other" is grey and monthly fees a muted sand, never a
vendor's colour; unpriced usage is the app's amber (formatting.warning_color).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QColor, QGuiApplication, QPalette

from meterbook.store.spend_series import FEES, OTHER, save_series_colours, series_colours

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER_COLOUR = "#999999"
FEES_COLOUR = "#C8B68E"
FIXED = {OTHER: OTHER_COLOUR, FEES: FEES_COLOUR}


class SeriesPalette:
    """Colours per dimension ("vendor", "model", "project") and name, remembered.

    `colours(kind, names)` gives each name its colour, assigning new names (sorted, so the
    order they arrive in does not matter) the first colour no name of that kind uses yet; the
    palette repeats once all seven are taken. `on_new` is called with the whole mapping when a
    name got a colour, for the caller to store it.
    """

    def __init__(self, stored: dict[str, dict[str, str]] | None = None, on_new=None):
        self.assigned: dict[str, dict[str, str]] = {k: dict(v) for k, v in (stored or {}).items()
                                                    if isinstance(v, dict)}
        self.on_new = on_new

    def colours(self, kind: str, names: Iterable[str]) -> dict[str, str]:
        known = self.assigned.setdefault(kind, {})
        fresh = sorted({n for n in names if n not in known and n not in FIXED})
        for name in fresh:
            used = list(known.values())
            free = [c for c in OKABE_ITO if c not in used]
            known[name] = free[0] if free else OKABE_ITO[len(used) % len(OKABE_ITO)]
        if fresh and self.on_new is not None:
            self.on_new(self.assigned)
        return {n: FIXED.get(n) or known[n] for n in names}

    def colour(self, kind: str, name: str) -> str:
        return self.colours(kind, [name])[name]


def palette_of(ctx) -> SeriesPalette:
    """The palette of an app context's database, read once and kept on the context; new
    colours are stored through the one writer."""
    found = getattr(ctx, "_series_palette", None)
    if found is None:
        with ctx.db.engine.connect() as conn:
            stored = series_colours(conn)

        def store(assigned: dict[str, dict[str, str]]) -> None:
            if ctx.is_closed or ctx.db.read_only or ctx.tasks.stopped:
                return
            snapshot = {k: dict(v) for k, v in assigned.items()}

            def job(_progress, _cancelled) -> None:
                with ctx.db.engine.begin() as conn:
                    save_series_colours(conn, snapshot)

            ctx.tasks.write("save the chart colours", job)

        found = SeriesPalette(stored, store)
        ctx._series_palette = found
    return found


def chart_colours(palette: QPalette | None = None) -> dict[str, QColor]:
    """Background, axis and text colours from the application palette (light or dark)."""
    palette = palette or QGuiApplication.palette()
    text = palette.color(QPalette.ColorRole.WindowText)
    back = palette.color(QPalette.ColorRole.Base)
    grid = QColor(text)
    grid.setAlpha(40)
    return {"background": back, "text": text, "grid": grid,
            "muted": palette.color(QPalette.ColorRole.PlaceholderText)}
