"""Settings of the app under browser test: the development settings and the test clock."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

MIDDLEWARE = ["tests.browser.clock.ClockMiddleware", *MIDDLEWARE]

# Every sign-in and every signature checks the password: with the production hasher each check
# takes ~0.5 s of the server's CPU (a journey signs in a dozen times and signs eight records).
# The hashing itself is not what the browser tests drive; as for the other tests
# (tests/conftest.py, _fast_password_hashing), a fast one.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
