"""Reading a site into the archive: backfill (what was published before live capture) and
reconciliation (what no webhook reported), through the WordPress port and the same capture
rules as a webhook (`capture.recorder`), each path idempotent on its own key."""
