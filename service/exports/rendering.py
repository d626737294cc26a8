"""One record version as a standalone HTML document: the content as published, with a table
of what a register entry says of it (OSL 5:2) and how to check it.

Used by the disclosure export (a page per version, and the sections of its combined PDF) and by
the e-archive package. A page loads nothing from anywhere: the published HTML is sanitised
(nh3: no scripts, frames, styles or event handlers) and each image becomes a note of where it
was, so the page shows the same offline, in a browser or in WeasyPrint, years later; a Content
Security Policy in the page refuses whatever might slip through.

    html = render_version(document, events=[...], context=VersionContext(stored_sha256=...))

`document` is a stored version (`offentlig.record-version/1`), parsed; `events` its record's
status events (`offentlig.record-event/1`). `redact`, when given, is applied to every text the
page shows and to the published HTML, e.g. to mask personal data.
"""

from __future__ import annotations

import html as htmllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import nh3
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from selectolax.lexbor import LexborHTMLParser

Redact = Callable[[str], str]
LANGUAGES = ("sv", "en")
DEFAULT_ZONE = ZoneInfo("Europe/Stockholm")
# Nothing but the page itself and its inline style; images are notes, never fetched.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# nh3's defaults without images (made notes first) and without attributes that load anything.
_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "area", "map"}
_ATTRIBUTES = {
    tag: set(names) - {"src", "srcset", "cite", "background"}
    for tag, names in nh3.ALLOWED_ATTRIBUTES.items()
}
_ATTRIBUTES["*"] = {"lang", "dir", "title"}

WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "record": "Handling",
        "version": "Version",
        "of": "av",
        "kind": "Slag",
        "post": "Inlägg",
        "page": "Sida",
        "comment": "Kommentar",
        "origin": "Ursprung",
        "drawn_up": "Upprättad",
        "received": "Inkommen",
        "date_drawn_up": "Upprättad (publicerad)",
        "date_received": "Inkom",
        "occurred_at": "Händelse i WordPress",
        "captured_at": "Arkiverad",
        "channel": "Kanal",
        "sender": "Avsändare",
        "author": "Författare",
        "case_number": "Diarienummer",
        "not_registered": "Inte registrerad",
        "status": "Status",
        "event": "Händelse",
        "permalink": "Adress",
        "parent": "Hör till",
        "in_reply_to": "Svar på",
        "terms": "Kategorier och etiketter",
        "sha256": "SHA-256 (versionens sigill)",
        "stored_sha256": "SHA-256 (lagrade byte, som sha256sum)",
        "previous_sha256": "SHA-256 (föregående version)",
        "personal_data": "Personuppgifter",
        "email": "E-post",
        "ip": "IP-adress",
        "user_agent": "Webbläsare",
        "metadata": "Uppgifter om handlingen",
        "content": "Innehåll som publicerat",
        "excerpt": "Utdrag",
        "events": "Händelser",
        "event_type": "Händelse",
        "previous_status": "Tidigare status",
        "image": "Bild",
        "untitled": "(utan rubrik)",
        "disclosure": "Utlämnade allmänna handlingar, export",
        "requested_at": "Begärd",
        "requested_by": "Begärd av",
        "versions_count": "Versioner",
        "masked": "Personuppgifter maskerade",
        "masked_note": "Personuppgifter är maskerade: personnummer (XXXXXX-XXXX) och "
        "e-postadresser; kommentatorers e-post, IP-adress och webbläsare visas inte.",
        "withheld_note": "Den lagrade versionen innehåller sådana uppgifter och lämnas därför "
        "inte ut som fil; dess SHA-256 och bevis finns med.",
        "yes": "Ja",
        "no": "Nej",
        "contents": "Innehåll",
        "package": "Paketet innehåller en sida per version (records/), samma sidor i "
        "disclosure.pdf, en förteckning i records.csv, bevis (….proof.json) som kontrolleras med "
        "`offentlig verify-proof` mot nyckeln i log/public-key.txt, och manifest.json med "
        "SHA-256 för varje fil.",
        "footer": "Återgiven av Offentlig ur arkivets lagrade version, oförändrad utom där det "
        "står att uppgifter maskerats. Bilder visas inte; deras adresser står kvar.",
    },
    "en": {
        "record": "Record",
        "version": "Version",
        "of": "of",
        "kind": "Kind",
        "post": "Post",
        "page": "Page",
        "comment": "Comment",
        "origin": "Origin",
        "drawn_up": "Drawn up",
        "received": "Received",
        "date_drawn_up": "Drawn up (published)",
        "date_received": "Received",
        "occurred_at": "Event in WordPress",
        "captured_at": "Archived",
        "channel": "Channel",
        "sender": "Sender",
        "author": "Author",
        "case_number": "Case number",
        "not_registered": "Not registered",
        "status": "Status",
        "event": "Event",
        "permalink": "Address",
        "parent": "Belongs to",
        "in_reply_to": "Reply to",
        "terms": "Categories and tags",
        "sha256": "SHA-256 (the version's seal)",
        "stored_sha256": "SHA-256 (stored bytes, as sha256sum)",
        "previous_sha256": "SHA-256 (previous version)",
        "personal_data": "Personal data",
        "email": "E-mail",
        "ip": "IP address",
        "user_agent": "User agent",
        "metadata": "About this record",
        "content": "Content as published",
        "excerpt": "Excerpt",
        "events": "Events",
        "event_type": "Event",
        "previous_status": "Previous status",
        "image": "Image",
        "untitled": "(untitled)",
        "disclosure": "Disclosed public records, export",
        "requested_at": "Requested",
        "requested_by": "Requested by",
        "versions_count": "Versions",
        "masked": "Personal data masked",
        "masked_note": "Personal data is masked: identity numbers (XXXXXX-XXXX) and e-mail "
        "addresses; commenters' e-mail, IP address and user agent are not shown.",
        "withheld_note": "The stored version holds such data and is therefore not included as "
        "a file; its SHA-256 and proof are.",
        "yes": "Yes",
        "no": "No",
        "contents": "Contents",
        "package": "The package holds a page per version (records/), the same pages in "
        "disclosure.pdf, a list in records.csv, proofs (….proof.json) that `offentlig "
        "verify-proof` checks against the key in log/public-key.txt, and manifest.json with "
        "the SHA-256 of every file.",
        "footer": "Rendered by Offentlig from the archive's stored version, unchanged except "
        "where it says that data was masked. Images are not shown; their addresses are.",
    },
}

_environment = Environment(
    loader=PackageLoader("service", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class VersionContext:
    """What the page shows beside the version itself, from the archive's registers."""

    stored_sha256: str | None = None  # of the exact stored bytes: the log's leaf, sha256sum
    case_number: str | None = None  # the registry system's (diarienummer)
    case_title: str | None = None
    version_count: int | None = None  # how many versions the record has
    # A commenter's e-mail, IP and user agent: only for callers allowed to see them.
    personal_data: Mapping[str, str | None] | None = None
    masked_note: str | None = None  # said on the page when data was masked


def sanitise(content: str, lang: str = "sv") -> str:
    """Published HTML that loads nothing: images become notes (alt text and address), then
    nh3 keeps only harmless tags and attributes. `&nbsp;` is written as the character, so
    that text filters see the text as a reader does."""
    tree = LexborHTMLParser(f"<body>{content}</body>")
    for image in tree.css("img"):
        alt = (image.attributes.get("alt") or "").strip()
        src = (image.attributes.get("src") or "").strip()
        described = " ".join(part for part in (alt, f"({src})" if src else "") if part)
        image.replace_with(f"[{WORDS[lang]['image']}: {described}]")
    body = tree.body.inner_html if tree.body is not None else ""
    cleaned = nh3.clean(body or "", tags=_TAGS, attributes=_ATTRIBUTES)
    return cleaned.replace("&nbsp;", "\u00a0")


def render_section(
    version: Mapping[str, Any],
    *,
    events: Sequence[Mapping[str, Any]] | None = None,
    context: VersionContext | None = None,
    redact: Redact | None = None,
    lang: str = "sv",
    zone: ZoneInfo = DEFAULT_ZONE,
) -> Markup:
    """The version as an `<article>`: what a standalone page and a combined PDF both hold."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
    words = WORDS[lang]
    shown = redact or (lambda text: text)
    context = context or VersionContext()

    def text(value: Any) -> str:
        return shown(htmllib.unescape(str(value))) if value not in (None, "") else ""

    def moment(value: str | None) -> dict[str, str] | None:
        if not value:
            return None
        parsed = datetime.fromisoformat(value)
        local = parsed.astimezone(zone)
        return {"iso": value, "local": local.strftime("%Y-%m-%d %H:%M:%S %Z")}

    received = version.get("origin") == "received"
    author = version.get("author") or {}
    site = version.get("site") or {}
    terms = [
        f"{text(name)}: {', '.join(text(t) for t in values)}"
        for name, values in (version.get("terms") or {}).items()
        if values
    ]
    personal = None
    if context.personal_data:
        personal = {
            words[name]: text(context.personal_data.get(name))
            for name in ("email", "ip", "user_agent")
            if context.personal_data.get(name)
        }
    content = sanitise(str(version.get("content") or ""), lang)
    template = _environment.get_template("exports/version_section.html")
    return Markup(  # noqa: S704 - the template escapes; content is sanitised above
        template.render(
            w=words,
            v=version,
            title=text(version.get("title")) or words["untitled"],
            kind=words.get(str(version.get("kind")), str(version.get("kind"))),
            origin=words.get(str(version.get("origin")), str(version.get("origin"))),
            received=received,
            date_label=words["date_received" if received else "date_drawn_up"],
            published=moment(version.get("published_at")),
            occurred=moment(version.get("occurred_at")),
            captured=moment(version.get("captured_at")),
            channel=text(site.get("name")),
            channel_url=site.get("url"),
            person=text(author.get("name")),
            person_url=text(author.get("url")),
            context=context,
            case_title=text(context.case_title),
            terms=terms,
            personal=personal,
            excerpt=text(version.get("excerpt")),
            permalink=text(version.get("permalink")),
            content=Markup(shown(content)),  # noqa: S704 - sanitised by nh3
            events=[
                {
                    "type": str(e.get("event", {}).get("type", "")),
                    "status": text(e.get("status")),
                    "previous_status": text(e.get("previous_status")),
                    "occurred": moment(e.get("occurred_at")),
                    "captured": moment(e.get("captured_at")),
                }
                for e in events or ()
            ],
            with_events=events is not None,
        )
    )


def title_of(version: Mapping[str, Any], lang: str = "sv") -> str:
    """The version's title as a reader sees it (entities read), or "(untitled)"."""
    return htmllib.unescape(str(version.get("title") or "")) or WORDS[lang]["untitled"]


def render_cover(heading: str, facts: Mapping[str, str], *, lang: str = "sv") -> Markup:
    """A first section: a heading and a table of facts (an export's request)."""
    template = _environment.get_template("exports/cover.html")
    return Markup(template.render(heading=heading, facts=facts, w=WORDS[lang]))  # noqa: S704


def render_index(
    heading: str, cover: Markup, pages: Sequence[tuple[str, str]], *, lang: str = "sv"
) -> str:
    """A package's start page: the cover, then a link to each (relative path, title)."""
    template = _environment.get_template("exports/index.html")
    return template.render(
        lang=lang, title=heading, cover=cover, pages=pages, csp=CONTENT_SECURITY_POLICY,
        w=WORDS[lang],
    )  # fmt: skip


def render_document(title: str, sections: Sequence[Markup], *, lang: str = "sv") -> str:
    """A standalone HTML document holding `sections` (a page, or all of them for a PDF)."""
    template = _environment.get_template("exports/document.html")
    return template.render(
        lang=lang, title=title, sections=sections, csp=CONTENT_SECURITY_POLICY, w=WORDS[lang]
    )


def render_version(
    version: Mapping[str, Any],
    *,
    events: Sequence[Mapping[str, Any]] | None = None,
    context: VersionContext | None = None,
    redact: Redact | None = None,
    lang: str = "sv",
    zone: ZoneInfo = DEFAULT_ZONE,
) -> str:
    """One version as a standalone HTML document (UTF-8 text), with its status events when
    `events` is given (an empty list says there are none)."""
    section = render_section(
        version, events=events, context=context, redact=redact, lang=lang, zone=zone
    )
    title = (redact or (lambda text: text))(title_of(version, lang))
    heading = f"{title} – {version.get('record_id')} v{version.get('version')}"
    return render_document(heading, [section], lang=lang)
