"""The browser tests' clock: the app under test runs this many seconds ahead of real time.

A browser test cannot wait a day for the second dose, nor two hours for a score, and must never
type times in the past to get there. So the test moves the server's clock instead: it writes an
offset (seconds) to the file named by ITB_TEST_CLOCK_FILE, and this middleware (installed only
by tests/browser/settings.py) moves the whole process's clock there with time-machine before
the request is handled. The clock keeps ticking from the new time.
"""

import os
import threading
import time
from pathlib import Path

import time_machine

_lock = threading.Lock()
_state: dict = {"offset": 0.0, "coordinates": None}


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
            # One journey for the whole process, shifted forward when the offset grows: never
            # stopped, so a request in another thread never sees the clock vanish under it.
            if _state["coordinates"] is None and offset:
                start = time.time() + offset  # not travelling yet: the real clock
                _state.update(
                    offset=offset, coordinates=time_machine.travel(start, tick=True).start()
                )
            elif offset != _state["offset"]:
                _state["coordinates"].shift(offset - _state["offset"])
                _state["offset"] = offset
        return self.get_response(request)
