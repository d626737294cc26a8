"""End-to-end fixtures: the real service on SeaweedFS, a real WordPress with the plugin.

Both are started once per session, in private directories on free loopback ports, and stopped by
killing their process groups. A missing component (php, mariadb, chromium, the `offentlig` command)
fails the test with its name; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from wordpress_xmlrpc import Client

from service.wordpress.xmlrpc import connect
from tests.e2e import wordpress as wp_harness
from tests.e2e.wordpress import WordPress
from tests.support.ports import free_port
from tests.support.processes import stop_group
from tests.support.seaweedfs import SeaweedFS

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = REPO / "wp-plugin" / "offentlig"
ARTIFACTS = REPO / "artifacts" / "e2e"

# Short retry delays so the outage test sees rows park within seconds; parked rows are then
# tried again every PARK_INTERVAL seconds (the plugin's default is 5 minutes).
RETRY_SCHEDULE = "1,1"
PARK_INTERVAL = 2

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Test-only site behaviour: many visitor comments from 127.0.0.1 within seconds are not a flood.
TEST_MU_PLUGIN = "<?php\nadd_filter('wp_is_comment_flood', '__return_false', 99);\n"


def offentlig_command() -> str:
    found = Path(sys.executable).parent / "offentlig"
    if not found.exists():
        pytest.fail(
            f"the `offentlig` command is missing next to {sys.executable}: pip install -e '.[test]'"
        )
    return str(found)


@dataclass
class Service:
    """`offentlig serve` on SeaweedFS, restartable on the same port (for the outage test)."""

    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> Any:
        done = subprocess.run(  # noqa: S603 - fixed argv
            [offentlig_command(), *args, "--json"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
            cwd=REPO,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"offentlig {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
            )
        return json.loads(done.stdout)

    def start(self, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv
                [offentlig_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
                cwd=REPO,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"offentlig serve exited:\n{self.log_path.read_text()[-4000:]}"
                )
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(
            f"offentlig serve not ready in {timeout}s:\n{self.log_path.read_text()[-4000:]}"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        stop_group(self.process, grace=20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _port_open(self.port):
            time.sleep(0.1)


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Archive:
    """The service, the registered site, and tokens to read it back."""

    service: Service
    site_id: str
    secret: str
    read_token: str
    personal_token: str
    session: requests.Session = field(default_factory=requests.Session)

    def get(self, path: str, *, personal: bool = False, **params: Any) -> requests.Response:
        token = self.personal_token if personal else self.read_token
        return self.session.get(
            self.service.url + path,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    def record(
        self, kind: str, wp_id: int | str, *, personal: bool = False
    ) -> dict[str, Any] | None:
        response = self.get(f"/v1/records/{self.site_id}.{kind}.{wp_id}", personal=personal)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return dict(response.json())

    def versions(self, kind: str, wp_id: int | str) -> list[dict[str, Any]]:
        response = self.get(f"/v1/records/{self.site_id}.{kind}.{wp_id}/versions")
        response.raise_for_status()
        return list(response.json()["items"])

    def version(self, kind: str, wp_id: int | str, number: int) -> dict[str, Any]:
        response = self.get(f"/v1/records/{self.site_id}.{kind}.{wp_id}/versions/{number}")
        response.raise_for_status()
        return dict(response.json())

    def stats(self) -> dict[str, Any]:
        response = self.get("/v1/stats", site=self.site_id, days=30)
        response.raise_for_status()
        return dict(response.json())


@dataclass
class Site:
    """WordPress with the plugin active and configured for the archive."""

    wp: WordPress
    archive: Archive

    def outbox_counts(self) -> dict[str, int]:
        return dict(
            self.wp.php_json(
                "echo wp_json_encode(Offentlig\\Plugin::instance()->outbox->counts());"
            )
        )  # type: ignore[arg-type]

    def application_password(self, username: str, role: str = "editor") -> str:
        """A new application password for `username` (created with `role` if missing), as
        backfill logs in. Plain http works because wp-config.php sets the environment type
        to "local" (WordPress otherwise allows application passwords over https only)."""
        created = self.wp.php_json(
            f"$login = {json.dumps(username)};\n"
            "$id = username_exists($login) ?: wp_insert_user(['user_login' => $login,\n"
            f"  'user_pass' => wp_generate_password(), 'role' => {json.dumps(role)},\n"
            "  'user_email' => $login . '@example.test', 'display_name' => ucfirst($login)]);\n"
            "if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message()); exit(1); }\n"
            "$made = WP_Application_Passwords::create_new_application_password($id,\n"
            "  ['name' => 'offentlig-e2e-' . wp_generate_password(6, false)]);\n"
            "if (is_wp_error($made)) { fwrite(STDERR, $made->get_error_message()); exit(1); }\n"
            "echo wp_json_encode(['password' => $made[0]]);"
        )
        return str(created["password"])  # type: ignore[index]

    def dispatch_now(self) -> None:
        """Run the plugin's immediate-dispatch cron hook, as WP-Cron would."""
        self.wp.php("do_action('offentlig_dispatch_now');")

    def admin_session(self) -> requests.Session:
        """A browser-like session logged in to wp-admin as the administrator."""
        session = requests.Session()
        session.get(self.wp.url + "/wp-login.php", timeout=30)  # sets the test cookie
        response = session.post(
            self.wp.url + "/wp-login.php",
            data={
                "log": wp_harness.ADMIN_USER,
                "pwd": wp_harness.ADMIN_PASSWORD,
                "wp-submit": "Log In",
                "testcookie": "1",
                "redirect_to": self.wp.url + "/wp-admin/",
            },
            timeout=30,
        )
        logged_in = "wp-admin" in response.url and "login_error" not in response.text
        assert logged_in, response.text[:2000]
        return session


def wait_until(
    check: Callable[[], Any],
    *,
    timeout: float = 60,
    interval: float = 0.3,
    nudge: Callable[[], None] | None = None,
    what: str = "condition",
) -> Any:
    """Poll until check() is truthy; return its value. Fails with the last value seen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        if nudge is not None:
            nudge()
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


@pytest.fixture
def xmlrpc() -> Iterator[Callable[[Site], Client]]:
    """Makes XML-RPC clients logged in as the administrator; closes them after the test."""
    with contextlib.ExitStack() as stack:

        def make(site: Site) -> Client:
            return stack.enter_context(
                connect(site.wp.url, wp_harness.ADMIN_USER, wp_harness.ADMIN_PASSWORD)
            )

        yield make


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def start_service(s3_endpoint_url: str, data: Path) -> Service:
    """`offentlig serve` on a free loopback port, storing in a new bucket on the (anonymous)
    SeaweedFS at `s3_endpoint_url`. Also used by bench/wordpress.py."""
    data.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "OFFENTLIG_DATA_DIR": str(data),
        "OFFENTLIG_STORAGE_URL": "s3://offentlig-e2e/records",
        "OFFENTLIG_S3_ENDPOINT_URL": s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": SeaweedFS.access_key,
        "AWS_SECRET_ACCESS_KEY": SeaweedFS.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    svc = Service(free_port(), env, data / "serve.log")
    svc.cli("storage", "create-bucket")
    svc.start()
    return svc


@pytest.fixture(scope="session")
def service(seaweedfs: SeaweedFS, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    svc = start_service(seaweedfs.endpoint_url, tmp_path_factory.mktemp("service"))
    yield svc
    svc.stop()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(svc.log_path, ARTIFACTS / "service.log")


@contextlib.contextmanager
def running_site(
    service: Service,
    base: Path,
    server: str,
    name: str,
    *,
    retry_schedule: str | None = RETRY_SCHEDULE,
    artifacts: Path = ARTIFACTS,
    env: dict[str, str] | None = None,
    plugin_dir: Path = PLUGIN_DIR,
    workers: int = 4,
) -> Iterator[Site]:
    """WordPress with the plugin active, registered as a site of the archive and configured.

    retry_schedule: OFFENTLIG_RETRY_SCHEDULE for wp-config.php (None: the plugin's defaults,
    also for the park interval).
    artifacts: where the WordPress logs are copied when it stops.
    env: environment for the web server (e.g. WP_DISABLE_CRON=1).
    plugin_dir: the plugin to install (bench/wordpress.py measures another version with it).
    workers: php -S workers or PHP-FPM children.
    """
    try:
        wp_harness.check_programs(server)
    except wp_harness.WordPressError as exc:
        pytest.fail(str(exc))
    wp = wp_harness.start(
        base,
        plugins={"offentlig": plugin_dir},
        activate=["offentlig/offentlig.php"],
        mu_plugins={"offentlig-e2e.php": TEST_MU_PLUGIN},
        extra_config=(
            (
                f"define('OFFENTLIG_RETRY_SCHEDULE', '{retry_schedule}');\n"
                f"define('OFFENTLIG_PARK_INTERVAL', {PARK_INTERVAL});\n"
                if retry_schedule
                else ""
            )
            # One setting fixed in wp-config.php: the settings page must show it read-only.
            + "define('OFFENTLIG_SEND_IP', false);"
        ),
        server=server,
        env=env,
        workers=workers,
    )
    try:
        registered = service.cli("sites", "add", "--name", name, "--url", wp.url)
        site_id = registered["id"]
        read = service.cli(
            "tokens", "create", "--name", "wp-plugin", "--scope", "records:read", "--site", site_id
        )
        personal = service.cli(
            "tokens", "create", "--name", "e2e-personal",
            "--scope", "records:read", "--scope", "records:read-personal",
        )  # fmt: skip
        archive = Archive(service, site_id, registered["secret"], read["token"], personal["token"])
        settings = {
            "service_url": service.url,
            "site_id": archive.site_id,
            "secret": archive.secret,
            "read_token": archive.read_token,
        }
        wp.php(
            "Offentlig\\Plugin::instance()->settings->update("
            f"json_decode({json.dumps(json.dumps(settings))}, true));"
        )
        yield Site(wp, archive)
    finally:
        artifacts.mkdir(parents=True, exist_ok=True)
        logs = [
            wp.debug_log,
            *(wp.run_dir / n for n in ("php.log", "php-fpm.log", "nginx-error.log")),
        ]
        for log in logs:
            if log.exists():
                shutil.copy(log, artifacts / f"wordpress-{server}-{log.name}")
        wp.stop()


@pytest.fixture(scope="session")
def site(service: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """WordPress on PHP's built-in server with 4 workers (no fastcgi_finish_request)."""
    with running_site(service, tmp_path_factory.mktemp("wordpress"), "php", "Testkommunen") as s:
        yield s


@pytest.fixture(scope="session")
def fpm_site(service: Service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """WordPress the way authorities host it: PHP-FPM behind nginx (fastcgi_finish_request)."""
    with running_site(
        service, tmp_path_factory.mktemp("wordpress-fpm"), "fpm", "FPM-kommunen"
    ) as s:
        yield s


# --- the browser (Debian's Chromium; Playwright never downloads one) ---------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is missing at {CHROMIUM} (apt package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the Python package playwright is missing: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def shots(artifacts: Path) -> Path:
    """Screenshots, kept under artifacts/browser/ (gitignored)."""
    folder = artifacts.parent / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
