"""A private PostgreSQL server for tests that stop and start it: never the shared one.

`initdb` in a fresh directory, a free loopback port, trust authentication; run as the
`postgres` user when we are root (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port

_BIN_ROOT = Path("/usr/lib/postgresql")


def _binaries() -> Path:
    found = sorted(_BIN_ROOT.glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError(f"no PostgreSQL server binaries under {_BIN_ROOT} (postgresql package)")
    return found[-1].parent


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class PrivatePostgres:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        argv = [str(_binaries() / "pg_ctl"), "-D", str(self.directory / "data"), *args]
        done = subprocess.run(  # noqa: S603 - fixed argv
            _as_owner(argv), capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode != 0:
            log = (self.directory / "server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"pg_ctl {' '.join(args)}: {done.stderr}\n{log}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._ctl("-o", options, "-l", str(self.directory / "server.log"), "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: as if the server crashed (no shutdown checkpoint)."""
        self._ctl("-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def start_private_postgres() -> PrivatePostgres:
    directory = Path(tempfile.mkdtemp(prefix="offentlig-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    initdb = [
        str(_binaries() / "initdb"),
        "-D",
        str(directory / "data"),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    ]
    subprocess.run(_as_owner(initdb), capture_output=True, timeout=120, check=True)  # noqa: S603
    server = PrivatePostgres(directory, free_port())
    server.start()
    deadline = time.monotonic() + 30
    while not (directory / f".s.PGSQL.{server.port}").exists():
        if time.monotonic() > deadline:
            raise RuntimeError("private PostgreSQL did not open its socket in 30 s")
        time.sleep(0.1)
    return server
