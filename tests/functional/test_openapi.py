"""/openapi.json describes every /v1 operation correctly; /docs works offline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

# The document does not depend on where records are kept.
pytestmark = pytest.mark.parametrize("backend", ["fs-sqlite"], indirect=True)

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture
def spec(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    return answer.json  # type: ignore[no-any-return]


def openapi_path(rule: str) -> str:
    """/v1/records/<record_id>/versions/<int:number> → /v1/records/{record_id}/versions/{number}"""
    return re.sub(r"<(?:[^:>]+:)?([a-z_]+)>", r"{\1}", rule)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_document_is_openapi_3(spec):
    assert re.fullmatch(r"3\.0\.\d+|3\.1\.\d+", spec["openapi"])
    assert spec["info"]["title"] == "Offentlig"
    assert spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and spec["paths"]
    assert all(path.startswith("/") for path in spec["paths"])


def test_every_reference_resolves(spec):
    found = refs(spec)

    assert found
    for ref in found:
        resolve(spec, ref)


def test_operations_are_well_formed(spec):
    ids = []
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        assert operation["responses"], where
        for status, response in operation["responses"].items():
            assert status == "default" or re.fullmatch(r"[1-5]\d\d", status), where
            assert "description" in response or "$ref" in response, where
        ids.append(operation.get("operationId"))
        declared = {
            p["name"]
            for p in operation.get("parameters", []) + spec["paths"][path].get("parameters", [])
            if p["in"] == "path"
        }
        assert declared == set(re.findall(r"{([a-z_]+)}", path)), where
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in ("query", "header", "path", "cookie"), where
            assert "schema" in parameter, where
    named = [i for i in ids if i]
    assert len(named) == len(set(named)), "operationIds must be unique"


def test_every_v1_and_public_route_is_documented_with_its_methods(app, spec):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/v1/", "/public/")):
            continue
        path = openapi_path(rule.rule)
        assert path in spec["paths"], path
        methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
        assert methods <= set(spec["paths"][path]), (path, methods)


def test_the_webhook_operation(spec):
    [(path, method, operation)] = [
        (p, m, o) for p, m, o in operations(spec) if o.get("operationId") == "receiveEvent"
    ]

    assert (path, method) == ("/v1/sites/{site_id}/events", "post")
    assert operation["security"] == [{"webhookSignature": []}]
    body = operation["requestBody"]
    assert body["required"] is True
    schema = body["content"]["application/json"]["schema"]
    event = resolve(spec, schema["$ref"]) if "$ref" in schema else schema
    assert {"type", "timestamp", "data"} <= set(event["properties"])
    assert set(event["required"]) >= {"type", "timestamp", "data"}
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert {"200", "201", "401", "404", "413", "422", "503"} <= set(operation["responses"])
    for name in ("PostData", "CommentData"):
        assert {"id", "content", "status", "author"} <= set(
            spec["components"]["schemas"][name]["properties"]
        )
    scheme = spec["components"]["securitySchemes"]["webhookSignature"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == (
        "apiKey",
        "header",
        "webhook-signature",
    )


# The log's checkpoints, consistency proofs and key reveal only hashes.
PUBLIC_LOG = {"/v1/log/checkpoint", "/v1/log/consistency", "/v1/log/public-key"}


def test_protected_operations_need_a_bearer_token_with_their_scope(spec):
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    scopes = {
        "records:read",
        "records:read-personal",
        "records:review",
        "registry:write",
        "snapshots:request",
        "admin",
    }
    for path, method, operation in operations(spec):
        if operation.get("operationId") == "receiveEvent":
            continue
        where = f"{method.upper()} {path}"
        if path.startswith("/public/") or path in PUBLIC_LOG:
            assert operation["security"] == [], f"{where} is for anyone"
            continue
        assert path.startswith("/v1/"), where
        assert operation["security"], where  # alternatives: any one of them will do
        for requirement in operation["security"]:
            assert list(requirement) == ["bearer"], where
            assert len(requirement["bearer"]) == 1 and requirement["bearer"][0] in scopes, where
    by_path = {(p, m): (o["security"] or [{}])[0].get("bearer") for p, m, o in operations(spec)}
    assert by_path[("/v1/records", "get")] == ["records:read"]
    assert by_path[("/v1/records/{record_id}/versions/{number}/personal-data", "get")] == [
        "records:read-personal"
    ]
    assert by_path[("/v1/tokens", "post")] == ["admin"]
    assert by_path[("/public/channels", "get")] is None
    assert by_path[("/v1/review", "get")] == ["records:review"]
    assert by_path[("/v1/records/{record_id}/review", "post")] == ["records:review"]
    assert by_path[("/v1/records/{record_id}/registration", "put")] == ["registry:write"]
    request_snapshot = spec["paths"]["/v1/sites/{site_id}/snapshots"]["post"]["security"]
    assert request_snapshot == [{"bearer": ["snapshots:request"]}, {"bearer": ["admin"]}]


def test_error_shape_is_documented(spec):
    error = spec["components"]["schemas"]["Error"]

    assert {"code", "status", "message", "errors"} <= set(error["properties"])


def test_search_arguments_are_documented(spec):
    parameters = {p["name"] for p in spec["paths"]["/v1/records"]["get"]["parameters"]}

    assert {
        "q", "site", "kind", "origin", "status", "author", "parent", "published_after",
        "published_before", "captured_after", "captured_before", "sort", "limit", "cursor",
    } <= parameters  # fmt: skip


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline.append(data)


def test_docs_work_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    parser = _Assets()
    parser.feed(page.get_data(as_text=True))

    assert any(u.endswith(".js") for u in parser.urls)
    assert any(u.endswith(".css") for u in parser.urls)
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not served here"
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            assert len(asset.data) > 1000, url
    script = "".join(parser.inline)
    assert "/openapi.json" in script
    assert not re.search(r"https?://", script)


def test_backfills_and_reconciliations_are_jobs(spec):
    paths = spec["paths"]
    for path in ("/v1/sites/{site_id}/backfills", "/v1/sites/{site_id}/reconciliations"):
        post = paths[path]["post"]
        assert {"202", "404", "409"} <= set(post["responses"]), path
        assert "201" not in post["responses"], path
        assert post["security"] == [{"bearer": ["admin"]}], path
    for path in (
        "/v1/sites/{site_id}/backfills/{job_id}",
        "/v1/sites/{site_id}/reconciliations/{job_id}",
    ):
        assert paths[path]["get"]["security"] == [
            {"bearer": ["records:read"]},
            {"bearer": ["admin"]},
        ], path
    state = spec["components"]["schemas"]["BackfillState"]["properties"]
    assert {"state", "progress", "report", "error"} <= set(state)
    schedule = paths["/v1/sites/{site_id}/reconcile-schedule"]["put"]
    assert schedule["security"] == [{"bearer": ["admin"]}]
