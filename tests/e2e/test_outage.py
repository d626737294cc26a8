"""The service goes down while people publish and comment; nothing is lost, nothing is doubled.

The retry schedule is shortened to 1 s, 1 s and parked rows are tried every 2 s
(OFFENTLIG_RETRY_SCHEDULE and OFFENTLIG_PARK_INTERVAL in wp-config.php, see conftest.py), so
every row goes through its whole schedule within seconds and parks; once the service is back,
they go out by themselves (no click), each exactly once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from wordpress_xmlrpc import Client, WordPressPost
from wordpress_xmlrpc.methods import posts

from tests.e2e.conftest import Site, wait_until
from tests.e2e.test_capture import visitor_comment

pytestmark = pytest.mark.e2e

POSTS = 20
COMMENTS = 60


def widget_number(html: str, name: str) -> int:
    found = re.search(rf'<strong class="offentlig-{name}">([\d\s\xa0,.]+)</strong>', html)
    assert found, f"no offentlig-{name} in the dashboard widget"
    return int(re.sub(r"\D", "", found.group(1)))


def test_outage_loses_nothing_and_sends_nothing_twice(
    site: Site, artifacts: Path, xmlrpc: Callable[[Site], Client]
) -> None:
    archive, service = site.archive, site.archive.service
    client = xmlrpc(site)
    admin = site.admin_session()
    assert site.outbox_counts()["failed"] == 0

    service.stop()
    try:
        post_ids: list[int] = []
        slowest = 0.0
        for n in range(POSTS):
            post = WordPressPost()
            post.title = f"Avbrottsnyhet {n}"
            post.content = f"<p>Publicerad under avbrottet, nummer {n}.</p>"
            post.post_status = "publish"
            post.comment_status = "open"
            started = time.monotonic()
            post_ids.append(int(client.call(posts.NewPost(post))))
            slowest = max(slowest, time.monotonic() - started)
        comment_ids = [
            visitor_comment(
                site, post_ids[n % POSTS], f"Avbrottskommentar {n}", f"besokare{n}@example.se"
            )
            for n in range(COMMENTS)
        ]
        assert slowest < 5, f"a publish waited {slowest:.2f}s for the unreachable archive"

        # Every event is in the outbox; with the service down each parks after its retries
        # (not "failed": nobody has to press anything).
        wait_until(
            lambda: site.outbox_counts()["parked"] == POSTS + COMMENTS,
            timeout=120,
            interval=0.5,
            nudge=site.dispatch_now,
            what=f"{POSTS + COMMENTS} parked rows",
        )
        dashboard = admin.get(site.wp.url + "/wp-admin/index.php", timeout=60).text
        (artifacts / "dashboard-during-outage.html").write_text(dashboard, encoding="utf-8")
        assert widget_number(dashboard, "parked") == POSTS + COMMENTS
        assert widget_number(dashboard, "failed") == 0
    finally:
        service.start()

    # No click: cron runs (as WP-Cron would) probe a parked row; it gets through, and every
    # parked row is due at once.
    def drained() -> bool:
        counts = site.outbox_counts()
        return counts["pending"] + counts["sending"] + counts["parked"] == 0

    wait_until(drained, timeout=120, nudge=site.dispatch_now, what="the backlog to drain")
    assert site.outbox_counts()["failed"] == 0

    # All 80 captured, each exactly once.
    for post_id in post_ids:
        record = archive.record("post", post_id)
        assert record is not None, f"post {post_id} lost"
        assert record["latest_version"] == 1
        assert [v["event_type"] for v in archive.versions("post", post_id)] == ["post.published"]
    for comment_id in comment_ids:
        record = archive.record("comment", comment_id)
        assert record is not None, f"comment {comment_id} lost"
        assert record["origin"] == "received"
        assert record["status"] == "hold"
        assert [v["event_type"] for v in archive.versions("comment", comment_id)] == [
            "comment.received"
        ]
    found = archive.get(
        "/v1/records", site=archive.site_id, kind="post", q="Avbrottsnyhet", limit=100
    )
    assert sorted(int(item["id"].rsplit(".", 1)[1]) for item in found.json()["items"]) == sorted(
        post_ids
    )

    # The widget's counts are back to 0; no parked note is left.
    dashboard = admin.get(site.wp.url + "/wp-admin/index.php", timeout=60).text
    assert widget_number(dashboard, "failed") == 0
    assert widget_number(dashboard, "backlog") == 0
    assert "offentlig-parked" not in dashboard


def test_retry_button_needs_a_valid_nonce(site: Site) -> None:
    admin = site.admin_session()
    response = admin.post(
        site.wp.url + "/wp-admin/admin-post.php",
        data={"action": "offentlig_retry_failed", "_wpnonce": "0123456789"},
        timeout=30,
    )
    assert response.status_code == 403
    anonymous = requests.post(
        site.wp.url + "/wp-admin/admin-post.php",
        data={"action": "offentlig_retry_failed"},
        timeout=30,
        allow_redirects=False,
    )
    assert anonymous.status_code in (302, 400, 403)
