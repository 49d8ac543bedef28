"""The trial summary (summary.Summary) as a PDF, with reportlab's platypus.

Every page carries the patient's name, MRN and date of birth, the severe-event flag when there
is one, and "Page x of y" (`_page_canvas`: reportlab learns the page count only at the end, so
the canvas keeps each page and draws the header and footer when it saves).

Why reportlab and not WeasyPrint (HTML + CSS to PDF, which can tag the PDF: `--pdf-tags`,
`pdf/ua-1`, a feature still described as experimental): WeasyPrint needs the Pango system
library on every machine and CI, lays out the whole Bootstrap page with its own print CSS, and
would draw the charts from the SVG a second way; reportlab is already here, pure Python, and
draws the curves from the same shapes as the SVG (curves_pdf.py). The gain WeasyPrint offers is
tagging; until a clinic needs a tagged PDF, the HTML summary page is the accessible version of
the same record.
"""

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from . import curves_pdf
from .summary import Summary, when
from .summary import Table as Rows

# A Unicode font when the system has one (SpO₂, ≥, –); else Helvetica with those spelled out.
FONT_PATHS = [
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
]
ASCII = str.maketrans({"₂": "2", "≥": ">=", "→": "->", "×": "x"})


def _fonts() -> tuple[str, str]:
    regular, bold = FONT_PATHS
    if regular.exists() and bold.exists():
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


class _Writer:
    def __init__(self):
        self.font, self.bold = _fonts()
        styles = getSampleStyleSheet()
        self.body = styles["BodyText"].clone("body", fontName=self.font, fontSize=8.5, leading=10.5)
        self.small = self.body.clone("small", fontSize=7.5, leading=9)
        self.h1 = styles["Heading1"].clone("h1", fontName=self.bold, fontSize=14, leading=17)
        self.h2 = styles["Heading2"].clone(
            "h2",
            fontName=self.bold,
            fontSize=11,
            leading=13,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,
        )
        self.h3 = self.body.clone("h3", fontName=self.bold, spaceBefore=4, keepWithNext=1)
        self.flag = self.body.clone("flag", fontName=self.bold, fontSize=10, textColor=SEVERE)
        self.flow = []

    def text(self, value: str, style=None) -> Paragraph:
        value = value if self.font == "DejaVuSans" else value.translate(ASCII)
        return Paragraph(escape(value), style or self.body)

    def heading(self, value: str, level: int = 2) -> None:
        self.flow.append(self.text(value, self.h1 if level == 1 else self.h2))

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        data = [[self.text(k, self.small), self.text(v)] for k, v in rows]
        self.flow.append(self._table(data, [45 * mm, None], header=False))

    def table(self, rows: Rows, empty: str = "None recorded.") -> None:
        if not rows.rows:
            self.flow.append(self.text(empty, self.small))
            return
        data = [[self.text(h, self.small) for h in rows.headers]]
        data += [[self.text(c, self.small) for c in row] for row in rows.rows]
        self.flow.append(self._table(data, None, header=True))

    def _table(self, data, widths, *, header: bool) -> Table:
        table = Table(data, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
        style = [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")))
        table.setStyle(style)
        return table


SEVERE = colors.HexColor("#b02a37")
MARGIN = 14 * mm
HEADER = 22 * mm  # the top margin: the patient's identity above the content


def _page_canvas(summary: Summary, font: str, bold: str):
    """A canvas class that draws the header and "Page x of y" on each page once all are known."""
    ident = summary.identity if font == "DejaVuSans" else summary.identity.translate(ASCII)
    flag = "SEVERE ADVERSE EVENT RECORDED" if summary.severe_events else ""
    footer = f"{summary.title} · printed {summary.printed_at}"
    footer = footer if font == "DejaVuSans" else footer.translate(ASCII)

    class PageCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFont(bold, 9)
            self.drawString(MARGIN, height - 10 * mm, ident)
            if flag:
                self.setFillColor(SEVERE)
                self.drawRightString(width - MARGIN, height - 10 * mm, flag)
                self.setFillColor(colors.black)
            self.setStrokeColor(colors.grey)
            self.line(MARGIN, height - 12 * mm, width - MARGIN, height - 12 * mm)
            self.setFont(font, 7.5)
            self.drawString(MARGIN, 8 * mm, footer)
            self.drawRightString(width - MARGIN, 8 * mm, f"Page {number} of {total}")
            self.restoreState()

    return PageCanvas


def _severe(w: "_Writer", summary: Summary) -> None:
    if not summary.severe_events:
        return
    rows = [[w.text("Severe adverse event recorded in this trial", w.flag)]]
    rows += [[w.text(line)] for line in summary.severe_events]
    table = Table(rows, colWidths=[None], hAlign="LEFT")
    table.setStyle([("BOX", (0, 0), (-1, -1), 1.2, SEVERE), ("LEFTPADDING", (0, 0), (-1, -1), 4)])
    w.flow += [Spacer(1, 3), table]


def _curves(w: "_Writer", summary: Summary) -> None:
    if not summary.curves:
        return
    w.heading("Response curves")
    w.flow.append(
        w.text(
            "Mean lower-limb MAS (the paired means above; dashed: the responder level) and "
            "blood pressure, heart rate and SpO₂ (dashed: the pre-dose baseline) against the "
            "hours after each dose.",
            w.small,
        )
    )
    ascii = None if w.font == "DejaVuSans" else ASCII
    for c in summary.curves:
        for chart, rows in ((c.mas, c.mas_table), (c.vitals, c.vitals_table)):
            if rows is None:
                continue
            block = [w.text(rows.caption, w.h3)]
            if chart is not None:
                block.append(curves_pdf.drawing(chart, 125 * mm, font=w.font, ascii=ascii))
            w.flow.append(KeepTogether(block))
            w.table(Rows(rows.headers, rows.rows))
        for note in c.notes:
            w.flow.append(w.text(note, w.small))


def render(summary: Summary) -> bytes:
    w = _Writer()
    w.heading(summary.title, level=1)
    w.flow.append(
        w.text(f"Trial summary for the medical record · printed {summary.printed_at}", w.small)
    )
    _severe(w, summary)
    w.heading("Patient")
    w.pairs(summary.patient)
    w.heading("Indication and goals")
    w.pairs(summary.indication)
    w.heading("Preparation")
    w.table(summary.preparation)
    w.flow.append(w.text(f"Signed: {summary.preparation_signed}", w.small))
    for attempt in summary.attempts:
        w.heading(attempt.title)
        w.pairs(attempt.facts)
        w.flow.append(w.text("Vital signs", w.small))
        w.table(attempt.vitals)
        w.flow.append(w.text("Adverse events", w.small))
        w.table(attempt.adverse_events)
        w.flow.append(w.text("Pain medication", w.small))
        w.table(attempt.pain_medication, "None given.")
        if attempt.decision:
            w.pairs(attempt.decision)
    w.heading("Modified Ashworth Scale (baseline against each post-dose time)")
    w.table(summary.mas, "No scores recorded.")
    w.flow.append(w.text("“–” = not assessed (not counted as zero); 1+ counts as 1.5.", w.small))
    _curves(w, summary)
    w.heading("Penn Spasm Frequency Scale")
    w.table(summary.penn, "No scores recorded.")
    w.heading("Decision and outcome")
    w.pairs(summary.outcome)
    w.heading("Signatures")
    w.table(summary.signatures, "No signatures.")
    if summary.amendments and summary.amendments.rows:
        w.heading("Amendments (shown above as amended; the signed record is kept)")
        w.table(summary.amendments)
    billing = Rows(
        ["Attempt", "Given", "HCPCS", "Units", "Detail", "Lumbar injection"],
        [
            [
                str(b.attempt_number) if i == 0 else "",
                when(b.given_at) if i == 0 else "",
                line.billed_code,
                str(line.units),
                line.note,
                f"CPT {b.cpt} – {b.cpt_text}" if i == 0 else "",
            ]
            for b in summary.billing
            for i, line in enumerate(b.lines)
        ],
    )
    w.flow.append(Spacer(1, 4))
    w.heading("Billing")
    w.table(billing, "No dose given: nothing to bill.")
    for b in summary.billing:
        for note in b.amended:
            w.flow.append(
                w.text(
                    f"Attempt {b.attempt_number} billed from the amended record: {note}", w.small
                )
            )

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=HEADER,
        bottomMargin=14 * mm,
        title=summary.title,
        author="ITB trial tracker",
    )
    doc.build(w.flow, canvasmaker=_page_canvas(summary, w.font, w.bold))
    return buffer.getvalue()
