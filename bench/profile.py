"""py-spy on the service while it is under load (`python -m bench --profile`).

Records collapsed stacks of every gunicorn process (`py-spy record --subprocesses`, running
threads only: CPU, not waiting) and prints where the time goes: the share of samples in which
a function is on the stack (inclusive) and at its top (self).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    binary = py_spy()
    if binary is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(max(1, int(seconds))),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            # BENCH_PROFILE_IDLE=1: waiting threads too (wall time, not CPU)
            *(["--idle"] if os.environ.get("BENCH_PROFILE_IDLE") else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")
IDLE = (
    "wait (threading.py",
    "select (selectors.py",
    "_worker (concurrent",
    "accept (",
    "sleep (gunicorn",
    "poll (",
    "readinto (socket.py",
    "_wait_for_tstate_lock",
)


def _label(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


# Frames every request passes through: they say nothing about where the time goes.
PLUMBING = (
    "process ",
    "threading.py",
    "concurrent/futures",
    "<frozen runpy>",
    "gunicorn/__main__",
    "gunicorn/app/",
    "gunicorn/arbiter",
    "flask/views.py",
    "Flask.full_dispatch_request",
    "Flask.dispatch_request",
    "Flask.__call__",
    "Flask.wsgi_app",
    "flask_smorest/blueprint.py",
    "flask_smorest/response.py",
    "contextlib.py",
    "ThreadWorker.handle ",
)


def summarize(raw: Path, top: int = 45) -> list[tuple[str, float, float]]:
    """(function, inclusive %, self %) over busy samples, most inclusive first."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    busy = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = stack.split(";")
        if any(marker in frames[-1] for marker in IDLE):
            continue  # a thread waiting for work or for a socket, not using the CPU
        count = int(count_text)
        busy += count
        seen = set()
        for frame in frames:
            label = _label(frame)
            if label not in seen:
                inclusive[label] += count
                seen.add(label)
        own[_label(frames[-1])] += count
    if not busy:
        return []
    ranked = [
        (label, 100 * n / busy, 100 * own[label] / busy)
        for label, n in inclusive.most_common()
        if not any(marker in label for marker in PLUMBING)
    ]
    return ranked[:top]
