"""Django's PostgreSQL backend, its per-request health check without a round trip when it can.

With CONN_HEALTH_CHECKS (config/settings.py), Django checks a persistent connection before the
first query of each request by sending `SELECT 1`: a round trip on every request, the cheapest
page's included (about one request in seven of a checklist tick's). Most of what that check
catches can be seen without asking the server: a server that restarts, a backend that an
administrator terminates or that crashes, ends its connections, and the connection's socket
then holds the server's last message or the end of the stream. So a connection is taken as it
is when all of these hold:
- psycopg does not know it closed or broken;
- no error occurred on it since the last commit or rollback (after one, Django asks whether it
  still works: that question always gets the full check);
- its socket has nothing to read (an idle connection in good order has nothing pending);
- the full check passed less than RECHECK_SECONDS ago.
Otherwise Django's `SELECT 1` decides, as before. What is left to the full check every
RECHECK_SECONDS is what the socket cannot show: an address moved to another server (a failover
behind a virtual address answers the next packet with a reset). Within those seconds such a
failover costs the one request that meets it an error, after which Django drops the connection
and the next request connects again.
"""

import select
import time

from django.db.backends.postgresql import base

RECHECK_SECONDS = 10.0


class DatabaseWrapper(base.DatabaseWrapper):
    checked_at: float | None = None  # time.monotonic() of the last full check passed

    def connect(self):
        super().connect()
        self.checked_at = time.monotonic()  # just opened: as good as checked

    def is_usable(self):
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if not self.errors_occurred and self._quiet_since_checked(conn):
            return True
        usable = super().is_usable()
        self.checked_at = time.monotonic() if usable else None
        return usable

    def _quiet_since_checked(self, conn) -> bool:
        if self.checked_at is None or time.monotonic() - self.checked_at >= RECHECK_SECONDS:
            return False
        poll = select.poll()  # not select.select: no limit on the descriptor's number
        try:
            poll.register(conn.fileno(), select.POLLIN)
            return not poll.poll(0)
        except (OSError, ValueError):
            return False
