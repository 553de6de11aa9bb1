"""Write a report as CSV, JSON (``app.services.reports``) or PDF (Qt's own QPdfWriter and QTextDocument).

Every file is written to a temporary name beside the target and renamed, so a failed export never leaves
half a file under the chosen name. Labels are device data: the PDF's HTML escapes them.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QUrl
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPalette, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QApplication

from app.domain.reports import Report, ReportRow
from app.domain.timeparse import format_duration
from app.errors import StorageError
from app.services import reports
from app.ui.reports.chart import ReportChart

EXPORT_KINDS = ("csv", "json", "pdf")
FILTERS = {"csv": "CSV files (*.csv)", "json": "JSON files (*.json)", "pdf": "PDF documents (*.pdf)"}
CHART_SIZE = (900, 360)


def export_report(report: Report, path: Path, kind: str) -> None:
    """Write ``report`` to ``path`` as ``kind``; a ``StorageError`` with the reason when that fails."""
    if kind not in EXPORT_KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if kind == "pdf":
            write_pdf(report, tmp)
        else:
            text = reports.to_csv(report) if kind == "csv" else reports.to_json(report) + "\n"
            tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"could not write {path}: {exc.strerror or exc}") from exc


def _row_html(row: ReportRow, currency: str, bold: bool = False) -> str:
    cells = [html.escape(row.label), f"{row.task_count:,}", format_duration(row.duration_seconds),
             reports.score_text(row.avg_score), html.escape(reports.compliance_text(row)),
             html.escape(reports.format_money(row.bonus, currency))]
    tag = "th" if bold else "td"
    return "<tr>" + "".join(f'<{tag} align="{"left" if i == 0 else "right"}">{c}</{tag}>'
                            for i, c in enumerate(cells)) + "</tr>"


def report_html(report: Report) -> str:
    """The PDF's content: title, range, the chart image, the table with its total."""
    head = "".join(f"<th>{h}</th>" for h in ("Group", "Tasks", "Time", "Avg score", "Within limit", "Bonus"))
    body = "".join(_row_html(row, report.currency) for row in report.rows)
    return (
        f"<h2>WFH Agent report</h2><p>{report.range.start:%Y-%m-%d} – {report.range.end:%Y-%m-%d}, "
        f"by {html.escape(report.by)}</p>"
        '<p><img src="chart.png" width="640"></p>'
        f'<table border="1" cellspacing="0" cellpadding="4" width="100%"><tr>{head}</tr>{body}'
        f"{_row_html(report.total, report.currency, bold=True)}</table>"
        "<p><small>Average score leaves out tasks without a score; \"within limit\" counts only tasks that have "
        "a time limit.</small></p>"
    )


def chart_image(report: Report) -> QImage:
    """The report's chart on a white page background, whatever the window's theme."""
    chart = ReportChart()
    chart.show_report(report.rows, report.by)
    image = QImage(*CHART_SIZE, QImage.Format.Format_ARGB32)
    palette = QApplication.style().standardPalette() if QApplication.instance() else QPalette()
    painter = QPainter(image)
    chart.paint(painter, QRectF(0, 0, *CHART_SIZE), palette)
    painter.end()
    chart.deleteLater()
    return image


def write_pdf(report: Report, path: Path) -> None:
    """An A4 PDF of the report (pages break as the table grows); ``OSError`` when it cannot be written."""
    with open(path, "wb"):  # fails with the system's reason (QPdfWriter would fail silently)
        pass
    writer = QPdfWriter(str(path))
    writer.setTitle(f"WFH Agent report {report.range.start} – {report.range.end}")
    writer.setCreator("WFH Agent")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    document = QTextDocument()
    document.addResource(QTextDocument.ResourceType.ImageResource, QUrl("chart.png"), chart_image(report))
    document.setHtml(report_html(report))
    document.print_(writer)
    del writer  # finishes the file
    if path.stat().st_size == 0:
        raise OSError(f"nothing was written to {path}")
