"""Every /v1 endpoint × every kind of caller: 401, 403, 404 or success, nothing in between.

The routes come from the app's URL map, so a new endpoint fails here until its scope is
written into SCOPE_OF below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from service.backfill import runs
from service.exports.asking import Requester, request_disclosure
from service.exports.job import run_export
from service.jobs.runner import run_queued
from service.sites.account import WordPressAccount
from tests.factories import TEST_ACTOR, comment_data, post_data
from tests.support.fake_wordpress import PASSWORD, USERNAME, FakeWordPress, remote_post
from tests.support.retention import rule_body
from tests.support.snapshots import small_site, stored_snapshot

# The spec (README's API table): which scope each operation needs.
SCOPE_OF: dict[tuple[str, str], str | tuple[str, ...]] = {
    ("GET", "records.Records"): "records:read",
    ("GET", "records.RecordDetail"): "records:read",
    ("GET", "records.Versions"): "records:read",
    ("GET", "records.VersionDocument"): "records:read",
    ("GET", "records.VersionPersonalData"): "records:read-personal",
    ("GET", "record-exports.RecordsCsv"): "records:read",
    ("GET", "record-exports.RecordsJsonLines"): "records:read",
    ("GET", "changes.Changes"): "records:read",
    ("GET", "stats.Stats"): "records:read",
    ("GET", "review.ReviewQueue"): "records:review",
    ("POST", "review.RecordReview"): "records:review",
    ("PUT", "registration.Registration"): "registry:write",
    ("GET", "sites.Sites"): "admin",
    ("POST", "sites.Sites"): "admin",
    ("GET", "tokens.Tokens"): "admin",
    ("POST", "tokens.Tokens"): "admin",
    ("DELETE", "tokens.Token"): "admin",
    ("GET", "channels.Channels"): "records:read",
    ("POST", "channels.Channels"): "admin",
    ("GET", "channels.ChannelDetail"): "records:read",
    ("PATCH", "channels.ChannelDetail"): "admin",
    ("POST", "channels.ChannelClose"): "admin",
    ("GET", "jobs.Jobs"): "admin",
    ("GET", "jobs.JobDetail"): "admin",
    ("POST", "jobs.JobCancel"): "admin",
    ("GET", "audit.AuditEntries"): "admin",
    ("GET", "retention-rules.Rules"): "records:read",
    ("POST", "retention-rules.Rules"): "admin",
    ("GET", "retention-rules.Rule"): "records:read",
    ("PUT", "retention-rules.Rule"): "admin",
    ("POST", "retention-rules.RuleSupersession"): "admin",
    ("GET", "holds.Holds"): "records:read",
    ("POST", "holds.Holds"): "admin",
    ("POST", "holds.HoldLift"): "admin",
    ("POST", "culling-runs.Runs"): "admin",
    ("GET", "culling-runs.Run"): "records:read",
    ("POST", "culling-runs.RunExecution"): "admin",
    ("GET", "culling-runs.RunItems"): "records:read",
    ("GET", "culling-log.CullingLog"): "records:read",
    ("GET", "culling-log.CullingLogCsv"): "records:read",
    ("GET", "log.VersionProof"): "records:read",
    ("POST", "log.Checkpoints"): "admin",
    ("GET", "snapshots.Snapshots"): "records:read",
    ("POST", "snapshots.Snapshots"): ("snapshots:request", "admin"),  # either will do
    ("GET", "snapshots.SnapshotDetail"): "records:read",
    ("GET", "snapshots.Warc"): "records:read",
    ("GET", "snapshots.Cdxj"): "records:read",
    ("GET", "snapshots.ManifestFile"): "records:read",
    ("POST", "snapshots.ReplaySessions"): "records:read",
    ("PUT", "snapshots.SnapshotSchedule"): "admin",
    ("PUT", "backfill.WordPressAccount"): "admin",
    ("POST", "backfill.Backfills"): "admin",
    ("GET", "backfill.Reconciliations"): "records:read",
    ("POST", "backfill.Reconciliations"): "admin",
    ("GET", "backfill.LatestReconciliation"): "records:read",
    ("GET", "exports.Exports"): "records:read",
    ("POST", "exports.Exports"): "records:read",
    ("GET", "exports.ExportDetail"): "records:read",
    ("GET", "exports.ExportDownload"): "records:read",
    ("POST", "exports.Transfers"): "admin",
}
# Operations that need several scopes at once (besides the one above): an e-archive transfer
# holds every record, secret ones too.
ALL_OF: dict[tuple[str, str], set[str]] = {
    ("POST", "exports.Transfers"): {"admin", "records:read", "records:read-secret"},
}
# The log's checkpoints, consistency proofs and key reveal only hashes: open to anyone.
PUBLIC_LOG = {
    ("GET", "log.LatestCheckpoint"),
    ("GET", "log.Consistency"),
    ("GET", "log.PublicKey"),
}
# Actions on an existing entry that answer 200, not 201.
STATUS_OF = {("POST", "holds.HoldLift"): 200, ("POST", "culling-runs.RunExecution"): 200}
# Authenticated by its webhook signature instead (see test_bad_input.py).
SIGNATURE_AUTHENTICATED = {("POST", "events.Events")}

BODIES: dict[str, dict[str, Any]] = {
    "sites.Sites": {"name": "Lunds kommun", "url": "https://lund.se"},
    "tokens.Tokens": {"name": "diarium", "scopes": ["records:read"]},
    "channels.Channels": {"platform": "facebook", "name": "Kommunen", "url": "https://fb.com/k"},
    "channels.ChannelDetail": {"purpose": "Nyheter"},
    "channels.ChannelClose": {"closed_on": "2026-11-01"},
    # Not `secret`: the matrix's later reads must still find the record.
    "review.RecordReview": {"decision": "cleared", "note": "Inget sekretessbelagt."},
    "registration.Registration": {"case_number": "KS 2026/245"},
    "retention-rules.Rules": rule_body(),
    "retention-rules.Rule": rule_body(retention="P3Y"),
    "retention-rules.RuleSupersession": rule_body(retention="P5Y"),
    "holds.Holds": {"reason": "Tvist", "kinds": ["comment"]},
    "holds.HoldLift": {"reason": "Avgjort"},
    "culling-runs.Runs": {},
    "culling-runs.RunExecution": {},
    "snapshots.SnapshotSchedule": {"every": "P6M"},
    "backfill.WordPressAccount": {"username": USERNAME, "app_password": PASSWORD},
    "backfill.Backfills": {},
}
# Bodies that name the world's site.
SITE_BODIES = {"exports.Transfers": {"from": "2026-11-01", "to": "2026-11-30"}}
# Operations that change something without creating it answer 200.
CHANGES = {("POST", "channels.ChannelClose"), ("POST", "jobs.JobCancel")}
# Operations that start work and answer before it is done.
ACCEPTED = {
    ("POST", "snapshots.Snapshots"),
    ("POST", "exports.Exports"),
    ("POST", "exports.Transfers"),
}
# Another site's record (or the site) named in a body is bad input (422 naming the field),
# not a 404.
NAMED_IN_THE_BODY = {("POST", "exports.Exports"), ("POST", "exports.Transfers")}
# Per resource: records of the caller's own site answer, another site's are 404.
SITE_BOUND = {
    "records.RecordDetail",
    "records.Versions",
    "records.VersionDocument",
    "records.VersionPersonalData",
    "review.RecordReview",
    "registration.Registration",
    "jobs.JobDetail",
    "jobs.JobCancel",
    "log.VersionProof",
    "snapshots.Snapshots",
    "snapshots.SnapshotDetail",
    "snapshots.Warc",
    "snapshots.Cdxj",
    "snapshots.ManifestFile",
    "snapshots.ReplaySessions",
    "snapshots.SnapshotSchedule",
    "backfill.WordPressAccount",
    "backfill.Backfills",
    "backfill.Reconciliations",
    "backfill.LatestReconciliation",
    "exports.ExportDetail",
    "exports.ExportDownload",
}


def operations(app: Flask) -> list[tuple[str, Any]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule))
    return found


@dataclass
class World:
    home: str  # a site with a post and a comment carrying personal data
    other: str  # a second site
    record: str  # the comment on `home`
    snapshot: str  # a finished snapshot of `home`
    export: str  # a finished export of `home`'s records, asked for by a token limited to it
    headers: dict[str, dict[str, str] | None]


@pytest.fixture
def world(app, site, token) -> World:  # type: ignore[no-untyped-def]
    svc = app.extensions["offentlig"]
    other, _ = svc.sites.add("Lunds kommun", "https://lund.se", actor=TEST_ACTOR)
    site.sender.send("post.published", post_data(1))
    site.sender.send("comment.received", comment_data(10, post_id=1, author_ip="192.0.2.1"))
    wordpress = FakeWordPress()
    wordpress.add(remote_post(1))
    svc.wordpress = wordpress.connect
    svc.sites.set_account(site.id, WordPressAccount(USERNAME, PASSWORD), actor=TEST_ACTOR)
    runs.reconcile(svc, site.id, actor=TEST_ACTOR)
    with small_site() as website:
        stored_snapshot(svc, site.id, f"{website.url}/", "snapshot-1")
    revoked_row, revoked = svc.tokens.create("old", ["admin", "records:read"], actor=TEST_ACTOR)
    svc.tokens.revoke(revoked_row["id"], actor=TEST_ACTOR)
    every_scope = EVERY_SCOPE
    headers: dict[str, dict[str, str] | None] = {
        "no token": None,
        "malformed header": {"Authorization": "oft_nothing-before-it"},
        "basic auth": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "empty bearer": {"Authorization": "Bearer "},
        "unknown token": {"Authorization": "Bearer oft_" + "x" * 43},
        "revoked token": {"Authorization": f"Bearer {revoked}"},
        "records:read": token("records:read"),
        "records:read-personal": token("records:read-personal"),
        "read + personal": token("records:read", "records:read-personal"),
        "admin": token("admin"),
        "records:review": token("records:review"),
        "registry:write": token("registry:write"),
        "records:read-secret": token("records:read-secret"),
        "snapshots:request": token("snapshots:request"),
        "every scope": token(*every_scope),
        "every scope, own site": token(*every_scope, site=site.id),
        "every scope, other site": token(*every_scope, site=other["id"]),
    }
    svc.integrity.checkpoint()  # every version has its proof
    record = f"{site.id}.comment.10"
    requester = Requester(TEST_ACTOR, frozenset({"records:read"}), site.id)
    export, job = request_disclosure(svc, requester, {"record_ids": [record]})
    assert run_queued(svc, job, handlers={"export": run_export}).state == "succeeded"
    return World(site.id, other["id"], record, "snapshot-1", export["id"], headers)


EVERY_SCOPE = (
    "records:read",
    "records:read-personal",
    "records:read-secret",
    "records:review",
    "registry:write",
    "snapshots:request",
    "admin",
)


def scopes_of(name: str) -> set[str]:
    if name in EVERY_SCOPE:
        return {name}
    if name == "read + personal":
        return {"records:read", "records:read-personal"}
    if name.startswith("every scope"):
        return set(EVERY_SCOPE)
    return set()


def expected(caller: str, method: str, endpoint: str) -> int:
    if not scopes_of(caller):
        return 401
    needed = SCOPE_OF[(method, endpoint)]
    if not scopes_of(caller) & ({needed} if isinstance(needed, str) else set(needed)):
        return 403
    if not ALL_OF.get((method, endpoint), set()) <= scopes_of(caller):
        return 403
    if caller == "every scope, other site" and (method, endpoint) in NAMED_IN_THE_BODY:
        return 422
    if caller == "every scope, other site" and endpoint in SITE_BOUND:
        return 404
    if (method, endpoint) in CHANGES:
        return 200
    if (method, endpoint) in ACCEPTED:
        return 202
    return STATUS_OF.get((method, endpoint)) or {"POST": 201, "DELETE": 204}.get(method, 200)


def test_every_v1_operation_has_a_declared_scope(app):
    declared = set(SCOPE_OF) | SIGNATURE_AUTHENTICATED | PUBLIC_LOG
    present = {(method, rule.endpoint) for method, rule in operations(app)}

    assert present == declared, "a new /v1 operation needs its scope in SCOPE_OF"


def retention_victims(svc: Any, arguments: set[str]) -> dict[str, str]:
    """A fresh rule, hold or run for each call: superseding or lifting happens once."""
    retention = svc.retention
    found = {}
    if "rule_id" in arguments:
        found["rule_id"] = retention.rules.create(rule_body(), actor=TEST_ACTOR)["id"]
    if "hold_id" in arguments:
        hold = {"reason": "Tvist", "kinds": ["post"]}
        found["hold_id"] = retention.holds.set(hold, actor=TEST_ACTOR)["id"]
    if "run_id" in arguments:
        found["run_id"] = retention.runs.start(actor=TEST_ACTOR, dry_run=False)["id"]
    return found


def test_scope_matrix(app, client, world, subtests):
    svc = app.extensions["offentlig"]
    adapter = app.url_map.bind("localhost")
    for method, rule in operations(app):
        if (method, rule.endpoint) in SIGNATURE_AUTHENTICATED | PUBLIC_LOG:
            continue
        for caller, headers in world.headers.items():
            values: dict[str, Any] = {
                "record_id": world.record,
                "number": 1,
                "site_id": world.home,
                "snapshot_id": world.snapshot,
                "export_id": world.export,
            }
            if "token_id" in rule.arguments:  # a fresh victim each time
                values["token_id"] = svc.tokens.create(
                    "victim", ["records:read"], actor=TEST_ACTOR
                )[0]["id"]
            if "channel_id" in rule.arguments:  # a fresh victim each time (closing is once)
                values["channel_id"] = svc.channels.create(
                    {"platform": "x", "name": "Offer", "url": "https://x.com/offer"},
                    actor=TEST_ACTOR,
                )["id"]
            if "job_id" in rule.arguments:  # a fresh one each time: cancelling ends it
                values["job_id"] = svc.jobs.enqueue("export", site_id=world.home).id
            values.update(retention_victims(svc, rule.arguments))
            url = adapter.build(rule.endpoint, values, method=method)
            want = expected(caller, method, rule.endpoint)
            with subtests.test(f"{method} {rule.rule} as {caller}"):
                body = BODIES.get(rule.endpoint)
                if rule.endpoint == "exports.Exports":
                    body = {"record_ids": [world.record]}
                if rule.endpoint in SITE_BODIES:
                    body = {"site": world.home, **SITE_BODIES[rule.endpoint]}
                answer = client.open(url, method=method, headers=headers, json=body)
                answer.close()  # downloads stream from storage until closed

                assert answer.status_code == want, answer.get_data(as_text=True)
                if want >= 400:
                    body = answer.get_json()
                    assert body["code"] == want
                    assert set(body) <= {"code", "status", "message", "errors"}
                    assert "192.0.2.1" not in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/records?limit=abc&sort=sideways", None),
        ("GET", "/v1/records?cursor=not-a-cursor", None),
        ("GET", "/v1/changes?after=-5", None),
        ("GET", "/v1/stats?days=0", None),
        ("POST", "/v1/sites", {"url": "not a url"}),
        ("POST", "/v1/tokens", {"scopes": ["root"]}),
        ("GET", "/v1/jobs?state=sleeping", None),
        ("POST", "/v1/jobs/nosuchjob/cancel", None),
        ("GET", "/v1/records/nothing.post.1/versions/999", None),
        ("GET", "/v1/records/nothing.post.1", None),
        ("GET", "/v1/review?state=forgotten&limit=0", None),
        ("POST", "/v1/records/nothing.post.1/review", {"decision": "maybe"}),
        ("PUT", "/v1/records/nothing.post.1/registration", {"case_number": ""}),
        ("POST", "/v1/exports/sip", {"site": "", "from": "yesterday"}),
    ],
)
def test_the_token_is_checked_before_the_input(client, token, method, path, body):
    """An unauthenticated caller learns nothing about the API's arguments or records."""
    anonymous = client.open(path, method=method, json=body)
    unscoped = client.open(path, method=method, json=body, headers=token("records:read-personal"))

    assert anonymous.status_code == 401, anonymous.get_data(as_text=True)
    assert "errors" not in anonymous.get_json()
    assert unscoped.status_code == 403, unscoped.get_data(as_text=True)


def test_public_routes_need_no_token(app, client, site):
    """Outside /v1, `/public/` is for anyone: no token, and a token changes nothing."""
    public = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/public/")]

    assert public
    for path in public:
        assert client.get(path).status_code == 200, path
        assert client.get(path, headers={"Authorization": "Bearer nonsense"}).status_code == 200


def test_the_public_log_needs_no_token(app, client, site):
    app.extensions["offentlig"].integrity.checkpoint()
    for path in ("/v1/log/checkpoint", "/v1/log/public-key", "/v1/log/consistency?from=0&to=1"):
        assert client.get(path).status_code == 200, path
        assert client.get(path, headers={"Authorization": "Bearer nonsense"}).status_code == 200


def test_head_needs_a_token_like_get(client, reader):
    assert client.head("/v1/records").status_code == 401
    assert client.head("/v1/records", headers=reader).status_code == 200


def test_bearer_scheme_is_case_insensitive(client, token):
    value = token("records:read")["Authorization"].split(" ", 1)[1]

    assert (
        client.get("/v1/records", headers={"Authorization": f"bearer {value}"}).status_code == 200
    )
    assert (
        client.get("/v1/records", headers={"Authorization": f"Bearer {value}x"}).status_code == 401
    )


def test_revoking_takes_effect_at_once(app, client, token):
    headers = token("records:read")
    before = client.get("/v1/records", headers=headers)
    token_id = app.extensions["offentlig"].tokens.all()[-1]["id"]

    revoked = client.delete(f"/v1/tokens/{token_id}", headers=token("admin"))
    after = client.get("/v1/records", headers=headers)
    again = client.delete(f"/v1/tokens/{token_id}", headers=token("admin"))

    assert (before.status_code, revoked.status_code, after.status_code) == (200, 204, 401)
    assert again.status_code == 404


# --- a token limited to one site ------------------------------------------------------------


@pytest.fixture
def two_sites(app, site, client):  # type: ignore[no-untyped-def]
    from tests.factories import Sender

    other, secret = app.extensions["offentlig"].sites.add(
        "Lunds kommun", "https://lund.se", actor=TEST_ACTOR
    )
    theirs = Sender(client, other["id"], secret)
    site.sender.send("post.published", post_data(1))
    site.sender.send("comment.received", comment_data(10, post_id=1))
    theirs.send("post.published", post_data(2, title="Lunds snöröjning"))
    theirs.send("post.trashed", post_data(2, title="Lunds snöröjning", status="trash"))
    return site.id, other["id"]


def test_site_limited_token_sees_only_its_site(client, token, two_sites):
    home, other = two_sites
    limited = token("records:read", "records:read-personal", site=other)

    records = client.get("/v1/records", headers=limited).json["items"]
    asked_for_home = client.get(f"/v1/records?site={home}", headers=limited).json["items"]
    searched = client.get("/v1/records?q=snöröjning", headers=limited).json["items"]
    changes = client.get("/v1/changes", headers=limited).json["items"]
    changes_home = client.get(f"/v1/changes?site={home}", headers=limited).json["items"]
    stats = client.get("/v1/stats", headers=limited).json
    stats_home = client.get(f"/v1/stats?site={home}", headers=limited).json

    assert [r["id"] for r in records] == [f"{other}.post.2"]
    assert asked_for_home == []
    assert [r["id"] for r in searched] == [f"{other}.post.2"]
    assert {c["site_id"] for c in changes} == {other}
    assert [c["change"] for c in changes] == ["version", "event"]
    assert changes_home == []
    assert (stats["total"], stats["today"]) == (1, 1)
    assert (stats_home["total"], stats_home["today"]) == (0, 0)


def test_site_limited_token_gets_404_for_another_sites_records(client, token, two_sites):
    home, other = two_sites
    limited = token("records:read", "records:read-personal", site=other)
    unlimited = token("records:read", "records:read-personal")

    for path in (
        f"/v1/records/{home}.comment.10",
        f"/v1/records/{home}.comment.10/versions",
        f"/v1/records/{home}.comment.10/versions/1",
        f"/v1/records/{home}.comment.10/versions/1/personal-data",
    ):
        hidden = client.get(path, headers=limited)
        missing = client.get(path.replace(".comment.10", ".comment.99"), headers=limited)
        assert hidden.status_code == 404, path
        assert client.get(path, headers=unlimited).status_code == 200, path
        # Indistinguishable from a record that does not exist.
        assert hidden.get_json()["status"] == missing.get_json()["status"]
        assert "bertil" not in hidden.get_data(as_text=True)


def test_unlimited_token_sees_every_site(client, reader, two_sites):
    home, other = two_sites

    records = client.get("/v1/records", headers=reader).json["items"]
    stats = client.get("/v1/stats", headers=reader).json

    assert {r["site_id"] for r in records} == {home, other}
    assert stats["total"] == 3


def test_token_for_an_unknown_site_cannot_be_created(client, token):
    answer = client.post(
        "/v1/tokens",
        json={"name": "x", "scopes": ["records:read"], "site_id": "nosuchsite"},
        headers=token("admin"),
    )

    assert answer.status_code == 422
    assert "site_id" in answer.get_json()["errors"]


def test_a_missing_token_is_answered_with_the_bearer_challenge(client):
    answer = client.get("/v1/records")

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="offentlig"'
