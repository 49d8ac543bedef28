"""`{% kept key "name" %}…{% endkept %}`: a part of a page rendered once per key, in the "parts"
cache of this process (config/settings.py; as private as the records of record_cache.py).

The key is what the part shows: the trial's record key (presenters.record_key: the trial, its
revision, the viewer's role, the clinic's time zone and the names of the people on the record),
and for a part that also shows the clock, what the clock decides in it (presenters.panel_key).
Without a key (a page rendered from a writer's read, inside its transaction) the part is rendered
and not kept: a write that is rolled back must leave nothing behind.

A page rendered from its kept parts alone (`kept_only` in its context: trials/services/
kept_page.py) has not the record that a missing part would be rendered from: such a part raises
PartMissing instead, and the page is made from the record.

A kept part may hold forms: it is rendered with a stand-in for the CSRF token, and each request
puts its own token in its place. The stand-in is drawn at random by each process, whose memory
alone holds the parts, so no text entered by a user can contain it.
"""

import secrets

from django import template
from django.core.cache import caches

register = template.Library()
CACHE = "parts"
TIMEOUT = 3600
CSRF_STAND_IN = f"kept-csrf-{secrets.token_hex(16)}"
_INPUT = f'<input type="hidden" name="csrfmiddlewaretoken" value="{CSRF_STAND_IN}">'


class PartMissing(Exception):
    """A page rendered from its kept parts alone found one of them no longer kept."""


class KeptNode(template.Node):
    def __init__(self, nodelist, key, name):
        self.nodelist, self.key, self.name = nodelist, key, name

    def render(self, context):
        key = self.key.resolve(context)
        if not key:
            return self.nodelist.render(context)
        cache = caches[CACHE]
        full_key = f"kept:{self.name.resolve(context)}:{key}"
        part = cache.get(full_key)
        if part is None:
            if context.get("kept_only"):
                raise PartMissing(full_key)
            with context.push(csrf_token=CSRF_STAND_IN):
                part = self.nodelist.render(context)
            cache.set(full_key, part, TIMEOUT)
        if CSRF_STAND_IN in part:
            # The request's own token (reading it is what makes the response set the cookie);
            # without one, no token input at all, as {% csrf_token %} writes then.
            token = context.get("csrf_token")
            if token and token != "NOTPROVIDED":  # noqa: S105 - Django's "no token" marker
                return part.replace(CSRF_STAND_IN, str(token))
            return part.replace(_INPUT, "").replace(CSRF_STAND_IN, "")
        return part


@register.tag
def kept(parser, token):
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError('{% kept key "name" %} takes a key and a name')
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(nodelist, parser.compile_filter(bits[1]), parser.compile_filter(bits[2]))
