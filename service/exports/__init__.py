"""Records leaving Offentlig: the disclosure export for a public-access request (begäran om
allmän handling) — a ZIP of HTML pages, a PDF, a CSV, proofs and a manifest — and the HTML
rendering of a record version that the e-archive package shares."""
