"""Bursts of editorial work against a running site, and how soon each event reached the archive.

Shared by tests/e2e/test_bursts.py (loose bounds) and bench/wordpress.py (`--scenario bursts`,
p50/p95 per burst). Each burst records, per object, the events it expects and when the action
behind each one was sent; `Ledger.collect` then reads the records back and measures each event
from that moment to its `captured_at` in the archive (the service stamps it when it takes the
event; search sees it in the same transaction). The client and the service share one clock.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
from wordpress_xmlrpc import Client, WordPressComment, WordPressPost
from wordpress_xmlrpc.methods import comments, posts

from service.wordpress.xmlrpc import connect
from tests.e2e import wordpress as wp_harness
from tests.e2e.visitors import post_comment

BURSTS = ("three saves", "ten editors", "100 comments", "bulk moderation", "scheduled post")


@dataclass
class Expected:
    event_type: str
    sent_at: float  # time.time() when the action was sent (or, for a scheduled post, its time)
    burst: str
    answered_at: float | None = None  # when its request's answer came back (None: not known)


@dataclass
class Arrival:
    """One expected event as it reached the archive (bench/trace.py breaks it down)."""

    kind: str
    wp_id: int
    index: int  # its place among the object's events, from 0
    burst: str
    sent_at: float
    answered_at: float | None
    captured_at: float


@dataclass
class Outcome:
    """Per burst: seconds from the action to the archive, per event; what went wrong."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    arrivals: list[Arrival] = field(default_factory=list)


class Ledger:
    """What each burst expects in the archive, object by object, in order."""

    def __init__(self) -> None:
        self.expected: dict[tuple[str, int], list[Expected]] = {}
        self.lock = threading.Lock()

    def expect(
        self,
        kind: str,
        wp_id: int,
        event_type: str,
        sent_at: float,
        burst: str,
        answered_at: float | None = None,
    ) -> None:
        with self.lock:
            self.expected.setdefault((kind, wp_id), []).append(
                Expected(event_type, sent_at, burst, answered_at)
            )

    def collect(self, archive: Any, timeout: float = 30.0, interval: float = 0.25) -> Outcome:
        """Wait (at most `timeout`) until every object has its events; then measure."""
        found: dict[tuple[str, int], list[tuple[str, str]]] = {}
        waiting = dict(self.expected)
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            for key, wanted in list(waiting.items()):
                found[key] = archived_events(archive, *key)
                if len(found[key]) >= len(wanted):
                    del waiting[key]
            if waiting:
                time.sleep(interval)
        outcome = Outcome()
        for key, wanted in self.expected.items():
            name = f"{key[0]} {key[1]}"
            events = found.get(key, [])
            types = [event_type for event_type, _ in events]
            if key in waiting:
                outcome.missing.append(
                    f"{name}: expected {[w.event_type for w in wanted]}, archived {types}"
                )
                continue
            if types != [w.event_type for w in wanted]:
                outcome.out_of_order.append(f"{name}: {types} != {[w.event_type for w in wanted]}")
                continue
            for index, (want, (_, captured_at)) in enumerate(zip(wanted, events, strict=True)):
                captured = datetime.fromisoformat(captured_at.replace("Z", "+00:00")).timestamp()
                outcome.latencies.setdefault(want.burst, []).append(captured - want.sent_at)
                outcome.arrivals.append(
                    Arrival(
                        key[0], key[1], index, want.burst, want.sent_at, want.answered_at, captured
                    )
                )
        return outcome


def archived_events(archive: Any, kind: str, wp_id: int) -> list[tuple[str, str]]:
    """(event type, captured_at) of everything the archive holds for an object, oldest first:
    its versions (publish, update, received, …) and its status events (approve, …)."""
    record = archive.record(kind, wp_id)
    if record is None:
        return []
    items = {(v["event_type"], v["captured_at"]) for v in archive.versions(kind, wp_id)}
    items |= {(e["type"], e["captured_at"]) for e in record.get("events", [])}
    return sorted(items, key=lambda item: item[1])


@contextmanager
def clients(url: str) -> Iterator[Callable[[], Client]]:
    """Thread-local XML-RPC clients (one keep-alive connection per thread), closed at the end."""
    local = threading.local()
    made: list[Any] = []
    lock = threading.Lock()
    with ExitStack() as stack:

        def get() -> Client:
            client = getattr(local, "client", None)
            if client is None:
                with lock:
                    client = stack.enter_context(
                        connect(url, wp_harness.ADMIN_USER, wp_harness.ADMIN_PASSWORD)
                    )
                    made.append(client)
                local.client = client
            return client

        yield get


def new_post(title: str, content: str, **extra: Any) -> WordPressPost:
    post = WordPressPost()
    post.title = title
    post.content = content
    post.post_status = "publish"
    post.comment_status = "open"
    for key, value in extra.items():
        setattr(post, key, value)
    return post


def three_saves(client: Client, ledger: Ledger, word: str) -> int:
    """A post published, then corrected twice, back to back (well within a second)."""
    burst = "three saves"
    sent = time.time()
    post_id = int(client.call(posts.NewPost(new_post(f"Tre sparningar {word}", "<p>Först.</p>"))))
    ledger.expect("post", post_id, "post.published", sent, burst, time.time())
    for n, text in enumerate(("Rättad en gång.", "Rättad två gånger."), start=1):
        sent = time.time()
        assert client.call(
            posts.EditPost(post_id, new_post(f"Tre sparningar {word} v{n + 1}", f"<p>{text}</p>"))
        )
        ledger.expect("post", post_id, "post.updated", sent, burst, time.time())
    return post_id


def ten_editors(site_url: str, ledger: Ledger, word: str, editors: int = 10) -> list[int]:
    """Ten editors press Publish at the same moment (one connection each)."""
    burst = "ten editors"
    barrier = threading.Barrier(editors)

    def publish(n: int) -> int:
        with connect(site_url, wp_harness.ADMIN_USER, wp_harness.ADMIN_PASSWORD) as client:
            barrier.wait(timeout=30)
            sent = time.time()
            post_id = int(
                client.call(posts.NewPost(new_post(f"Redaktör {n} {word}", f"<p>Nyhet {n}.</p>")))
            )
            answered = time.time()
        ledger.expect("post", post_id, "post.published", sent, burst, answered)
        return post_id

    with ThreadPoolExecutor(editors) as pool:
        return list(pool.map(publish, range(editors)))


def visitor_comment(site_url: str, post_id: int, text: str, email: str) -> int:
    """A visitor's comment through the public form (held for moderation); returns its id."""
    return post_comment(
        site_url, post_id, text, email, author="Besökare", agent="Mozilla/5.0 (burst visitor)"
    )


def comment_burst(
    site_url: str,
    get_client: Callable[[], Client],
    ledger: Ledger,
    post_id: int,
    word: str,
    count: int = 100,
    seconds: float = 10.0,
) -> tuple[list[int], list[int]]:
    """`count` comments spread evenly over `seconds`: every other one a visitor's (held for
    moderation), the others an editor's through XML-RPC (approved at once).
    Returns (held ids, approved ids)."""
    burst = "100 comments"
    start = time.monotonic()

    def one(n: int) -> tuple[bool, int]:
        pause = start + n * seconds / count - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        text = f"Kommentar {n} {word}: när börjar arbetet?"
        sent = time.time()
        if n % 2 == 0:
            comment_id = visitor_comment(site_url, post_id, text, f"besok{n}.{word}@example.se")
            held = True
        else:
            comment = WordPressComment()
            comment.content = text
            comment_id = int(get_client().call(comments.NewComment(post_id, comment)))
            held = False
        ledger.expect("comment", comment_id, "comment.received", sent, burst, time.time())
        return held, comment_id

    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(one, range(count)))
    return [i for held, i in done if held], [i for held, i in done if not held]


def bulk_approve(site_url: str, admin: requests.Session, ledger: Ledger, ids: list[int]) -> None:
    """The Comments screen's bulk action "Approve" on the given held comments (one request)."""
    burst = "bulk moderation"
    page = admin.get(site_url + "/wp-admin/edit-comments.php?comment_status=moderated", timeout=60)
    nonce = re.search(r'id="_wpnonce" name="_wpnonce" value="([0-9a-f]+)"', page.text)
    assert nonce, "the bulk-comments nonce on the Comments screen"
    params: list[tuple[str, str | int]] = [
        ("_wpnonce", nonce.group(1)),
        ("_wp_http_referer", "/wp-admin/edit-comments.php?comment_status=moderated"),
        ("comment_status", "moderated"),
        ("action", "approve"),
    ]
    params += [("delete_comments[]", i) for i in ids]
    sent = time.time()
    response = admin.get(site_url + "/wp-admin/edit-comments.php", params=params, timeout=120)
    assert response.status_code == 200, response.status_code
    assert "approved=" in response.url, response.url
    answered = time.time()
    for comment_id in ids:
        ledger.expect("comment", comment_id, "comment.approved", sent, burst, answered)


def scheduled_post(client: Client, wp: Any, ledger: Ledger, word: str, after: int = 3) -> int:
    """A scheduled post that WP-Cron publishes `after` seconds from now, spawned by visitors'
    page views (one every 0.2 s from its time on, until it is live).

    WordPress publishes at once what is scheduled less than a minute ahead, so the post is
    scheduled (in PHP, as the editor's Schedule button does) two minutes ahead and then moved to
    its time, post dates and cron event, as if it had been scheduled long before."""
    burst = "scheduled post"
    title = json.dumps(f"Schemalagd {word}")
    made = wp.php_json(
        "$later = gmdate('Y-m-d H:i:s', time() + 120);\n"
        f"$id = wp_insert_post(array('post_title' => {title}, 'post_author' => 1,\n"
        "  'post_content' => '<p>Går ut av sig själv.</p>', 'post_status' => 'future',\n"
        "  'post_date_gmt' => $later, 'post_date' => get_date_from_gmt($later)), true);\n"
        "if (is_wp_error($id) || 'future' !== get_post_status($id)) { exit(1); }\n"
        f"$t = time() + {after}; $gmt = gmdate('Y-m-d H:i:s', $t); global $wpdb;\n"
        "$wpdb->update($wpdb->posts, array('post_date' => get_date_from_gmt($gmt),\n"
        "  'post_date_gmt' => $gmt), array('ID' => $id));\n"
        "clean_post_cache($id); wp_clear_scheduled_hook('publish_future_post', array($id));\n"
        "wp_schedule_single_event($t, 'publish_future_post', array($id));\n"
        "echo wp_json_encode(array($id, $t));"
    )
    post_id, when = (int(v) for v in made)  # type: ignore[union-attr]
    ledger.expect("post", post_id, "post.published", float(when), burst)
    session = requests.Session()
    while time.time() < when:
        time.sleep(0.02)
    deadline = when + 30
    while time.time() < deadline:
        session.get(wp.url + "/", timeout=30)
        if client.call(posts.GetPost(post_id)).post_status == "publish":
            break
        time.sleep(0.2)
    return post_id


def run_all(
    wp: Any,
    archive: Any,
    admin: requests.Session,
    word: str,
    comments_count: int = 100,
    comment_seconds: float = 10.0,
) -> Outcome:
    """Every burst, one after the other, then the archive read back."""
    site_url = wp.url
    ledger = Ledger()
    with clients(site_url) as get_client:
        client = get_client()
        three_saves(client, ledger, word)
        ten_editors(site_url, ledger, word)
        target = int(
            client.call(posts.NewPost(new_post(f"Kommentarsmål {word}", "<p>Tyck till!</p>")))
        )
        held, _ = comment_burst(
            site_url, get_client, ledger, target, word, comments_count, comment_seconds
        )
        bulk_approve(site_url, admin, ledger, held[:50])
        scheduled_post(client, wp, ledger, word)
    return ledger.collect(archive)
