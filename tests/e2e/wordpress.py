"""A private, throwaway WordPress for tests: MariaDB, Debian's WordPress, `php -S` or PHP-FPM+nginx.

Everything lives under one directory; every server runs in its own process group and is stopped
by killing that group. Standard library only, so `wp-plugin/bin/check` can use it without the venv:

    python -m tests.e2e.wordpress up --dir /tmp/wp --plugin wp-plugin/offentlig   # prints JSON
    python -m tests.e2e.wordpress down --dir /tmp/wp

See ../shared/wordpress-e2e.md for where each step comes from.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.ports import free_port

WORDPRESS_SOURCE = Path("/usr/share/wordpress")
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-pass"  # noqa: S105 - throwaway instance on loopback
ADMIN_EMAIL = "admin@example.test"
STATE_FILE = "wordpress.json"

# Each needed program and the Debian package that brings it.
REQUIRED_PROGRAMS = {
    "php": "php-cli",
    "mariadbd": "mariadb-server",
    "mariadb-install-db": "mariadb-server",
    "mariadb-admin": "mariadb-server",
    "mariadb": "mariadb-client",
}
FPM_PROGRAMS = {"php-fpm8.2": "php8.2-fpm", "nginx": "nginx"}


NO_MAIL_PHP = "<?php\nadd_filter('pre_wp_mail', '__return_false');\n"


# Servers started by this process; kept so they can be reaped (no zombies, no ResourceWarning).
_CHILDREN: list[subprocess.Popen[bytes]] = []


TEMPLATES = Path(__file__).with_name("templates")


def template(name: str, **values: str) -> str:
    """A file from templates/ with every @NAME@ replaced by its value."""
    text = TEMPLATES.joinpath(name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


class WordPressError(RuntimeError):
    """Starting or driving the test WordPress failed; the message says what is missing."""


def check_programs(server: str = "php") -> None:
    """Fail loudly (never skip) when a component is missing."""
    needed = dict(REQUIRED_PROGRAMS)
    if server == "fpm":
        needed.update(FPM_PROGRAMS)
    missing = [f"{prog} (apt package {pkg})" for prog, pkg in needed.items() if not _which(prog)]
    if not WORDPRESS_SOURCE.joinpath("wp-settings.php").exists():
        missing.append(f"{WORDPRESS_SOURCE} (apt package wordpress)")
    if missing:
        raise WordPressError("missing for the test WordPress: " + ", ".join(missing))


def _which(program: str) -> str | None:
    return shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/bin:/sbin:/bin")


@dataclass
class WordPress:
    """A running instance. `base` holds db/, site/ (the docroot) and run/ (pids, logs)."""

    base: Path
    port: int
    db_port: int
    server: str = "php"
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 4  # php -S workers, or PHP-FPM children (pm = static)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def docroot(self) -> Path:
        return self.base / "site"

    @property
    def run_dir(self) -> Path:
        return self.base / "run"

    @property
    def debug_log(self) -> Path:
        return self.docroot / "wp-content" / "debug.log"

    def as_json(self) -> dict[str, object]:
        return {
            "base": str(self.base),
            "url": self.url,
            "port": self.port,
            "db_port": self.db_port,
            "docroot": str(self.docroot),
            "server": self.server,
            "admin_user": ADMIN_USER,
            "admin_password": ADMIN_PASSWORD,
        }

    def php(self, code: str, *, timeout: float = 120, env: Mapping[str, str] | None = None) -> str:
        """Run PHP inside WordPress (CLI, cron disabled) and return its stdout; fail on error."""
        script = self.run_dir / f"snippet-{time.monotonic_ns()}.php"
        script.write_text(
            "<?php\n"
            f"$_SERVER['HTTP_HOST'] = '127.0.0.1:{self.port}'; $_SERVER['REQUEST_URI'] = '/';\n"
            "$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1'; $_SERVER['REQUEST_METHOD'] = 'GET';\n"
            "$_SERVER['REMOTE_ADDR'] = '127.0.0.1';\n"
            "$_SERVER['HTTP_USER_AGENT'] = 'offentlig-tests';\n"
            "define('DISABLE_WP_CRON', true);\n"
            f"require {json.dumps(str(self.docroot / 'wp-load.php'))};\n" + code + "\n",
            encoding="utf-8",
        )
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv
                ["php", str(script)],
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, **self.env, **(env or {})},
                cwd=self.docroot,
            )
        finally:
            script.unlink(missing_ok=True)
        if done.returncode != 0 or "PHP Fatal error" in done.stderr:
            raise WordPressError(f"PHP failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def php_json(self, code: str, **kwargs: object) -> object:
        """Run PHP that ends with `echo wp_json_encode(...)` and decode the last line."""
        out = self.php(code, **kwargs)  # type: ignore[arg-type]
        return json.loads(out.strip().splitlines()[-1])

    def run_cron(self) -> None:
        """Run due WP-Cron events synchronously (php wp-cron.php in the docroot)."""
        done = subprocess.run(  # noqa: S603 - fixed argv
            ["php", "wp-cron.php"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=self.docroot,
            env={**os.environ, **self.env, "HTTP_HOST": f"127.0.0.1:{self.port}"},
        )
        if done.returncode != 0:
            raise WordPressError(f"wp-cron.php failed:\n{done.stdout}\n{done.stderr}")

    def activate_plugin(self, plugin_file: str) -> None:
        self.php(
            "require_once ABSPATH . 'wp-admin/includes/plugin.php';\n"
            f"$r = activate_plugin({json.dumps(plugin_file)});\n"
            "if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message()); exit(1); }\n"
        )

    def stop(self) -> None:
        stop(self.base)


def _run(args: Sequence[str], log: Path, **kwargs: object) -> None:
    with log.open("ab") as out:
        done = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]  # noqa: S603
    if done.returncode != 0:
        raise WordPressError(
            f"{args[0]} failed, see {log}:\n{log.read_text(errors='replace')[-3000:]}"
        )


def _spawn(
    args: Sequence[str], log: Path, pid_file: Path | None, env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env),
            cwd=log.parent,
        )
    if pid_file is not None:
        pid_file.write_text(str(process.pid))
    _CHILDREN.append(process)
    return process


def _wait_for(check: object, what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    detail = f":\n{log.read_text(errors='replace')[-3000:]}" if log and log.exists() else ""
    raise WordPressError(f"{what} did not come up in {timeout}s{detail}")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bool(200 <= response.status < 400)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def start(
    base: Path,
    *,
    plugins: Mapping[str, Path] | None = None,
    activate: Sequence[str] = (),
    mu_plugins: Mapping[str, str] | None = None,
    extra_config: str = "",
    env: Mapping[str, str] | None = None,
    server: str = "php",
    workers: int = 4,
) -> WordPress:
    """Start MariaDB and WordPress under `base` (created, must be empty) and install the site.

    plugins: directory name in wp-content/plugins → source directory (symlinked).
    activate: plugin files to activate, e.g. "offentlig/offentlig.php".
    mu_plugins: file name → PHP source for wp-content/mu-plugins.
    extra_config: PHP lines put into wp-config.php before wp-settings.php is loaded.
    env: environment for the web server (reaches getenv() in WordPress).
    server: "php" (built-in server) or "fpm" (PHP-FPM behind nginx).
    workers: php -S workers, or PHP-FPM children (pm = static).
    """
    check_programs(server)
    base = base.resolve()
    run = base / "run"
    run.mkdir(parents=True, exist_ok=True)
    (base / "tmp").mkdir(exist_ok=True)
    user = (
        os.environ.get("USER")
        or subprocess.run(
            ["id", "-un"],
            capture_output=True,
            text=True,
            check=True,  # noqa: S607
        ).stdout.strip()
    )
    db_port, port = free_port(), free_port()
    wp = WordPress(base, port, db_port, server, dict(env or {}), workers)
    (run / "wordpress.pgids").write_text("")
    try:
        _start_mariadb(base, user, db_port)
        _make_docroot(wp, plugins or {}, mu_plugins or {}, extra_config)
        log = run / "install.log"
        (run / "install.php").write_text(
            template(
                "install.php",
                ADMIN_USER=ADMIN_USER,
                ADMIN_EMAIL=ADMIN_EMAIL,
                ADMIN_PASSWORD=ADMIN_PASSWORD,
            )
        )
        _run(
            ["php", str(run / "install.php"), str(wp.docroot), f"127.0.0.1:{port}"],
            log,
            timeout=120,
        )
        _start_web(wp)
        for plugin_file in activate:
            wp.activate_plugin(plugin_file)
        (base / STATE_FILE).write_text(json.dumps(wp.as_json() | {"env": wp.env}, indent=2))
    except BaseException:
        stop(base, remove=False)
        raise
    return wp


def _remember_group(base: Path, name: str, pid_file: Path) -> None:
    with (base / "run" / "wordpress.pgids").open("a") as out:
        out.write(f"{name} {pid_file}\n")


def _start_mariadb(base: Path, user: str, db_port: int) -> None:
    run = base / "run"
    # A temporary directory of its own: temporary tables in the shared /tmp are named after
    # the server's pid and thread, so two installs at once could clash there.
    tmpdir = base / "db-tmp"
    tmpdir.mkdir(exist_ok=True)
    shutil.chown(tmpdir, user)
    _run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={base / 'db'}",
            f"--tmpdir={tmpdir}",
            f"--user={user}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            "--innodb-log-file-size=16M",
        ],
        run / "install-db.log",
        timeout=120,
    )
    sock = run / "mysqld.sock"
    pid_file = run / "mariadbd.pid"
    _spawn(
        [
            _which("mariadbd") or "mariadbd",
            "--no-defaults",
            f"--datadir={base / 'db'}",
            f"--tmpdir={tmpdir}",
            f"--socket={sock}",
            f"--pid-file={run / 'mysqld.pid'}",
            f"--port={db_port}",
            "--bind-address=127.0.0.1",
            f"--user={user}",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M",
            f"--log-error={run / 'mysqld.err'}",
        ],
        run / "mariadbd.out",
        pid_file,
        os.environ,
    )
    _remember_group(base, "mariadbd", pid_file)

    def ready() -> bool:
        return (
            subprocess.run(  # noqa: S603
                ["mariadb-admin", "--no-defaults", f"--socket={sock}", "-uroot", "ping"],
                capture_output=True,
            ).returncode
            == 0
        )

    _wait_for(ready, "MariaDB", 60, run / "mysqld.err")
    sql = (
        "CREATE DATABASE wordpress CHARACTER SET utf8mb4;"
        "CREATE USER 'wp'@'localhost' IDENTIFIED BY 'wp';"
        "GRANT ALL ON wordpress.* TO 'wp'@'localhost';"
        "CREATE USER 'wp'@'127.0.0.1' IDENTIFIED BY 'wp';"
        "GRANT ALL ON wordpress.* TO 'wp'@'127.0.0.1';"
    )
    _run(
        ["mariadb", "--no-defaults", f"--socket={sock}", "-uroot", "-e", sql],
        run / "install-db.log",
    )


def _make_docroot(
    wp: WordPress, plugins: Mapping[str, Path], mu_plugins: Mapping[str, str], extra: str
) -> None:
    """The light docroot: top-level *.php and wp-admin copied, wp-includes and themes linked."""
    src, doc = WORDPRESS_SOURCE, wp.docroot
    for sub in ("themes", "plugins", "mu-plugins", "uploads"):
        (doc / "wp-content" / sub).mkdir(parents=True, exist_ok=True)
    for php_file in src.glob("*.php"):
        if php_file.name != "wp-config.php":
            shutil.copy2(php_file, doc / php_file.name)
    shutil.copytree(src / "wp-admin", doc / "wp-admin", symlinks=True)
    (doc / "wp-includes").symlink_to(src / "wp-includes")
    for theme in (src / "wp-content" / "themes").iterdir():
        (doc / "wp-content" / "themes" / theme.name).symlink_to(theme.resolve())
    for name, source in plugins.items():
        (doc / "wp-content" / "plugins" / name).symlink_to(Path(source).resolve())
    (doc / "wp-content" / "mu-plugins" / "test-no-mail.php").write_text(NO_MAIL_PHP)
    for name, code in mu_plugins.items():
        (doc / "wp-content" / "mu-plugins" / name).write_text(code)
    (doc / "wp-config.php").write_text(
        template("wp-config.php.in", DB_PORT=str(wp.db_port), URL=wp.url, EXTRA=extra)
    )
    (wp.run_dir / "router.php").write_text(template("router.php"))


def _start_web(wp: WordPress) -> None:
    run, env = wp.run_dir, {**os.environ, **wp.env}
    if wp.server == "php":
        pid_file = run / "php.pid"
        _spawn(
            ["php", "-S", f"127.0.0.1:{wp.port}", "-t", str(wp.docroot), str(run / "router.php")],
            run / "php.log",
            pid_file,
            {**env, "PHP_CLI_SERVER_WORKERS": str(wp.workers)},
        )
        _remember_group(wp.base, "php", pid_file)
        _wait_for(lambda: _http_ok(wp.url + "/wp-json/"), "php -S", 60, run / "php.log")
        return
    (wp.base / "php-fpm.conf").write_text(template("php-fpm.conf", CHILDREN=str(wp.workers)))
    (wp.base / "nginx.conf").write_text(
        template("nginx.conf.in", PORT=str(wp.port), B=str(wp.base))
    )
    _spawn(
        [
            "php-fpm8.2",
            "--nodaemonize",
            "--allow-to-run-as-root",
            "--prefix",
            str(wp.base),
            "--fpm-config",
            str(wp.base / "php-fpm.conf"),
        ],
        run / "php-fpm.out",
        None,
        env,
    )
    _remember_group(wp.base, "php-fpm", run / "php-fpm.pid")
    _wait_for(lambda: (run / "php-fpm.sock").exists(), "php-fpm", 30, run / "php-fpm.out")
    _spawn(
        ["nginx", "-p", f"{wp.base}/", "-c", "nginx.conf", "-g", "daemon off;"],
        run / "nginx.out",
        None,
        env,
    )
    _remember_group(wp.base, "nginx", run / "nginx.pid")
    _wait_for(lambda: _http_ok(wp.url + "/wp-json/"), "nginx + php-fpm", 60, run / "nginx.out")


def _group_alive(pgid: int) -> bool:
    """True while a non-zombie process of the group is left."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def stop(base: Path, *, remove: bool = True, timeout: float = 10.0) -> None:
    """Kill every process group started for `base` (web server first, MariaDB last)."""
    base = Path(base)
    listing = base / "run" / "wordpress.pgids"
    entries = listing.read_text().split("\n") if listing.exists() else []
    for line in reversed([e for e in entries if e.strip()]):
        _name, pid_path = line.split(" ", 1)
        try:
            pgid = int(Path(pid_path).read_text().strip())
        except (OSError, ValueError):
            continue
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + timeout
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
    for child in list(_CHILDREN):
        if child.poll() is not None:
            _CHILDREN.remove(child)
    if remove:
        shutil.rmtree(base, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.wordpress", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start an instance and print its details as JSON")
    up.add_argument("--dir", type=Path, help="base directory (default: a new temp dir)")
    up.add_argument(
        "--plugin",
        type=Path,
        action="append",
        default=[],
        help="plugin directory to link and activate (its main file is <dir>/<dir>.php)",
    )
    up.add_argument("--server", choices=("php", "fpm"), default="php")
    down = sub.add_parser("down", help="stop an instance and delete its directory")
    down.add_argument("--dir", type=Path, required=True)
    down.add_argument("--keep", action="store_true", help="keep the directory (logs)")
    args = parser.parse_args(argv)
    if args.command == "down":
        stop(args.dir, remove=not args.keep)
        return 0
    base = args.dir or Path(tempfile.mkdtemp(prefix="offentlig-wp-"))
    plugins = {p.resolve().name: p.resolve() for p in args.plugin}
    wp = start(
        base,
        plugins=plugins,
        activate=[f"{name}/{name}.php" for name in plugins],
        server=args.server,
    )
    json.dump(wp.as_json(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
