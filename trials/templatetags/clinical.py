"""Template filters for clinical records."""

from datetime import datetime
from html import escape

from django import template
from django.template.defaulttags import CsrfTokenNode
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


# The rows of a checklist of the current phase (trials/_checklist.html): each with its forms,
# rendered for every tick's reply. Same markup as the template loop they replace.

_FORM = (
    '<form method="post" class="{cls}" action="{url}" hx-post="{url}" hx-target="#phase-panel" '
    'hx-swap="outerHTML" hx-disabled-elt="find button">{csrf}'
)


@register.simple_tag(takes_context=True)
def checklist_rows(context, cl, vitals_compare) -> SafeString:
    """The items of `cl` (presenters.ChecklistView): who ticked each, and the forms to tick,
    untick or mark it not applicable where this user may. `vitals_compare` is shown under
    "vital signs stable" (presenters.vitals_baseline)."""
    csrf = CsrfTokenNode().render(context)  # what {% csrf_token %} writes
    key = escape(cl.checklist.key)
    rows = "".join(_checklist_row(key, cl.editable, r, vitals_compare, csrf) for r in cl.rows)
    return mark_safe(rows)  # noqa: S308 - every value escaped in _checklist_row


def _checklist_row(key: str, editable: bool, row, vitals_compare, csrf: str) -> str:
    item, entry = row.item, row.entry
    label, item_key = escape(item.label), escape(item.key)
    parts = [
        f'<li class="list-group-item checklist-item" id="item-{key}-{item_key}" '
        f'data-item="{item_key}"><div class="checklist-row"><div class="checklist-label"> '
    ]
    if entry:
        parts.append(
            '<span class="badge text-bg-light border">N/A</span> '
            if entry.state == "na"
            else '<span class="text-success fw-bold" aria-label="done">✓</span> '
        )
    parts.append(
        f'<span class="{"text-body" if entry else ""}">{label}</span> '
        f'<span class="badge rounded-pill text-bg-light border">{escape(item.roles_label)}</span> '
    )
    if not item.required:
        parts.append('<span class="badge rounded-pill text-bg-light border">optional</span> ')
    if item.help:
        parts.append(f'<div class="small text-muted">{escape(item.help)}</div> ')
    if entry:
        na = f"Not applicable: {escape(entry.na_reason)} · " if entry.state == "na" else ""
        note = f" · “{escape(entry.note)}”" if entry.note else ""
        by = escape(entry.by.printed_name)
        parts.append(
            f'<div class="small text-muted">{na}{by}, {when(entry.at)}{note} {late(entry)}</div> '
        )
    if item.key == "vitals_stable":
        parts.append(_vitals_compare(vitals_compare))
    parts.append("</div> ")
    can = editable and row.can_tick
    url = escape(row.url)
    if can and entry:
        parts.append(
            _FORM.format(cls="checklist-action d-flex justify-content-end", url=url, csrf=csrf)
            + ' <button class="btn btn-outline-secondary btn-sm btn-tick" type="submit" '
            f'aria-label="Untick: {label}">Untick</button> </form> '
        )
    elif can:
        parts.append(
            _FORM.format(cls="checklist-action d-flex gap-2 align-items-start", url=url, csrf=csrf)
            + ' <input class="form-control form-control-sm" type="text" name="note" '
            f'maxlength="500" placeholder="Note (optional)" aria-label="Note for {label}"> '
            '<button class="btn btn-success btn-tick" type="submit" '
            f'aria-label="Tick: {label}">Tick</button> </form> '
        )
    parts.append("</div> ")
    if can and not entry:
        parts.append(
            '<details class="mt-1 small"> <summary class="text-muted">Not applicable…</summary> '
            + _FORM.format(cls="d-flex gap-2 mt-1", url=url, csrf=csrf)
            + ' <input type="hidden" name="not_applicable" value="on"> '
            '<input class="form-control form-control-sm" type="text" name="na_reason" '
            'maxlength="500" required placeholder="Reason (required)" '
            f'aria-label="Reason {label} is not applicable"> '
            '<button class="btn btn-outline-secondary btn-sm" type="submit" '
            f'aria-label="Mark not applicable: {label}">Mark N/A</button> </form> </details> '
        )
    parts.append("</li> ")
    return "".join(parts)


def _vitals_compare(compare: dict) -> str:
    last, base = compare.get("last"), compare.get("baseline")
    shown = (
        f"HR {escape(str(last.heart_rate))}, BP {escape(last.blood_pressure)}, "
        f"RR {escape(str(last.respiratory_rate))}, SpO₂ {escape(str(last.spo2))}%, "
        f"sedation {escape(str(last.sedation))} at {when(last.recorded_at)}"
        if last
        else "none since the dose"
    )
    pre = (
        f"HR {escape(str(base.heart_rate))}, BP {escape(base.blood_pressure)}, "
        f"RR {escape(str(base.respiratory_rate))}, SpO₂ {escape(str(base.spo2))}%, "
        f"sedation {escape(str(base.sedation))}"
        if base
        else "not recorded"
    )
    return (
        f'<div class="small vitals-compare">Last set: {shown} · Baseline (pre-dose): {pre}</div> '
    )
