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
server (README), and time: about 1.6 s of CPU for a long trial (three attempts, eight pages)
against reportlab's 0.16 s, paid once per download. WeasyPrint 70 tags page by page (a table
that runs over a page break is two tables in the tag tree) and leaves the running header and
footer out of the tree; both repeat what the record itself says.

Nothing is fetched from outside: the only URLs the template names are the app's static files,
read from disk by `StaticFiles`; the fonts are the system's.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .summary import Summary

# The document's own address: nothing is ever fetched from it (`StaticFiles` reads the disk).
BASE_URL = "https://itb.invalid/"


class StaticFiles(URLFetcher):
    """Serves the app's static files (the stylesheets) from disk and refuses every other URL."""

    def fetch(self, url, headers=None):
        static = urlsplit(urljoin(BASE_URL, settings.STATIC_URL))
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != (static.scheme, static.netloc) or not (
            parts.path.startswith(static.path)
        ):
            raise ValueError(f"The summary PDF fetches nothing but the app's static files: {url}")
        name = unquote(parts.path.removeprefix(static.path))
        # Development finds the file in static/; production in STATIC_ROOT (hashed names).
        path = finders.find(name) or (
            staticfiles_storage.path(name) if staticfiles_storage.exists(name) else None
        )
        if not path:
            raise ValueError(f"No such static file: {name}")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": kind})


def render(summary: Summary) -> bytes:
    html = render_to_string("outcomes/summary_pdf.html", {"summary": summary})
    # A stylesheet that cannot be read stops the render: without it no page would name the
    # patient.
    fetcher = StaticFiles(fail_on_errors=True)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(pdf_variant="pdf/ua-1")
