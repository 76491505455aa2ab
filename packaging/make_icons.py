"""Render the app's icon (src/meterbook/app/meterbook.svg) for every desktop that needs one.

    python3 packaging/make_icons.py OUT_DIR

writes OUT_DIR/hicolor/NxN/apps/meterbook.png (16 to 512 pixels, the freedesktop icon theme
layout), OUT_DIR/hicolor/scalable/apps/meterbook.svg, OUT_DIR/meterbook.ico (Windows) and
OUT_DIR/meterbook.icns (macOS). Drawn with Qt's own SVG renderer, so the build needs nothing
beyond the app's dependencies; .ico and .icns are written by hand (both may hold PNG images
as they are), which spares PyInstaller from needing Pillow to convert them.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

SVG = Path(__file__).resolve().parent.parent / "src" / "meterbook" / "app" / "meterbook.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
NAME = "meterbook"
# macOS icon types holding PNG data, by pixel size (Apple's "icns" format).
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an .ico entry can say


def render_pngs(svg: Path, sizes=SIZES) -> dict[int, bytes]:
    """The icon as PNG data at each size."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not an SVG image Qt can draw")
    images = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        images[size] = bytes(data.data())
    return images


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico of PNG entries (read by Windows Vista and later)."""
    sizes = [s for s in ICO_SIZES if s in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size == 256 else size  # 0 means 256 in an .ico entry
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns of PNG entries."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for size, kind in ICNS_TYPES.items() if size in pngs)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(out: Path, svg: Path = SVG) -> None:
    pngs = render_pngs(svg)
    for size, data in pngs.items():
        folder = out / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{NAME}.png").write_bytes(data)
    scalable = out / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable / f"{NAME}.svg")
    (out / f"{NAME}.ico").write_bytes(ico(pngs))
    (out / f"{NAME}.icns").write_bytes(icns(pngs))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: make_icons.py OUT_DIR")
    write_icons(Path(sys.argv[1]))
