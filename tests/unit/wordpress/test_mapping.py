"""XML-RPC answers recorded from Debian's WordPress 6.1 become the records the plugin would send.

The files in recorded/ are the raw answers (wp.getPost with fields post+terms, wp.getComments,
wp.getComment) and the REST API's rendered content for the same post, recorded from the e2e
harness's WordPress (`python -m tests.e2e.wordpress up`): a post with a written excerpt,
category, tag and featured image; a page; an editor's comment and a visitor's held reply.
"""

from __future__ import annotations

import json
import xmlrpc.client
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.webhook import data_schema
from service.errors import WordPressRefused
from service.records.model import Kind
from service.wordpress import mapping
from service.wordpress.mapping import Rendered

RECORDED = Path(__file__).with_name("recorded")
PUBLIC = frozenset({"category", "post_tag", "post_format"})


def answer(name: str) -> Any:
    return xmlrpc.client.loads((RECORDED / name).read_text(encoding="utf-8"))[0][0]


def rendered() -> Rendered:
    item = json.loads((RECORDED / "rest-posts-rendered.json").read_text(encoding="utf-8"))[0]
    return Rendered(item["content"]["rendered"], item["excerpt"]["rendered"])


def test_post_carries_what_the_webhook_carries() -> None:
    post = mapping.remote_post(
        answer("wp.getPost-post.xml"),
        rendered=rendered(),
        author_name="Admin Istratör",
        public_taxonomies=PUBLIC,
    )
    assert post.kind is Kind.POST
    assert post.id == 5
    assert post.title == 'Kommunens "öppna" budget'  # as stored, not texturized
    assert post.content == "\n<p>Budgeten är &#8220;klar&#8221;.</p>\n"
    assert post.content_raw.startswith("<!-- wp:paragraph -->")
    assert post.excerpt == 'Kort om budgeten\'s "siffror"'  # written: not the_excerpt's quotes
    assert post.permalink == "http://127.0.0.1:42475/2026/12/kommunens-oppna-budget/"
    assert post.guid == "http://127.0.0.1:42475/?p=5"
    assert post.author.id == 1 and post.author.name == "Admin Istratör"
    assert post.published_at == datetime(2026, 12, 2, 6, 23, 24, tzinfo=UTC)  # the _gmt date
    assert post.modified_at == post.published_at
    assert post.terms == {"post_tag": ["budget"], "category": ["Ekonomi"]}
    assert post.featured_image == "http://127.0.0.1:42475/wp-content/uploads/2026/12/karta.png"
    data = post.as_data()
    assert data["published_at"] == "2026-12-02T06:23:24Z"
    assert data_schema(Kind.POST).load(data)["title"] == post.title


def test_terms_of_taxonomies_that_are_not_public_are_left_out() -> None:
    post = mapping.remote_post(
        answer("wp.getPost-post.xml"),
        rendered=rendered(),
        author_name="",
        public_taxonomies={"category"},
    )
    assert post.terms == {"category": ["Ekonomi"]}


def test_page_without_terms_or_image_sends_neither() -> None:
    page = mapping.remote_post(
        answer("wp.getPost-page.xml"),
        rendered=Rendered("<p>Ring oss.</p>\n", ""),
        author_name="admin",
        public_taxonomies=PUBLIC,
    )
    assert page.kind is Kind.PAGE and page.parent == 0
    data = page.as_data()
    assert "terms" not in data and data["featured_image"] is None
    assert data_schema(Kind.PAGE).load(data)["content"] == "<p>Ring oss.</p>\n"


def test_held_reply_carries_its_post_its_parent_and_personal_data() -> None:
    (struct,) = answer("wp.getComments-hold.xml")
    comment = mapping.remote_comment(
        struct, post_type=Kind.POST, post_title='Kommunens "öppna" budget'
    )
    assert comment.status == "hold"
    assert (comment.id, comment.post_id, comment.parent) == (3, 5, 2)
    assert comment.post_title == 'Kommunens "öppna" budget'  # XML-RPC's own is texturized
    assert comment.content == "Varför?"
    assert comment.author.name == "Anna" and comment.author.url == "https://anna.example.se"
    assert comment.author.user_id == 0
    assert comment.date == datetime(2026, 12, 2, 6, 23, 43, tzinfo=UTC)
    assert comment.permalink.endswith("/kommunens-oppna-budget/#comment-3")
    assert (comment.author_email, comment.author_ip) == ("anna@example.se", "127.0.0.1")
    data = comment.as_data()
    assert data["status"] == "hold" and data["author_email"] == "anna@example.se"
    assert "author_user_agent" not in data
    assert data_schema(Kind.COMMENT).load(data)["post_type"] == "post"


def test_approved_comment_by_a_user_is_approved() -> None:
    comment = mapping.remote_comment(
        answer("wp.getComment-staff.xml"), post_type=Kind.POST, post_title="t"
    )
    assert comment.status == "approved"
    assert comment.author.user_id == 1 and comment.parent == 0


@pytest.mark.parametrize(
    ("kind", "real"),
    [("", True), ("comment", True), ("pingback", False), ("trackback", False)],
)
def test_only_real_comments_are_comments(kind: str, real: bool) -> None:
    assert mapping.is_real_comment({"type": kind}) is real


@pytest.mark.parametrize(
    ("xmlrpc_status", "status"),
    [("approve", "approved"), ("hold", "hold"), ("spam", "spam"), ("trash", "trash")],
)
def test_comment_statuses_are_the_contracts(xmlrpc_status: str, status: str) -> None:
    struct = dict(answer("wp.getComment-staff.xml"), status=xmlrpc_status)
    assert mapping.remote_comment(struct, post_type=Kind.PAGE, post_title="").status == status


def test_an_unreadable_answer_is_refused_not_a_crash() -> None:
    struct = dict(answer("wp.getPost-post.xml"))
    del struct["link"]
    with pytest.raises(WordPressRefused):
        mapping.remote_post(struct, rendered=rendered(), author_name="", public_taxonomies=())
    with pytest.raises(WordPressRefused):
        mapping.utc("31 december")
    comment = dict(answer("wp.getComment-staff.xml"), status="pending-review")
    with pytest.raises(WordPressRefused):
        mapping.remote_comment(comment, post_type=Kind.POST, post_title="")


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Ett &amp; två</p>\n", "Ett &amp; två"),  # entities stay, as in the plugin
        ("<p>a</p><script>var x = '<p>';</script><style>p{}</style>b", "ab"),
        ("<!-- wp:paragraph --><p>x</p><!-- /wp:paragraph -->", "x"),
        ("\u00a0kept\u00a0 \n", "\u00a0kept\u00a0"),  # PHP's trim leaves no-break spaces
        ("3 < 4 and 5 > 4", "3 < 4 and 5 > 4"),
    ],
)
def test_strip_all_tags_is_wordpresses(html: str, text: str) -> None:
    assert mapping.strip_all_tags(html) == text


def test_automatic_excerpt_comes_from_the_rendered_one() -> None:
    rendered_excerpt = "<p>ord1 ord2 &#8220;ord3&#8221; [&hellip;]</p>\n"
    assert mapping.excerpt("", rendered_excerpt) == "ord1 ord2 &#8220;ord3&#8221; [&hellip;]"
    assert mapping.excerpt(" \n", rendered_excerpt).endswith("[&hellip;]")
    assert mapping.excerpt("<b>Eget</b> utdrag", rendered_excerpt) == "Eget utdrag"
