"""Printed documents (the minutes of a case conference, a donation receipt) as PDF, made on the server.

WeasyPrint lays out HTML and CSS on A4. The documents need nothing from outside — the Korean font (Noto Sans CJK
KR) comes from the system through fontconfig and is embedded, subset, in the PDF — so WeasyPrint gets a fetcher
that allows no protocol at all: nothing in a template or in a typed text can make the server fetch a URL or read a
local file.
"""

from __future__ import annotations


def render_pdf(html: str) -> bytes:
    """HTML to PDF with WeasyPrint, fetching nothing."""
    # Imported here, not at the top: loading WeasyPrint and Pango takes about 1.7 s, which every command, test
    # run and server start would otherwise pay for a PDF that few of them print.
    from weasyprint import HTML, URLFetcher

    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
