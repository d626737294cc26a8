"""Under PHP-FPM behind nginx the plugin sends after fastcgi_finish_request(): the author's request
is complete before the archive is even contacted, and everything still arrives."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from wordpress_xmlrpc import Client, WordPressPost
from wordpress_xmlrpc.methods import posts

from tests.e2e.conftest import Site, wait_until
from tests.e2e.test_capture import visitor_comment

pytestmark = pytest.mark.e2e


def test_publish_and_comment_under_php_fpm(
    fpm_site: Site, xmlrpc: Callable[[Site], Client]
) -> None:
    site, archive = fpm_site, fpm_site.archive
    client = xmlrpc(site)
    post = WordPressPost()
    post.title = "Publicerad via PHP-FPM"
    post.content = "<p>Nginx framför PHP-FPM, som hos kommunen.</p>"
    post.post_status = "publish"
    post.comment_status = "open"
    started = time.monotonic()
    post_id = int(client.call(posts.NewPost(post)))
    publish_seconds = time.monotonic() - started

    record = wait_until(lambda: archive.record("post", post_id), timeout=20, what="the post")
    assert record["origin"] == "drawn_up"
    assert publish_seconds < 2, f"publish took {publish_seconds:.2f}s"

    comment_id = visitor_comment(site, post_id, "Fungerar det under FPM?", "fpm@example.se")
    comment = wait_until(lambda: archive.record("comment", comment_id), timeout=20, what="comment")
    assert comment["origin"] == "received"
    assert comment["status"] == "hold"

    # Sent by the request itself after its response, not by WP-Cron: nothing was left for cron.
    assert site.outbox_counts() == {
        "pending": 0,
        "sending": 0,
        "delivered": 2,
        "failed": 0,
        "parked": 0,
    }
