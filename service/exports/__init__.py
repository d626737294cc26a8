"""Records leaving Offentlig: the disclosure export for a public-access request (begäran om
allmän handling) — a ZIP of HTML pages, a PDF, a CSV, proofs and a manifest — the transfer to
the e-archive (`sip/`: FGS Paketstruktur 2.0, E-ARK CSIP/SIP), and the HTML rendering of a
record version that both share (`rendering.py`)."""
