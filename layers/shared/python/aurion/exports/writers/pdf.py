"""PDF: a report a manager reads, drawn with fpdf2 (no charting library, no external font).

Page 1: title, tenant, period and time zone; the key figures (calls, conversations, SLA and CSAT); three charts
drawn with rectangles and lines: volume trend (calls and conversations per day, or per week over long periods),
outcome and resolution split (stacked 100 % bars), SLA compliance (bars per target and priority).
Then one table per dataset of the export's scope; row-level datasets show their first rows only.

The built-in Helvetica covers Latin-1: other characters (in a tenant's or an agent's name) are printed as "?".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from aurion.exports.columns import Column
from aurion.exports.report import ReportData, Table
from aurion.exports.writers import Stream

_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_GRID = (222, 226, 230)
_CALLS = (31, 119, 180)
_CONVERSATIONS = (44, 160, 44)
_PALETTE = [(31, 119, 180), (44, 160, 44), (255, 127, 14), (214, 39, 40), (148, 103, 189), (140, 86, 75),
            (127, 127, 127)]  # fmt: skip
_TYPOGRAPHY = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                             "\u201d": '"', "\u2026": "...", "\u20ac": "EUR"})  # fmt: skip


def latin1(text: str) -> str:
    return text.translate(_TYPOGRAPHY).encode("latin-1", "replace").decode("latin-1")


def cell_text(value: Any, column: Column) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}" + (" %" if column.name.endswith("_rate") else "")
    return latin1(str(value))


def _heading(name: str) -> str:
    return name.replace("_", " ").capitalize()


class _Report(FPDF):
    def __init__(self, data: ReportData) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.data = data
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(latin1(f"{data.title} - {data.tenant_name}"))
        self.set_author("Aurion Analytics")
        self.set_creator("Aurion Analytics exports")

    @property
    def content_width(self) -> float:
        return float(self.w - self.l_margin - self.r_margin)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, latin1(f"Aurion Analytics - {self.data.tenant_name} - {self.data.period}"), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    def section(self, title: str) -> None:
        if self.get_y() > self.h - 60:
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.set_text_color(*_INK)
        self.cell(0, 7, latin1(title), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*_GRID)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)


def _header(pdf: _Report) -> None:
    data = pdf.data
    pdf.set_font("Helvetica", "B", 18)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 10, latin1(data.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 7, latin1(data.scope_label), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.set_text_color(*_MUTED)
    for label, value in (
        ("Tenant", data.tenant_name),
        ("Period", f"{data.period} ({data.tz})"),
        ("Generated", data.generated_at),
        ("Export", data.export_id),
    ):
        pdf.cell(22, 5, label)
        pdf.cell(0, 5, latin1(value), new_x="LMARGIN", new_y="NEXT")


def _kpis(pdf: _Report) -> None:
    pdf.section("Key figures")
    blocks = pdf.data.kpis
    width = pdf.content_width / len(blocks)
    top = pdf.get_y()
    bottom = top
    for index, (title, items) in enumerate(blocks):
        x = pdf.l_margin + index * width
        pdf.set_xy(x, top)
        pdf.set_font("Helvetica", "B", 9)
        pdf.set_text_color(*_INK)
        pdf.cell(width - 3, 6, latin1(title), new_x="LEFT", new_y="NEXT")
        for label, value in items:
            pdf.set_x(x)
            pdf.set_font("Helvetica", size=8)
            pdf.set_text_color(*_MUTED)
            pdf.cell((width - 3) * 0.62, 5, latin1(label))
            pdf.set_font("Helvetica", "B", 8)
            pdf.set_text_color(*_INK)
            pdf.cell((width - 3) * 0.38, 5, latin1(value), align="R", new_x="LEFT", new_y="NEXT")
            pdf.set_x(x)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom)


def _legend(pdf: _Report, items: Sequence[tuple[str, tuple[int, int, int]]], x: float, y: float) -> float:
    """Colour keys from (x, y), wrapping at the right margin; returns the y below the last line."""
    pdf.set_font("Helvetica", size=7)
    left = x
    for label, color in items:
        text = latin1(label)
        width = pdf.get_string_width(text) + 8
        if x > left and x + width > pdf.w - pdf.r_margin:
            x, y = left, y + 5
        pdf.set_fill_color(*color)
        pdf.rect(x, y + 1, 3, 3, style="F")
        pdf.set_xy(x + 4, y)
        pdf.set_text_color(*_INK)
        pdf.cell(width - 7, 5, text)
        x += width
    return y + 5


def _volume_chart(pdf: _Report) -> None:
    data = pdf.data
    pdf.section(f"Volume trend (per {data.volume_unit})")
    height, left = 48.0, pdf.l_margin + 10
    width = pdf.content_width - 10
    top = pdf.get_y() + 2
    peak = max([max(calls, conversations) for _, calls, conversations in data.volume] + [0])
    pdf.set_draw_color(*_GRID)
    pdf.set_font("Helvetica", size=7)
    pdf.set_text_color(*_MUTED)
    for step in range(5):  # horizontal grid lines with their value
        y = top + height - height * step / 4
        pdf.line(left, y, left + width, y)
        pdf.set_xy(pdf.l_margin, y - 2)
        pdf.cell(9, 4, str(round(peak * step / 4)) if peak else ("0" if step == 0 else ""), align="R")
    if peak == 0:
        pdf.set_xy(left, top + height / 2 - 3)
        pdf.cell(width, 6, "No calls or conversations in this period", align="C")
    else:
        slot = width / len(data.volume)
        bar = max(slot * 0.4, 0.2)
        for index, (_, calls, conversations) in enumerate(data.volume):
            x = left + index * slot + slot * 0.1
            for offset, (value, color) in enumerate(((calls, _CALLS), (conversations, _CONVERSATIONS))):
                if value:
                    bar_height = height * value / peak
                    pdf.set_fill_color(*color)
                    pdf.rect(x + offset * bar, top + height - bar_height, bar, bar_height, style="F")
        labels = {0: data.volume[0][0], len(data.volume) - 1: data.volume[-1][0]}
        if len(data.volume) > 2:
            labels[len(data.volume) // 2] = data.volume[len(data.volume) // 2][0]
        pdf.set_text_color(*_MUTED)
        for index, label in labels.items():
            pdf.set_xy(left + index * slot + slot / 2 - 10, top + height + 1)
            pdf.cell(20, 4, label, align="C")
    _legend(pdf, [("Calls", _CALLS), ("Conversations", _CONVERSATIONS)], left, top + height + 6)
    pdf.set_xy(pdf.l_margin, top + height + 12)


def _split_bar(pdf: _Report, title: str, parts: Sequence[tuple[str, int]]) -> None:
    total = sum(count for _, count in parts)
    left, width = pdf.l_margin + 45, pdf.content_width - 45
    y = pdf.get_y()
    pdf.set_font("Helvetica", "B", 8)
    pdf.set_text_color(*_INK)
    pdf.set_xy(pdf.l_margin, y + 1)
    pdf.cell(44, 5, latin1(title))
    pdf.set_draw_color(*_GRID)
    pdf.rect(left, y + 1, width, 6, style="D")
    legend = []
    if total:
        x = left
        for index, (label, count) in enumerate(parts):
            color = _PALETTE[index % len(_PALETTE)]
            legend.append((f"{label.replace('_', ' ')} {count} ({100.0 * count / total:.1f} %)", color))
            if count:
                pdf.set_fill_color(*color)
                pdf.rect(x, y + 1, width * count / total, 6, style="F")
                x += width * count / total
    else:
        pdf.set_font("Helvetica", size=7)
        pdf.set_text_color(*_MUTED)
        pdf.set_xy(left, y + 1)
        pdf.cell(width, 6, "None in this period", align="C")
    bottom = _legend(pdf, legend, left, y + 8)
    pdf.set_xy(pdf.l_margin, bottom + 2)


def _split_chart(pdf: _Report) -> None:
    pdf.section("Outcome and resolution split")
    _split_bar(pdf, "Calls by outcome", pdf.data.call_outcomes)
    _split_bar(pdf, "Conversations by resolution", pdf.data.resolution_split)


def _sla_chart(pdf: _Report) -> None:
    pdf.section("SLA compliance")
    left, width = pdf.l_margin + 45, pdf.content_width - 75
    for label, rate, tracked in pdf.data.sla:
        y = pdf.get_y()
        pdf.set_font("Helvetica", size=8)
        pdf.set_text_color(*_INK)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(44, 5, latin1(label))
        pdf.set_fill_color(*_GRID)
        pdf.rect(left, y + 0.5, width, 4, style="F")
        if tracked:
            pdf.set_fill_color(*(_CONVERSATIONS if rate >= 90 else _PALETTE[2] if rate >= 75 else _PALETTE[3]))
            pdf.rect(left, y + 0.5, width * rate / 100, 4, style="F")
        pdf.set_xy(left + width + 2, y)
        pdf.set_text_color(*_MUTED)
        pdf.cell(28, 5, f"{rate:.1f} % of {tracked}" if tracked else "not tracked")
        pdf.set_xy(pdf.l_margin, y + 6)


def _table(pdf: _Report, table: Table) -> None:
    pdf.section(table.title)
    if not table.rows:
        pdf.set_font("Helvetica", size=8)
        pdf.set_text_color(*_MUTED)
        pdf.cell(0, 5, "No data in this period", new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_font("Helvetica", size=7)
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(*_GRID)
    pdf.set_fill_color(255, 255, 255)  # the table's unstriped rows use the current fill colour
    headings = FontFace(emphasis="BOLD", color=_INK, fill_color=(233, 236, 239))
    with pdf.table(
        headings_style=headings, line_height=4.2, text_align="LEFT", borders_layout="HORIZONTAL_LINES",
        repeat_headings=1, cell_fill_color=(248, 249, 250), cell_fill_mode="ROWS",
    ) as grid:  # fmt: skip
        heading = grid.row()
        for column in table.columns:
            heading.cell(_heading(column.name))
        for values in table.rows:
            row = grid.row()
            for value, column in zip(values, table.columns, strict=True):
                row.cell(cell_text(value, column))
    if table.note:
        pdf.set_font("Helvetica", "I", 7)
        pdf.set_text_color(*_MUTED)
        pdf.cell(0, 5, latin1(table.note), new_x="LMARGIN", new_y="NEXT")


def render_pdf(data: ReportData, *, compress: bool = True) -> bytes:
    pdf = _Report(data)
    pdf.set_compression(compress)
    pdf.add_page()
    _header(pdf)
    _kpis(pdf)
    _volume_chart(pdf)
    _split_chart(pdf)
    _sla_chart(pdf)
    if data.tables:
        pdf.add_page()
        for table in data.tables:
            _table(pdf, table)
    return bytes(pdf.output())


def write_pdf(out: Stream, data: ReportData, *, compress: bool = True) -> int:
    # A report is a few pages of summaries: it is built in memory, then streamed like the other formats.
    out.write(render_pdf(data, compress=compress))
    return data.row_count
