"""Template filters for clinical records."""

from datetime import datetime
from html import escape

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core import moments
from trials.late import entry_note

register = template.Library()

# The formats of `when`, and what Django's `date` filter would be given for each.
WHEN = {
    "minute": "%Y-%m-%d %H:%M",  # date:"Y-m-d H:i"
    "day": "%Y-%m-%d",  # date:"Y-m-d"
    "clock": "%H:%M",  # date:"H:i"
}


@register.filter
def when(value, fmt: str = "minute") -> str:
    """`{{ vitals.recorded_at|when }}` 2026-12-06 14:05 in the clinic's zone, `|when:"day"`
    2026-12-06, `|when:"clock"` 14:05; "" for no time. What `date` prints for these formats, by
    strftime: the trial page prints a hundred times or more, and `date` costs ten times as much.
    A stored time the clinic's clock cannot show is printed in UTC and flagged, as `date` does
    (core/moments.py)."""
    if value is None or value == "":
        return ""
    local, utc = moments.on_clock(value) if isinstance(value, datetime) else (value, False)
    return moments.flagged(local.strftime(WHEN[fmt]), local, utc=utc)


@register.filter
def late(obj, part: str = ""):
    """`{{ vitals|late }}`, `{{ attempt|late:"given" }}`: the late-entry mark, or nothing."""
    note = entry_note(obj, part) if obj is not None else ""
    if not note:
        return ""
    return format_html(
        '<span class="late-entry badge text-bg-warning text-wrap text-start">{}</span>', note
    )


# The two longest lists of the trial page, written here rather than by a template loop: a trial
# with three attempts has some 40 vital signs and 60 checklist entries, and the template language
# spends a dozen lookups and filters on each row. Same markup as the loops they replace; every
# value escaped.


@register.simple_tag
def vitals_rows(vitals) -> SafeString:
    """The rows of an attempt's vital signs table (trials/_attempt.html)."""
    rows = []
    for v in vitals:
        by = v.recorded_by.printed_name if v.recorded_by_id else ""
        cells = (
            v.heart_rate, v.blood_pressure, v.respiratory_rate, v.spo2, v.temperature_c,
            v.sedation, v.pain, "yes" if v.headache else "no", by,
        )  # fmt: skip
        rows.append(
            ('<tr class="table-secondary vitals-baseline">' if v.pre_dose else "<tr>")
            + '<td class="text-nowrap">'
            + ("<strong>Baseline</strong> (pre-dose) " if v.pre_dose else "")
            + when(v.recorded_at)
            + "</td>"
            + "".join(f"<td>{escape(str(c))}</td>" for c in cells)
            + f"<td>{escape(v.note)} {late(v)}</td></tr>"
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value escaped above


@register.simple_tag
def checklist_record(rows) -> SafeString:
    """The items of a checklist on record (trials/detail.html), ticked or not."""
    items = []
    for row in rows:
        label, entry = escape(row.item.label), row.entry
        if entry is None:
            items.append(f'<li><span class="text-muted">○ {label}</span></li>')
            continue
        mark = f"N/A ({escape(entry.na_reason)})" if entry.state == "na" else "✓"
        by = escape(entry.by.printed_name if entry.by_id else "")
        items.append(f"<li>{mark} {label} – {by}, {when(entry.at)} {late(entry)}</li>")
    return mark_safe("".join(items))  # noqa: S308 - every value escaped above


@register.simple_tag
def timeline_rows(events) -> SafeString:
    """The items of a trial's timeline (the trial page shows the latest 20, the timeline page 50
    a page; the trial page sends them again after every tick)."""
    items = []
    for ev in events:
        reason = f"<br><em>Reason: {escape(ev.reason)}</em>" if ev.reason else ""
        items.append(
            f'<li class="mb-2"><span class="text-muted">{when(ev.at)}</span> · '
            f"<strong>{escape(ev.actor_name)}</strong><br>{escape(ev.summary)}{reason}</li>"
        )
    return mark_safe("".join(items))  # noqa: S308 - every value escaped above
