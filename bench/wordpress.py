"""`python -m bench.wordpress`: what the WordPress plugin costs an editor, and how soon a
published post can be found in the archive.

WordPress is hosted the way authorities host it: Debian's WordPress under PHP-FPM (4 static
children) behind nginx, private configs on loopback ports (tests/e2e/wordpress.py), the real
service (`offentlig serve`) on SeaweedFS, the plugin configured as the e2e tests configure it
(tests/e2e/conftest.py), but with the plugin's own retry schedule. One editor publishes posts
through XML-RPC (python-wordpress-xmlrpc), one every `--interval` seconds, in four scenarios:

  inactive  the plugin deactivated: the baseline
  fast      plugin active, the service answering at once
  slow      plugin active, the service answering after 2 s (a loopback proxy that waits,
            then forwards to the real service)
  down      plugin active, the service URL a closed loopback port

The scenarios take turns publish by publish: a cycle is one publish in each, in the order of
one row of a Williams square (every scenario follows every other one equally often), so
whatever else the machine is doing weighs on all four alike. A mu-plugin, the same in every
scenario, switches between them without touching the database (see BENCH_MU_PLUGIN) and logs
each publish's server-side wall and CPU time. In `fast`, after each publish the service's
search (`GET /v1/records?q=<the post's unique word>`) is polled until it lists the post:
publish → visible, from the moment the editor's request was sent.

Prints a table (median/p95 per scenario, ratios to `inactive`) and writes
bench/results/wordpress-<UTC time>.json (and wordpress-latest.json).

`--scenario bursts` (`make -C bench bursts`) measures instead how soon bursts of editorial work
reach the archive, with the plugin active and the service fast (tests/e2e/bursts.py): three
saves of one post within a second, ten editors publishing at once, 100 comments in 10 s (held
and approved), a bulk action approving 50 comments, and a scheduled post going live by WP-Cron.
Each event is timed from the moment its action was sent to its `captured_at` in the archive;
p50/p95 per burst (goal p95 ≤ 1 s), nothing missing, order per object kept. Writes
bench/results/wordpress-bursts-<UTC time>.json. `--trace` adds, per burst, where each event's time
went (bench/trace.py: row committed, request done, claimed, posted, service, captured).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import common, trace
from bench.common import RESULTS, percentile

console = Console(width=None if sys.stdout.isatty() else 120)

SCENARIOS = ("inactive", "fast", "slow", "down")
DESCRIPTION = {
    "inactive": "plugin inactive (baseline)",
    "fast": "(a) service fast",
    "slow": "(b) service answers after {delay:g} s",
    "down": "(c) service down (closed port)",
}
RATIO_GOAL = 1.1
VISIBLE_GOAL = 1.0
PLUGIN_FILE = "offentlig/offentlig.php"

# A Swedish post of ordinary length (about 1,700 characters of HTML).
BODY = (
    "<p>Kommunstyrelsen har beslutat att bygga om skolgården vid Norra skolan under sommaren. "
    "Arbetet börjar i juni och ska vara klart till skolstarten i augusti.</p>\n"
    "<h2>Vad händer?</h2>\n<p>Asfalten byts mot gräs och genomsläpplig beläggning, det blir "
    "fler träd, en ny lekplats och cykelställ med tak. Under byggtiden är skolgården stängd och "
    "fritidsverksamheten flyttar till Parkskolan.</p>\n"
    "<ul><li>Vecka 24: rivning av gammal asfalt</li><li>Vecka 26–30: markarbeten och "
    "plantering</li><li>Vecka 32: besiktning</li></ul>\n"
    "<p>Frågor om arbetet besvaras av samhällsbyggnadsförvaltningen, telefon 0123-45 67 89. "
    "Beslutet har diarienummer Dnr KS 2026/245 och kan överklagas genom laglighetsprövning "
    "inom tre veckor från den dag då protokollet anslogs på kommunens anslagstavla.</p>\n"
    '<p>Läs mer om <a href="https://www.example.se/skolgardar">kommunens satsning på '
    "gröna skolgårdar</a>.</p>"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.wordpress",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--publishes",
        type=int,
        default=48,
        help="Measured publishes per scenario (= measured cycles; default 48, a multiple of 4 "
        "keeps the order balanced).",
    )
    p.add_argument(
        "--warmup",
        type=int,
        default=2,
        help="Unmeasured cycles first (default 2).",
    )
    p.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="Seconds from one publish's start to the next one's (default 1.0).",
    )
    p.add_argument("--delay", type=float, default=2.0, help="The slow service's delay (s).")
    p.add_argument(
        "--visible-timeout",
        type=float,
        default=10.0,
        help="Give up waiting for one post in the search after this (s).",
    )
    p.add_argument("--poll", type=float, default=0.02, help="Search polling interval (s).")
    p.add_argument(
        "--quick",
        action="store_true",
        help="A smoke run: 8 measured publishes per scenario, 1 warm-up cycle.",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=8 * 60,
        help="Stop publishing after this many seconds in all (default 480).",
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument(
        "--scenario",
        choices=("publish", "bursts"),
        default="publish",
        help="publish: what a publish costs the editor (default); bursts: how soon bursts of "
        "work reach the archive.",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="bursts: how many times to run every burst (default 3; --quick: 1).",
    )
    p.add_argument(
        "--children",
        type=int,
        default=4,
        help="PHP-FPM children (pm = static; default 4).",
    )
    p.add_argument(
        "--plugin-dir",
        type=Path,
        default=None,
        help="Measure the plugin in this directory instead of wp-plugin/offentlig (e.g. another "
        "version, for a before/after comparison in the same conditions).",
    )
    p.add_argument(
        "--trace",
        action="store_true",
        help="bursts: time each event step by step (bench/trace.py) and print where it went.",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.publishes, args.warmup = min(args.publishes, 8), min(args.warmup, 1)
        args.rounds = 1
    if args.publishes < 1 or args.warmup < 0 or args.interval <= 0:
        p.error("need --publishes ≥ 1, --warmup ≥ 0 and --interval > 0")
    return args


# --- the slow service and the dead one -------------------------------------------------


class SlowProxy(ThreadingHTTPServer):
    """Waits `delay` seconds, then forwards the request to the real service and relays its
    answer: the service as it looks over a slow network or under heavy load."""

    daemon_threads = True

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port, self.delay = target_port, delay
        self.forwarded = 0
        super().__init__(("127.0.0.1", 0), _ProxyHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: SlowProxy
    timeout = 30  # an idle or stuck client connection is dropped after this

    def _relay(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 16 * 1024 * 1024)) if length else None
        time.sleep(self.server.delay)
        headers = {
            k: v for k, v in self.headers.items()
            if k.lower() not in ("host", "connection", "keep-alive", "transfer-encoding")
        }  # fmt: skip
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.target_port, timeout=15)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(key, value)
        except OSError as exc:
            data = json.dumps({"message": f"proxy: {exc}"}).encode()
            self.send_response(502)
            self.send_header("Content-Type", "application/json")
        finally:
            upstream.close()
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.server.forwarded += 1

    do_POST = do_GET = _relay  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass


@contextlib.contextmanager
def slow_proxy(target_port: int, delay: float) -> Iterator[SlowProxy]:
    proxy = SlowProxy(target_port, delay)
    thread = threading.Thread(target=proxy.serve_forever, name="slow-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (so nobody else takes it), never
    listening (so the kernel answers every SYN with a reset)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


# --- the site --------------------------------------------------------------------------

# A mu-plugin, the same in every scenario. (1) The scenario switch: a small JSON file read by
# every request says whether the plugin is active (if not, it is taken out of `active_plugins`
# before plugins load: WordPress does not load it at all, as after a deactivation) and which
# service URL its settings hold. Switching scenarios between two publishes thus writes nothing
# to the database: activating the plugin from the CLI before each publish (dbDelta, cron,
# options) slowed the publish right after it by ~10 ms on a loaded machine.
# (2) Timing: for each XML-RPC request, up to its response (the plugin's after-response
# dispatch runs at shutdown priority 1000, after this), the wall time since PHP-FPM took the
# request and the CPU time of the PHP worker since the mu-plugins loaded. CPU time hardly
# changes with other load on the machine; wall time does.
BENCH_MU_PLUGIN = """<?php
// Written by bench/wordpress.py.
$GLOBALS['offentlig_bench_ru'] = getrusage();
$offentlig_bench = json_decode((string) @file_get_contents(@SCENARIO@), true);
if (empty($offentlig_bench['plugin'])) {
    add_filter('option_active_plugins', static function ($plugins) {
        return array_values(array_diff((array) $plugins, array(@PLUGIN@)));
    });
} elseif (!empty($offentlig_bench['service_url'])) {
    add_filter('option_offentlig_settings', static function ($settings) use ($offentlig_bench) {
        $settings = (array) $settings;
        $settings['service_url'] = $offentlig_bench['service_url'];
        return $settings;
    });
}
add_action('shutdown', static function () {
    if (!defined('XMLRPC_REQUEST')) { return; }
    $a = $GLOBALS['offentlig_bench_ru']; $b = getrusage(); $cpu = 0.0;
    foreach (array('ru_utime', 'ru_stime') as $k) {
        $cpu += ($b["$k.tv_sec"] - $a["$k.tv_sec"]) * 1e3
            + ($b["$k.tv_usec"] - $a["$k.tv_usec"]) / 1e3;
    }
    $wall = (microtime(true) - $_SERVER['REQUEST_TIME_FLOAT']) * 1e3;
    $active = defined('Offentlig\\\\VERSION') ? 1 : 0;
    $line = sprintf("%d %.3f %.3f\\n", $active, $wall, $cpu);
    file_put_contents(@LOG@, $line, FILE_APPEND | LOCK_EX);
}, 999);
"""


class Bench:
    """The running site, the client that publishes, and the current scenario."""

    def __init__(self, site: Any, client: Any, urls: dict[str, str], args: argparse.Namespace):
        self.site, self.client, self.urls, self.args = site, client, urls, args
        self.rng = random.Random(args.seed)
        self.published: dict[str, list[int]] = {name: [] for name in SCENARIOS}
        self.timing = site.wp.run_dir / "bench-timing.log"
        self.timing.write_text("")
        self.timing_offset = 0
        self.scenario_file = site.wp.run_dir / "bench-scenario.json"
        self.configure("fast")
        mu_plugin = site.wp.docroot / "wp-content" / "mu-plugins" / "offentlig-bench.php"
        code = BENCH_MU_PLUGIN
        for key, value in {
            "@LOG@": str(self.timing),
            "@SCENARIO@": str(self.scenario_file),
            "@PLUGIN@": PLUGIN_FILE,
        }.items():
            code = code.replace(key, "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'")
        mu_plugin.write_text(code)

    def configure(self, scenario: str) -> None:
        """Switch scenario (read by the mu-plugin from the next request on); atomic."""
        state = {"plugin": scenario != "inactive", "service_url": self.urls.get(scenario)}
        scratch = self.scenario_file.with_suffix(".tmp")
        scratch.write_text(json.dumps(state))
        os.replace(scratch, self.scenario_file)

    def word(self) -> str:
        """A word found nowhere else in the archive (letters only, so every tokenizer keeps it)."""
        return "bmk" + "".join(self.rng.choice(string.ascii_lowercase) for _ in range(12))

    def publish(self, scenario: str, word: str) -> float:
        from wordpress_xmlrpc import WordPressPost
        from wordpress_xmlrpc.methods import posts

        post = WordPressPost()
        post.title = f"Ny skolgård vid Norra skolan {word}"
        post.content = BODY.replace("Dnr KS", f"{word} Dnr KS", 1)
        post.post_status = "publish"
        post.comment_status = "open"
        started = time.perf_counter()
        post_id = int(self.client.call(posts.NewPost(post)))
        elapsed = time.perf_counter() - started
        self.published[scenario].append(post_id)
        return elapsed

    def server_times(self, scenario: str) -> tuple[float, float]:
        """(wall, CPU) seconds of the last XML-RPC request up to its response, as the
        mu-plugin logged them; checks the plugin was loaded exactly when it should be."""
        with self.timing.open("rb") as log:
            log.seek(self.timing_offset)
            lines = log.read().decode().splitlines()
            self.timing_offset = log.tell()
        if len(lines) != 1:
            raise RuntimeError(f"expected one timing line per publish, got {lines!r}")
        active, wall, cpu = lines[0].split()
        if (active == "1") != (scenario != "inactive"):
            state = "loaded" if active == "1" else "not loaded"
            raise RuntimeError(f"{scenario}: the plugin was {state}")
        return float(wall) / 1000, float(cpu) / 1000

    def visible_after(self, word: str, sent_at: float) -> float | None:
        """Seconds from `sent_at` until the search lists the post; None after the timeout."""
        archive = self.site.archive
        deadline = sent_at + self.args.visible_timeout
        while time.perf_counter() < deadline:
            answer = archive.get("/v1/records", q=word, site=archive.site_id, kind="post")
            if answer.status_code == 200 and answer.json()["items"]:
                return time.perf_counter() - sent_at
            time.sleep(self.args.poll)
        return None


# A Williams design for four treatments: within its rows every scenario follows every other
# one exactly once, so what ran just before a publish (a delivery, search polling, a 2 s wait
# holding a PHP worker) weighs on every scenario alike.
WILLIAMS = ((0, 1, 3, 2), (1, 2, 0, 3), (2, 3, 1, 0), (3, 0, 2, 1))


def cycle_order(cycle: int) -> list[str]:
    """The scenarios of one cycle, in order: row `cycle mod 4` of the Williams square."""
    return [SCENARIOS[i] for i in WILLIAMS[cycle % len(WILLIAMS)]]


def run_cycles(
    bench: Bench, deadline: float, results: dict[str, dict[str, list[float]]]
) -> dict[str, Any]:
    """Warm-up cycles, then measured ones; one publish every `interval` seconds. A publish
    whose slot the setup (or the previous publish's search polling) overran starts late."""
    args = bench.args
    late = 0
    cycles = args.warmup + args.publishes
    next_start = time.perf_counter()
    done = 0
    for cycle in range(cycles):
        measured = cycle >= args.warmup
        for name in cycle_order(cycle):
            if time.monotonic() > deadline:
                console.print("[yellow]time limit reached: stopping early[/]")
                return {"cycles": done, "late_starts": late}
            bench.configure(name)
            now = time.perf_counter()
            if now < next_start:
                time.sleep(next_start - now)
            elif now - next_start > 0.05:
                late += 1
            next_start = max(now, next_start) + args.interval
            word = bench.word()
            sent_at = time.perf_counter()
            seconds = bench.publish(name, word)
            server_wall, server_cpu = bench.server_times(name)
            if not measured:
                continue
            results[name]["publish"].append(seconds)
            results[name]["server_wall"].append(server_wall)
            results[name]["server_cpu"].append(server_cpu)
            if name == "fast":
                visible = bench.visible_after(word, sent_at)
                if visible is None:
                    results[name]["not_visible"].append(sent_at)
                else:
                    results[name]["visible"].append(visible)
        done += 1
        if measured and (cycle - args.warmup + 1) % 10 == 0:
            medians = "  ".join(
                f"{n} {_ms(statistics.median(results[n]['publish']))}" for n in SCENARIOS
            )
            console.print(f"  {cycle - args.warmup + 1:3d} cycles, medians (ms): {medians}")
    return {"cycles": done, "late_starts": late}


def summarize(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p95": percentile(values, 0.95),
        "min": min(values),
        "max": max(values),
        "mean": statistics.fmean(values),
    }


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.1f}"


def _verdict(value: float, goal: float) -> str:
    return f"{value:.2f} " + ("[green]✓[/]" if value <= goal else "[red]✗[/]")


def report(args: argparse.Namespace, results: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    base = summarize(results["inactive"]["publish"])
    base_cpu = summarize(results["inactive"]["server_cpu"])
    table = Table(
        title=f"Publish through XML-RPC (PHP-FPM behind nginx), one every {args.interval:g} s",
        title_justify="left",
    )
    columns = (
        "scenario", "n", "median ms", "p95 ms", "max ms", "ratio median", "ratio p95",
        "server CPU ms", "CPU ratio",
    )  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column == "scenario" else "right")
    rows: dict[str, Any] = {}
    for name in SCENARIOS:
        stats = summarize(results[name]["publish"])
        cpu = summarize(results[name]["server_cpu"])
        row: dict[str, Any] = {k: round(v, 5) for k, v in stats.items()}
        row["server_wall"] = {
            k: round(v, 5) for k, v in summarize(results[name]["server_wall"]).items()
        }
        row["server_cpu"] = {k: round(v, 5) for k, v in cpu.items()}
        ratio_cells = ["", ""]
        cpu_ratio = ""
        if name != "inactive" and stats["n"] and base["n"]:
            row["ratio_median"] = round(stats["median"] / base["median"], 3)
            row["ratio_p95"] = round(stats["p95"] / base["p95"], 3)
            row["goal_met"] = row["ratio_median"] <= RATIO_GOAL
            ratio_cells = [_verdict(row["ratio_median"], RATIO_GOAL), f"{row['ratio_p95']:.2f}"]
            row["cpu_ratio_median"] = round(cpu["median"] / base_cpu["median"], 3)
            cpu_ratio = f"{row['cpu_ratio_median']:.2f}"
        rows[name] = row
        table.add_row(
            DESCRIPTION[name].format(delay=args.delay),
            str(stats["n"]),
            _ms(stats.get("median")),
            _ms(stats.get("p95")),
            _ms(stats.get("max")),
            *ratio_cells,
            _ms(cpu.get("median")),
            cpu_ratio,
        )
    console.print(table)
    console.print(
        f"ratio = with the plugin ÷ plugin inactive (same site, same PHP-FPM/nginx settings), "
        f"times as the editor's client sees them; goal: ratio of medians ≤ {RATIO_GOAL}× in "
        "(a), (b) and (c). server CPU = median CPU time of the PHP worker up to the response "
        "(from the mu-plugins on): hardly affected by other load on the machine."
    )
    visible = summarize(results["fast"]["visible"])
    missing = len(results["fast"]["not_visible"])
    vis_table = Table(
        title="Publish → visible in the service's search (service fast)", title_justify="left"
    )
    for column in ("n", "not found", "p50 ms", "p95 ms", "max ms", "goal p95 ≤ 1 s"):
        vis_table.add_column(column, justify="right")
    vis: dict[str, Any] = {k: round(v, 5) for k, v in visible.items()}
    vis["not_visible_within_s"] = {"count": missing, "timeout": args.visible_timeout}
    if visible["n"]:
        vis["goal_met"] = missing == 0 and visible["p95"] <= VISIBLE_GOAL
        vis_table.add_row(
            str(visible["n"]), str(missing), _ms(visible["median"]), _ms(visible["p95"]),
            _ms(visible["max"]), ("[green]✓[/]" if vis["goal_met"] else "[red]✗[/]"),
        )  # fmt: skip
    console.print(vis_table)
    console.print(
        "from the moment the editor's XML-RPC request is sent until GET /v1/records?q=<word> "
        f"lists the post (polled every {args.poll * 1000:.0f} ms)."
    )
    return {"publish": rows, "visibility": vis}


def _versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, argv in {
        "php-fpm": ["php-fpm8.2", "-v"],
        "nginx": ["nginx", "-v"],
        "mariadb": ["mariadbd", "--version"],
    }.items():
        path = shutil.which(argv[0]) or shutil.which(argv[0], path="/usr/sbin:/usr/bin")
        if path:
            done = subprocess.run([path, *argv[1:]], capture_output=True, text=True, timeout=10)  # noqa: S603
            found[name] = (done.stdout or done.stderr).strip().splitlines()[0]
    version_php = Path("/usr/share/wordpress/wp-includes/version.php")
    if version_php.exists():
        for line in version_php.read_text().splitlines():
            if line.startswith("$wp_version"):
                found["wordpress"] = line.split("'")[1]
    return found


def run(args: argparse.Namespace, work: Path, deadline: float) -> dict[str, Any]:
    from service.wordpress.xmlrpc import connect
    from tests.e2e import conftest as e2e
    from tests.e2e import wordpress as wp_harness

    wp_harness.check_programs("fpm")
    logs = RESULTS / "logs" / "wordpress"
    shutil.rmtree(logs, ignore_errors=True)
    results: dict[str, dict[str, list[float]]] = {
        n: {"publish": [], "server_wall": [], "server_cpu": [], "visible": [], "not_visible": []}
        for n in SCENARIOS
    }
    with contextlib.ExitStack() as stack:
        console.print("starting SeaweedFS, the service, WordPress (PHP-FPM + nginx) …")
        endpoint = stack.enter_context(common.seaweedfs(work / "seaweedfs")).endpoint_url
        service = e2e.start_service(endpoint, work / "service")
        stack.callback(service.stop)
        site = stack.enter_context(
            e2e.running_site(
                service, work / "wordpress", "fpm", "Benchmarkkommunen",
                retry_schedule=None, artifacts=logs, workers=args.children,
                plugin_dir=args.plugin_dir or e2e.PLUGIN_DIR,
            )
        )  # fmt: skip
        proxy = stack.enter_context(slow_proxy(service.port, args.delay))
        dead = stack.enter_context(closed_port())
        urls = {"fast": service.url, "slow": proxy.url, "down": f"http://127.0.0.1:{dead}"}
        # WordPress's first cron run (update checks, https detection) before anything is timed.
        site.wp.run_cron()
        client = stack.enter_context(
            connect(site.wp.url, wp_harness.ADMIN_USER, wp_harness.ADMIN_PASSWORD)
        )
        bench = Bench(site, client, urls, args)
        console.print(
            f"{args.warmup} warm-up + {args.publishes} measured cycles, each one publish per "
            f"scenario, one publish every {args.interval:g} s"
        )
        progress = run_cycles(bench, deadline, results)
        # Make sure the plugin is on again and every delivery to the slow proxy had its time.
        bench.configure("fast")
        checks = verify(bench, args)
    summary = report(args, results)
    summary["checks"] = checks
    summary.update(progress)
    summary["raw_seconds"] = {
        name: {k: [round(v, 5) for v in vals] for k, vals in res.items()}
        for name, res in results.items()
    }
    return summary


def verify(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """Every post published while the service was up (fast or slow) reached the archive;
    the ones published while it was down wait in the outbox."""
    archive = bench.site.archive
    expected = bench.published["fast"] + bench.published["slow"]
    deadline = time.monotonic() + 15 + args.delay
    missing = list(expected)
    while missing and time.monotonic() < deadline:
        missing = [i for i in missing if archive.record("post", i) is None]
        if missing:
            time.sleep(0.5)
    counts = bench.site.outbox_counts()
    checks = {
        "posts_expected_in_archive": len(expected),
        "posts_missing_from_archive": missing,
        "posts_published_while_down": len(bench.published["down"]),
        "outbox": counts,
    }
    mark = "[green]ok[/]" if not missing else f"[red]{len(missing)} missing[/]"
    console.print(
        f"check: {len(expected) - len(missing)}/{len(expected)} posts published with the service "
        f"up are in the archive ({mark}); outbox {counts}: of the "
        f"{len(bench.published['down'])} published while it was down, those still pending wait "
        "for their next retry (WP-Cron delivered the others once the service was back)"
    )
    return checks


# --- bursts -------------------------------------------------------------------------------


def run_bursts(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Every burst of tests/e2e/bursts.py, `--rounds` times, against the real service."""
    from tests.e2e import bursts
    from tests.e2e import conftest as e2e
    from tests.e2e import wordpress as wp_harness

    wp_harness.check_programs("fpm")
    logs = RESULTS / "logs" / "wordpress-bursts"
    shutil.rmtree(logs, ignore_errors=True)
    merged = bursts.Outcome()
    with contextlib.ExitStack() as stack:
        console.print("starting SeaweedFS, the service, WordPress (PHP-FPM + nginx) …")
        endpoint = stack.enter_context(common.seaweedfs(work / "seaweedfs")).endpoint_url
        service = e2e.start_service(endpoint, work / "service")
        stack.callback(service.stop)
        site = stack.enter_context(
            e2e.running_site(
                service, work / "wordpress", "fpm", "Benchmarkkommunen",
                retry_schedule=None, artifacts=logs, workers=args.children,
                plugin_dir=args.plugin_dir or e2e.PLUGIN_DIR,
            )
        )  # fmt: skip
        site.wp.run_cron()  # WordPress's first cron run (update checks) before anything is timed
        trace_log = site.wp.run_dir / "trace.log"
        if args.trace:
            trace.install(site.wp.docroot, trace_log)
        admin = site.admin_session()
        rng = random.Random(args.seed)
        for n in range(args.rounds):
            word = "brst" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
            console.print(f"  round {n + 1}/{args.rounds} ({word}) …")
            outcome = bursts.run_all(site.wp, site.archive, admin, word)
            for name, seconds in outcome.latencies.items():
                merged.latencies.setdefault(name, []).extend(seconds)
            merged.missing += outcome.missing
            merged.out_of_order += outcome.out_of_order
            merged.arrivals += outcome.arrivals
        counts = site.outbox_counts()
        if args.trace:
            timelines = trace.timelines(
                merged.arrivals,
                trace.outbox_rows(site),
                trace.read_lines(trace_log),
                trace.service_times(service.log_path),
            )
            logs.mkdir(parents=True, exist_ok=True)
            shutil.copy(trace_log, logs / "trace.log")
    result = report_bursts(merged, counts)
    if args.trace:
        result["trace"] = trace.report(console, timelines, bursts.BURSTS)
    return result


def report_bursts(outcome: Any, counts: dict[str, int]) -> dict[str, Any]:
    table = Table(
        title="Bursts: action → event captured by the archive (PHP-FPM behind nginx, service fast)",
        title_justify="left",
    )
    for column in ("burst", "events", "p50 ms", "p95 ms", "max ms", "goal p95 ≤ 1 s"):
        table.add_column(column, justify="left" if column == "burst" else "right")
    rows: dict[str, Any] = {}
    from tests.e2e.bursts import BURSTS

    for name in BURSTS:
        stats = summarize(outcome.latencies.get(name, []))
        row: dict[str, Any] = {k: round(v, 5) for k, v in stats.items()}
        if stats["n"]:
            row["goal_met"] = stats["p95"] <= VISIBLE_GOAL
            table.add_row(
                name, str(stats["n"]), _ms(stats["median"]), _ms(stats["p95"]),
                _ms(stats["max"]), "[green]✓[/]" if row["goal_met"] else "[red]✗[/]",
            )  # fmt: skip
        else:
            table.add_row(name, "0", "–", "–", "–", "[red]✗[/]")
        rows[name] = row
    console.print(table)
    mark = "[green]none[/]" if not outcome.missing else f"[red]{len(outcome.missing)}[/]"
    order = "[green]kept[/]" if not outcome.out_of_order else f"[red]{outcome.out_of_order}[/]"
    console.print(
        "from sending the action (the scheduled post: from its scheduled time) to the event's "
        f"captured_at in the archive. Missing events: {mark}; order per object: {order}; "
        f"outbox at the end: {counts}"
    )
    return {
        "bursts": rows,
        "missing": outcome.missing,
        "out_of_order": outcome.out_of_order,
        "outbox": counts,
        "raw_seconds": {k: [round(v, 4) for v in vals] for k, vals in outcome.latencies.items()},
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    title = "Offentlig bench: WordPress plugin" + (" (bursts)" if args.scenario == "bursts" else "")
    result: dict[str, Any] = common.start_report(console, title)
    result["machine"].update(_versions(), php_fpm_children=args.children)
    result["arguments"] = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    work = Path(tempfile.mkdtemp(prefix="offentlig-bench-wp-"))
    try:
        if args.scenario == "bursts":
            result.update(run_bursts(args, work))
        else:
            result.update(run(args, work, started + args.time_limit))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.scenario == "bursts":
        common.finish_report(
            console, result, started, "wordpress-bursts", "wordpress-bursts-latest.json"
        )
    else:
        common.finish_report(console, result, started, "wordpress", "wordpress-latest.json")


if __name__ == "__main__":
    main()
