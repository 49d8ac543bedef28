"""The trial summary (summary.Summary) as a PDF, with reportlab's platypus."""

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

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


def render(summary: Summary) -> bytes:
    w = _Writer()
    w.heading(summary.title, level=1)
    w.flow.append(
        w.text(f"Trial summary for the medical record · printed {summary.printed_at}", w.small)
    )
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
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=summary.title,
        author="ITB trial tracker",
    )
    doc.build(w.flow)
    return buffer.getvalue()
