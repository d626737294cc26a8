"""A small archive to export, and the export API as a caller uses it."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import service.exports.job  # noqa: F401 - registers the `export` kind
from service.jobs.model import Job
from service.jobs.runner import Worker
from tests.factories import comment_data, post_data
from tests.support.review import PERSONNUMMER, decide

# Independent of the service's masking: anything that looks like an address.
ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TITLES = {
    "post": "Vinterns snöröjning",
    "page": "Om kommunen",
    "comment": "Re: Vinterns snöröjning",
    "secret": "Ärende om stöd",
}


@dataclass
class Archive:
    post: str
    page: str
    comment: str
    secret: str


@pytest.fixture(name="archive")
def archive_fixture(app: Flask, client: FlaskClient, site: Any, token: Any) -> Archive:
    """A post (two versions), a page, a comment carrying a personnummer and an e-mail address
    in its text and its commenter's e-mail as personal data, and a post marked secret."""
    send = site.sender.send
    assert send("post.published", post_data(1)).status_code == 201
    updated = post_data(1, content="<p>Plogning från klockan fyra.&nbsp;Ring oss.</p>")
    assert send("post.updated", updated).status_code == 201
    page = post_data(
        2,
        title=TITLES["page"],
        content="<p>Kommunen <img src='https://cdn.example.net/k.jpg' alt='Kommunhuset'></p>",
    )
    assert send("page.published", page).status_code == 201
    comment = comment_data(
        10,
        1,
        content=f"Mitt personnummer är {PERSONNUMMER}, mejla mig på bertil.b@example.se.",
        author_ip="192.0.2.10",
        author_user_agent="Mozilla/5.0 (Testbrowser)",
    )
    assert send("comment.received", comment).status_code == 201
    assert send(
        "comment.approved", {**comment, "status": "approve", "previous_status": "hold"}
    ).status_code in (200, 201)
    secret = post_data(3, title=TITLES["secret"], content="<p>Uppgifter om hälsa.</p>")
    assert send("post.published", secret).status_code == 201
    ids = {
        name: f"{site.id}.{kind}.{n}"
        for name, kind, n in (
            ("post", "post", 1),
            ("page", "page", 2),
            ("comment", "comment", 10),
            ("secret", "post", 3),
        )
    }
    decide(client, token("records:review"), ids["secret"], "secret", "Hälsouppgifter")
    return Archive(**ids)


def run_exports(app: Flask) -> list[Job]:
    svc = app.extensions["offentlig"]
    return Worker(svc.jobs, svc, kinds=["export"], schedules=()).run_due()


def export(client: FlaskClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = client.post("/v1/exports", json=body, headers=headers)
    assert answer.status_code == 202, answer.get_data(as_text=True)
    return answer.json  # type: ignore[no-any-return]


def made(
    app: Flask, client: FlaskClient, headers: dict[str, str], **body: Any
) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """Ask for an export, run its job, download it: (the export, its ZIP)."""
    asked = export(client, headers, **body)
    [job] = run_exports(app)
    assert job.state == "succeeded", job.error
    shown = client.get(f"/v1/exports/{asked['id']}", headers=headers)
    assert shown.status_code == 200
    assert shown.json["state"] == "finished", shown.json
    download = client.get(shown.json["file"]["url"], headers=headers)
    assert download.status_code == 200
    assert download.headers["X-Offentlig-SHA256"] == shown.json["file"]["sha256"]
    data = download.data
    download.close()
    return shown.json, zipfile.ZipFile(io.BytesIO(data))
