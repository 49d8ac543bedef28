"""The response curves (curves.Chart) as reportlab drawings for the summary PDF.

The same Shapes the trial page writes as SVG, in PDF units: one drawing of one set of numbers.
"""

from reportlab.graphics.shapes import Circle, Drawing, PolyLine, String
from reportlab.lib import colors

from .curves import COLOURS, WIDTH, Chart

DASH = [5, 3]


def drawing(chart: Chart, width: float, *, font: str, ascii=None) -> Drawing:
    """`chart` scaled to `width` points; SVG's downward y turned upward. `ascii` (a str.translate
    table) spells out characters the font lacks."""
    scale = width / WIDTH
    height = chart.height * scale
    d = Drawing(width, height)

    def at(x: float, y: float) -> tuple[float, float]:
        return x * scale, height - y * scale

    for shape in chart.shapes:
        colour = colors.HexColor(shape.colour)
        if shape.kind == "text":
            x, y = at(*shape.points[0])
            fill = COLOURS["text"] if shape.css.startswith("chart") else shape.colour
            text = shape.text if ascii is None else shape.text.translate(ascii)
            d.add(
                String(x, y, text, fontName=font, fontSize=11 * scale,
                       fillColor=colors.HexColor(fill), textAnchor=shape.anchor)
            )  # fmt: skip
        elif shape.kind == "dot":
            x, y = at(*shape.points[0])
            d.add(Circle(x, y, shape.r * scale, fillColor=colour, strokeColor=None))
        else:
            flat = [v for point in shape.points for v in at(*point)]
            d.add(
                PolyLine(flat, strokeColor=colour, strokeWidth=shape.width * scale,
                         strokeDashArray=DASH if shape.dashed else None)
            )  # fmt: skip
    return d
