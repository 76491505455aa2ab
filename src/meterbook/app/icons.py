"""The app's own icons: line drawings in `resources/icons/`, coloured from the palette.

Each SVG draws with one stroke colour, #000000, which is replaced by the palette's text colour
when the icon is made: the same file then reads on a light and on a dark theme, and a selected
sidebar row gets the highlighted-text colour instead of black on blue.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QWidget

from meterbook.core.resources import resource_path

_INK = "#000000"  # the one colour every icon file draws with
_SIZES = (16, 20, 24, 32, 48)


def icon_path(name: str) -> Path:
    """The SVG file of an icon ("usage", "refresh"...): installed, bundled or in a checkout."""
    path = resource_path("icons") / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"the icon {name!r} is missing (no {path})")
    return path


@cache
def _svg(name: str) -> str:
    return icon_path(name).read_text(encoding="utf-8")


def _pixmap(name: str, color: QColor, size: int, ratio: float) -> QPixmap:
    data = _svg(name).replace(_INK, color.name())
    renderer = QSvgRenderer(QByteArray(data.encode("utf-8")))
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


def icon(name: str, palette: QPalette, ratio: float = 1.0) -> QIcon:
    """The named icon in the palette's colours: text, highlighted text when selected, and the
    disabled text colour when disabled."""
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    inks = ((QIcon.Mode.Normal, palette.color(group.Active, role.WindowText)),
            (QIcon.Mode.Active, palette.color(group.Active, role.WindowText)),
            (QIcon.Mode.Selected, palette.color(group.Active, role.HighlightedText)),
            (QIcon.Mode.Disabled, palette.color(group.Disabled, role.WindowText)))
    result = QIcon()
    for mode, color in inks:
        for size in _SIZES:
            result.addPixmap(_pixmap(name, color, size, ratio), mode)
    return result


class _Redraw(QObject):
    """Gives each target its icon in the owner's palette, again whenever the palette changes
    (a switch between light and dark)."""

    def __init__(self, owner: QWidget, targets: list[tuple[Any, str]]):
        super().__init__(owner)
        self.owner, self.targets = owner, targets
        owner.installEventFilter(self)
        self.draw()

    def draw(self) -> None:
        palette, ratio = self.owner.palette(), self.owner.devicePixelRatioF()
        for target, name in self.targets:
            target.setIcon(icon(name, palette, ratio))

    def eventFilter(self, watched, event) -> bool:
        if watched is self.owner and event.type() == QEvent.Type.PaletteChange:
            self.draw()
        return False


def draw_icons(owner: QWidget, targets: list[tuple[Any, str]]) -> None:
    """Set the icons of `targets` (actions, buttons, list items: anything with setIcon) from
    their names, in `owner`'s colours, and keep them in its colours."""
    _Redraw(owner, targets)
