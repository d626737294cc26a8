"""Culling under a decision, through the real plugin on a real WordPress (DOMAIN rule 3).

A year of comments reaches the archive through the plugin; a culling decision says comments
of minor importance may be culled two years after publication; one thread is under a legal
hold, one comment is registered, one carries a personal identity number (so it awaits secrecy
review). The dry run must list exactly the comments the law allows culling, executing it
culls exactly those, the culling log names them, and everything else stays as it was.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Site, wait_until
from tests.support.review import PERSONNUMMER

pytestmark = pytest.mark.e2e

DECISION = "KS 2026/114 § 12"
AS_OF = "2026-07-01"  # two years after 2024-07-01: older comments are due
THREAD_WORD = "Storgatan"  # every comment of the held thread mentions it

# (post, local day in 2024, text): comments made through WordPress, dated back a year.
COMMENTS = [
    ("open", "01-15", "Tack för informationen om sophämtningen."),
    ("open", "02-20", "Jag vill överklaga beslutet om bygglov."),  # registered
    ("open", "03-15", "När öppnar badhuset igen?"),
    ("open", "03-20", f"Mitt personnummer är {PERSONNUMMER}, ring mig."),  # awaits review
    ("open", "05-15", "Bra att vägen är lagad."),
    ("open", "08-15", "Snart är det höst."),  # not due yet on AS_OF
    ("held", "02-10", f"Gatlyktorna på {THREAD_WORD} är trasiga."),
    ("held", "04-10", f"Fortfarande mörkt på {THREAD_WORD}."),
    ("held", "09-10", f"{THREAD_WORD} är nu upplyst, tack."),
]

MAKE_CONTENT = """
$posts = [];
foreach (['open' => 'Kommunen informerar', 'held' => 'Gatubelysning'] as $key => $title) {
    $posts[$key] = wp_insert_post([
        'post_title' => $title, 'post_content' => '<p>' . $title . '.</p>',
        'post_status' => 'publish', 'comment_status' => 'open',
        'post_date' => '2024-01-10 10:00:00', 'post_date_gmt' => '2024-01-10 09:00:00',
    ], true);
    if (is_wp_error($posts[$key])) { fwrite(STDERR, $posts[$key]->get_error_message()); exit(1); }
}
$comments = [];
foreach (json_decode(%s, true) as [$post, $day, $text]) {
    $comments[] = wp_insert_comment([
        'comment_post_ID' => $posts[$post], 'comment_content' => $text,
        'comment_author' => 'Anna Andersson', 'comment_author_email' => 'anna@example.se',
        'comment_approved' => 1,
        'comment_date' => "2024-$day 12:00:00", 'comment_date_gmt' => "2024-$day 11:00:00",
    ]);
}
echo wp_json_encode(['posts' => $posts, 'comments' => $comments]);
"""


def call(site: Site, token: str, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(
        method,
        site.archive.service.url + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
        **kwargs,
    )
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def test_culling_decision_culls_exactly_what_the_law_allows(site: Site) -> None:
    archive = site.archive
    manager = archive.service.cli(
        "tokens", "create", "--name", "e2e-arkivarie",
        "--scope", "admin", "--scope", "records:read", "--scope", "registry:write",
    )["token"]  # fmt: skip
    made = site.wp.php_json(MAKE_CONTENT % json.dumps(json.dumps(COMMENTS)))
    posts: dict[str, int] = made["posts"]  # type: ignore[index]
    comment_ids: list[int] = made["comments"]  # type: ignore[index]
    site.dispatch_now()
    record = {i: f"{archive.site_id}.comment.{wp_id}" for i, wp_id in enumerate(comment_ids)}
    wait_until(
        lambda: all(archive.record("comment", wp_id) for wp_id in comment_ids),
        timeout=120,
        nudge=site.dispatch_now,
        what="every backdated comment captured through the plugin",
    )
    assert archive.record("comment", comment_ids[3])["review"] == "pending"  # type: ignore[index]

    call(site, manager, "PUT", f"/v1/records/{record[1]}/registration",
         json={"case_number": "KS 2024/77", "case_title": "Överklagande av bygglov"})  # fmt: skip
    rule = call(site, manager, "POST", "/v1/retention-rules", json={
        "decision_reference": DECISION,
        "decision_date": "2026-05-01",
        "description": "Kommentarer av tillfällig eller ringa betydelse",
        "scope": {"sites": [archive.site_id], "kinds": ["comment"]},
        "retention": "P2Y",
        "counted_from": "published",
    })  # fmt: skip
    call(site, manager, "POST", "/v1/holds", json={
        "reason": "Begäran om allmän handling om gatubelysningen",
        "sites": [archive.site_id], "kinds": ["comment"], "text": THREAD_WORD,
    })  # fmt: skip

    def plan(run: dict[str, Any]) -> dict[str, str]:
        items = call(site, manager, "GET", f"/v1/culling-runs/{run['id']}/items?limit=1000")
        return {item["record_id"]: item["outcome"] for item in items["items"]}

    body = {"rule_ids": [rule["id"]], "as_of": AS_OF}
    dry = plan(call(site, manager, "POST", "/v1/culling-runs", json={**body, "dry_run": True}))

    assert dry == {
        record[0]: "due",
        record[2]: "due",
        record[4]: "due",
        record[1]: "registered",
        record[3]: "review_pending",
        record[6]: "held",
        record[7]: "held",
    }
    executed = call(site, manager, "POST", "/v1/culling-runs", json={**body, "dry_run": False})
    assert plan(executed) == dry
    due = {record_id for record_id, outcome in dry.items() if outcome == "due"}

    log = call(site, manager, "GET", f"/v1/culling-log?run={executed['id']}&limit=100")
    assert {entry["record_id"] for entry in log["items"]} == due
    assert {entry["decision_reference"] for entry in log["items"]} == {DECISION}
    for record_id in due:
        gone = archive.get(f"/v1/records/{record_id}")
        assert gone.status_code == 410
        assert gone.json()["errors"]["culling_log"]["decision_reference"] == DECISION
    for index in (1, 3, 5, 6, 7, 8):  # everything else is intact, with its first version
        kept = archive.get(f"/v1/records/{record[index]}/versions/1")
        assert kept.status_code == 200, (index, kept.text)
    for key in ("open", "held"):
        assert archive.record("post", posts[key])["latest_version"] == 1  # type: ignore[index]
