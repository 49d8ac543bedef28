"""The trial summary (summary.Summary) as a tagged PDF (PDF/UA-1), laid out by WeasyPrint.

The PDF is the summary page's own record (templates/outcomes/_summary_record.html, the same
tables and the same SVG curves) in templates/outcomes/summary_pdf.html, laid out for A4 by
static/css/summary_pdf.css: the patient's name, MRN and date of birth and the severe-event flag
at the top of every page, "Page x of y" at its foot. WeasyPrint tags the structure (headings,
tables with their header cells, lists, figures with their text alternative), writes the
document's language and title, and draws the curves from the page's SVG: one drawing, one
record, in two layouts.

Why WeasyPrint and not reportlab (which wrote this PDF until December 2026): reportlab wrote
every section a second time in Python and the curves a second time as its own drawings, and
its PDF was not tagged, so a screen reader met one run of untagged text. The price: Pango on the
server (README), and time, paid by the first download of each version of the record (below):
for a long trial (three attempts, eight pages, 160 KB; trial 449 of the bench database) about
3.5 s of CPU on the 2-core development machine (median of 7 runs; 4 to 7 s of wall time while
other work runs there), against reportlab's 0.16 s.

WeasyPrint 70 tags page by page (a table that runs over a page break is two tables in the tag
tree) and leaves the running header and footer out of the tree; both repeat what the record
itself says.

Where that time goes, and why it stays (measured in December 2026 with WeasyPrint 70): it is
WeasyPrint's own work per element and per run of text, not this document's styling. The 15
tables (about 950 cells) cost half of it, their widths (each cell laid out at its narrowest
and widest) a seventh; the six charts about a sixth (WeasyPrint draws SVG text one glyph at a
time); parsing the HTML, the cascade and the tags the rest. The stylesheets are 3 KB (no
Bootstrap); font subsetting (HarfBuzz, two faces) takes 5 ms. Tried and not kept:
`table-layout: fixed` (0.5 s less, but columns of equal width: nine pages, the times broken
over three lines), grid and flex replaced by floats or blocks, separate borders, a shared
FontConfiguration, kerning and ligatures off, no page-break rules, the charts as <img>,
without their tooltips or in DejaVu Sans (each within the noise, about 0.1 s); `full_fonts`
(slower, 940 KB) and `uncompressed_pdf` (1 MB). Even with no stylesheet at all the layout
takes 3.2 s. What would cut it is less to lay out (the curve tables repeat the vital signs)
or making it before anyone asks (after each change), not a setting.

Nothing is fetched from outside: the only URLs the template names are the app's static files
(its stylesheets), read from disk by `read_static`; the fonts are the system's.

The PDF is a pure function of its HTML and the stylesheets that HTML links, so it is kept in
Django's cache under a SHA-256 of exactly those (and of the WeasyPrint version): a second
download of an unchanged record costs the HTML and a cache read, not the layout. Any change to
the record (a score, an amendment, a signature, the patient's name) changes the HTML and so the
key: a PDF made from an older record can never be served. The HTML names no reader and no time
of reading for that reason (summary.py); the audit row of each download says who and when.
`LinkedFiles` lets the render read the linked stylesheets only as they were hashed, and refuses
every other URL, so nothing the PDF is made from can escape the key.
"""

import functools
import hashlib
import mimetypes
import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .summary import Summary

# The document's own address: nothing is ever fetched from it (`read_static` reads the disk).
BASE_URL = "https://itb.invalid/"
PDF_VARIANT = "pdf/ua-1"
# The key is the document itself, so no bound is needed for correctness: this one frees the
# memory of PDFs nobody downloads again (a PDF is 0.1 to 0.5 MB). Raise CACHE_VERSION when the
# way a PDF is made changes in a way its HTML and stylesheets do not show.
CACHE_SECONDS = 60 * 60
CACHE_VERSION = 1
# The stylesheets the document links (in its head, and the curves' own beside them).
LINKED = re.compile(r'<link\b[^>]*?\bhref="([^"]*)"')


def read_static(url: str) -> bytes:
    """One of the app's static files (a stylesheet), read from disk; every other URL refused."""
    static = urlsplit(urljoin(BASE_URL, settings.STATIC_URL))
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (static.scheme, static.netloc) or not (
        parts.path.startswith(static.path)
    ):
        raise ValueError(f"The summary PDF fetches nothing but the app's static files: {url}")
    name = unquote(parts.path.removeprefix(static.path))
    path = _static_path(name)
    if not path:
        raise ValueError(f"No such static file: {name}")
    return Path(path).read_bytes()


@functools.lru_cache(maxsize=32)
def _static_path(name: str) -> str | None:
    """Where the static file is on disk, looked up once per process (the finders look through
    every app); the file itself is read afresh for every download."""
    # Development finds the file in static/; production in STATIC_ROOT (hashed names).
    return finders.find(name) or (
        staticfiles_storage.path(name) if staticfiles_storage.exists(name) else None
    )


def linked_files(html: str) -> dict[str, bytes]:
    """The stylesheets the HTML links, by their absolute URL, read by `read_static`."""
    urls = sorted({urljoin(BASE_URL, unescape(href)) for href in LINKED.findall(html)})
    return {url: read_static(url) for url in urls}


class LinkedFiles(URLFetcher):
    """Serves the files read (and hashed into the cache key) before the render, and refuses
    every other URL: an image or font added to the template later fails the render instead of
    being left out of the key."""

    def __init__(self, files: dict[str, bytes]):
        super().__init__(fail_on_errors=True)
        self.files = files

    def fetch(self, url, headers=None):
        if url not in self.files:
            raise ValueError(f"The summary PDF reads only the stylesheets its HTML links: {url}")
        kind = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, self.files[url], {"Content-Type": kind})


def cache_key(html: str, files: dict[str, bytes]) -> str:
    """SHA-256 of everything the PDF is made from, each part preceded by its length."""
    digest = hashlib.sha256()
    parts = [str(CACHE_VERSION), weasyprint.__version__, PDF_VARIANT, html]
    for url, body in files.items():
        parts += [url, body]
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return f"summary-pdf:{digest.hexdigest()}"


def render(summary: Summary) -> bytes:
    """The PDF of the summary, from the cache when this very document was laid out before."""
    html = render_to_string("outcomes/summary_pdf.html", {"summary": summary})
    files = linked_files(html)
    key = cache_key(html, files)
    pdf = cache.get(key)
    if pdf is None:
        pdf = write_pdf(html, files)
        cache.set(key, pdf, CACHE_SECONDS)
    return pdf


def write_pdf(html: str, files: dict[str, bytes]) -> bytes:
    """Lay out the HTML: WeasyPrint, about 3.5 s of CPU for a long trial here (above)."""
    # A stylesheet that cannot be read stops the render: without it no page would name the
    # patient.
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=LinkedFiles(files))
    return document.write_pdf(pdf_variant=PDF_VARIANT)
