"""`offentlig reindex` rebuilds the index from storage alone: the API answers the same after."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from service.index import tables as t
from tests.factories import TEST_ACTOR, Sender, comment_data, post_data


@pytest.fixture
def archive(app, site, client, clock):  # type: ignore[no-untyped-def]
    """A realistic month on two sites: publishing, edits, moderation, trash and deletes."""
    other, secret = app.extensions["offentlig"].sites.add(
        "Lunds kommun", "https://lund.se", actor=TEST_ACTOR
    )
    lund = Sender(client, other["id"], secret)
    home = site.sender
    same_minute = "2026-11-20T08:00:00Z"  # several posts share published_at: ties must hold
    steps: list[tuple[Sender, str, dict[str, Any]]] = [
        (home, "post.published", post_data(2, title="Vinterväghållning", published_at=same_minute)),
        (home, "post.published", post_data(12, title="Budget 2027", published_at=same_minute)),
        (lund, "post.published", post_data(2, title="Lunds vinter", published_at=same_minute)),
        (
            home,
            "page.published",
            post_data(30, title="Kontakt", published_at="2026-01-01T00:00:00Z"),
        ),
        (home, "page.published", post_data(31, title="Växeln", parent=30)),
        (home, "comment.received", comment_data(100, post_id=12, author_ip="192.0.2.9")),
        (
            home,
            "comment.received",
            comment_data(101, post_id=12, parent=100, content="Håller med."),
        ),
        (home, "comment.approved", comment_data(100, post_id=12, status="approved")),
        (home, "comment.spam", comment_data(101, post_id=12, parent=100, status="spam")),
        (
            home,
            "post.updated",
            post_data(12, title="Budget 2027 (rättad)", published_at=same_minute),
        ),
        (
            home,
            "post.updated",
            post_data(12, title="Budget 2027 (rättad igen)", published_at=same_minute),
        ),
        (
            home,
            "comment.edited",
            comment_data(100, post_id=12, status="approved", content="Ändrad."),
        ),
        (
            home,
            "comment.edited",
            comment_data(
                100, post_id=12, status="approved", author_email="ny@example.se", content="Ändrad."
            ),
        ),
        (
            home,
            "post.trashed",
            post_data(2, title="Vinterväghållning", published_at=same_minute, status="trash"),
        ),
        (
            home,
            "post.restored",
            post_data(
                2, title="Vinterväghållning", published_at=same_minute, previous_status="trash"
            ),
        ),
        (
            home,
            "post.unpublished",
            post_data(2, title="Utkast igen", published_at=same_minute, status="draft"),
        ),
        (
            lund,
            "post.deleted",
            post_data(2, title="Lunds vinter", published_at=same_minute, status="trash"),
        ),
        (home, "comment.deleted", comment_data(101, post_id=12, parent=100, status="spam")),
        (home, "page.trashed", post_data(31, title="Växeln", parent=30, status="trash")),
        (
            home,
            "post.deleted",
            post_data(77, title="Aldrig sedd förut"),
        ),  # first heard of at its delete
    ]
    for n, (sender, event_type, data) in enumerate(steps):
        clock.now = datetime(2026, 11, 1, 8, tzinfo=UTC) + timedelta(days=n % 27, minutes=n)
        answer = sender.send(event_type, data)
        assert answer.status_code == 201, (event_type, answer.get_data(as_text=True))
    clock.now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    return {"home": site.id, "lund": other["id"]}


def answers(client, headers) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Everything the API says about the archive, as comparable values."""

    def get(path: str) -> Any:
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.get_data(as_text=True))
        return answer.json

    seen: dict[str, Any] = {}
    for sort in ("-published_at", "published_at", "captured_at", "-captured_at"):
        pages, cursor = [], None
        while True:
            page = get(f"/v1/records?sort={sort}&limit=3" + (f"&cursor={cursor}" if cursor else ""))
            # The items, not the cursor: PostgreSQL's pk sequence has gaps a rebuild closes.
            pages.append(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        seen[f"pages {sort}"] = pages
    everything = get("/v1/records?limit=500")["items"]
    seen["records"] = everything
    for q in ("budget", "vinter", "Håller", "växeln"):
        seen[f"q={q}"] = get(f"/v1/records?q={q}")
    for record in everything:
        rid = record["id"]
        seen[rid] = get(f"/v1/records/{rid}")
        versions = get(f"/v1/records/{rid}/versions")
        seen[f"{rid} versions"] = versions
        for v in versions["items"]:
            answer = client.get(f"/v1/records/{rid}/versions/{v['version']}", headers=headers)
            seen[f"{rid} v{v['version']}"] = (answer.data, answer.headers["X-Offentlig-SHA256"])
    seen["changes"] = get("/v1/changes?limit=1000")
    seen["changes in pages"] = [get(f"/v1/changes?after={n}&limit=2") for n in range(0, 30, 2)]
    seen["stats"] = get("/v1/stats?days=60")
    seen["stats lund"] = get("/v1/stats?site=" + everything[0]["site_id"])
    return seen


def index_counts(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows per table, the audit trail's once its buffer is written."""
    app.extensions["offentlig"].audit.flush()
    with app.extensions["offentlig"].engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in (
                ("records", t.records),
                ("versions", t.record_versions),
                ("events", t.record_events),
                ("audit", t.audit_log),
            )
        }


def empty_the_index(app) -> None:  # type: ignore[no-untyped-def]
    with app.extensions["offentlig"].engine.begin() as conn:
        for table in t.CACHE_TABLES:
            conn.execute(delete(table))
        for table in t.CACHE_TABLES:
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0


def reindex(cli) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = cli("reindex", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_reindex_of_an_emptied_index_gives_identical_answers(app, client, token, cli, archive):
    headers = token("records:read", "records:read-personal")
    before = answers(client, headers)
    assert len(before["records"]) == 8
    counts = index_counts(app)

    empty_the_index(app)
    assert client.get("/v1/records", headers=headers).json["items"] == []
    report = reindex(cli)
    after = answers(client, headers)

    retention = ("retention-rules", "holds", "culling-runs", "culling-log")
    registers = {
        "sites": 2,
        "tokens": 1,
        "channels": 2,
        **dict.fromkeys(retention, 0),
        "exports": 0,
        "review": 0,
        "registration": 0,
    }
    assert report == {**counts, "registers": registers, "snapshots": 0, "corrupt": []}
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key


def test_reindex_repairs_an_index_that_drifted(app, client, reader, cli, archive):
    before = answers(client, reader)
    with app.extensions["offentlig"].engine.begin() as conn:
        conn.execute(update(t.records).values(title="fel", status="fel", latest_version=99))
        conn.execute(delete(t.record_versions).where(t.record_versions.c.version > 1))
        conn.execute(delete(t.record_events))
        conn.execute(delete(t.changes).where(t.changes.c.seq % 2 == 0))

    reindex(cli)

    after = answers(client, reader)
    for key in before:
        assert after[key] == before[key], key


def test_reindex_twice_changes_nothing(client, reader, cli, archive):
    first = reindex(cli)
    before = answers(client, reader)

    assert reindex(cli) == first
    assert answers(client, reader) == before


def test_redelivery_after_reindex_is_still_recognised(site, cli, archive):
    """Deliveries are rebuilt too: a retry after a reindex does not make a new version."""
    reindex(cli)

    again = site.sender.send(
        "post.updated",
        post_data(12, title="Budget 2027 (rättad igen)", published_at="2026-11-20T08:00:00Z"),
    )

    assert again.status_code == 200
    assert again.json["version"] == 3


def test_a_corrupted_object_fails_the_reindex_naming_its_key(app, client, reader, cli, archive):
    storage = app.extensions["offentlig"].storage
    keys = [k for k in storage.list("sites/") if "/versions/" in k]
    victim = keys[len(keys) // 2]
    document = json.loads(storage.get(victim))
    document["title"] = "Något annat"
    storage.put(victim, json.dumps(document).encode())
    unparsable = keys[0]
    storage.put(unparsable, b"{not json")

    result = cli("reindex", "--json")

    assert result.exit_code != 0
    assert victim in result.stderr
    assert unparsable in result.stderr
    assert set(json.loads(result.stdout)["corrupt"]) == {victim, unparsable}
    assert "Traceback" not in result.output


def empty_the_database(app) -> None:  # type: ignore[no-untyped-def]
    """What losing the database leaves: the schema, and no rows at all."""
    with app.extensions["offentlig"].engine.begin() as conn:
        for table in reversed(t.metadata.sorted_tables):
            conn.execute(delete(table))


def test_a_lost_database_comes_back_from_storage_alone(app, client, token, cli, site, archive):
    admin = token("admin")
    headers = token("records:read", "records:read-personal")
    revoked = client.post(
        "/v1/tokens", json={"name": "gammal", "scopes": ["records:read"]}, headers=admin
    ).json
    assert client.delete(f"/v1/tokens/{revoked['id']}", headers=admin).status_code == 204
    sites_before = client.get("/v1/sites", headers=admin).json
    tokens_before = client.get("/v1/tokens", headers=admin).json
    before = answers(client, headers)

    empty_the_database(app)
    app.extensions["offentlig"].sites._recent.clear()
    assert client.get("/v1/records", headers=headers).status_code == 401
    reindex(cli)

    assert client.get("/v1/sites", headers=admin).json == sites_before
    assert client.get("/v1/tokens", headers=admin).json == tokens_before
    assert answers(client, headers) == before
    revoked_auth = {"Authorization": f"Bearer {revoked['token']}"}
    assert client.get("/v1/records", headers=revoked_auth).status_code == 401
    # The plugin keeps its webhook secret: the site still takes its deliveries.
    assert site.sender.send("post.published", post_data(77)).status_code == 201


def test_register_revisions_are_a_hash_chain_in_storage(app, client, token):
    admin = token("admin")
    made = client.post("/v1/tokens", json={"name": "kedja", "scopes": ["admin"]}, headers=admin)
    client.delete(f"/v1/tokens/{made.json['id']}", headers=admin)
    storage = app.extensions["offentlig"].storage

    keys = list(storage.list(f"authority/tokens/{made.json['id']}/"))
    first, second = (json.loads(storage.get(key)) for key in keys)

    assert [first["revision"], second["revision"]] == [1, 2]
    assert second["previous_sha256"] == first["sha256"]
    assert first["revoked_at"] is None and second["revoked_at"] is not None
    assert second["recorded_by"]["kind"] == "token"
    assert "token" not in first and len(first["token_sha256"]) == 64


# --- registers about records: reviews and registrations -------------------------------------


@pytest.fixture
def reviewed(app, site, client, token, archive):  # type: ignore[no-untyped-def]
    """The archive, with secrecy reviews (pending, cleared and re-flagged, secret) and
    registrations (one changed since)."""
    from tests.support.review import PERSONNUMMER, SAMORDNINGSNUMMER, decide, register

    home = archive["home"]
    reviewer, diarium = token("records:review"), token("registry:write")
    site.sender.send("comment.received", comment_data(200, post_id=12, content=PERSONNUMMER))
    site.sender.send("comment.received", comment_data(201, post_id=12, content="Min diagnos."))
    site.sender.send("comment.received", comment_data(202, post_id=12, content=SAMORDNINGSNUMMER))
    decide(client, reviewer, f"{home}.comment.201", "cleared", "Allmänt hållet.")
    site.sender.send(
        "comment.edited",
        comment_data(201, post_id=12, status="approved", content=f"Min diagnos, {PERSONNUMMER}."),
    )
    decide(client, reviewer, f"{home}.comment.202", "secret", "Samordningsnummer.")
    register(client, diarium, f"{home}.comment.202", case_number="KS 2026/245")
    register(client, diarium, f"{home}.post.12", case_number="KS 2026/1")
    register(client, diarium, f"{home}.post.12", case_number="KS 2026/2", case_title="Budget")
    return archive


def review_answers(client, headers) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """`answers`, and the review queue in every state."""
    seen = answers(client, headers)
    for state in ("pending", "cleared", "register", "secret"):
        answer = client.get(f"/v1/review?state={state}", headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        seen[f"review {state}"] = answer.json
    return seen


def test_reviews_and_registrations_survive_reindex(app, client, token, cli, reviewed):
    everything = token(
        "records:read", "records:read-personal", "records:read-secret", "records:review"
    )
    reader = token("records:read", "records:review")
    before, before_reader = review_answers(client, everything), review_answers(client, reader)
    assert [i["record"]["source_id"] for i in before["review pending"]["items"]] == [200, 201]
    assert len(before["review secret"]["items"]) == 1
    assert before_reader["review secret"]["items"] == []
    assert {"review.pending", "review.secret", "registration.updated"} <= {
        c["event_type"] for c in before["changes"]["items"]
    }

    empty_the_database(app)
    app.extensions["offentlig"].sites._recent.clear()
    report = reindex(cli)

    assert report["registers"]["review"] == 3
    assert report["registers"]["registration"] == 2
    assert review_answers(client, everything) == before
    assert review_answers(client, reader) == before_reader


def test_reindex_repairs_drifted_reviews_and_registrations(app, client, token, cli, reviewed):
    everything = token("records:read", "records:read-secret", "records:review")
    before = review_answers(client, everything)
    with app.extensions["offentlig"].engine.begin() as conn:
        conn.execute(update(t.records).values(review=None, secret=False, case_number=None))
        conn.execute(delete(t.reviews))
        conn.execute(update(t.registrations).values(case_number="fel"))

    reindex(cli)

    assert review_answers(client, everything) == before


# --- snapshots -----------------------------------------------------------------------------


def test_reindex_rebuilds_snapshots_from_their_manifests(app, client, site, token, cli):
    from service.snapshots.index import snapshot_prefix
    from tests.support.snapshots import small_site, stored_snapshot

    svc = app.extensions["offentlig"]
    reader = token("records:read")
    with small_site() as website:
        for snapshot_id in ("snapshot-1", "snapshot-2"):
            stored_snapshot(svc, site.id, f"{website.url}/", snapshot_id)
    before = client.get(f"/v1/sites/{site.id}/snapshots", headers=reader).json
    half_done = snapshot_prefix(site.id, "crashed")  # a WARC without a manifest: not listed
    svc.storage.put(f"{half_done}snapshot.warc.gz", b"half", content_type="application/warc")

    empty_the_database(app)
    svc.sites._recent.clear()
    report = reindex(cli)

    assert report["snapshots"] == 2
    assert client.get(f"/v1/sites/{site.id}/snapshots", headers=reader).json == before
    assert [item["id"] for item in before["items"]] == ["snapshot-2", "snapshot-1"]


def test_a_corrupted_snapshot_manifest_fails_the_reindex_naming_it(app, site, cli):
    from service.snapshots.index import snapshot_prefix
    from tests.support.snapshots import small_site, stored_snapshot

    svc = app.extensions["offentlig"]
    with small_site() as website:
        stored_snapshot(svc, site.id, f"{website.url}/", "snapshot-1")
    key = f"{snapshot_prefix(site.id, 'snapshot-1')}manifest.json"
    document = json.loads(svc.storage.get(key))
    document["counts"]["pages"] += 1
    svc.storage.put(key, json.dumps(document).encode())

    result = cli("reindex", "--json")

    assert result.exit_code != 0
    assert json.loads(result.stdout)["corrupt"] == [key]
    assert json.loads(result.stdout)["snapshots"] == 0


def test_reindex_rebuilds_the_search_structures(app, client, reader, cli, archive):
    """Whatever happened to the full-text structures, reindex makes them from storage."""
    found = client.get("/v1/records?q=kommunen", headers=reader).json["items"]
    engine = app.extensions["offentlig"].engine
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("INSERT INTO records_fts(records_fts) VALUES ('delete-all')")
        else:
            conn.exec_driver_sql("UPDATE records SET search_vector = NULL")
    assert client.get("/v1/records?q=kommunen", headers=reader).json["items"] == []

    reindex(cli)

    again = client.get("/v1/records?q=kommunen", headers=reader).json["items"]
    assert found and [i["id"] for i in again] == [i["id"] for i in found]
