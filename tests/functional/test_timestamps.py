"""With LOG_TSA_URL, every checkpoint gets an RFC 3161 timestamp kept beside it, which
`openssl ts -verify` accepts for that checkpoint and refuses for another."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import create_app
from tests.factories import TEST_ACTOR, Sender, post_data
from tests.support.tsa import LocalTSA, start_tsa


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[LocalTSA]:
    directory = tmp_path / "tsa"
    directory.mkdir()
    server = start_tsa(directory)
    yield server
    server.stop()


def test_each_checkpoint_is_timestamped_by_the_tsa(tsa: LocalTSA, tmp_path: Path) -> None:
    app = create_app(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "SECRET_KEY": "4J8pL4v0tq1bX8yY9CqV2kq3mJQ3cXbV6cN9iV2jP0U=",
            "TESTING": True,
            "LOG_TSA_URL": tsa.url,
        }
    )
    try:
        svc = app.extensions["offentlig"]
        site, secret = svc.sites.add("Kommunen", "https://www.example.se", actor=TEST_ACTOR)
        Sender(app.test_client(), site["id"], secret).send("post.published", post_data(1))
        signed = svc.integrity.checkpoint()
        note, token = tmp_path / "checkpoint", tmp_path / "checkpoint.tsr"
        note.write_bytes(svc.storage.get(signed.key))
        token.write_bytes(svc.storage.get(f"{signed.key}.tsr"))
        check = [
            "openssl",
            "ts",
            "-verify",
            "-in",
            str(token),
            "-CAfile",
            str(tsa.ca),
            "-untrusted",
            str(tsa.cert),
        ]
        ok = subprocess.run(
            [*check, "-data", str(note)], capture_output=True, text=True, timeout=60
        )
        assert ok.returncode == 0, ok.stdout + ok.stderr
        other = tmp_path / "other"
        other.write_bytes(note.read_bytes() + b"\n")
        refused = subprocess.run(
            [*check, "-data", str(other)], capture_output=True, text=True, timeout=60
        )
        assert refused.returncode != 0
    finally:
        app.extensions["offentlig"].close()
