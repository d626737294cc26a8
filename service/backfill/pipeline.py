"""Reading every listing of a site while earlier objects are being captured.

Reading (XML-RPC, one connection) and capturing (object storage and database round trips)
both wait on the network: the listing is read in this thread and each object is captured
by one of a few workers, with a bounded number in flight, so neither waits for the other.
Objects are independent (each record appears once in a run), so their order does not matter.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from service.backfill.reading import LISTINGS, Listing, Remote, capture, kind_of, record_of
from service.capture.ports import Outcome, Site
from service.capture.provenance import Via
from service.capture.recorder import Recorder
from service.errors import InvalidInput
from service.records.model import Kind
from service.wordpress.port import WordPressSite

DEFAULT_PAGE_SIZE = 100  # the REST API's largest page, which the post listing also reads
# Capture is a few round trips (index read, one or two S3 PUTs, index write) of little CPU:
# latency-bound, so as many workers as the S3 reference's PUT threads (`make -C bench backfill`).
DEFAULT_WORKERS = 16
FINISHED = -1  # a checkpoint's offset for a listing read to its end
# A listing resumes a tenth of a page before its checkpoint (objects may have moved up
# since): at most this many objects, pages being at most the REST API's 100.
RESUME_MARGIN = DEFAULT_PAGE_SIZE // 10


class Progress(Protocol):
    """What a progress bar (the CLI's) or a job's progress needs."""

    def totals(self, counts: Mapping[Kind, int]) -> None:
        """How many objects of each kind the site says it has (roughly: a total)."""

    def advance(self, kind: Kind, n: int) -> None:
        """`n` more objects of `kind` read and captured."""


class NoProgress:
    def totals(self, counts: Mapping[Kind, int]) -> None:
        pass

    def advance(self, kind: Kind, n: int) -> None:
        pass


# Offsets to resume at, by listing name (`Listing.name`); FINISHED for one read to its end.
Checkpoint = Callable[[dict[str, int]], None]


@dataclass(frozen=True)
class Captured:
    """One object read from the site, and what capture made of it (or why it could not)."""

    record_id: str
    kind: Kind
    outcome: Outcome | None
    error: str | None = None


def site_totals(wordpress: WordPressSite) -> dict[Kind, int]:
    counts = wordpress.counts()
    return {
        Kind.POST: counts.posts,
        Kind.PAGE: counts.pages,
        Kind.COMMENT: sum(counts.comments.values()),
    }


def capture_site(
    site: Site,
    wordpress: WordPressSite,
    recorder: Recorder,
    via: Via,
    run_id: str,
    on_captured: Callable[[Captured], None],
    *,
    personal_data: tuple[str, ...],
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    resume_from: Mapping[str, int] | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    workers: int = DEFAULT_WORKERS,
) -> None:
    """Read every listing and capture each object; `on_captured` hears of each, in this
    thread. A listing resumes a tenth of a page before its checkpoint (objects may have
    moved up since), and what it captures again is found by its key. The site or a backend
    going away ends the run with that error: it can be resumed."""
    progress = progress or NoProgress()
    progress.totals(site_totals(wordpress))
    offsets = dict(resume_from or {})

    def one(remote: Remote) -> Captured:
        found = record_of(site.id, remote)
        try:
            outcome = capture(recorder, site, via, run_id, remote, personal_data)
        except InvalidInput as exc:
            return Captured(found, kind_of(remote), None, f"{exc.message} {exc.errors}")
        return Captured(found, kind_of(remote), outcome)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{via}") as pool:
        for listing in LISTINGS:
            start = offsets.get(listing.name, 0)
            if start == FINISHED:
                continue
            save = partial(_save, offsets, listing.name, checkpoint=checkpoint)
            _read_listing(
                listing, max(0, start - page_size // 10), wordpress, pool, one,
                on_captured, progress, page_size, workers, save,
            )  # fmt: skip
            save(FINISHED)


def _read_listing(
    listing: Listing,
    offset: int,
    wordpress: WordPressSite,
    pool: ThreadPoolExecutor,
    one: Callable[[Remote], Captured],
    on_captured: Callable[[Captured], None],
    progress: Progress,
    page_size: int,
    workers: int,
    save: Callable[[int], None],
) -> None:
    """Objects are handed on in the order they were read, so `done` (the checkpoint) counts
    only objects whose capture, and every earlier one's, has finished."""
    in_flight: deque[Future[Captured]] = deque()
    done = offset

    def finish_first() -> None:
        nonlocal done
        captured = in_flight.popleft().result()  # a backend's error ends the run here
        on_captured(captured)
        progress.advance(captured.kind, 1)
        done += 1
        if done % page_size == 0:
            save(done)

    for remote in listing.read(wordpress, offset, page_size):
        in_flight.append(pool.submit(one, remote))
        while in_flight and (len(in_flight) > 4 * workers or in_flight[0].done()):
            finish_first()
    while in_flight:
        finish_first()


def _save(offsets: dict[str, int], name: str, done: int, checkpoint: Checkpoint | None) -> None:
    offsets[name] = done
    if checkpoint is not None:
        checkpoint(dict(offsets))
