"""Fixtures of the operations tests: static files collected once for every server started."""

import pytest

from tests.ops import live


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """A folder holding `collectstatic`'s output (hashed names, manifest), as in production."""
    root = tmp_path_factory.mktemp("static")
    live.collect_static(live.app_env("sqlite:///unused.sqlite3", root))
    return root
