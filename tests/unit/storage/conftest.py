"""Stores for the storage contract: every case runs on the filesystem and on real SeaweedFS."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.storage.filesystem import FileStore
from service.storage.port import ObjectStore
from service.storage.s3 import S3Store
from tests.support.seaweedfs import SeaweedFS, start_seaweedfs
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


@pytest.fixture(scope="session")
def seaweedfs_with_iam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A SeaweedFS that checks credentials, the only kind that honours
    BypassGovernanceRetention (it grants it to admins; `weed mini` makes the identity in
    AWS_ACCESS_KEY_ID an admin). Its `/` answers 403, which says it is up as well as the
    anonymous 200 `start_seaweedfs` waits for."""
    urlopen = urllib.request.urlopen

    def answered(*args: Any, **kwargs: Any) -> Any:
        try:
            return urlopen(*args, **kwargs)
        except urllib.error.HTTPError as exc:
            if exc.code != 403:
                raise
            return exc

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", SeaweedFS.access_key)
        patch.setenv("AWS_SECRET_ACCESS_KEY", SeaweedFS.secret_key)
        patch.setattr(urllib.request, "urlopen", answered)
        server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs-iam"))
    yield server
    server.stop()


@pytest.fixture(params=["filesystem", "s3"])
def bypassable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    """A store whose credentials may bypass GOVERNANCE retention."""
    if request.param == "filesystem":
        yield FileStore(tmp_path / "objects")
        return
    s3 = s3_store(request.getfixturevalue("seaweedfs_with_iam"))
    yield s3
    s3.client.close()
