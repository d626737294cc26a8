"""Fixtures: the app on every storage × index pair, real SeaweedFS, real PostgreSQL.

PostgreSQL's URL comes from OFFENTLIG_TEST_POSTGRES_URL (`.ci/run` and `make test` set it);
a missing server is a test failure that names it, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.cli import main
from service.index.db import make_engine, migrate
from service.storage.s3 import S3Store
from tests.factories import TEST_ACTOR, Sender
from tests.support.seaweedfs import SeaweedFS, start_seaweedfs

POSTGRES_ENV = "OFFENTLIG_TEST_POSTGRES_URL"


# --- real servers ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seaweedfs_with_iam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A SeaweedFS that checks credentials: the only kind that honours
    BypassGovernanceRetention (for `SeaweedFS.access_key`, which it makes an admin)."""
    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs-iam"), with_credentials=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_bucket(seaweedfs: SeaweedFS) -> str:
    """One bucket with versioning and Object Lock for the session: SeaweedFS gives each
    bucket its own volume, and allocating one costs a fifth of a second per test."""
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    with pytest.MonkeyPatch.context() as env:
        _s3_credentials(env, seaweedfs)
        S3Store.from_url(f"s3://{bucket}", endpoint_url=seaweedfs.endpoint_url).create_bucket()
    return bucket


def _s3_credentials(env: pytest.MonkeyPatch, seaweedfs: SeaweedFS) -> None:
    env.setenv("AWS_ACCESS_KEY_ID", seaweedfs.access_key)
    env.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs.secret_key)
    env.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def s3_url(seaweedfs: SeaweedFS, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty place in the session's bucket (its own prefix)."""
    _s3_credentials(monkeypatch, seaweedfs)
    return f"s3://{s3_bucket}/{uuid.uuid4().hex[:20]}/records"


def postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(
            f"{POSTGRES_ENV} is not set: the index tests need PostgreSQL "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); run them with `make test`."
        )
    return url


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated database that each test clones (CREATE DATABASE … TEMPLATE is fast)."""
    server = sqlalchemy.make_url(postgres_server_url())
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"offentlig_tpl_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {server.render_as_string()} is unreachable: {exc}")
    engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
    migrate(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    server = sqlalchemy.make_url(postgres_server_url())
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"offentlig_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        # FILE_COPY: a third of the default WAL_LOG strategy's time for a small database.
        conn.exec_driver_sql(
            f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}" STRATEGY FILE_COPY'
        )
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


# --- the app ---------------------------------------------------------------------------


class Clock:
    """A clock that moves one millisecond each time it is read: ordered, repeatable."""

    def __init__(self, start: datetime = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


BACKENDS = ["fs-sqlite", "s3-postgresql"]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app_config(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, clock: Clock
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "4J8pL4v0tq1bX8yY9CqV2kq3mJQ3cXbV6cN9iV2jP0U=",
        "CLOCK": clock,
        "TESTING": True,
    }
    if backend == "s3-postgresql":
        config["STORAGE_URL"] = request.getfixturevalue("s3_url")
        config["S3_ENDPOINT_URL"] = request.getfixturevalue("seaweedfs").endpoint_url
        config["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return config


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_config)
    yield application
    application.extensions["offentlig"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class SiteFixture:
    id: str
    secret: str
    sender: Sender


@pytest.fixture
def site(app: Flask, client: FlaskClient) -> SiteFixture:
    created, secret = app.extensions["offentlig"].sites.add(
        "Staffanstorps kommun", "https://www.example.se", actor=TEST_ACTOR
    )
    return SiteFixture(created["id"], secret, Sender(client, created["id"], secret))


@pytest.fixture
def token(app: Flask):  # type: ignore[no-untyped-def]
    """token(*scopes, site=None) → a bearer Authorization header."""

    def make(*scopes: str, site: str | None = None) -> dict[str, str]:
        _, value = app.extensions["offentlig"].tokens.create(
            "test", list(scopes or ("records:read",)), site, actor=TEST_ACTOR
        )
        return {"Authorization": f"Bearer {value}"}

    return make


@pytest.fixture
def reader(token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return token("records:read")  # type: ignore[no-any-return]


CLI_SETTINGS = ("DATA_DIR", "STORAGE_URL", "S3_ENDPOINT_URL", "DATABASE_URL", "SECRET_KEY")


@pytest.fixture
def cli(app_config: dict[str, Any]):  # type: ignore[no-untyped-def]
    """cli(*args) runs `offentlig …` against the same storage and database as `app`."""
    runner = CliRunner()
    environment = {f"OFFENTLIG_{k}": str(app_config[k]) for k in CLI_SETTINGS if k in app_config}

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), env=environment, catch_exceptions=False)

    return invoke
