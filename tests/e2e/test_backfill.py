"""Backfill and reconciliation against a real WordPress, over XML-RPC, as an Editor.

The content is made before the plugin is active (the plugin is installed, not activated):
nothing of it reaches the archive until backfill reads it. Then the plugin is activated and
made to send, for every object, the webhook it would send for it now (its own Event_Builder):
each must answer 200 and equal, field by field, what backfill stored — backfill made the
records live capture would have made. Then webhooks are dropped on purpose (the plugin
deactivated for an edit, a new post and a delete) and reconciliation must find exactly those.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from wordpress_xmlrpc import WordPressComment, WordPressPage, WordPressPost
from wordpress_xmlrpc.methods import comments, posts

from service.records.model import Kind
from service.wordpress.xmlrpc import connect
from tests.e2e import wordpress as wp_harness
from tests.e2e.conftest import (
    PLUGIN_DIR,
    TEST_MU_PLUGIN,
    Archive,
    Service,
    Site,
    wait_until,
)
from tests.e2e.test_capture import visitor_comment
from tests.e2e.test_wordpress_port import as_captured, moderate, publish

pytestmark = pytest.mark.e2e

ACCOUNT = "arkivarie"
PLUGIN = "offentlig/offentlig.php"

# The webhook the plugin would send now for every published post and page and every
# comment (approved, held, spam, trash), put in its outbox as its capture would.
ENQUEUE_EVERYTHING = """
$plugin = Offentlig\\Plugin::instance();
$builder = new Offentlig\\Event_Builder($plugin->settings);
$rows = [];
$published = ['post_type' => ['post', 'page'], 'post_status' => 'publish', 'numberposts' => -1];
foreach (get_posts($published) as $post) {
    $kind = 'page' === $post->post_type ? 'page' : 'post';
    $event = Offentlig\\Event_Builder::envelope($kind . '.updated', $builder->post_data($post));
    $rows[] = $plugin->outbox->add('post:' . $post->ID, $event);
}
foreach (['approve', 'hold', 'spam', 'trash'] as $status) {
    foreach (get_comments(['status' => $status, 'type' => 'comment']) as $comment) {
        $data = $builder->comment_data($comment);
        $event = Offentlig\\Event_Builder::envelope('comment.edited', $data);
        $rows[] = $plugin->outbox->add('comment:' . $comment->comment_ID, $event);
    }
}
echo wp_json_encode($rows);
"""
OUTBOX_ROWS = """
global $wpdb;
$table = Offentlig\\Plugin::instance()->outbox->table();
echo wp_json_encode($wpdb->get_results(
    "SELECT id, event_type, status, last_http_status, payload FROM {$table}", ARRAY_A));
"""


@pytest.fixture(scope="module")
def site(service: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A WordPress whose plugin is installed but not active, registered with the archive."""
    wp = wp_harness.start(
        tmp_path_factory.mktemp("wordpress-backfill"),
        plugins={"offentlig": PLUGIN_DIR},
        mu_plugins={"offentlig-e2e.php": TEST_MU_PLUGIN},
    )
    try:
        registered = service.cli("sites", "add", "--name", "Förekommunen", "--url", wp.url)
        read = service.cli("tokens", "create", "--name", "e2e-read", "--scope", "records:read")
        personal = service.cli(
            "tokens", "create", "--name", "e2e-admin", "--scope", "admin",
            "--scope", "records:read", "--scope", "records:read-personal",
        )  # fmt: skip
        archive = Archive(
            service, registered["id"], registered["secret"], read["token"], personal["token"]
        )
        yield Site(wp, archive)
    finally:
        wp.stop()


def admin_call(site: Site, method: str, path: str, **body: Any) -> requests.Response:
    """The archive's API as an admin (the token that also reads personal data)."""
    archive = site.archive
    return archive.session.request(
        method,
        archive.service.url + path,
        json=body or None,
        headers={"Authorization": f"Bearer {archive.personal_token}"},
        timeout=300,
    )


def run_job(site: Site, kind: str) -> dict[str, Any]:
    """POST a backfill or reconciliation (202, its job), let `offentlig worker --once` run
    it, and read what it came to."""
    path = {"backfill": "backfills", "reconcile": "reconciliations"}[kind]
    asked = admin_call(site, "POST", f"/v1/sites/{site.archive.site_id}/{path}")
    assert asked.status_code == 202, asked.text
    assert asked.json()["kind"] == kind
    ran = site.archive.service.cli("worker", "--once", "--kind", kind)
    assert [job["state"] for job in ran] == ["succeeded"], ran
    detail = admin_call(site, "GET", urlsplit(asked.headers["Location"]).path)
    assert detail.status_code == 200, detail.text
    assert detail.json()["state"] == "succeeded"
    return dict(detail.json())


def make_content(site: Site) -> dict[str, int]:
    """What people published and wrote before the plugin was active."""
    visitor = SimpleNamespace(wp=site.wp)  # visitor_comment needs only the address
    with connect(site.wp.url, wp_harness.ADMIN_USER, wp_harness.ADMIN_PASSWORD) as client:
        news = WordPressPost()
        news.title = 'Budgeten "klar" -- äntligen'
        news.content = '<!-- wp:paragraph -->\n<p>Budgeten är "klar".</p>\n<!-- /wp:paragraph -->'
        news.excerpt = "Kort om budgeten"
        news.terms_names = {"category": ["Ekonomi"], "post_tag": ["budget"]}
        ids = {"news": publish(client, news)}
        quiet = WordPressPost()
        quiet.title = "Utan kommentarer"
        quiet.content = "Ingen har skrivit här."
        ids["quiet"] = publish(client, quiet)
        about = WordPressPage()
        about.title = "Om kommunen"
        about.content = "<p>Kommunen har 10 000 invånare.</p>"
        ids["about"] = publish(client, about)
        contact = WordPressPage()
        contact.title = "Kontakt"
        contact.content = "Ring oss.\n\nEller skriv."
        contact.parent_id = ids["about"]
        ids["contact"] = publish(client, contact)

        ids["held"] = visitor_comment(visitor, ids["news"], "Varför?", "bertil@example.se")  # type: ignore[arg-type]
        ids["approved"] = visitor_comment(visitor, ids["news"], "Bra!", "cecilia@example.se")  # type: ignore[arg-type]
        moderate(client, ids["approved"], "approve")
        staff = WordPressComment()
        staff.content = "Fråga oss gärna här."
        ids["staff"] = int(client.call(comments.NewComment(ids["about"], staff)))
        ids["reply"] = visitor_comment(  # type: ignore[arg-type]
            visitor, ids["about"], "Tack!", "david@example.se", parent=ids["staff"]
        )
        ids["spam"] = visitor_comment(visitor, ids["about"], "Köp klockor", "spam@example.se")  # type: ignore[arg-type]
        moderate(client, ids["spam"], "spam")
    return ids


@pytest.fixture(scope="module")
def content(site: Site) -> dict[str, int]:
    ids = make_content(site)
    assert site.archive.record("post", ids["news"]) is None, "the plugin is not active yet"
    return ids


def test_account_must_be_an_editor(site: Site) -> None:
    password = site.application_password("skribent", "author")

    answer = admin_call(
        site, "PUT", f"/v1/sites/{site.archive.site_id}/wordpress-account",
        username="skribent", app_password=password,
    )  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert list(answer.json()["errors"]) == ["username"]


def test_backfill_makes_the_records_live_capture_makes(site: Site, content: dict[str, int]) -> None:
    archive, site_id = site.archive, site.archive.site_id
    password = site.application_password(ACCOUNT, "editor")
    account = admin_call(
        site, "PUT", f"/v1/sites/{site_id}/wordpress-account",
        username=ACCOUNT, app_password=password,
    )  # fmt: skip
    assert account.status_code == 200, account.text
    assert account.json()["roles"] == ["editor"]

    first = archive.service.cli("backfill", site_id)
    kinds = first["kinds"]
    # Ours, and WordPress's own "Hello world!", its comment and "Sample Page".
    assert (kinds["post"]["captured"], kinds["page"]["captured"]) == (3, 3)
    assert kinds["comment"]["captured"] == 6
    assert all(tally["errors"] == tally["unchanged"] == 0 for tally in kinds.values())
    held = archive.record("comment", content["held"])
    assert held is not None and held["status"] == "hold"
    version = archive.version("comment", content["reply"], 1)
    assert version["event"]["type"] == "comment.backfilled"
    assert version["in_reply_to"] == f"{site_id}.comment.{content['staff']}"

    # A rerun of the run finds what it captured by its keys (and counts it as its own); a new
    # run, through the API and a worker, captures nothing new.
    again = archive.service.cli("backfill", site_id, "--run", first["run_id"])
    assert again["kinds"] == kinds
    other = run_job(site, "backfill")["report"]
    assert sum(t["captured"] for t in other["kinds"].values()) == 0
    assert sum(t["unchanged"] for t in other["kinds"].values()) == 12
    assert archive.versions("comment", content["reply"])[-1]["version"] == 1

    # The plugin is activated and sends every object as it is now: each is a 200, no new
    # version, and its content is field for field what backfill stored.
    site.wp.activate_plugin(PLUGIN)
    settings = {
        "service_url": archive.service.url,
        "site_id": site_id,
        "secret": archive.secret,
        "read_token": archive.read_token,
    }
    site.wp.php(
        "Offentlig\\Plugin::instance()->settings->update("
        f"json_decode({json.dumps(json.dumps(settings))}, true));"
    )
    enqueued = site.wp.php_json(ENQUEUE_EVERYTHING)
    assert len(enqueued) == 12 and all(isinstance(n, int) for n in enqueued)  # type: ignore[arg-type]
    wait_until(
        lambda: site.outbox_counts()["pending"] == 0,
        nudge=site.dispatch_now,
        what="every webhook delivered",
        timeout=180,  # twelve PHP requests in turn: slow on a loaded machine
    )
    rows = site.wp.php_json(OUTBOX_ROWS)
    assert {(row["status"], row["last_http_status"]) for row in rows} == {("delivered", "200")}  # type: ignore[union-attr,index]
    for row in rows:  # type: ignore[union-attr]
        event = json.loads(row["payload"])
        kind = Kind(event["type"].split(".")[0])
        record = archive.record(str(kind), event["data"]["id"])
        assert record is not None and record["latest_version"] == 1, event["type"]
        stored = archive.version(str(kind), event["data"]["id"], 1)
        expected = as_captured(site_id, kind, event["data"])
        assert {name: stored[name] for name in expected} == expected


def test_reconcile_finds_exactly_what_no_webhook_reported(
    site: Site, content: dict[str, int]
) -> None:
    archive, site_id = site.archive, site.archive.site_id
    nothing = run_job(site, "reconcile")
    assert nothing["counts"] | {"read": 0} == {
        "read": 0, "unchanged": 12, "missing": 0, "changed": 0, "gone": 0, "errors": 0
    }  # fmt: skip

    # An edit whose webhook is dropped: the plugin is deactivated for it.
    site.wp.php(
        "require_once ABSPATH . 'wp-admin/includes/plugin.php';"
        "deactivate_plugins('offentlig/offentlig.php');"
    )
    with connect(site.wp.url, wp_harness.ADMIN_USER, wp_harness.ADMIN_PASSWORD) as client:
        edited = WordPressPost()
        edited.title = 'Budgeten "klar" -- äntligen'
        edited.content = "<p>Budgeten är klar, och ändrad utan att arkivet fick veta.</p>"
        assert client.call(posts.EditPost(content["news"], edited)) is True
    changed = archive.service.cli("reconcile", site_id)
    assert changed["counts"]["changed"] == 1 and changed["changed"] == [
        f"{site_id}.post.{content['news']}"
    ]
    assert changed["missing"] == changed["gone"] == changed["errors"] == []
    versions = archive.versions("post", content["news"])
    assert [v["event_type"] for v in versions] == ["post.backfilled", "post.reconciled"]
    assert "ändrad utan att" in archive.version("post", content["news"], 2)["content"]

    # A new post and a deleted one, neither reported.
    with connect(site.wp.url, wp_harness.ADMIN_USER, wp_harness.ADMIN_PASSWORD) as client:
        late = WordPressPost()
        late.title = "Publicerad utan tillägget"
        late.content = "Ny."
        late_id = publish(client, late)
    site.wp.php(f"wp_delete_post({content['quiet']}, true);")
    report = run_job(site, "reconcile")
    assert (report["missing"], report["changed"], report["gone"]) == (
        [f"{site_id}.post.{late_id}"], [], [f"{site_id}.post.{content['quiet']}"]
    )  # fmt: skip
    gone = archive.record("post", content["quiet"])
    assert gone is not None and gone["status"] == "gone" and gone["latest_version"] == 1
    latest = archive.get(f"/v1/sites/{site_id}/reconciliations/latest").json()
    assert latest["id"] == report["id"] and latest["sha256"] == report["sha256"]
    listed = archive.get(f"/v1/sites/{site_id}/reconciliations").json()
    assert listed["every"] == "P1D" and listed["next_due"] is not None  # it has an account


def test_wrong_password_names_the_field(site: Site, tmp_path: Path) -> None:
    answer = admin_call(
        site, "PUT", f"/v1/sites/{site.archive.site_id}/wordpress-account",
        username=ACCOUNT, app_password="abcd efgh ijkl mnop qrst uvwx",
    )  # fmt: skip

    assert answer.status_code == 422, answer.text
    assert list(answer.json()["errors"]) == ["app_password"]
