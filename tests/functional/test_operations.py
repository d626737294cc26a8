"""What operators watch: /healthz, /metrics, and the request id on every answer."""

from __future__ import annotations

import re

from tests.factories import post_data

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def metric(client, name: str, **labels: str) -> float:  # type: ignore[no-untyped-def]
    """The value of one Prometheus sample (0 when it does not exist yet)."""
    text = client.get("/metrics").get_data(as_text=True)
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if found == labels:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_healthz(client):
    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.json == {"status": "ok"}


def test_metrics_count_webhook_deliveries(site, client):
    created = metric(
        client, "offentlig_webhook_events_total", type="post.published", created="true"
    )
    unchanged = metric(
        client, "offentlig_webhook_events_total", type="post.updated", created="false"
    )

    site.sender.send("post.published", post_data(1))
    site.sender.send("post.updated", post_data(1))  # nothing new
    answer = client.get("/metrics")

    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)
    assert "# TYPE offentlig_webhook_events_total counter" in text
    assert "offentlig_http_request_seconds_bucket" in text
    assert (
        metric(client, "offentlig_webhook_events_total", type="post.published", created="true")
        == created + 1
    )
    assert (
        metric(client, "offentlig_webhook_events_total", type="post.updated", created="false")
        == unchanged + 1
    )


def test_request_metrics_name_the_endpoint_and_status(client, reader):
    before = metric(
        client,
        "offentlig_http_request_seconds_count",
        endpoint="records.Records",
        method="GET",
        status="401",
    )

    client.get("/v1/records")

    assert (
        metric(
            client,
            "offentlig_http_request_seconds_count",
            endpoint="records.Records",
            method="GET",
            status="401",
        )
        == before + 1
    )


def test_request_id_is_echoed(client):
    answer = client.get("/healthz", headers={"X-Request-ID": "diarium-sync.42:7"})

    assert answer.headers["X-Request-ID"] == "diarium-sync.42:7"


def test_request_id_is_made_when_absent_or_unsafe(client):
    made = [client.get("/healthz").headers["X-Request-ID"] for _ in range(3)]
    unsafe = [
        client.get("/healthz", headers={"X-Request-ID": value}).headers["X-Request-ID"]
        for value in ("a b", "x" * 101, "<script>", "")
    ]

    assert all(ULID.match(value) for value in made + unsafe), made + unsafe
    assert len(set(made + unsafe)) == len(made + unsafe)


def test_every_answer_carries_a_request_id(site, client):
    answers = [
        client.get("/nothing-here"),
        client.get("/v1/records"),
        client.post(f"/v1/sites/{site.id}/events", data=b"{}"),
        site.sender.send("post.published", post_data(1)),
        client.get("/openapi.json"),
        client.get("/readyz"),
        client.get("/metrics"),
    ]

    assert all(ULID.match(a.headers.get("X-Request-ID", "")) for a in answers)
    assert [a.status_code for a in answers] == [404, 401, 401, 201, 200, 200, 200]
