"""The channel register (DOMAIN rule 7): every channel, active and closed, kept for ever and
listed for anyone at /public/channels."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy import delete, select

from service.index import tables as t
from tests.factories import TEST_ACTOR, post_data

FACEBOOK = {
    "platform": "facebook",
    "name": "Kommunen på Facebook",
    "url": "https://www.facebook.com/kommunen",
    "purpose": "Nyheter och dialog med invånarna",
    "responsible_unit": "Kommunikationsenheten",
    "contact": "kommunikation@example.se",
    "started_on": "2015-03-01",
    "capture": "manual screenshots",
    "rule_ids": ["gallra-kommentarer"],
}


@pytest.fixture
def admin(token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return token("admin")  # type: ignore[no-any-return]


def add(client, admin, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.post("/v1/channels", json={**FACEBOOK, **fields}, headers=admin)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.json  # type: ignore[no-any-return]


def named(answer) -> set[str]:  # type: ignore[no-untyped-def]
    """The fields a 422 names: body fields under `json`, checks across fields at the top."""
    errors = answer.json["errors"]
    return set(errors) | set(errors.get("json", {}))


def audit_actions(app, subject: str) -> list[str]:  # type: ignore[no-untyped-def]
    with app.extensions["offentlig"].engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_log.c.action)
            .where(t.audit_log.c.subject == subject)
            .order_by(t.audit_log.c.id)
        )
        return [row.action for row in rows]


def test_every_registered_site_is_a_channel(app, client, cli, admin, reader):
    over_http = client.post(
        "/v1/sites", json={"name": "Lunds kommun", "url": "https://lund.se"}, headers=admin
    ).json
    at_the_cli = json.loads(
        cli("sites", "add", "--name", "Malmö stad", "--url", "https://malmo.se", "--json").stdout
    )
    # A site from before the register: stored without its channel.
    svc = app.extensions["offentlig"]
    svc.sites.on_added, hook = None, svc.sites.on_added
    older, _ = svc.sites.add("Ystads kommun", "https://ystad.se", actor=TEST_ACTOR)
    svc.sites.on_added = hook

    caught_up = cli("channels", "add-missing-sites", "--json")
    again = cli("channels", "add-missing-sites", "--json")
    listed = client.get("/v1/channels", headers=reader).json
    by_site = {c["site_id"]: c for c in listed}

    assert [c["site_id"] for c in json.loads(caught_up.stdout)] == [older["id"]]
    assert json.loads(again.stdout) == []
    assert set(by_site) == {over_http["id"], at_the_cli["id"], older["id"]}
    lund = by_site[over_http["id"]]
    assert lund == {
        "id": over_http["id"],
        "revision": 1,
        "platform": "wordpress",
        "name": "Lunds kommun",
        "url": "https://lund.se",
        "purpose": "",
        "responsible_unit": "",
        "contact": "",
        "started_on": "2026-11-28",
        "closed_on": None,
        "status": "active",
        "capture": "Offentlig (webhooks)",
        "rule_ids": [],
        "site_id": over_http["id"],
    }
    assert by_site[at_the_cli["id"]]["name"] == "Malmö stad"
    assert audit_actions(app, over_http["id"]) == ["channel.created"]


def test_an_admin_fills_in_a_sites_channel_but_it_stays_wordpress(client, site, admin):
    filled = client.patch(
        f"/v1/channels/{site.id}",
        json={"purpose": "Kommunens webbplats", "responsible_unit": "Webbredaktionen"},
        headers=admin,
    )
    moved = client.patch(f"/v1/channels/{site.id}", json={"platform": "x"}, headers=admin)

    assert filled.status_code == 200
    assert (filled.json["revision"], filled.json["purpose"]) == (2, "Kommunens webbplats")
    assert filled.json["site_id"] == site.id
    assert moved.status_code == 422
    assert "platform" in named(moved)


def test_closing_a_channel_keeps_it_and_its_records(app, client, site, admin, reader):
    site.sender.send("post.published", post_data(1))
    closed = client.post(
        f"/v1/channels/{site.id}/close",
        json={"closed_on": "2026-11-28", "note": "Webbplatsen ersätts"},
        headers=admin,
    )
    again = client.post(f"/v1/channels/{site.id}/close", json={}, headers=admin)

    detail = client.get(f"/v1/channels/{site.id}", headers=reader).json
    listed = client.get("/v1/channels?status=closed", headers=reader).json
    record = client.get(f"/v1/records/{site.id}.post.1", headers=reader)
    page = client.get("/public/channels?lang=sv").get_data(as_text=True)

    assert closed.status_code == 200, closed.get_data(as_text=True)
    assert (closed.json["status"], closed.json["closed_on"]) == ("closed", "2026-11-28")
    assert again.status_code == 409
    assert [c["id"] for c in listed] == [site.id]
    assert [r["status"] for r in detail["revisions"]] == ["active", "closed"]
    assert detail["revisions"][1]["note"] == "Webbplatsen ersätts"
    assert detail["revisions"][1]["previous_sha256"] == detail["revisions"][0]["sha256"]
    assert detail["revisions"][1]["recorded_by"] == {"kind": "token", "name": "test"}
    assert record.status_code == 200
    assert 'Stängd <time datetime="2026-11-28">2026-11-28</time>' in page
    assert audit_actions(app, site.id) == ["channel.created", "channel.closed"]
    # Still taking the site's deliveries: closing a channel is a fact about it, not a cull.
    assert site.sender.send("post.published", post_data(2)).status_code == 201


def test_channels_are_never_deleted(app, client, admin, reader):
    channel = add(client, admin)

    deleted = client.delete(f"/v1/channels/{channel['id']}", headers=admin)
    spec = client.get("/openapi.json").json["paths"]["/v1/channels/{channel_id}"]

    assert deleted.status_code == 405
    assert deleted.json["code"] == 405
    assert "delete" not in spec
    assert client.get(f"/v1/channels/{channel['id']}", headers=reader).status_code == 200
    keys = list(app.extensions["offentlig"].storage.list(f"authority/channels/{channel['id']}/"))
    assert len(keys) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://example.se/kanal"}, "url"),
        ({"url": "inte en adress"}, "url"),
        ({"platform": "myspace"}, "platform"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"started_on": "2020-02-30"}, "started_on"),
        ({"closed_on": "2014-01-01"}, "closed_on"),  # before started_on
        ({"closed_on": "2027-01-01"}, "closed_on"),  # not yet
        ({"rule_ids": ["två ord"]}, "rule_ids"),
        ({"contact": "x" * 301}, "contact"),
        ({"name": "nul\x00"}, "name"),
    ],
)
def test_invalid_channels_are_refused_naming_the_field(app, client, admin, change, field):
    created = client.post("/v1/channels", json={**FACEBOOK, **change}, headers=admin)
    channel = add(client, admin)
    changed = client.patch(f"/v1/channels/{channel['id']}", json=change, headers=admin)

    assert created.status_code == 422, created.get_data(as_text=True)
    assert field in named(created)
    assert changed.status_code == 422, changed.get_data(as_text=True)
    assert field in named(changed)
    assert list(app.extensions["offentlig"].storage.list("authority/channels/")) == [
        f"authority/channels/{channel['id']}/0000000001.json"
    ]


def test_a_change_based_on_a_stale_revision_is_409(app, client, admin, reader):
    channel = add(client, admin)
    first = client.patch(
        f"/v1/channels/{channel['id']}", json={"revision": 1, "contact": "a@example.se"},
        headers=admin,
    )  # fmt: skip
    stale = client.patch(
        f"/v1/channels/{channel['id']}", json={"revision": 1, "contact": "b@example.se"},
        headers=admin,
    )  # fmt: skip
    unchanged = client.patch(
        f"/v1/channels/{channel['id']}", json={"contact": "a@example.se"}, headers=admin
    )
    detail = client.get(f"/v1/channels/{channel['id']}", headers=reader).json

    assert first.status_code == 200 and first.json["revision"] == 2
    assert stale.status_code == 409
    assert unchanged.status_code == 200 and unchanged.json["revision"] == 2
    assert [r["contact"] for r in detail["revisions"]] == [FACEBOOK["contact"], "a@example.se"]
    assert audit_actions(app, channel["id"]) == ["channel.created", "channel.changed"]


def test_unknown_channels_are_404(client, admin, reader):
    for path in ("/v1/channels/nosuch", "/v1/channels/..%2F..%2Fsites"):
        assert client.get(path, headers=reader).status_code == 404, path
    assert client.patch("/v1/channels/nosuch", json={}, headers=admin).status_code == 404
    assert client.post("/v1/channels/nosuch/close", json={}, headers=admin).status_code == 404


# --- the public page -------------------------------------------------------------------------


def test_public_page_in_swedish_and_english(app, client, site, admin):
    add(client, admin)
    app.config["AUTHORITY_NAME"] = "Staffanstorps kommun"

    default = client.get("/public/channels")
    swedish = client.get("/public/channels", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    english = client.get("/public/channels", headers={"Accept-Language": "en-GB,en;q=0.8"})
    asked = client.get("/public/channels?lang=en", headers={"Accept-Language": "sv"})
    unknown = client.get("/public/channels?lang=de", headers={"Accept-Language": "de, en;q=0.5"})

    for answer in (default, swedish):
        html = answer.get_data(as_text=True)
        assert '<html lang="sv">' in html
        assert "<title>Staffanstorps kommun: förteckning över sociala medier</title>" in html
        assert "<caption>Kanaler, aktiva och stängda</caption>" in html
        assert '<a href="?lang=en" hreflang="en" lang="en">In English</a>' in html
        assert answer.headers["Content-Language"] == "sv"
    for answer in (english, asked, unknown):
        html = answer.get_data(as_text=True)
        assert '<html lang="en">' in html
        assert "<h1>Staffanstorps kommun: register of social media channels</h1>" in html
        assert '<th scope="col">Responsible unit</th>' in html
        assert "På svenska" in html
    html = english.get_data(as_text=True)
    assert html.count('<tr id="channel-') == 2
    assert "<main>" in html and "</main>" in html
    assert '<time datetime="2015-03-01">2015-03-01</time>' in html
    assert '<a href="https://www.facebook.com/kommunen">Kommunen på Facebook</a>' in html
    assert 'href="channels.json"' in html and 'href="channels.csv"' in html
    assert english.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept-Language" in english.headers["Vary"]
    assert english.mimetype == "text/html"

    app.config["AUTHORITY_NAME"] = ""
    generic = client.get("/public/channels").get_data(as_text=True)
    assert "<h1>Förteckning över sociala medier</h1>" in generic


def test_public_page_needs_no_login_and_escapes_names(client, admin):
    add(
        client,
        admin,
        name='<script>alert("kanal")</script>',
        purpose="Tom & Jerry <b>",
    )

    answer = client.get("/public/channels")
    html = answer.get_data(as_text=True)

    assert answer.status_code == 200
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;kanal&#34;)&lt;/script&gt;" in html
    assert "Tom &amp; Jerry &lt;b&gt;" in html
    assert "http://" not in html.replace("https://example.se", "")  # nothing fetched elsewhere
    assert '<link rel="stylesheet"' not in html


def test_public_csv_and_json(client, site, admin):
    add(client, admin, name="Kommunen; på Facebook", purpose='Rad ett\n"rad två"')
    closed = add(client, admin, platform="instagram", name="Gamla Instagram", rule_ids=[])
    client.post(
        f"/v1/channels/{closed['id']}/close", json={"closed_on": "2020-01-01"}, headers=admin
    )

    as_json = client.get("/public/channels.json")
    as_csv = client.get("/public/channels.csv")

    assert as_json.headers["Cache-Control"] == "public, max-age=300"
    register = as_json.json
    assert register["authority"] == ""
    names = [c["name"] for c in register["channels"]]
    # Active ones by name, then the closed.
    assert names == ["Kommunen; på Facebook", "Staffanstorps kommun", "Gamla Instagram"]
    assert register["channels"][2]["closed_on"] == "2020-01-01"
    assert register["channels"][2]["status"] == "closed"
    assert all("capture" not in c and "rule_ids" not in c for c in register["channels"])

    assert as_csv.mimetype == "text/csv"
    assert as_csv.mimetype_params["charset"] == "utf-8"
    assert as_csv.headers["Content-Disposition"] == "inline; filename=kanaler.csv"
    assert as_csv.headers["Cache-Control"] == "public, max-age=300"
    data = as_csv.data
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.split(b"\r\n")[0] == (
        b"\xef\xbb\xbfid;platform;name;url;purpose;responsible_unit;contact;started_on;"
        b"closed_on;status"
    )
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [r["name"] for r in rows] == names
    assert rows[0]["purpose"] == 'Rad ett\n"rad två"'
    assert rows[2]["closed_on"] == "2020-01-01"
    assert [r["started_on"] for r in rows] == ["2015-03-01", "2026-11-28", "2015-03-01"]


# --- storage is the truth ----------------------------------------------------------------------


def test_channels_survive_reindex(app, client, site, cli, admin, reader):
    facebook = add(client, admin)
    closed = add(client, admin, platform="youtube", name="Kanalen")
    client.patch(f"/v1/channels/{facebook['id']}", json={"purpose": "Nytt syfte"}, headers=admin)
    client.post(f"/v1/channels/{closed['id']}/close", json={"note": "Slut"}, headers=admin)

    def answers() -> dict[str, Any]:
        listed = client.get("/v1/channels", headers=reader).json
        return {
            "list": listed,
            "details": [client.get(f"/v1/channels/{c['id']}", headers=reader).json for c in listed],
            "json": client.get("/public/channels.json").json,
            "csv": client.get("/public/channels.csv").data,
            "page": client.get("/public/channels?lang=en").data,
        }

    before = answers()
    with app.extensions["offentlig"].engine.begin() as conn:
        for table in reversed(t.metadata.sorted_tables):
            conn.execute(delete(table))
    assert client.get("/public/channels.json").json["channels"] == []

    result = cli("reindex", "--json")
    after = answers()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["registers"]["channels"] == 3
    assert len(before["list"]) == 3
    assert after == before


def test_channels_at_the_command_line(cli, client, reader):
    added = cli(
        "channels", "add", "--platform", "linkedin", "--name", "Kommunen på LinkedIn",
        "--url", "https://www.linkedin.com/company/kommunen", "--started-on", "2019-05-01",
        "--rule", "r1", "--json",
    )  # fmt: skip
    channel = json.loads(added.stdout)
    closed = cli("channels", "close", channel["id"], "--on", "2026-11-01", "--json")
    listed = cli("channels", "list", "--status", "closed", "--json")
    bad = cli("channels", "add", "--platform", "x", "--name", "X", "--url", "ftp://x")
    future = cli("channels", "close", channel["id"], "--on", "2099-01-01")

    assert added.exit_code == 0, added.output
    assert (channel["started_on"], channel["rule_ids"]) == ("2019-05-01", ["r1"])
    assert json.loads(closed.stdout)["closed_on"] == "2026-11-01"
    assert [c["id"] for c in json.loads(listed.stdout)] == [channel["id"]]
    assert client.get(f"/v1/channels/{channel['id']}", headers=reader).json["revision"] == 2
    assert bad.exit_code != 0 and "url" in bad.output and "Traceback" not in bad.output
    assert future.exit_code != 0 and "Traceback" not in future.output
