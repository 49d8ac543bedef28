"""Template filters for clinical records."""

from django import template
from django.utils.html import format_html

from trials.late import entry_note

register = template.Library()


@register.filter
def late(obj, part: str = ""):
    """`{{ vitals|late }}`, `{{ attempt|late:"given" }}`: the late-entry mark, or nothing."""
    note = entry_note(obj, part) if obj is not None else ""
    if not note:
        return ""
    return format_html(
        '<span class="late-entry badge text-bg-warning text-wrap text-start">{}</span>', note
    )
