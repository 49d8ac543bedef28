"""Settings of the app under browser test: the development settings and the test clock."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

MIDDLEWARE = ["tests.browser.clock.ClockMiddleware", *MIDDLEWARE]
