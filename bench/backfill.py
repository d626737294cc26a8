"""Backfill throughput against a real WordPress (PHP-FPM + nginx), as a ratio to the slower
of two raw rates measured in the same run on the same data:

* **read**: every listing backfill reads (published posts and pages, comments by post type
  and status) over XML-RPC (+ REST for rendered HTML) with the same page size, nothing done
  with what is read;
* **put**: as many parallel S3 PUTs (16 threads, ~2 KB each) to SeaweedFS, into a bucket
  made as `offentlig storage create-bucket` makes it.

Backfill does both and more (validation, canonical JSON, hashes, the index): with reading and
capturing pipelined its time could approach the slower of the two. Goal: ratio ≥ 0.6.

    make -C bench backfill             # 2,000 posts, 5,000 comments (~10 min, busy 2 cores)
    .venv/bin/python -m bench.backfill --help
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import common

console = Console()

GENERATE = """
wp_defer_term_counting(true);
wp_defer_comment_counting(true);
$paragraph = '<!-- wp:paragraph --><p>Kommunstyrelsen har beslutat om nya riktlinjer för '
    . 'snöröjning, skolskjuts och bygglov. Synpunkter lämnas till kommunens kontaktcenter '
    . 'senast den sista i månaden. Dnr KS 2024/%%d.</p><!-- /wp:paragraph -->';
$ids = [];
for ($i = 1; $i <= %(posts)d; $i++) {
    $ids[] = wp_insert_post([
        'post_title' => "Nyhet $i från kommunen",
        'post_content' => implode("\\n\\n", array_fill(0, 4, sprintf($paragraph, $i))),
        'post_status' => 'publish', 'post_author' => 1, 'post_category' => [1],
        'comment_status' => 'open',
        'post_date_gmt' => gmdate('Y-m-d H:i:s', 1577836800 + $i * 3600),
    ]);
}
for ($i = 1; $i <= %(pages)d; $i++) {
    wp_insert_post(['post_type' => 'page', 'post_title' => "Sida $i", 'post_status' => 'publish',
        'post_content' => sprintf($paragraph, $i), 'post_author' => 1]);
}
for ($j = 1; $j <= %(comments)d; $j++) {
    wp_insert_comment([
        'comment_post_ID' => $ids[$j %% count($ids)],
        'comment_content' => "Fråga nummer $j om beslutet: när gäller det?",
        'comment_approved' => 0 === $j %% 10 ? 0 : (0 === $j %% 25 ? 'spam' : 1),
        'comment_author' => "Besökare $j", 'comment_author_email' => "besokare$j@example.se",
        'comment_author_IP' => '192.0.2.1', 'comment_type' => 'comment',
        'comment_date_gmt' => gmdate('Y-m-d H:i:s', 1600000000 + $j * 60),
    ]);
}
wp_defer_term_counting(false);
wp_defer_comment_counting(false);
echo count($ids);
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.backfill", description=__doc__)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=1, help="read, put, backfill; each round")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=16, help="backfill's capture workers")
    parser.add_argument("--put-threads", type=int, default=16)
    parser.add_argument("--put-bytes", type=int, default=2048)
    return parser.parse_args(argv)


def read_everything(url: str, username: str, password: str, page_size: int) -> int:
    from service.backfill.reading import LISTINGS
    from service.wordpress.xmlrpc import XmlRpcSite

    site = XmlRpcSite(url, username, password)
    try:
        return sum(1 for listing in LISTINGS for _ in listing.read(site, 0, page_size))
    finally:
        site.close()


def put_objects(store: Any, prefix: str, count: int, size: int, threads: int) -> None:
    body = (b'{"content": "' + b"x" * size)[: size - 2] + b'"}'
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda n: store.put(f"{prefix}/{n:08d}.json", body), range(count)))


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from service import config as settings
    from service import services
    from service.auth.actor import SERVICE
    from service.backfill import runs
    from service.storage.s3 import S3Store
    from tests.e2e import wordpress as wp_harness
    from tests.e2e.conftest import Site

    wp_harness.check_programs("fpm")
    samples: dict[str, list[float]] = {"read": [], "put": [], "backfill": []}
    counts: list[int] = []
    with contextlib.ExitStack() as stack:
        console.print("starting SeaweedFS and WordPress (PHP-FPM + nginx) …")
        endpoint = stack.enter_context(common.seaweedfs(work / "seaweedfs")).endpoint_url
        common.create_bucket(endpoint, "backfill-bench")
        wp = wp_harness.start(work / "wordpress", server="fpm")
        stack.callback(wp.stop)
        started = time.monotonic()
        wp.php(GENERATE % vars(args), timeout=1800)
        console.print(
            f"generated {args.posts} posts, {args.pages} pages, {args.comments} comments "
            f"in {time.monotonic() - started:.0f} s"
        )
        password = Site(wp, None).application_password("arkivet", "editor")  # type: ignore[arg-type]
        store = S3Store.from_url("s3://backfill-bench/puts", endpoint_url=endpoint)
        config = settings.load(
            {
                "DATA_DIR": str(work / "data"),
                "STORAGE_URL": "s3://backfill-bench/archive",
                "S3_ENDPOINT_URL": endpoint,
                "SECRET_KEY": common.SECRET_KEY,
            }
        )
        svc = services.build(config)
        stack.callback(svc.close)
        for round_number in range(args.rounds):
            began = time.monotonic()
            objects = read_everything(wp.url, "arkivet", password, args.page_size)
            samples["read"].append(time.monotonic() - began)
            counts.append(objects)

            began = time.monotonic()
            put_objects(store, f"r{round_number}", objects, args.put_bytes, args.put_threads)
            samples["put"].append(time.monotonic() - began)

            site, _ = svc.sites.add(f"Bench {round_number}", wp.url, actor=SERVICE)
            runs.set_account(svc, site["id"], "arkivet", password, ["email"], actor=SERVICE)
            began = time.monotonic()
            report = runs.backfill(
                svc, site["id"], actor=SERVICE, page_size=args.page_size, workers=args.workers
            )
            samples["backfill"].append(time.monotonic() - began)
            captured = sum(t.captured for t in report.kinds.values())
            if captured != objects:
                raise RuntimeError(f"backfill captured {captured} of {objects} objects")
            console.print(
                f"round {round_number + 1}: {objects} objects; read "
                f"{samples['read'][-1]:.1f} s, put {samples['put'][-1]:.1f} s, "
                f"backfill {samples['backfill'][-1]:.1f} s"
            )
    return summarize(args, samples, counts[0])


def summarize(
    args: argparse.Namespace, samples: dict[str, list[float]], objects: int
) -> dict[str, Any]:
    ratios = [
        max(read, put) / backfill
        for read, put, backfill in zip(
            samples["read"], samples["put"], samples["backfill"], strict=True
        )
    ]
    ratio = statistics.median(ratios)
    table = Table("phase", "objects", "seconds (median)", "objects/s", title="Backfill")
    rates = {}
    for phase, seconds in samples.items():
        median = statistics.median(seconds)
        rates[phase] = objects / median
        table.add_row(phase, str(objects), f"{median:.1f}", f"{rates[phase]:.0f}")
    console.print(table)
    verdict = "[green]goal met[/]" if ratio >= 0.6 else "[red]goal missed[/]"
    console.print(
        f"ratio backfill ÷ slower raw rate: {ratio:.2f} (per round: "
        f"{', '.join(f'{r:.2f}' for r in ratios)}) — goal ≥ 0.6: {verdict}"
    )
    return {
        "objects": objects,
        "seconds": samples,
        "rates": rates,
        "ratio_per_round": ratios,
        "ratio": ratio,
        "arguments": vars(args),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    common.run_in_scratch(console, "backfill", lambda work: run(args, work))


if __name__ == "__main__":
    main()
