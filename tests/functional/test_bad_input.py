"""Whatever a client sends, the webhook answers with the right 4xx, one error shape, never a
500, and leaves storage and the index as they were."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from service.sites.registry import new_webhook_secret
from tests.factories import TEST_ACTOR, comment_data, event, post_data, signed_headers
from tests.support.state import state

LIMIT = 64 * 1024


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["MAX_EVENT_BYTES"] = LIMIT
    return app_config


# --- helpers ------------------------------------------------------------------------------


def sign_bytes(secret: str, body: bytes, webhook_id: str, timestamp: int) -> str:
    """A v1 signature over raw bytes (the factories' signer wants text)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def post(client: FlaskClient, site_id: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(f"/v1/sites/{site_id}/events", data=body, headers=headers)


def error(response: Any, status: int) -> dict[str, Any]:
    """Check the one error shape and return the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    assert set(body) <= {"code", "status", "message", "errors"}, body
    assert body["code"] == status
    assert body["status"] == HTTPStatus(status).phrase
    assert isinstance(body["message"], str) and body["message"]
    return body


def at(errors: dict[str, Any], path: str) -> Any:
    """errors["json"]["data"]["title"] as at(errors, "json.data.title")."""
    found: Any = errors
    for part in path.split("."):
        assert isinstance(found, dict) and part in found, f"{path} not in {errors}"
        found = found[part]
    return found


def body_of(event_type: str, data: dict[str, Any], **top: Any) -> bytes:
    document = event(event_type, data)
    document.update(top)
    return json.dumps(document).encode()


@pytest.fixture
def send(site, client):  # type: ignore[no-untyped-def]
    """send(body, **header_overrides): correctly signed unless a header is overridden."""

    def deliver(body: bytes, webhook_id: str = "msg_bad_input", **overrides: str) -> Any:
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(time.time())),
        }
        headers["webhook-signature"] = sign_bytes(
            site.secret, body, webhook_id, int(headers["webhook-timestamp"])
        )
        headers.update(overrides)
        return post(client, site.id, body, {k: v for k, v in headers.items() if v is not None})

    return deliver


# --- invalid payloads: 422, naming the field ---------------------------------------------


def _without(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in names}


def _author_without_name() -> dict[str, Any]:
    return post_data(1, author={"id": 3})


PAYLOADS: list[tuple[str, bytes, str]] = [
    ("id-as-string", body_of("post.published", post_data("1")), "json.data.id"),  # type: ignore[arg-type]
    ("id-as-float", body_of("post.published", post_data(1.5)), "json.data.id"),  # type: ignore[arg-type]
    ("id-as-bool", body_of("post.published", post_data(True)), "json.data.id"),
    ("id-zero", body_of("post.published", post_data(0)), "json.data.id"),
    ("id-negative", body_of("post.published", post_data(-4)), "json.data.id"),
    ("id-beyond-json-integers", body_of("post.published", post_data(2**53)), "json.data.id"),
    ("id-huge", body_of("post.published", post_data(10**30)), "json.data.id"),
    (
        "comment-post-id-huge",
        body_of("comment.received", comment_data(10, post_id=10**30)),
        "json.data.post_id",
    ),
    (
        "author-id-huge",
        body_of("post.published", post_data(1, author={"id": 10**30, "name": "A"})),
        "json.data.author.id",
    ),
    ("parent-huge", body_of("post.published", post_data(1, parent=10**30)), "json.data.parent"),
    (
        "timestamp-garbage",
        body_of("post.published", post_data(1), timestamp="igår"),
        "json.timestamp",
    ),
    (
        "timestamp-naive",
        body_of("post.published", post_data(1), timestamp="2026-11-28T09:30:00"),
        "json.timestamp",
    ),
    (
        "timestamp-out-of-range-in-utc",
        body_of("post.published", post_data(1), timestamp="0001-01-01T00:00:00+01:00"),
        "json.timestamp",
    ),
    (
        "timestamp-number",
        body_of("post.published", post_data(1), timestamp=1795860000),
        "json.timestamp",
    ),
    (
        "published-at-out-of-range-in-utc",
        body_of("post.published", post_data(1, published_at="9999-12-31T23:59:59-01:00")),
        "json.data.published_at",
    ),
    (
        "comment-date-garbage",
        body_of("comment.received", comment_data(10, date="28 november")),
        "json.data.date",
    ),
    (
        "missing-title",
        body_of("post.published", _without(post_data(1), "title")),
        "json.data.title",
    ),
    (
        "missing-content",
        body_of("page.updated", _without(post_data(1), "content")),
        "json.data.content",
    ),
    (
        "missing-author-name",
        body_of("post.published", _author_without_name()),
        "json.data.author.name",
    ),
    (
        "author-as-string",
        body_of("post.published", post_data(1, author="Anna")),
        "json.data.author",
    ),
    (
        "missing-comment-post-id",
        body_of("comment.received", _without(comment_data(10), "post_id")),
        "json.data.post_id",
    ),
    (
        "comment-on-an-attachment",
        body_of("comment.received", comment_data(10, post_type="attachment")),
        "json.data.post_type",
    ),
    ("title-not-a-string", body_of("post.published", post_data(1, title=["a"])), "json.data.title"),
    (
        "title-with-nul",
        body_of("post.published", post_data(1, title="a\u0000b")),
        "json.data.title",
    ),
    (
        "content-with-lone-surrogate",
        body_of("post.published", post_data(1, content="<p>\ud800</p>")),
        "json.data.content",
    ),
    (
        "term-with-nul",
        body_of("post.published", post_data(1, terms={"category": ["Trafik\u0000"]})),
        "json.data.terms",
    ),
    (
        "commenter-email-with-nul",
        body_of("comment.received", comment_data(10, author_email="a\u0000@example.se")),
        "json.data.author_email",
    ),
    (
        "permalink-not-a-url",
        body_of("post.published", post_data(1, permalink="snö")),
        "json.data.permalink",
    ),
    (
        "terms-not-lists",
        body_of("post.published", post_data(1, terms={"category": "Trafik"})),
        "json.data.terms",
    ),
    ("status-empty", body_of("post.published", post_data(1, status="")), "json.data.status"),
    ("unknown-event-type", body_of("post.exploded", post_data(1)), "json.type"),
    ("unknown-kind", body_of("attachment.published", post_data(1)), "json.type"),
    ("comment-action-on-a-post", body_of("post.approved", post_data(1)), "json.type"),
    ("type-not-a-string", body_of("post.published", post_data(1), type=5), "json.type"),
    (
        "missing-type",
        json.dumps({"timestamp": "2026-11-28T09:30:00Z", "data": {}}).encode(),
        "json.type",
    ),
    (
        "missing-data",
        json.dumps({"type": "post.published", "timestamp": "2026-11-28T09:30:00Z"}).encode(),
        "json.data",
    ),
    ("data-not-an-object", body_of("post.published", [post_data(1)]), "json.data"),  # type: ignore[arg-type]
    ("data-null", body_of("post.published", None), "json.data"),  # type: ignore[arg-type]
]


def test_invalid_payload_is_422_naming_the_field_and_writes_nothing(app, send, subtests):
    before = state(app)
    for name, body, path in PAYLOADS:
        with subtests.test(name):
            answer = error(send(body), 422)

            assert at(answer["errors"], path)
            assert state(app) == before


NOT_JSON_OBJECTS: dict[str, bytes] = dict(
    zip(
        [
            "truncated",
            "single-quotes",
            "empty",
            "blank",
            "empty-array",
            "array-of-events",
            "string",
            "number",
            "null",
            "true",
            "deeply-nested-arrays",
            "deeply-nested-objects",
        ],
        [
            b'{"type": "post.published",',
            b"{'type': 'post.published'}",
            b"",
            b" ",
            b"[]",
            b'[{"type": "post.published"}]',
            b'"post.published"',
            b"42",
            b"null",
            b"true",
            b"[" * 30_000 + b"]" * 30_000,
            b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        ],
        strict=True,
    )
)


def test_body_that_is_not_a_json_object_is_422(app, send, subtests):
    before = state(app)
    for name, body in NOT_JSON_OBJECTS.items():
        with subtests.test(name):
            answer = error(send(body), 422)

            assert "json" in answer["errors"]
            assert state(app) == before


NOT_UTF8_JSON = {
    "latin-1-byte": b'{"type": "post.published", "data": "\xff\xfe"}',
    "utf-8-bom": b"\xef\xbb\xbf{}",
    "utf-16": "{}".encode("utf-16"),
}


def test_body_that_is_not_utf8_json_is_422(app, send, subtests):
    before = state(app)
    for name, body in NOT_UTF8_JSON.items():
        with subtests.test(name):
            answer = error(send(body), 422)

            assert "json" in answer["errors"]
            assert state(app) == before


def test_webhook_id_outside_the_safe_alphabet_is_422(app, send, subtests):
    """Webhook ids become object keys (`…/events/{webhook-id}.json`)."""
    before = state(app)
    for webhook_id in ["../../etc/passwd", "msg/1", "msg 1", "msg:1", "x" * 129, "msg%2F1"]:
        with subtests.test(webhook_id[:20]):
            body = body_of("post.published", post_data(1))
            answer = error(send(body, webhook_id=webhook_id), 422)

            assert at(answer["errors"], "headers.webhook-id")
            assert state(app) == before


def test_the_longest_allowed_webhook_id_is_accepted(send):
    assert send(body_of("post.published", post_data(1)), webhook_id="m" * 128).status_code == 201


# --- size limit ---------------------------------------------------------------------------


def test_body_over_the_limit_is_413_json_and_writes_nothing(app, send):
    body = body_of("post.published", post_data(1, content="å" * LIMIT))
    before = state(app)

    answer = error(send(body), 413)

    assert state(app) == before
    assert answer["message"]


def test_body_exactly_at_the_limit_is_accepted(app, send):
    empty = body_of("post.published", post_data(1, content=""))
    body = body_of("post.published", post_data(1, content="x" * (LIMIT - len(empty))))
    assert len(body) == LIMIT

    assert send(body).status_code == 201


def test_chunked_body_over_the_limit_is_413_too(app, site):
    """Without Content-Length the server cannot refuse up front; it must not truncate either."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    body = body_of("post.published", post_data(1, content="x" * LIMIT))
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": "msg_chunked",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_bytes(site.secret, body, "msg_chunked", timestamp),
    }
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
    before = state(app)
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/v1/sites/{site.id}/events"
        answer = requests.post(url, data=chunks, headers=headers, timeout=30)
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()

    assert answer.request.headers["Transfer-Encoding"] == "chunked"
    assert answer.status_code == 413, answer.text
    assert answer.json()["code"] == 413
    assert state(app) == before


def test_limit_comes_from_max_event_bytes(app):
    assert app.config["MAX_CONTENT_LENGTH"] == LIMIT


# --- signatures: 401 ----------------------------------------------------------------------


SIGNATURE_CASES: dict[str, Any] = {
    "random-signature": lambda s, b, i, t: "v1," + base64.b64encode(b"\x01" * 32).decode(),
    "wrong-secret": lambda s, b, i, t: sign_bytes(new_webhook_secret(), b, i, t),
    "other-body": lambda s, b, i, t: sign_bytes(s, b + b" ", i, t),
    "other-webhook-id": lambda s, b, i, t: sign_bytes(s, b, i + "x", t),
    "other-timestamp": lambda s, b, i, t: sign_bytes(s, b, i, t - 1),
    "v1-without-comma": lambda s, b, i, t: "v1",
    "v1-comma-nothing": lambda s, b, i, t: "v1,",
    "not-base64": lambda s, b, i, t: "v1,!!!not*base64!!!",
    "bad-base64-padding": lambda s, b, i, t: "v1,abc",
    "unknown-version-only": lambda s, b, i, t: "v2" + sign_bytes(s, b, i, t)[2:],
    "too-many-commas": lambda s, b, i, t: sign_bytes(s, b, i, t) + ",x",
    "truncated-signature": lambda s, b, i, t: sign_bytes(s, b, i, t)[:-8],
    "empty": lambda s, b, i, t: "",
    "whitespace": lambda s, b, i, t: "   ",
}


def test_bad_signature_is_401_and_writes_nothing(app, site, send, subtests):
    body = body_of("post.published", post_data(1))
    before = state(app)
    for case, make in SIGNATURE_CASES.items():
        with subtests.test(case):
            timestamp = int(time.time())
            headers = {
                "webhook-signature": make(site.secret, body, "msg_sig", timestamp),
                "webhook-timestamp": str(timestamp),
            }
            error(send(body, webhook_id="msg_sig", **headers), 401)
            assert state(app) == before


def test_missing_header_is_401(app, site, client, subtests):
    body = body_of("post.published", post_data(1))
    before = state(app)
    for missing in ["webhook-id", "webhook-timestamp", "webhook-signature"]:
        with subtests.test(missing):
            headers = signed_headers(site.secret, body, "msg_missing")
            del headers[missing]

            error(post(client, site.id, body, headers), 401)
            assert state(app) == before


def test_timestamp_more_than_five_minutes_off_is_401(app, site, client, subtests):
    body = body_of("post.published", post_data(1))
    before = state(app)
    for name, age in {
        "6-min-old": timedelta(minutes=6),
        "a-day-old": timedelta(hours=24),
        "6-min-ahead": -timedelta(minutes=6),
        "a-year-ahead": -timedelta(days=365),
    }.items():
        with subtests.test(name):
            headers = signed_headers(site.secret, body, "msg_time", datetime.now(UTC) - age)

            error(post(client, site.id, body, headers), 401)
            assert state(app) == before


def test_timestamp_within_five_minutes_is_accepted(site, client):
    for n, age in enumerate([timedelta(minutes=4), -timedelta(minutes=4)]):
        body = body_of("post.published", post_data(n + 1))
        headers = signed_headers(site.secret, body, f"msg_t{n}", datetime.now(UTC) - age)

        assert post(client, site.id, body, headers).status_code == 201


def test_malformed_timestamp_header_is_401(app, send, subtests):
    body = body_of("post.published", post_data(1))
    before = state(app)
    for timestamp in ["yesterday", "", "1e400", "nan", "-1", "99999999999999999999", "0x10"]:
        with subtests.test(timestamp):
            error(send(body, **{"webhook-timestamp": timestamp}), 401)
            assert state(app) == before


def test_rotation_one_matching_signature_among_several_is_enough(site, send):
    body = body_of("post.published", post_data(1))
    timestamp = int(time.time())
    old = sign_bytes(new_webhook_secret(), body, "msg_rot", timestamp)
    new = sign_bytes(site.secret, body, "msg_rot", timestamp)

    answer = send(
        body,
        webhook_id="msg_rot",
        **{"webhook-timestamp": str(timestamp), "webhook-signature": f"{old} {new}"},
    )

    assert answer.status_code == 201


def test_header_names_are_case_insensitive(site, client):
    body = body_of("post.published", post_data(1))
    headers = {k.upper(): v for k, v in signed_headers(site.secret, body, "msg_case").items()}

    assert post(client, site.id, body, headers).status_code == 201


def test_signature_of_another_site_is_401(app, client, site):
    other, other_secret = app.extensions["offentlig"].sites.add(
        "Annan kommun", "https://a.se", actor=TEST_ACTOR
    )
    body = body_of("post.published", post_data(1))
    before = state(app)

    error(post(client, site.id, body, signed_headers(other_secret, body, "msg_x")), 401)

    assert state(app) == before


# --- replays ------------------------------------------------------------------------------


def test_replay_of_an_accepted_request_is_200_same_body_nothing_new(app, site, client):
    body = body_of("post.published", post_data(1))
    headers = signed_headers(site.secret, body, "msg_replayed")
    first = post(client, site.id, body, headers)
    after_first = state(app)

    replays = [post(client, site.id, body, headers) for _ in range(3)]

    assert first.status_code == 201
    assert [r.status_code for r in replays] == [200, 200, 200]
    assert all(r.get_json() == first.get_json() for r in replays)
    assert state(app) == after_first


def test_replay_of_a_status_event_answers_with_the_same_event(app, site):
    site.sender.send("post.published", post_data(1))
    trash = post_data(1, status="trash", previous_status="publish")
    first = site.sender.send("post.trashed", trash, webhook_id="msg_trash")
    after_first = state(app)

    again = site.sender.send("post.trashed", trash, webhook_id="msg_trash")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert first.get_json()["event_id"]
    assert state(app) == after_first


def test_same_webhook_id_with_other_content_is_the_first_delivery_again(app, site, client, reader):
    first = site.sender.send("post.published", post_data(1), webhook_id="msg_reused")
    after_first = state(app)

    again = site.sender.send(
        "post.updated", post_data(1, title="Något helt annat"), webhook_id="msg_reused"
    )

    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert state(app) == after_first
    assert client.get(f"/v1/records/{site.id}.post.1", headers=reader).json["title"] == (
        "Vinterns snöröjning"
    )


def test_webhook_ids_are_per_site(app, client, site):
    other, other_secret = app.extensions["offentlig"].sites.add(
        "Annan kommun", "https://a.se", actor=TEST_ACTOR
    )
    body = body_of("post.published", post_data(1))

    mine = post(client, site.id, body, signed_headers(site.secret, body, "msg_shared"))
    theirs = post(client, other["id"], body, signed_headers(other_secret, body, "msg_shared"))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert theirs.get_json()["record_id"] == f"{other['id']}.post.1"


# --- unknown sites and other routes -------------------------------------------------------


def test_unknown_site_is_404(app, client, site, subtests):
    body = body_of("post.published", post_data(1))
    headers = signed_headers(site.secret, body, "msg_unknown_site")
    before = state(app)
    for site_id in ["01jdxnotasite0000000000000", "x" * 300, "snö", "..", "%2e%2e", "0", " "]:
        with subtests.test(site_id[:20]):
            error(client.post(f"/v1/sites/{site_id}/events", data=body, headers=headers), 404)
            assert state(app) == before


def test_other_methods_on_the_ingest_are_405_json(client, site):
    for method in (client.get, client.put, client.delete, client.patch):
        error(method(f"/v1/sites/{site.id}/events"), 405)


def test_unknown_path_is_404_json(client):
    error(client.get("/v1/nothing-here"), 404)
    error(client.get("/nothing-here"), 404)


# --- never a 500 --------------------------------------------------------------------------

ODD_VALUES: list[Any] = [
    None,
    "",
    0,
    -1,
    1.5,
    True,
    2**63,
    [],
    {},
    "\u0000",
    "\udfff",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "https://",
    "å" * 3000,
]


@pytest.mark.parametrize(
    ("event_type", "factory"),
    [("post.published", post_data), ("comment.received", comment_data)],
    ids=["post", "comment"],
)
def test_odd_values_in_any_field_never_make_a_500(app, send, event_type, factory, subtests):
    """Every field of a valid payload, replaced by each odd value in turn."""
    accepted = 0
    before = state(app)
    for name in factory():
        for n, value in enumerate(ODD_VALUES):
            with subtests.test(f"{name}={value!r:.30}"):
                body = body_of(event_type, factory(**{name: value}))
                answer = send(body, webhook_id=f"m{name}{n}")
                assert answer.status_code in (200, 201, 422), answer.get_data(as_text=True)
                if answer.status_code == 422:
                    error(answer, 422)
                    assert at(answer.get_json()["errors"], f"json.data.{name}")
                    assert state(app) == before
                else:
                    accepted += 1
                    before = state(app)
    assert accepted  # optional fields do take odd-but-valid values
