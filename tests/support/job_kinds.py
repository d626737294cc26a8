"""Job kinds for the tests, registered on import (also by worker processes the tests start:
`python -m tests.support.job_kinds worker …` is `offentlig worker` with these kinds).

`count` counts to `n`, one step per `delay` seconds, saving a checkpoint after each step and
appending "job step owner" to the file `log`, so a test can see who ran which step.
`broken` always fails."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from service.jobs.context import JobContext
from service.jobs.handlers import register


def count(ctx: JobContext) -> dict[str, Any]:
    n = int(ctx.params["n"])
    delay = float(ctx.params.get("delay", 0))
    log = ctx.params.get("log")
    for step in range(int(ctx.resume_from or 0) + 1, n + 1):
        ctx.stop_point()
        time.sleep(delay)
        if log:
            with Path(log).open("a") as out:
                out.write(f"{ctx.job.id} {step} {ctx.lease.owner}\n")
        ctx.progress(step, n, f"step {step}")
        ctx.checkpoint(step)
    return {"counted": n}


def broken(ctx: JobContext) -> None:
    raise RuntimeError("the disk is full")


register("count", count)
register("broken", broken)


def steps(log: Path) -> list[tuple[str, int, str]]:
    """(job id, step, owner) for every step the `count` handler ran, in order."""
    if not log.exists():
        return []
    return [(j, int(s), o) for j, s, o in (line.split() for line in log.read_text().splitlines())]


if __name__ == "__main__":
    from service.cli import main

    main()
