"""Where one webhook's CPU goes: cProfile over sequential deliveries, no concurrency.

    .venv/bin/python -m bench.cpuprofile [--db sqlite|postgresql] [--requests 300]

The Flask app in this process (no gunicorn), SeaweedFS as S3; prints the functions with the
most cumulative time per request. A tool for finding what to optimise, not a benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import pstats
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from bench import common
from bench.capture import Target, _Client
from bench.corpus import Corpus
from service.auth.actor import operator


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--sort", default="cumulative")
    p.add_argument("--no-profile", action="store_true", help="Only the CPU per request.")
    p.add_argument(
        "--breakdown",
        action="store_true",
        help="No cProfile: CPU time of the main steps, measured by wrapping them (accurate).",
    )
    args = p.parse_args()
    import os

    os.environ.update(common.AWS_ENV)
    work = Path(tempfile.mkdtemp(prefix="offentlig-cpuprofile-"))
    with contextlib.ExitStack() as stack:
        endpoint = stack.enter_context(common.seaweedfs(work / "seaweedfs")).endpoint_url
        common.create_bucket(endpoint, "profile")
        config = {
            "DATA_DIR": str(work / "data"),
            "SECRET_KEY": common.SECRET_KEY,
            "STORAGE_URL": "s3://profile",
            "S3_ENDPOINT_URL": endpoint,
            "LOG_LEVEL": "WARNING",
        }
        if args.db == "postgresql":
            config["DATABASE_URL"] = stack.enter_context(
                common.scratch_postgres(args.postgres_url, "cpuprofile")
            )
        from service import create_app

        app = create_app(config)
        svc = app.extensions["offentlig"]
        site, secret = svc.sites.add("Profil kommun", "https://www.example.se", actor=operator())
        sender = _Client(
            Target("app", "http://x", site["id"], secret),
            Corpus(),
            0,
            "p",
            1,
            None,  # type: ignore[arg-type]
            [0.0],
            0,
        )
        sender.rng = random.Random(1)
        path = f"/v1/sites/{site['id']}/events"
        # WSGI environs built up front, so only the app's own work is measured.
        requests = [
            EnvironBuilder(path=path, method="POST", data=body, headers=headers).get_environ()
            for body, headers in map(sender._request, range(args.requests + 30))
        ]
        for environ in requests[:30]:  # warm-up
            assert _send(app, environ) in (200, 201)
        if args.breakdown:
            _breakdown(app, requests[30:], svc)
            svc.close()
            return
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
        started, wall = time.process_time(), time.perf_counter()
        if not args.no_profile:
            profiler.enable()
        for environ in requests[30:]:
            _send(app, environ)
        profiler.disable()
        cpu, wall = time.process_time() - started, time.perf_counter() - wall
        print(
            f"{args.db}: {1000 * cpu / args.requests:.2f} ms CPU, {1000 * wall / args.requests:.2f}"
            f" ms wall per request{'' if args.no_profile else ' (with profiler)'}"
        )
        if args.no_profile:
            svc.close()
            return
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(400)
        print(out.getvalue())
        svc.close()


def _send(app: Any, environ: dict[str, Any]) -> int:
    """One request straight through the WSGI app, as gunicorn would make it; its status."""
    answer: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: answer.append(status))
    for _ in body:
        pass
    getattr(body, "close", lambda: None)()
    return int(answer[0].split()[0])


def _breakdown(app: Any, requests: list[dict[str, Any]], svc: Any) -> None:
    """Thread CPU time spent in each main step of a webhook, per request."""
    import threading

    from service.api import events
    from service.capture import recorder, signature
    from service.index import rows

    spent: dict[str, float] = {}
    depth = threading.local()

    def timed(name: str, func: Any) -> Any:
        def wrapper(*a: Any, **k: Any) -> Any:
            outer = getattr(depth, "n", 0) == 0
            depth.n = getattr(depth, "n", 0) + 1
            started = time.thread_time()
            try:
                return func(*a, **k)
            finally:
                depth.n -= 1
                spent[name] = spent.get(name, 0.0) + time.thread_time() - started
                if not outer:
                    spent[name + " (nested)"] = spent.get(name + " (nested)", 0.0)

        return wrapper

    steps = [
        (svc.sites, "with_secret", "site + secret read"),
        (signature, "verify", "signature check (HMAC)"),
        (events, "_parse", "JSON + marshmallow validation"),
        (events, "snapshot", "snapshot()"),
        (svc.recorder.index, "recall", "index read: delivery + head"),
        (recorder, "seal", "canonical JSON + SHA-256 (seal)"),
        (svc.storage, "put_new", "S3 PUT (boto3)"),
        (svc.recorder.index, "add_version", "index write transaction"),
        (rows, "plain_text", "  of which plain_text(HTML)"),
    ]
    for owner, attribute, label in steps:
        if label:
            setattr(owner, attribute, timed(label, getattr(owner, attribute)))
    total = time.thread_time()
    for environ in requests:
        _send(app, environ)
    total = time.thread_time() - total
    n = len(requests)
    print(f"{1000 * total / n:.2f} ms CPU per webhook in all (WSGI app, one thread)")
    accounted = 0.0
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        if name.endswith("(nested)"):
            continue
        if not name.startswith("  "):
            accounted += seconds
        print(f"  {1000 * seconds / n:6.3f} ms  {name}")
    print(f"  {1000 * (total - accounted) / n:6.3f} ms  the rest (Flask, flask-smorest, logs, …)")


if __name__ == "__main__":
    main()
