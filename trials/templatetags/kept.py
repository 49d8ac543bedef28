"""`{% kept key "name" %}…{% endkept %}`: a part of a page rendered once per key, in the "records"
cache of this process (trials/services/record_cache.py).

The key is the trial's record key (presenters.record_key): the trial, its revision, the viewer's
role, the clinic's time zone and the names of the people on the record, everything the part
shows. Without a key (a page rendered from a writer's read, inside its transaction) the part is
rendered and not kept: a write that is rolled back must leave nothing behind.
"""

from django import template
from django.core.cache import caches

from trials.services.record_cache import CACHE

register = template.Library()
TIMEOUT = 3600


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
            part = self.nodelist.render(context)
            cache.set(full_key, part, TIMEOUT)
        return part


@register.tag
def kept(parser, token):
    bits = token.split_contents()
    if len(bits) != 3:
        raise template.TemplateSyntaxError('{% kept key "name" %} takes a key and a name')
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(nodelist, parser.compile_filter(bits[1]), parser.compile_filter(bits[2]))
