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

from bench import common
from bench.capture import Target, _Client
from bench.corpus import Corpus


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    p.add_argument("--sort", default="cumulative")
    p.add_argument("--no-profile", action="store_true", help="Only the CPU per request.")
    args = p.parse_args()
    import os

    os.environ.update(common.AWS_ENV)
    work = Path(tempfile.mkdtemp(prefix="offentlig-cpuprofile-"))
    with contextlib.ExitStack() as stack:
        endpoint = stack.enter_context(common.seaweedfs(work / "seaweedfs"))
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
        site, secret = svc.sites.add("Profil kommun", "https://www.example.se")
        client = app.test_client()
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
        requests = [sender._request(n) for n in range(args.requests + 30)]
        path = f"/v1/sites/{site['id']}/events"
        for body, headers in requests[:30]:  # warm-up
            assert client.post(path, data=body, headers=headers).status_code in (200, 201)
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
        started, wall = time.process_time(), time.perf_counter()
        if not args.no_profile:
            profiler.enable()
        for body, headers in requests[30:]:
            client.post(path, data=body, headers=headers)
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


if __name__ == "__main__":
    main()
