"""The browser tests' clock: the app under test runs this many seconds ahead of real time.

A browser test cannot wait a day for the second dose, nor two hours for a score, and must never
type times in the past to get there. So the test moves the server's clock instead: it writes an
offset (seconds) to the file named by ITB_TEST_CLOCK_FILE, and this middleware (installed only
by tests/browser/settings.py) moves the whole process's clock there with time-machine before
the request is handled. The clock keeps ticking from the new time.
"""

import os
import threading
from pathlib import Path

import time_machine
from time_machine import escape_hatch

_lock = threading.Lock()
_state: dict = {"offset": 0.0, "traveller": None}


def _offset() -> float:
    try:
        return float(Path(os.environ["ITB_TEST_CLOCK_FILE"]).read_text() or 0)
    except (KeyError, OSError, ValueError):
        return 0.0


class ClockMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offset = _offset()
        with _lock:
            if offset != _state["offset"]:
                if _state["traveller"] is not None:
                    _state["traveller"].stop()
                traveller = time_machine.travel(escape_hatch.time.time() + offset, tick=True)
                traveller.start()
                _state.update(offset=offset, traveller=traveller)
        return self.get_response(request)
