"""Culling rules, holds, runs and channels for the retention tests, through the HTTP API."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from service.index import tables as t
from tests.factories import TEST_ACTOR

FAR_FUTURE = "2040-01-01"  # every rule below has come due by then


def rule_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "decision_reference": "KS 2026/114 § 12",
        "decision_date": "2026-06-01",
        "description": "Kommentarer och inlägg på webbplatsen",
        "retention": "P2Y",
        "counted_from": "published",
        "scope": {},
    }
    body.update(overrides)
    return body


@pytest.fixture
def admin(token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A token that may decide (rules, holds, runs) and read."""
    return token("admin", "records:read")  # type: ignore[no-any-return]


@pytest.fixture
def retention(client, admin) -> Retention:  # type: ignore[no-untyped-def]
    return Retention(client, admin)


class Retention:
    """Admin calls, each asserted to succeed."""

    def __init__(self, client: Any, admin: dict[str, str]):
        self.client = client
        self.admin = admin

    def rule(self, **overrides: Any) -> dict[str, Any]:
        answer = self.client.post(
            "/v1/retention-rules", json=rule_body(**overrides), headers=self.admin
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()  # type: ignore[no-any-return]

    def hold(self, **body: Any) -> dict[str, Any]:
        answer = self.client.post(
            "/v1/holds", json={"reason": "Begäran om utlämnande", **body}, headers=self.admin
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()  # type: ignore[no-any-return]

    def run(self, **body: Any) -> dict[str, Any]:
        answer = self.client.post(
            "/v1/culling-runs", json={"as_of": FAR_FUTURE, **body}, headers=self.admin
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()  # type: ignore[no-any-return]

    def items(self, run_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after = -1
        for _ in range(1000):
            page = self.client.get(
                f"/v1/culling-runs/{run_id}/items?after={after}&limit=2", headers=self.admin
            ).get_json()
            found.extend(page["items"])
            if page["next_cursor"] is None:
                return found
            after = page["next_cursor"]
        raise AssertionError("the items never ended")

    def outcomes(self, run_id: str) -> dict[str, str]:
        return {item["record_id"]: item["outcome"] for item in self.items(run_id)}


def close_channel(app: Flask, site_id: str, closed_on: date) -> None:
    """Close the site's channel (every site has one, with the site's id) in its register."""
    app.extensions["offentlig"].channels.close(site_id, closed_on, actor=TEST_ACTOR)


def set_record(app: Flask, record_id: str, **values: Any) -> None:
    """Set the projection's review or registration columns directly, as those registers'
    entries would: planning reads only these columns (tests/functional/test_review.py and
    test_registration.py cover the registers themselves)."""
    with app.extensions["offentlig"].engine.begin() as conn:
        conn.execute(update(t.records).where(t.records.c.id == record_id).values(**values))
