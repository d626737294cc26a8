"""The channel register as the public sees it: which fields, in which order, in Swedish or
English, and as a CSV file that Excel in Sweden opens as it is."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from service.channels.model import ACTIVE, EDITABLE
from service.spreadsheets import excel_csv

# What anyone may read of a channel (how it is captured and culled is the archive's business).
PUBLIC_FIELDS = (
    "id",
    *(name for name in EDITABLE if name not in ("capture", "rule_ids")),
    "status",
)
LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"

WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "heading": "Förteckning över sociala medier",
        "intro": "Här är alla kanaler där vi publicerar, både aktiva och stängda. En stängd kanal "
        "står kvar i förteckningen, och det som publicerades där bevaras som allmänna handlingar.",
        "caption": "Kanaler, aktiva och stängda",
        "channel": "Kanal",
        "platform": "Plattform",
        "purpose": "Syfte",
        "responsible_unit": "Ansvarig enhet",
        "contact": "Kontakt",
        "started_on": "Startad",
        "status": "Status",
        "active": "Aktiv",
        "closed": "Stängd",
        "none": "Inga kanaler är registrerade ännu.",
        "download": "Förteckningen som data:",
        "other": "Annan",
        "switch": "In English",
    },
    "en": {
        "heading": "Register of social media channels",
        "intro": "Every channel we publish on, active and closed. A closed channel stays in the "
        "register, and what was published on it is kept as public records.",
        "caption": "Channels, active and closed",
        "channel": "Channel",
        "platform": "Platform",
        "purpose": "Purpose",
        "responsible_unit": "Responsible unit",
        "contact": "Contact",
        "started_on": "Started",
        "status": "Status",
        "active": "Active",
        "closed": "Closed",
        "none": "No channels are registered yet.",
        "download": "The register as data:",
        "other": "Other",
        "switch": "På svenska",
    },
}
PLATFORM_NAMES = {
    "wordpress": "WordPress",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "x": "X",
    "youtube": "YouTube",
    "linkedin": "LinkedIn",
    "mastodon": "Mastodon",
}


def language(asked: str | None, best_match: Any) -> str:
    """`?lang=` if it names one we have, else the browser's choice (`Accept-Language`, through
    werkzeug's `best_match`), else Swedish."""
    if asked in LANGUAGES:
        return str(asked)
    return str(best_match(LANGUAGES, default=DEFAULT_LANGUAGE))


def platform_name(platform: str, lang: str) -> str:
    return PLATFORM_NAMES.get(platform, WORDS[lang]["other"])


def public_channels(channels: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Active channels by name, then closed ones, the most recently closed first."""
    shown = [{name: c[name] for name in PUBLIC_FIELDS} for c in channels]
    active = sorted(
        (c for c in shown if c["status"] == ACTIVE), key=lambda c: (c["name"].casefold(), c["id"])
    )
    closed = sorted(
        (c for c in shown if c["status"] != ACTIVE),
        key=lambda c: (c["closed_on"] or date.min, c["id"]),
        reverse=True,
    )
    return active + closed


def heading(authority: str, lang: str) -> str:
    generic = WORDS[lang]["heading"]
    return f"{authority}: {generic[0].lower()}{generic[1:]}" if authority else generic


def as_csv(channels: Iterable[dict[str, Any]]) -> bytes:
    """The public fields of each channel, as a spreadsheet opens it."""
    return excel_csv(
        PUBLIC_FIELDS, ([channel[name] for name in PUBLIC_FIELDS] for channel in channels)
    )
