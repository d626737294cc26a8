"""On a bucket with S3 Object Lock, each new record version is kept under GOVERNANCE retention
for OBJECT_LOCK_DEFAULT_RETENTION; a culling decision's credentials can still shorten it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service import create_app
from service.errors import ObjectLocked
from service.storage.s3 import S3Store
from tests.factories import TEST_ACTOR, Sender, post_data


@pytest.fixture
def locked_app(seaweedfs_with_iam, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs_with_iam.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs_with_iam.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"lock-{uuid.uuid4().hex[:16]}"
    S3Store.from_url(f"s3://{bucket}", endpoint_url=seaweedfs_with_iam.endpoint_url).create_bucket()
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "4J8pL4v0tq1bX8yY9CqV2kq3mJQ3cXbV6cN9iV2jP0U=",
            "STORAGE_URL": f"s3://{bucket}/archive",
            "S3_ENDPOINT_URL": seaweedfs_with_iam.endpoint_url,
            "TESTING": True,
            "OBJECT_LOCK_DEFAULT_RETENTION": "P10Y",
        }
    )
    yield app
    app.extensions["offentlig"].close()


def test_a_new_version_is_kept_under_governance_retention(locked_app) -> None:  # type: ignore[no-untyped-def]
    svc = locked_app.extensions["offentlig"]
    site, secret = svc.sites.add("Staffanstorps kommun", "https://www.example.se", actor=TEST_ACTOR)
    sender = Sender(locked_app.test_client(), site["id"], secret)
    assert sender.send("post.published", post_data(1)).status_code < 300
    key = f"sites/{site['id']}/posts/1/versions/0000000001.json"

    until = svc.storage.retention(key)
    assert until is not None
    assert until > datetime.now(UTC) + timedelta(days=365 * 9)
    with pytest.raises(ObjectLocked):
        svc.storage.erase(key)
    # A culling decision may shorten GOVERNANCE retention with the right to bypass it.
    svc.storage.set_retention(key, datetime.now(UTC) + timedelta(days=1), bypass_governance=True)
    assert svc.storage.erase(key, bypass_governance=True) >= 1
