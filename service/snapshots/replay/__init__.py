"""Replay: a snapshot's pages browsable from the service, every page requisite served from
the snapshot's WARC (never from the live site), behind short-lived signed links."""
