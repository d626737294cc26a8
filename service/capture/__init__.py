"""From a verified webhook to record versions and events (no HTTP here)."""
