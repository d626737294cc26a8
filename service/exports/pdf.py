"""The export's combined PDF, made with WeasyPrint from the same HTML as its pages.

Nothing is fetched while it is made: the pages load nothing themselves (see `rendering`), and
WeasyPrint's fetcher here refuses every URL but inline `data:`, so a missed address can
neither slow the export down nor tell anyone about it. Each version starts on a new page.
"""

from __future__ import annotations

import logging
from pathlib import Path

# WeasyPrint logs each step, and each CSS property it does not support: the pages are ours.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


def write_pdf(html: str, target: Path) -> int:
    """Render `html` (a whole document) to `target`; the number of pages."""
    from weasyprint import HTML, URLFetcher  # slow to import: only where a PDF is made

    document = HTML(
        string=html, url_fetcher=URLFetcher(allowed_protocols=("data",)), base_url=None
    ).render(pdf_tags=True)
    document.write_pdf(target)
    return len(document.pages)
