"""The read and admin API: odd paths and bodies get a 4xx in the one error shape, never a 500."""

from __future__ import annotations

import pytest

from tests.factories import post_data


@pytest.fixture
def admin(token):  # type: ignore[no-untyped-def]
    return token("records:read", "records:read-personal", "admin")


def test_odd_paths_are_404(site, client, admin, subtests):
    site.sender.send("post.published", post_data(1))
    record = f"/v1/records/{site.id}.post.1"
    for method, path in [
        ("GET", f"{record}/versions/0"),
        ("GET", f"{record}/versions/-1"),
        ("GET", f"{record}/versions/2"),
        ("GET", f"{record}/versions/2147483648"),  # beyond the index's INTEGER
        ("GET", f"{record}/versions/99999999999999999999"),
        ("GET", f"{record}/versions/99999999999999999999/personal-data"),
        ("GET", f"{record}/versions/1/personal-data"),  # a post has none
        ("GET", f"{record}/versions/x"),
        ("GET", "/v1/records/a%00b"),
        ("GET", "/v1/records/a%00b/versions"),
        ("GET", f"/v1/records/{site.id}.post.1%00"),
        ("GET", "/v1/records/" + "x" * 5000),
        ("GET", f"/v1/records/{site.id}.post.2"),
        ("DELETE", "/v1/tokens/a%00b"),
        ("DELETE", "/v1/tokens/nosuchtoken"),
    ]:
        with subtests.test(f"{method} {path[:70]}"):
            answer = client.open(path, method=method, headers=admin)

            assert answer.status_code == 404, answer.get_data(as_text=True)
            body = answer.get_json()
            assert set(body) <= {"code", "status", "message", "errors"}
            assert body["code"] == 404


def test_odd_admin_bodies_are_422(app, client, admin, subtests):
    for path, body, field in [
        ("/v1/sites", {"name": "a\x00b", "url": "https://x.se"}, "name"),
        ("/v1/sites", {"name": "a", "url": "https://x.se/\x00"}, "url"),
        ("/v1/sites", {"name": "a", "url": "https://x.se/" + "a" * 2000}, "url"),
        ("/v1/sites", {"name": "a" * 301, "url": "https://x.se"}, "name"),
        ("/v1/sites", {"name": "", "url": "https://x.se"}, "name"),
        ("/v1/sites", {"name": "a", "url": "javascript:alert(1)"}, "url"),
        ("/v1/sites", {"name": 5, "url": ["https://x.se"]}, "url"),
        ("/v1/tokens", {"name": "a", "scopes": ["admin"], "site_id": "\x00"}, "site_id"),
        ("/v1/tokens", {"name": "a", "scopes": []}, "scopes"),
        ("/v1/tokens", {"name": "a", "scopes": "admin"}, "scopes"),
        ("/v1/tokens", {"name": "a" * 201, "scopes": ["admin"]}, "name"),
        ("/v1/tokens", {"name": "a", "scopes": ["admin"], "site_id": "nosuchsite"}, "site_id"),
    ]:
        with subtests.test(f"{path} {str(body)[:50]}"):
            answer = client.post(path, json=body, headers=admin)

            assert answer.status_code == 422, answer.get_data(as_text=True)
            errors = answer.get_json()["errors"]
            assert field in errors.get("json", errors), errors
    assert app.extensions["offentlig"].sites.all() == []


def test_admin_body_that_is_not_json(client, admin, subtests):
    for body in (b"{bad", b"[]", b"null", b'"x"'):
        with subtests.test(body.decode()):
            answer = client.post(
                "/v1/sites", data=body, headers={**admin, "content-type": "application/json"}
            )

            assert answer.status_code in (400, 422), answer.get_data(as_text=True)
            assert answer.get_json()["code"] == answer.status_code


def test_sites_and_tokens_over_http(client, admin):
    created = client.post(
        "/v1/sites", json={"name": "Lunds kommun", "url": "https://lund.se"}, headers=admin
    )
    token = client.post(
        "/v1/tokens",
        json={"name": "lund", "scopes": ["records:read"], "site_id": created.json["id"]},
        headers=admin,
    )

    assert created.status_code == 201 and created.json["secret"].startswith("whsec_")
    assert token.status_code == 201 and token.json["token"].startswith("oft_")
    sites = client.get("/v1/sites", headers=admin).json
    tokens = client.get("/v1/tokens", headers=admin).json
    assert "Lunds kommun" in [s["name"] for s in sites]
    assert all("secret" not in s for s in sites)
    assert all("token" not in t and "token_sha256" not in t for t in tokens)
    assert {"lund": created.json["id"]}.items() <= {t["name"]: t["site_id"] for t in tokens}.items()
