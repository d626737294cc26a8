"""Stores for the storage contract: every case runs on the filesystem and on real SeaweedFS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.storage.filesystem import FileStore
from service.storage.port import ObjectStore
from service.storage.s3 import S3Store
from tests.support.seaweedfs import SeaweedFS
from tests.unit.storage.stores import s3_store


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "filesystem":
        yield FileStore(tmp_path / "objects")
        return
    s3 = s3_store(request.getfixturevalue("seaweedfs"))
    yield s3
    s3.client.close()


@pytest.fixture
def bucket(seaweedfs: SeaweedFS) -> Iterator[S3Store]:
    """For what only S3 has: versions, delete markers, multipart uploads."""
    s3 = s3_store(seaweedfs)
    yield s3
    s3.client.close()


@pytest.fixture(params=["filesystem", "s3"])
def bypassable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    """A store whose credentials may bypass GOVERNANCE retention."""
    if request.param == "filesystem":
        yield FileStore(tmp_path / "objects")
        return
    s3 = s3_store(request.getfixturevalue("seaweedfs_with_iam"))
    yield s3
    s3.client.close()
