"""The WordPress port reads back exactly what live capture recorded: the proof that backfill
will make the same records as the plugin's webhooks (apart from event and capture time).

Posts, pages and comments are made the way people make them (XML-RPC as the editor, the public
form as visitors), the plugin delivers them, and then the port, logged in as an Editor with an
application password, reads the site; each object's webhook `data` from the port goes through
the same schema and `snapshot` as a delivery and must equal the stored version's content.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from xmlrpc.client import Binary

import pytest
from wordpress_xmlrpc import Client, WordPressComment, WordPressPage, WordPressPost
from wordpress_xmlrpc.methods import comments, media, posts

from schemas.webhook import data_schema
from service.capture.snapshot import snapshot
from service.errors import WordPressRefused, WordPressUnavailable
from service.records.model import EventType, Kind
from service.wordpress.port import COMMENT_STATUSES, RemoteComment, RemotePost
from service.wordpress.xmlrpc import XmlRpcSite
from tests.e2e.conftest import Site, wait_until
from tests.e2e.test_capture import visitor_comment
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

ACCOUNT = "arkivet"
LONG_TEXT = " ".join(f"ord{n}" for n in range(80))  # longer than an automatic excerpt (55)


def png() -> bytes:
    """A 1×1 PNG, to be a featured image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def publish(client: Client, item: WordPressPost) -> int:
    item.post_status = "publish"
    item.comment_status = "open"
    return int(client.call(posts.NewPost(item)))


def moderate(client: Client, comment_id: int, status: str) -> None:
    comment = client.call(comments.GetComment(comment_id))
    comment.status = status
    assert client.call(comments.EditComment(comment_id, comment)) is True


def as_captured(site_id: str, kind: Kind, data: dict[str, Any]) -> dict[str, Any]:
    """A version's content as a delivery of `data` would store it."""
    action = "received" if kind is Kind.COMMENT else "published"
    loaded = data_schema(kind).load(data)
    return snapshot(site_id, EventType.parse(f"{kind}.{action}"), loaded).content


def stored(site: Site, kind: Kind, wp_id: int) -> dict[str, Any]:
    record = site.archive.record(str(kind), wp_id)
    assert record is not None, f"{kind} {wp_id} is not in the archive"
    return site.archive.version(str(kind), wp_id, record["latest_version"])


def assert_same_record(site: Site, remote: RemotePost | RemoteComment, kind: Kind) -> None:
    expected = as_captured(site.archive.site_id, kind, remote.as_data())
    version = stored(site, kind, remote.id)
    assert {name: version[name] for name in expected} == expected


@pytest.fixture(scope="module")
def port(site: Site) -> Iterator[XmlRpcSite]:
    """The port as backfill uses it: an Editor (not an administrator), application password."""
    reader = XmlRpcSite(site.wp.url, ACCOUNT, site.application_password(ACCOUNT, "editor"))
    yield reader
    reader.close()


def test_port_reads_the_same_records_live_capture_made(
    site: Site, port: XmlRpcSite, xmlrpc: Callable[[Site], Client]
) -> None:
    archive = site.archive
    client = xmlrpc(site)
    image = client.call(
        media.UploadFile({"name": "karta.png", "type": "image/png", "bits": Binary(png())})
    )

    news = WordPressPost()
    news.title = 'Kommunens "öppna" budget -- nu klar'
    news.content = (
        '<!-- wp:paragraph -->\n<p>Budgeten är "klar" -- äntligen...</p>\n<!-- /wp:paragraph -->'
        "\n\nEn andra rad\nutan taggar. [gallery] <script>var a = 1;</script>"
    )
    news.excerpt = 'Kort om budgeten\'s "siffror" <b>i fetstil</b>'
    news.terms_names = {"category": ["Ekonomi"], "post_tag": ["budget", "Ärende"]}
    news.thumbnail = image["id"]
    news_id = publish(client, news)

    long_read = WordPressPost()
    long_read.title = "Lång nyhet utan utdrag"
    long_read.content = f"<p>{LONG_TEXT}</p>"
    long_id = publish(client, long_read)

    about = WordPressPage()
    about.title = "Om kommunen"
    about.content = "<p>Kommunen har 10 000 invånare.</p>"
    about_id = publish(client, about)
    contact = WordPressPage()
    contact.title = "Kontakt"
    contact.content = "Ring oss.\n\nEller skriv."
    contact.parent_id = about_id
    contact_id = publish(client, contact)

    held = visitor_comment(site, news_id, "Varför så dyrt?", "bertil@example.se")
    approved = visitor_comment(site, news_id, 'Bra "budget".', "cecilia@example.se")
    moderate(client, approved, "approve")
    staff = WordPressComment()
    staff.content = "Vi svarar gärna på frågor här."
    staff_id = int(client.call(comments.NewComment(about_id, staff)))
    reply = visitor_comment(site, about_id, "Tack!", "david@example.se", parent=staff_id)
    spam = visitor_comment(site, long_id, "Köp billiga klockor", "spam@example.se")
    moderate(client, spam, "spam")

    expected_status = {held: "hold", approved: "approved", staff_id: "approved"}
    expected_status |= {reply: "hold", spam: "spam"}
    for comment_id, status in expected_status.items():
        wait_until(
            lambda c=comment_id, s=status: (archive.record("comment", c) or {}).get("status") == s,
            what=f"comment {comment_id} {status} in the archive",
        )
    for kind, wp_id in [("post", news_id), ("post", long_id), ("page", about_id)]:
        wait_until(lambda k=kind, n=wp_id: archive.record(k, n), what=f"{kind} {wp_id}")
    wait_until(lambda: archive.record("page", contact_id), what="the child page")
    wait_until(lambda: site.outbox_counts()["pending"] == 0, what="an empty backlog")

    # Posts and pages: listed (paged) and fetched one by one, the same; the same as captured.
    listed_posts = {p.id: p for p in port.posts(Kind.POST, page_size=3)}
    listed_pages = {p.id: p for p in port.posts(Kind.PAGE, page_size=1)}
    for kind, listed, wp_id in [
        (Kind.POST, listed_posts, news_id),
        (Kind.POST, listed_posts, long_id),
        (Kind.PAGE, listed_pages, about_id),
        (Kind.PAGE, listed_pages, contact_id),
    ]:
        assert listed[wp_id] == port.post(kind, wp_id)
        assert_same_record(site, listed[wp_id], kind)

    budget = listed_posts[news_id]
    assert budget.featured_image and budget.featured_image.endswith(".png")
    sorted_terms = {taxonomy: sorted(names) for taxonomy, names in budget.terms.items()}
    assert sorted_terms == {"category": ["Ekonomi"], "post_tag": ["budget", "Ärende"]}
    assert "&#8221;" in budget.content  # rendered: texturized quotes, wpautop, no raw comments
    assert "<!-- wp:" not in budget.content and "<!-- wp:" in budget.content_raw
    assert budget.excerpt == 'Kort om budgeten\'s "siffror" i fetstil'
    assert listed_posts[long_id].excerpt.endswith("[&hellip;]")
    assert listed_pages[contact_id].parent == about_id
    assert budget.author.name == "admin" and budget.author.id == 1

    # Comments: every status, on posts and on pages, each once; the same as captured.
    found: dict[int, RemoteComment] = {}
    for on in (Kind.POST, Kind.PAGE):
        for status in COMMENT_STATUSES:
            for comment in port.comments(on, status, page_size=2):
                assert comment.id not in found
                assert comment.status == status and comment.post_type is on
                found[comment.id] = comment
    for comment_id, status in expected_status.items():
        comment = found[comment_id]
        assert comment.status == status == archive.record("comment", comment_id)["status"]
        assert comment == port.comment(comment_id)
        assert_same_record(site, comment, Kind.COMMENT)
    assert found[reply].parent == staff_id
    assert found[staff_id].author.user_id == 1
    assert found[held].post_title == news.title  # as written, not as displayed

    # Personal data: what the plugin sent (e-mail) is what the port sees; it also sees the IP.
    personal = archive.record("comment", held, personal=True)
    assert personal is not None
    assert found[held].author_email == personal["personal_data"]["email"] == "bertil@example.se"
    assert found[held].author_ip == "127.0.0.1"
    assert found[held].author_user_agent is None  # XML-RPC does not expose it

    counts = port.counts()
    assert counts.posts >= 2 and counts.pages >= 2
    assert set(counts.comments) == set(COMMENT_STATUSES)
    assert counts.comments["hold"] >= 2 and counts.comments["spam"] >= 1


def test_port_says_who_it_is_and_what_is_missing(
    site: Site, port: XmlRpcSite, xmlrpc: Callable[[Site], Client]
) -> None:
    account = port.who_am_i()
    assert account.username == ACCOUNT
    assert account.roles == ("editor",)
    assert port.post(Kind.POST, 987654) is None
    assert port.comment(987654) is None
    page = WordPressPage()
    page.title = "Bara en sida"
    page.content = "Sida."
    page_id = publish(xmlrpc(site), page)
    assert port.post(Kind.POST, page_id) is None, "a page is not a post"
    assert port.post(Kind.PAGE, page_id) is not None


def test_wrong_password_is_refused_and_a_dead_site_unavailable(site: Site) -> None:
    wrong = XmlRpcSite(site.wp.url, ACCOUNT, "abcd efgh ijkl mnop qrst uvwx")
    try:
        with pytest.raises(WordPressRefused):
            wrong.who_am_i()
        with pytest.raises(WordPressRefused):
            wrong.counts()
    finally:
        wrong.close()
    with pytest.raises(WordPressUnavailable):
        XmlRpcSite(f"http://127.0.0.1:{free_port()}", ACCOUNT, "x", timeout=5)
