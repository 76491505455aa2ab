"""The monthly report as a PDF: Qt's QTextDocument laid out on QPdfWriter's pages (no new
dependency), with the app's own charts (app/report_charts.py).

The body is the HTML report's (reports/report_html.py: every text from an imported file
escaped there, so a name shows as text and never becomes markup), laid out on A4 or Letter
pages; each page gets the company name and period at the top and "Page n of N" at the foot.
Tables that run over a page go on with their header row repeated (QTextDocument repeats a
<thead>). Text is drawn as text (searchable, copyable), charts as images.

The PDF depends only on the report: its creation date is the report's `generated_at`
(Qt writes the clock's time, replaced here by one of the same length), and its document id
is derived from the report rather than random.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC

from meterbook.app.report_charts import application, chart_images
from meterbook.reports import report_html
from meterbook.reports.monthly import MonthlyReport
from meterbook.store.database import Database

PAPERS = {"a4": "A4", "letter": "Letter"}
MARGIN_MM = 15
RESOLUTION = 300  # dots an inch: the unit of the layout below
BODY_POINTS = 8.5
_PDF_DATE = re.compile(rb"\(D:\d{14}(Z|[+-]\d\d'\d\d')\)")
_XMP_DATE = re.compile(
    rb'(xmp:(?:CreateDate|ModifyDate|MetadataDate)=")[0-9T:-]{19}(Z|[+-]\d\d:\d\d)"')


def as_bytes(db: Database, report: MonthlyReport, paper: str = "a4") -> bytes:
    """The report's PDF on `paper` ("a4" or "letter")."""
    application()
    from PySide6.QtCore import QHashSeed

    charts = chart_images(db, report)
    # The PDF engine keeps its fonts in a QHash, whose order would follow a random seed:
    # a fixed seed (only while this file is written) gives the same bytes every time.
    QHashSeed.setDeterministicGlobalSeed()
    try:
        return _fixed_dates(_pdf(report, charts, paper), report)
    finally:
        QHashSeed.resetRandomGlobalSeed()


def _pdf(report: MonthlyReport, charts: dict[str, bytes], paper: str) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, QUuid
    from PySide6.QtGui import (
        QAbstractTextDocumentLayout,
        QFont,
        QPageLayout,
        QPageSize,
        QPainter,
        QPdfWriter,
        QTextDocument,
    )  # fmt: skip

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(RESOLUTION)
    size = QPageSize(getattr(QPageSize.PageSizeId, PAPERS[paper]))
    writer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait,
                                     QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                                     QPageLayout.Unit.Millimeter))
    writer.setTitle(f"AI spend report {report.period.label}")
    writer.setCreator(f"Meterbook {report.version}")
    seed = hashlib.sha256(f"{report.period.label}|{report.generated_at}".encode()).digest()
    writer.setDocumentId(QUuid.fromRfc4122(QByteArray(seed[:16])))

    page = writer.pageLayout().paintRectPixels(writer.resolution())
    font = QFont("DejaVu Sans")
    font.setPointSizeF(BODY_POINTS)
    line = round(font.pointSizeF() / 72 * writer.resolution() * 1.6)
    header, footer = line * 2, line * 2
    body = QRectF(0, header, page.width(), page.height() - header - footer)

    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)
    doc.setDefaultFont(font)
    # Qt scales an image's CSS pixels (96 an inch) to the writer's resolution.
    doc.setHtml(report_html.as_text(report, charts, int(body.width() * 96 / RESOLUTION)))
    doc.setPageSize(QSizeF(body.width(), body.height()))
    pages = doc.pageCount()

    painter = QPainter(writer)
    try:
        for n in range(pages):
            if n:
                writer.newPage()
            painter.save()
            painter.translate(0, header - n * body.height())
            clip = QRectF(0, n * body.height(), body.width(), body.height())
            painter.setClipRect(clip)
            context = QAbstractTextDocumentLayout.PaintContext()
            context.clip = clip
            doc.documentLayout().draw(painter, context)
            painter.restore()
            _furniture(painter, report, font, page.width(), page.height(), line, n + 1, pages)
    finally:
        painter.end()
    buffer.close()
    return bytes(data.data())


def _furniture(painter, report: MonthlyReport, font, width: float, height: float, line: int,
               number: int, pages: int) -> None:
    """The running head (company, period) and foot (when made, page n of N) of a page."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QFontMetrics

    painter.save()
    painter.setFont(QFont(font, painter.device()))
    painter.setPen(QColor("#556070"))
    left, right = Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignRight
    top = QRectF(0, 0, width, line)
    foot = QRectF(0, height - line, width, line)
    if report.company:  # a long name is shortened with "…", never drawn over the period
        name = QFontMetrics(painter.font()).elidedText(
            report.company, Qt.TextElideMode.ElideRight, int(width * 0.6))
        painter.drawText(top, left | Qt.AlignmentFlag.AlignVCenter, name)
    painter.drawText(top, right | Qt.AlignmentFlag.AlignVCenter,
                     f"AI spend report {report.period.label}")
    painter.drawText(foot, left | Qt.AlignmentFlag.AlignVCenter,
                     f"Made {report.generated_at.isoformat()} by Meterbook {report.version}")
    painter.drawText(foot, right | Qt.AlignmentFlag.AlignVCenter, f"Page {number} of {pages}")
    painter.setPen(QColor("#ccd0da"))
    painter.drawLine(0, line + line // 4, int(width), line + line // 4)
    painter.restore()


def _fixed_dates(pdf: bytes, report: MonthlyReport) -> bytes:
    """Qt stamps the clock's time: put the report's instead, in the same number of bytes
    (the cross-reference table counts byte offsets, so nothing may move)."""
    at = report.generated_at.astimezone(UTC)

    def pdf_date(match: re.Match) -> bytes:  # (D:20261206225837Z) or ...+01'00')
        zone = b"Z" if match[1] == b"Z" else b"+00'00'"
        return f"(D:{at:%Y%m%d%H%M%S}".encode() + zone + b")"

    def xmp_date(match: re.Match) -> bytes:  # 2026-12-06T22:58:37+00:00, or Z
        zone = b"Z" if match[2] == b"Z" else b"+00:00"
        return match[1] + at.strftime("%Y-%m-%dT%H:%M:%S").encode() + zone + b'"'

    return _XMP_DATE.sub(xmp_date, _PDF_DATE.sub(pdf_date, pdf))
