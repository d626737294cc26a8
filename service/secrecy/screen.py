"""The secrecy screen: every new version is scanned as it is captured, and one that may be
secret puts its record in the review queue (DOMAIN rule 5).

It runs after the version is stored and indexed, and only adds to the record: the version is
kept exactly as captured, whatever the screen finds or however it fails."""

from __future__ import annotations

from typing import Any

from service.index.text import plain_text
from service.secrecy.detect import Detector
from service.secrecy.review import Reviews


class SecrecyScreen:
    def __init__(self, detector: Detector, reviews: Reviews):
        self.detector = detector
        self.reviews = reviews

    def __call__(self, version: dict[str, Any]) -> None:
        """Scan a new version's title and text; flag its record if anything is found.
        Nothing found: no storage or database work at all."""
        findings = self.detector.scan(version["title"], plain_text(version["content"]))
        if findings:
            self.reviews.flag(version["record_id"], version["version"], findings)
