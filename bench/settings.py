"""Settings for `make bench` only: the production settings (DEBUG off) plus the floor's bare view.

bench/bench.py starts gunicorn with DJANGO_SETTINGS_MODULE=bench.settings; nothing else uses this
module, so the bare "hello" view of bench/urls.py exists only under the benchmark's server.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
