"""CSV for spreadsheets: RFC 4180 through the csv module, streamed, and every cell that begins
with =, +, -, @, a tab or a carriage return escaped with a leading apostrophe, so a spreadsheet
shows it as text instead of running it as a formula."""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from core import moments

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The text of one cell, escaped so a spreadsheet never reads it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, datetime):
        text = moments.clinic_time(value).replace(microsecond=0).isoformat()
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream(header: list[str], rows: Iterable[list], batch: int = 200) -> Iterator[str]:
    """CSV text in pieces: the header, then `batch` rows at a time."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    pending = []
    for row in rows:
        pending.append(writer.writerow([safe_cell(v) for v in row]))
        if len(pending) >= batch:
            yield "".join(pending)
            pending = []
    if pending:
        yield "".join(pending)
