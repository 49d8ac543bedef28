"""The cells of the record's tables (templates/outcomes/_table.html, trials/_curve_table.html).

A long trial's summary has about a thousand cells, and a template loop costs more per cell than
the rest of the summary's render together (issue 12: the PDF's HTML is rendered on every
download). These tags write what the loops wrote: the same elements, each cell escaped and
localised as `{{ cell }}` would be.
"""

from collections.abc import Iterable, Sequence
from html import escape

from django import template
from django.template.base import render_value_in_context
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _cell(value, context) -> str:
    """What `{{ value }}` writes: for a plain string (the tables' cells), `html.escape` of it,
    as Django's `escape` does; anything else through the template engine's own function."""
    if type(value) is str and context.autoescape:
        return escape(value)
    return render_value_in_context(value, context)


@register.simple_tag(takes_context=True)
def header_cells(context, headers: Iterable) -> SafeString:
    """`<th scope="col">` for each header."""
    cells = (f'<th scope="col">{_cell(h, context)}</th>' for h in headers)
    return mark_safe("".join(cells))  # noqa: S308 - each header escaped as {{ h }} is


@register.simple_tag(takes_context=True)
def body_rows(context, rows: Iterable[Sequence]) -> SafeString:
    """A `<tr>` for each row: its first cell the row's header, the others data cells."""
    out = []
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            text = _cell(cell, context)
            out.append(
                f"<td>{text}</td>" if i else f'<th scope="row" class="fw-normal">{text}</th>'
            )
        out.append("</tr>")
    return mark_safe("".join(out))  # noqa: S308 - each cell escaped as {{ cell }} is
