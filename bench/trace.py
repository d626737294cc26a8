"""Where the time of a burst goes: each event from the editor's action to the archive, step by step.

`python -m bench.wordpress --scenario bursts --trace` installs bench/trace-mu-plugin.php in the
site; it writes a line for each step of an outbox row's way out (row inserted, committed, the
request answered, the row claimed by a sender, the webhook sent, its answer). The service's
access log gives, per webhook (X-Request-ID = the delivery id), how long the service took; the
archive gives `captured_at`. Joined per object in order (a burst's events of one object are that
object's outbox rows, oldest first), each event gets its timeline:

    sent      the client sent the action (a scheduled post: its scheduled time)
    committed the outbox row was committed (the next query after its COMMIT)
    finished  the request that wrote it was done (shutdown, just before the plugin's
              after-response dispatch finishes the response)
    answered  the client had the answer
    claimed   a sender claimed the row (status "sending")
    posted    the webhook left PHP
    served    the service began handling it (its access log: end − duration)
    captured  `captured_at`, stamped in the transaction that makes it searchable
    replied   PHP had the service's answer

and the table gives, per burst, the median and p95 of each step's share, and who sent the rows
(the request that wrote them after its response, another request's drain, a helper kick, WP-Cron).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.common import percentile

MU_PLUGIN = Path(__file__).with_name("trace-mu-plugin.php")

# (step, the step it is measured from, label)
STEPS = (
    ("committed", "sent", "sent → row committed"),
    ("finished", "committed", "committed → request done (answer out)"),
    ("claimed", "finished", "done → row claimed by a sender"),
    ("posted", "claimed", "claimed → webhook posted"),
    ("served", "posted", "posted → service starts on it"),
    ("captured", "served", "service starts → captured"),
    ("replied", "captured", "captured → PHP has the reply"),
    ("answered", "sent", "(sent → client has its answer)"),
    ("captured", "finished", "(done → captured: the delivery)"),
)


def install(docroot: Path, log: Path) -> None:
    """Put the tracing mu-plugin into the site, writing to `log`."""
    code = MU_PLUGIN.read_text(encoding="utf-8")
    code = code.replace("'@LOG@'", "'" + str(log).replace("\\", "\\\\").replace("'", "\\'") + "'")
    (docroot / "wp-content" / "mu-plugins" / "offentlig-trace.php").write_text(code)


@dataclass
class Line:
    at: float
    pid: int
    request: str
    what: str
    step: str
    detail: str


def read_lines(log: Path) -> list[Line]:
    lines = []
    for raw in log.read_text(encoding="utf-8").splitlines():
        parts = raw.split(" ", 5)
        if len(parts) == 6:
            lines.append(Line(float(parts[0]), int(parts[1]), *parts[2:]))
    return lines


def service_times(log: Path) -> dict[str, tuple[float, float]]:
    """Delivery id → (start, end) of its handling in the service, from the JSON access log."""
    found: dict[str, tuple[float, float]] = {}
    for raw in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"request_id": "msg_' not in raw:
            continue
        entry = json.loads(raw)
        end = datetime.strptime(entry["time"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        found.setdefault(entry["request_id"], (end - entry["duration_ms"] / 1000, end))
    return found


@dataclass
class Timeline:
    burst: str
    times: dict[str, float] = field(default_factory=dict)
    sender: str = "?"
    writer: str = ""  # the request that wrote the row
    held: float | None = None  # how long that request kept its PHP worker after its answer


def outbox_rows(site: Any) -> list[dict[str, Any]]:
    rows = site.wp.php_json(
        "global $wpdb; $t = Offentlig\\Plugin::instance()->outbox->table();\n"
        'echo wp_json_encode($wpdb->get_results("SELECT id, webhook_id, object_key FROM $t '
        'ORDER BY id", ARRAY_A));'
    )
    return list(rows)  # type: ignore[arg-type]


def timelines(arrivals: list[Any], rows: list[dict[str, Any]], lines: list[Line],
              service: dict[str, tuple[float, float]]) -> list[Timeline]:  # fmt: skip
    """One timeline per arrival whose outbox row could be found."""
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_key[row["object_key"]].append(row)
    first: dict[tuple[str, str], Line] = {}
    claims: dict[int, Line] = {}
    writer: dict[str, str] = {}
    for line in lines:
        if line.step in ("insert", "send", "answer"):
            ident = line.detail.split(":")[0]
            first.setdefault((line.step, ident), line)
            if line.step == "insert":
                writer[ident] = line.request
        elif line.step == "committed":
            for ident in line.detail.split(","):
                first.setdefault(("committed", ident), line)
        elif line.step == "claim":
            for row_id in line.detail.split(","):
                claims.setdefault(int(row_id), line)
    answered = {line.request: line for line in lines if line.step == "answered"}
    ends = {line.request: line for line in lines if line.step == "end"}
    out = []
    for arrival in arrivals:
        mine = by_key.get(f"{arrival.kind}:{arrival.wp_id}", [])
        if arrival.index >= len(mine):
            continue
        row = mine[arrival.index]
        ident, row_id = row["webhook_id"], int(row["id"])
        t = Timeline(arrival.burst)
        t.times["sent"] = arrival.sent_at
        if arrival.answered_at is not None:
            t.times["answered"] = arrival.answered_at
        if ("committed", ident) in first:
            t.times["committed"] = first[("committed", ident)].at
        t.writer = writer.get(ident, "")
        done = answered.get(t.writer)
        if done is not None:
            t.times["finished"] = done.at
            if t.writer in ends:
                t.held = ends[t.writer].at - done.at
        claim = claims.get(row_id)
        if claim is not None:
            t.times["claimed"] = claim.at
            t.sender = sender(claim, writer.get(ident), answered)
        if ("send", ident) in first:
            t.times["posted"] = first[("send", ident)].at
        if ident in service:
            t.times["served"] = service[ident][0]
        t.times["captured"] = arrival.captured_at
        if ("answer", ident) in first:
            t.times["replied"] = first[("answer", ident)].at
        out.append(t)
    return out


def sender(claim: Line, writer: str | None, answered: dict[str, Line]) -> str:
    """Who claimed a row: its own request after answering, another editor's request, a kick
    (a helper), WP-Cron."""
    if claim.what == "kick":
        return "loopback kick"
    if "wp-cron" in claim.what:
        return "WP-Cron"
    if claim.request == writer:
        return "own request, after its answer" if claim.request in answered else "own request"
    return "another request (its drain)"


def report(console: Console, lines: list[Timeline], bursts: tuple[str, ...]) -> dict[str, Any]:
    table = Table(
        title="Where the time goes (ms, median / p95 of each step; trace of this run)",
        title_justify="left",
    )
    table.add_column("step")
    for name in bursts:
        table.add_column(name, justify="right")
    result: dict[str, Any] = {}
    rows: dict[str, list[str]] = {label: [] for _, _, label in STEPS}
    rows["total: sent → captured"] = []
    for name in bursts:
        mine = [t for t in lines if t.burst == name]
        stats: dict[str, Any] = {}
        for step, start, label in STEPS:
            values = [
                t.times[step] - t.times[start] for t in mine if {step, start} <= t.times.keys()
            ]
            stats[f"{start} → {step}"] = _stats(values)
            rows[label].append(_cell(stats[f"{start} → {step}"]))
        total = [t.times["captured"] - t.times["sent"] for t in mine]
        stats["total"] = _stats(total)
        rows["total: sent → captured"].append(_cell(stats["total"]))
        stats["senders"] = dict(Counter(t.sender for t in mine))
        stats["events"] = len(mine)
        held = {t.writer: t.held for t in mine if t.held is not None}
        stats["worker_held_after_answer"] = {
            "requests": len(held),
            "total": round(sum(held.values()), 4),
            "max": round(max(held.values(), default=0.0), 4),
        }
        result[name] = stats
    for label, cells in rows.items():
        table.add_row(label, *cells)
    console.print(table)
    for name in bursts:
        senders = ", ".join(f"{who} {n}" for who, n in sorted(result[name]["senders"].items()))
        held = result[name]["worker_held_after_answer"]
        console.print(
            f"  {name}: sent by {senders}; the {held['requests']} requests that wrote its rows "
            f"kept their PHP worker {held['total'] * 1000:.0f} ms in all after answering "
            f"(at most {held['max'] * 1000:.0f} ms)"
        )
    return result


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": round(statistics.median(values), 4),
        "p95": round(percentile(values, 0.95), 4),
    }


def _cell(stats: dict[str, float]) -> str:
    if not stats.get("n"):
        return "–"
    return f"{stats['median'] * 1000:.0f} / {stats['p95'] * 1000:.0f}"
