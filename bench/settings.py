"""Settings for `make bench` only: the production settings (DEBUG off) plus the floor's bare view.

bench/bench.py starts gunicorn with DJANGO_SETTINGS_MODULE=bench.settings; nothing else uses this
module, so the bare "hello" view of bench/urls.py exists only under the benchmark's server.
"""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The dashboard "computed" (bench/bench.py runs it on a second server with BENCH_CACHE=dummy): no
# cache at all, so each request computes its figures, as the first one after a change does.
# Nor are the records, the pages' parts or the homes' rows kept (every cache of the settings):
# each trial page and PDF is made from the database, as the first after a change is.
if os.environ.get("BENCH_CACHE") == "dummy":
    DUMMY = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    CACHES = dict.fromkeys(CACHES, DUMMY)  # noqa: F405
