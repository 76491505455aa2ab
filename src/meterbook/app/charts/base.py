"""What every chart shares: a title, a plot with labelled axes, a legend outside the data, a
hover read-out, a `clicked` signal, export to PNG and SVG, and the application's palette.

A chart keeps its plot items for its whole life and updates them in place (setData/setOpts):
a refresh never clears and rebuilds the plot. Coordinates are floats because that is what a
plot draws with; every figure a person reads (read-out, labels) is written from the Decimal
the store gave, never from the float.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from meterbook.app.charts.palette import chart_colours

PNG_SCALE = 2  # reports want sharp images: twice the on-screen size


class Chart(QWidget):
    """A titled pyqtgraph plot; subclasses add their items once and fill them in `set_*`.

    Subclasses implement `describe(x, y)` (the read-out for a point of the plot, or "") and
    `hit(x, y)` ((bucket_start, bucket_end, series) under the point, or None).
    """

    clicked = Signal(object, object, object)  # bucket start (date), end (date, exclusive), series

    def __init__(self, title: str = "", x_label: str = "", y_label: str = "",
                 bottom: pg.AxisItem | None = None, left: pg.AxisItem | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        head = QHBoxLayout()
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.export_button = QPushButton("Export…")
        self.export_button.setFlat(True)
        self.export_button.setToolTip("Save this chart as a PNG or SVG image")
        self.export_button.clicked.connect(self._ask_export)
        head.addWidget(self.title, 1)
        head.addWidget(self.export_button)
        layout.addLayout(head)
        axes = {k: v for k, v in (("bottom", bottom), ("left", left)) if v is not None}
        self.view = pg.GraphicsLayoutWidget()
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.plot: pg.PlotItem = self.view.addPlot(row=0, col=0, axisItems=axes)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.getViewBox().setMouseEnabled(x=False, y=False)
        # No border path at all (not an invisible one): pyqtgraph's SVG export cannot read
        # the closed path Qt 6 writes for it.
        self.plot.getViewBox().border = None
        self.x_label, self.y_label = x_label, y_label
        # Under the plot, in a row of its own: the legend never covers the data.
        self.legend = pg.LegendItem(colCount=4, horSpacing=16)
        self.view.addItem(self.legend, row=1, col=0)
        self.readout = QLabel(" ")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.readout)
        self.view.scene().sigMouseMoved.connect(self._moved)
        self.view.scene().sigMouseClicked.connect(self._clicked)
        self.apply_palette()

    # -- look ---------------------------------------------------------------------------------

    def set_title(self, text: str) -> None:
        self.title.setText(f"<b>{text}</b>")
        self.title.setProperty("plain", text)

    def title_text(self) -> str:
        return self.title.property("plain") or self.title.text()

    def apply_palette(self) -> None:
        """Background, axes and text from the application palette (light or dark theme)."""
        c = chart_colours(self.palette())
        self.view.setBackground(c["background"])
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(c["muted"]))
            axis.setTextPen(pg.mkPen(c["text"]))
        self.plot.setLabel("bottom", self.x_label, color=c["text"].name())
        self.plot.setLabel("left", self.y_label, color=c["text"].name())
        self.legend.setLabelTextColor(c["text"])
        self.plot.showGrid(x=False, y=True, alpha=0.15)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()

    def set_legend(self, entries: list[tuple[pg.GraphicsObject, str]]) -> None:
        """The legend's entries: (item, name), items the chart already holds."""
        self.legend.clear()
        for item, name in entries:
            self.legend.addItem(item, name)
        self.legend.setVisible(bool(entries))

    def legend_names(self) -> list[str]:
        return [label.text for _sample, label in self.legend.items]

    # -- mouse --------------------------------------------------------------------------------

    def to_view(self, scene_pos) -> QPointF | None:
        box = self.plot.getViewBox()
        if not box.sceneBoundingRect().contains(scene_pos):
            return None
        return box.mapSceneToView(scene_pos)

    def widget_pos(self, x: float, y: float):
        """Where the plot's point (x, y) is on the view widget (to click it in tests)."""
        scene = self.plot.getViewBox().mapViewToScene(QPointF(x, y))
        return self.view.mapFromScene(scene)

    def _moved(self, scene_pos) -> None:
        point = self.to_view(scene_pos)
        text = self.describe(point.x(), point.y()) if point is not None else ""
        self.readout.setText(text or " ")

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.to_view(event.scenePos())
        found = self.hit(point.x(), point.y()) if point is not None else None
        if found is not None:
            self.clicked.emit(*found)

    def describe(self, x: float, y: float) -> str:
        return ""

    def hit(self, x: float, y: float) -> tuple[date, date, str | None] | None:
        return None

    # -- export -------------------------------------------------------------------------------

    def export(self, path: str | Path) -> Path:
        """Save the chart (plot and legend) as PNG (twice the screen size) or SVG, by the
        file's suffix; for the report writer and the Export button. Works on a chart that
        was never shown (the report renders offscreen) once it has a size."""
        path = Path(path)
        item = self.view.ci  # the whole layout: plot and legend
        if path.suffix.lower() == ".svg":
            return self._export_svg(path)
        if path.suffix.lower() == ".png":
            # Imported when first used: the exporters are not needed to start the app.
            from pyqtgraph.exporters import ImageExporter

            exporter = ImageExporter(item)
            width = max(int(item.boundingRect().width()), 320)
            exporter.parameters()["width"] = width * PNG_SCALE
        else:
            raise ValueError(f"{path.name}: a chart is saved as .png or .svg")
        exporter.export(str(path))
        return path

    def _export_svg(self, path: Path) -> Path:
        """SVG through Qt's own generator: pyqtgraph 0.14's SVGExporter fails on the closed
        paths Qt 6 writes for the plot's clip rectangle ("not enough values to unpack")."""
        from PySide6.QtSvg import QSvgGenerator  # when first used, as the PNG exporter

        rect = self.view.ci.sceneBoundingRect()
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(rect.size().toSize())
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle(self.title_text())
        painter = QPainter(generator)
        try:
            painter.fillRect(QRectF(0, 0, rect.width(), rect.height()),
                             self.view.backgroundBrush())
            self.view.scene().render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        finally:
            painter.end()
        if not path.exists():
            raise OSError(f"could not write {path}")
        return path

    def _ask_export(self) -> None:
        name = (self.title_text() or "chart").replace("/", "-")
        path, _ = QFileDialog.getSaveFileName(self, "Export chart", f"{name}.png",
                                              "PNG image (*.png);;SVG image (*.svg)")
        if path:
            try:
                self.export(path)
            except (OSError, ValueError) as exc:
                self.readout.setText(f"Could not save {path}: {exc}")
