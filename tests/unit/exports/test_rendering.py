"""One version as a standalone page: what it shows, and that it loads nothing."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from markupsafe import escape

from service.exports.rendering import (
    CONTENT_SECURITY_POLICY,
    VersionContext,
    render_version,
    sanitise,
)


def version(**overrides: Any) -> dict[str, Any]:
    document = {
        "schema": "offentlig.record-version/1",
        "record_id": "s1.comment.10",
        "site": {"id": "s1", "name": "Staffanstorps kommun", "url": "https://www.example.se"},
        "kind": "comment",
        "source_id": 10,
        "version": 2,
        "origin": "received",
        "event": {"id": "msg_1", "type": "comment.edited"},
        "occurred_at": "2026-11-28T09:00:00Z",
        "captured_at": "2026-11-28T09:00:01.5Z",
        "status": "approved",
        "title": "Re: Vinterns snöröjning &#8211; del 2",
        "content": '<p>Se <img src="https://cdn.example.net/plog.jpg" alt="Plogbil">'
        '<script>fetch("https://evil.example")</script>'
        '<iframe src="https://www.youtube.com/embed/x"></iframe>'
        '<span style="background:url(https://t.example/p.gif)" onclick="x()">här</span></p>',
        "excerpt": "",
        "permalink": "https://www.example.se/snorojning/#comment-10",
        "author": {"name": "Bertil Bengtsson", "url": None, "user_id": 0},
        "published_at": "2026-11-28T08:59:00Z",
        "parent": "s1.post.1",
        "in_reply_to": None,
        "terms": {},
        "sha256": "a" * 64,
        "previous_sha256": "b" * 64,
    }
    document.update(overrides)
    return document


class _Loads(HTMLParser):
    """Every attribute that makes a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "srcset", "style", "background", "poster", "data") or (
                tag == "link" and name == "href"
            ):
                self.found.append((tag, name, value))


def test_a_page_loads_nothing_and_says_where_images_were() -> None:
    page = render_version(version(), events=[])
    loads = _Loads()
    loads.feed(page)
    assert loads.found == []
    assert "<script" not in page and "<iframe" not in page and "onclick" not in page
    assert f'content="{escape(CONTENT_SECURITY_POLICY)}"' in page
    assert "[Bild: Plogbil (https://cdn.example.net/plog.jpg)]" in page
    assert "här" in page


def test_the_metadata_table_is_a_register_entry() -> None:
    context = VersionContext(stored_sha256="c" * 64, case_number="KS 2026/114", version_count=3)
    page = render_version(version(), context=context, lang="en")
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td[^>]*>(.*?)</td>', page))
    assert rows["Origin"] == "Received"
    assert rows["Sender"] == "Bertil Bengtsson"
    assert rows["Case number"] == "KS 2026/114"
    assert rows["Version"] == "2 of 3"
    assert "Staffanstorps kommun" in rows["Channel"]
    assert rows["SHA-256 (stored bytes, as sha256sum)"] == "c" * 64
    assert rows["SHA-256 (the version&#39;s seal)"] == "a" * 64
    # Local time at the edge (Europe/Stockholm), UTC kept in the machine-readable attribute.
    assert '<time datetime="2026-11-28T08:59:00Z">2026-11-28 09:59:00 CET</time>' in page
    assert "<title>Re: Vinterns snöröjning – del 2 – s1.comment.10 v2</title>" in page


def test_events_are_listed_only_when_asked_for() -> None:
    event = {
        "event": {"id": "msg_2", "type": "comment.approved"},
        "status": "approved",
        "previous_status": "hold",
        "occurred_at": "2026-11-28T10:00:00Z",
        "captured_at": "2026-11-28T10:00:01Z",
    }
    with_events = render_version(version(), events=[event])
    assert "comment.approved" in with_events and "<h2>Händelser</h2>" in with_events
    assert "<h2>Händelser</h2>" not in render_version(version())


def test_redact_reaches_every_text_shown() -> None:
    secret = "Hemlig"
    document = version(
        title=f"{secret} rubrik",
        content=f"<p>{secret} text <a href='mailto:{secret}@example.se'>{secret}</a></p>",
        author={"name": f"{secret} Person", "url": None, "user_id": 0},
    )
    page = render_version(
        document,
        context=VersionContext(personal_data={"email": f"{secret}@example.se", "ip": None}),
        redact=lambda text: text.replace(secret, "XXX"),
    )
    assert secret not in page
    assert "XXX rubrik" in page and "XXX Person" in page


def test_text_is_escaped_and_entities_are_read() -> None:
    page = render_version(version(title="<b>R&amp;D</b> &lt;3", content="<p>a&nbsp;b</p>"))
    assert "<h1>&lt;b&gt;R&amp;D&lt;/b&gt; &lt;3</h1>" in page
    assert "a\u00a0b" in page


def test_sanitise_keeps_structure() -> None:
    cleaned = sanitise('<h2>Rubrik</h2><ul><li><a href="https://x.se/a">länk</a></li></ul>')
    assert cleaned == (
        '<h2>Rubrik</h2><ul><li><a href="https://x.se/a" rel="noopener noreferrer">länk</a>'
        "</li></ul>"
    )
