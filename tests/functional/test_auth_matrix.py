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
from service.sites.account import WordPressAccount
from tests.factories import TEST_ACTOR, comment_data, post_data
from tests.support.fake_wordpress import PASSWORD, USERNAME, FakeWordPress, remote_post

# The spec (README's API table): which scope each operation needs.
SCOPE_OF: dict[tuple[str, str], str] = {
    ("GET", "records.Records"): "records:read",
    ("GET", "records.RecordDetail"): "records:read",
    ("GET", "records.Versions"): "records:read",
    ("GET", "records.VersionDocument"): "records:read",
    ("GET", "records.VersionPersonalData"): "records:read-personal",
    ("GET", "changes.Changes"): "records:read",
    ("GET", "stats.Stats"): "records:read",
    ("GET", "sites.Sites"): "admin",
    ("POST", "sites.Sites"): "admin",
    ("GET", "tokens.Tokens"): "admin",
    ("POST", "tokens.Tokens"): "admin",
    ("DELETE", "tokens.Token"): "admin",
    ("PUT", "backfill.WordPressAccount"): "admin",
    ("POST", "backfill.Backfills"): "admin",
    ("GET", "backfill.Reconciliations"): "records:read",
    ("POST", "backfill.Reconciliations"): "admin",
    ("GET", "backfill.LatestReconciliation"): "records:read",
}
# Authenticated by its webhook signature instead (see test_bad_input.py).
SIGNATURE_AUTHENTICATED = {("POST", "events.Events")}

BODIES: dict[str, dict[str, Any]] = {
    "sites.Sites": {"name": "Lunds kommun", "url": "https://lund.se"},
    "tokens.Tokens": {"name": "diarium", "scopes": ["records:read"]},
    "backfill.WordPressAccount": {"username": USERNAME, "app_password": PASSWORD},
    "backfill.Backfills": {},
}
# Per resource: records of the caller's own site answer, another site's are 404.
SITE_BOUND = {
    "records.RecordDetail",
    "records.Versions",
    "records.VersionDocument",
    "records.VersionPersonalData",
    "backfill.WordPressAccount",
    "backfill.Backfills",
    "backfill.Reconciliations",
    "backfill.LatestReconciliation",
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
    revoked_row, revoked = svc.tokens.create("old", ["admin", "records:read"], actor=TEST_ACTOR)
    svc.tokens.revoke(revoked_row["id"], actor=TEST_ACTOR)
    every_scope = ("records:read", "records:read-personal", "admin")
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
        "every scope": token(*every_scope),
        "every scope, own site": token(*every_scope, site=site.id),
        "every scope, other site": token(*every_scope, site=other["id"]),
    }
    return World(site.id, other["id"], f"{site.id}.comment.10", headers)


def scopes_of(name: str) -> set[str]:
    if name in ("records:read", "records:read-personal", "admin"):
        return {name}
    if name == "read + personal":
        return {"records:read", "records:read-personal"}
    if name.startswith("every scope"):
        return {"records:read", "records:read-personal", "admin"}
    return set()


def expected(caller: str, method: str, endpoint: str) -> int:
    if not scopes_of(caller):
        return 401
    if SCOPE_OF[(method, endpoint)] not in scopes_of(caller):
        return 403
    if caller == "every scope, other site" and endpoint in SITE_BOUND:
        return 404
    return {"POST": 201, "DELETE": 204}.get(method, 200)


def test_every_v1_operation_has_a_declared_scope(app):
    declared = set(SCOPE_OF) | SIGNATURE_AUTHENTICATED
    present = {(method, rule.endpoint) for method, rule in operations(app)}

    assert present == declared, "a new /v1 operation needs its scope in SCOPE_OF"


def test_scope_matrix(app, client, world, subtests):
    svc = app.extensions["offentlig"]
    adapter = app.url_map.bind("localhost")
    for method, rule in operations(app):
        if (method, rule.endpoint) in SIGNATURE_AUTHENTICATED:
            continue
        for caller, headers in world.headers.items():
            values: dict[str, Any] = {"record_id": world.record, "number": 1, "site_id": world.home}
            if "token_id" in rule.arguments:  # a fresh victim each time
                values["token_id"] = svc.tokens.create(
                    "victim", ["records:read"], actor=TEST_ACTOR
                )[0]["id"]
            url = adapter.build(rule.endpoint, values, method=method)
            want = expected(caller, method, rule.endpoint)
            with subtests.test(f"{method} {rule.rule} as {caller}"):
                answer = client.open(
                    url, method=method, headers=headers, json=BODIES.get(rule.endpoint)
                )

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
        ("GET", "/v1/records/nothing.post.1/versions/999", None),
        ("GET", "/v1/records/nothing.post.1", None),
    ],
)
def test_the_token_is_checked_before_the_input(client, token, method, path, body):
    """An unauthenticated caller learns nothing about the API's arguments or records."""
    anonymous = client.open(path, method=method, json=body)
    unscoped = client.open(path, method=method, json=body, headers=token("records:read-personal"))

    assert anonymous.status_code == 401, anonymous.get_data(as_text=True)
    assert "errors" not in anonymous.get_json()
    assert unscoped.status_code == 403, unscoped.get_data(as_text=True)


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
