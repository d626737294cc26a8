"""Whole-site snapshots (DOMAIN rule 8) against a generated site on a loopback port, stored
on the filesystem and on real S3 (SeaweedFS). A second server on another loopback port is
linked and redirected to, and must never see a request."""

from __future__ import annotations

import hashlib
import io
import socket
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.cli import main as warcio_main
from warcio.utils import Digester

from service.records.canonical import verify
from service.snapshots import CrawlProgress, CrawlSettings, take_snapshot
from service.snapshots.settings import user_agent
from service.storage.filesystem import FileStore
from service.storage.port import ObjectStore
from service.storage.s3 import S3Store
from tests.support.website import Website, wordpress_like
from tests.unit.storage.stores import PART, s3_store

PREFIX = "sites/site-1/snapshots/snap-1/"
MiB = 1024 * 1024


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "filesystem":
        yield FileStore(tmp_path / "objects")
        return
    s3 = s3_store(request.getfixturevalue("seaweedfs"))  # 5 MiB parts: multipart early
    yield s3
    s3.client.close()


@pytest.fixture
def other() -> Iterator[Website]:
    """Another port on the same host: never to be contacted."""
    with Website() as server:
        yield server


def make_site(other: Website, **kwargs: Any) -> Website:
    site = Website()
    site.routes = wordpress_like(site.url, other.url, **kwargs)
    return site


@pytest.fixture
def site(other: Website) -> Iterator[Website]:
    with make_site(other) as server:
        yield server


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every address the crawler opens a connection to."""
    opened: list[tuple[str, int]] = []
    real = socket.create_connection

    def watched(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", watched)
    return opened


def snapshot(site: Website, store: ObjectStore, **settings: Any) -> dict[str, Any]:
    manifest = take_snapshot(f"{site.url}/", store, PREFIX, CrawlSettings(**settings))
    assert verify(store.get(manifest.key)) == manifest.document
    return manifest.document


def stored_warc(store: ObjectStore) -> bytes:
    return store.get(f"{PREFIX}snapshot.warc.gz")


def responses(warc: bytes) -> dict[str, Any]:
    found = {}
    for record in ArchiveIterator(io.BytesIO(warc)):
        if record.rec_type == "response":
            found[record.rec_headers.get_header("WARC-Target-URI")] = record
            record.content_stream().read()
    return found


EXPECTED_PATHS = {
    "/", "/robots.txt", "/wp-sitemap.xml", "/wp-sitemap-posts-page-1.xml",
    "/wp-sitemap-posts-post-1.xml", "/custom-sitemap.xml", "/feed/", "/comments/feed/",
    "/style.css?ver=6.1", "/print.css", "/app.js", "/favicon.ico", "/fonts/x.woff2",
    "/img/a.png", "/img/a-300.png", "/img/a-600.png", "/img/b.webp", "/img/b@2x.webp",
    "/img/b.png", "/img/inline-bg.png", "/img/bg.png", "/img/print-bg.png",
    "/media/podcast.mp3", "/away", "/to-metadata", "/moved", "/chunked/", "/only-in-chunked/",
    "/only-in-sitemap/", "/only-in-robots-sitemap/", "/only-in-feed/",
    *(f"/page/{n}/" for n in range(1, 6)),
}  # fmt: skip


def test_a_snapshot_fetches_every_same_origin_url_once_and_nothing_else(
    site: Website, other: Website, store: ObjectStore
) -> None:
    manifest = snapshot(site, store)

    assert set(site.hits) == EXPECTED_PATHS
    assert set(site.hits.values()) == {1}  # linked from every page, fetched once
    assert other.total_hits == 0
    for _path, headers in site.requests:
        assert headers["User-Agent"] == user_agent(f"{site.url}/")
        assert headers["User-Agent"].startswith("Offentlig/")
        assert not {"If-Modified-Since", "If-None-Match", "Range"} & set(headers)
    counts = manifest["counts"]
    assert counts["responses"] == len(EXPECTED_PATHS)
    assert counts["by_status"] == {"200": len(EXPECTED_PATHS) - 3, "301": 1, "302": 2}
    assert counts["pages"] + counts["requisites"] == counts["responses"]
    assert counts["requisites"] == 15
    assert manifest["errors"] == [] and manifest["limits_hit"] == []
    assert manifest["schema"] == "offentlig.snapshot-manifest/1"
    assert manifest["site"] == f"{site.url}/"


def test_other_hosts_ports_and_private_addresses_are_refused_before_connecting(
    site: Website, other: Website, store: ObjectStore, connections: list[tuple[str, int]]
) -> None:
    manifest = snapshot(site, store)

    refusals = {(r["url"], r["reason"], r["found_on"]) for r in manifest["refusals"]}
    home = f"{site.url}/"
    assert {
        ("http://169.254.169.254/latest/meta-data/", "other origin (link-local address)", home),
        ("http://10.0.0.1/", "other origin (private address)", home),
        (f"{other.url}/secret", "other origin (loopback address)", home),
        (f"{other.url}/external.css", "other origin (loopback address)", home),
        (f"{other.url}/landing", "redirect to other origin (loopback address)", f"{site.url}/away"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "redirect to other origin (link-local address)",
            f"{site.url}/to-metadata",
        ),
    } <= refusals
    assert manifest["counts"]["refusals"] == len(manifest["refusals"])
    assert connections and set(connections) == {("127.0.0.1", site.port)}
    assert other.total_hits == 0
    assert len(connections) <= CrawlSettings().connections  # keep-alive: one per worker


def test_a_site_whose_name_resolves_to_the_metadata_address_is_not_contacted(
    store: ObjectStore, connections: list[tuple[str, int]]
) -> None:
    def metadata(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    manifest = take_snapshot("http://cms.example.test/", store, PREFIX, resolver=metadata)

    assert connections == []
    assert manifest.document["counts"]["responses"] == 0
    [refusal] = manifest.document["refusals"]
    assert refusal["url"] == "http://cms.example.test/"
    assert "link-local" in refusal["reason"]


def test_the_warc_passes_warcio_check_and_every_response_reads_back(
    site: Website, store: ObjectStore, tmp_path: Path
) -> None:
    manifest = snapshot(site, store)
    warc = stored_warc(store)
    path = tmp_path / "snapshot.warc.gz"
    path.write_bytes(warc)
    with pytest.raises(SystemExit) as checked:
        warcio_main(["check", str(path)])
    assert checked.value.code == 0

    records = list(ArchiveIterator(io.BytesIO(warc)))
    assert records[0].rec_type == "warcinfo"
    assert records[0].rec_headers.get_header("WARC-Type") == "warcinfo"
    kinds = [r.rec_type for r in records[1:]]
    assert kinds == ["response", "request"] * manifest["counts"]["responses"]

    by_id: dict[str, Any] = {}
    for record in ArchiveIterator(io.BytesIO(warc)):
        headers = record.rec_headers
        by_id[headers.get_header("WARC-Record-ID")] = (record.rec_type, headers)
        if record.rec_type != "response":
            record.content_stream().read()
            continue
        assert headers.get_header("WARC-Date").startswith("20")
        assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
        digest = Digester("sha1")
        digest.update(record.raw_stream.read())
        assert str(digest) == headers.get_header("WARC-Payload-Digest")
    for kind, headers in by_id.values():
        if kind == "request":
            target = by_id[headers.get_header("WARC-Concurrent-To")]
            assert target[0] == "response"
            uri = headers.get_header("WARC-Target-URI")
            assert target[1].get_header("WARC-Target-URI") == uri


def test_exact_http_bytes_are_kept_chunked_framing_and_redirects_included(
    site: Website, store: ObjectStore
) -> None:
    snapshot(site, store)
    records = responses(stored_warc(store))
    chunked = records[f"{site.url}/chunked/"]
    assert chunked.http_headers.get_header("Transfer-Encoding") == "chunked"
    raw = io.BytesIO()
    for record in ArchiveIterator(io.BytesIO(stored_warc(store)), no_record_parse=True):
        uri = record.rec_headers.get_header("WARC-Target-URI")
        if record.rec_type == "response" and uri == f"{site.url}/chunked/":
            raw.write(record.raw_stream.read())
    assert raw.getvalue().startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\n\r\n3e8\r\n<!doctype html>" in raw.getvalue()
    assert raw.getvalue().endswith(b"\r\n0\r\n\r\n")
    moved = records[f"{site.url}/moved"]
    assert moved.http_headers.get_statuscode() == "301"
    assert moved.http_headers.get_header("Location") == "/page/2/"
    assert f"{site.url}/page/2/" in records


def test_the_cdxj_index_is_sorted_and_points_at_each_response(
    site: Website, store: ObjectStore
) -> None:
    import json

    manifest = snapshot(site, store)
    warc = stored_warc(store)
    lines = store.get(f"{PREFIX}index.cdxj").decode().splitlines()
    assert lines == sorted(lines, key=lambda line: line.encode())
    assert len(lines) == manifest["counts"]["responses"]
    for line in lines:
        key, timestamp, data = line.split(" ", 2)
        fields = json.loads(data)
        offset, length = int(fields["offset"]), int(fields["length"])
        [record] = list(ArchiveIterator(io.BytesIO(warc[offset : offset + length])))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == fields["digest"]
        assert record.http_headers.get_statuscode() == fields["status"]
        assert fields["filename"] == "snapshot.warc.gz"
        assert len(timestamp) == 14 and key.startswith("1,0,0,127:")


def test_the_manifest_lists_the_stored_files_with_their_sha256(
    site: Website, store: ObjectStore
) -> None:
    manifest = snapshot(site, store)
    files = {f["role"]: f for f in manifest["files"]}
    assert set(files) == {"warc", "cdxj"}
    for entry in files.values():
        data = store.get(entry["key"])
        assert entry["key"].startswith(PREFIX)
        assert len(data) == entry["size"] == store.stat(entry["key"]).size
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert sorted(store.list(PREFIX)) == sorted(
        [files["warc"]["key"], files["cdxj"]["key"], f"{PREFIX}manifest.json"]
    )
    with pytest.raises(FileExistsError):
        take_snapshot(f"{site.url}/", store, PREFIX, CrawlSettings(max_pages=1))


def test_the_page_limit_ends_the_crawl_and_is_recorded(site: Website, store: ObjectStore) -> None:
    manifest = snapshot(site, store, max_pages=3, connections=1)
    assert manifest["counts"]["pages"] == 3
    [limit] = manifest["limits_hit"]
    assert limit["limit"] == "max_pages" and limit["value"] == 3 and limit["unfetched"] > 0
    assert manifest["counts"]["requisites"] > 0  # the pages fetched keep their look


def test_the_byte_limit_ends_the_crawl_and_is_recorded(other: Website, store: ObjectStore) -> None:
    with make_site(other, big_images=3, big_size=2 * MiB) as site:
        manifest = snapshot(site, store, max_bytes=1 * MiB)
    [limit] = manifest["limits_hit"]
    assert limit["limit"] == "max_bytes" and limit["value"] == MiB
    assert manifest["counts"]["bytes"] <= MiB + 8 * 64 * 1024  # in-flight chunks at most
    assert any("byte limit" in e["error"] for e in manifest["errors"])
    assert verify(store.get(f"{PREFIX}manifest.json"))["limits_hit"] == [limit]


def test_the_time_limit_ends_the_crawl_and_is_recorded(site: Website, store: ObjectStore) -> None:
    for n in range(1, 6):
        site.routes[f"/page/{n}/"].delay = 1.0
    started = time.monotonic()
    manifest = snapshot(site, store, max_seconds=0.5, connections=2)
    assert time.monotonic() - started < 5
    [limit] = manifest["limits_hit"]
    assert limit["limit"] == "max_seconds"
    assert manifest["counts"]["responses"] < len(EXPECTED_PATHS)


def test_progress_is_reported_and_ends_with_the_final_counts(
    site: Website, store: ObjectStore
) -> None:
    seen: list[CrawlProgress] = []
    manifest = take_snapshot(f"{site.url}/", store, PREFIX, progress=seen.append)
    assert seen
    assert seen[-1].fetched == manifest.document["counts"]["responses"]
    assert seen[-1].queued == 0


def test_memory_stays_flat_with_large_images(other: Website, store: ObjectStore) -> None:
    """Responses stream through spool files; what stays in memory is a few buffers per
    connection, plus the S3 uploader's parts (bounded by the store, not by the site)."""
    images, size = 3, 10 * MiB
    upload_buffers = PART * (2 + 2) if isinstance(store, S3Store) else 0  # parts × (threads + 2)
    with make_site(other, big_images=images, big_size=size) as site:
        tracemalloc.start()
        try:
            manifest = snapshot(site, store)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert manifest["counts"]["bytes"] > images * size
    warc = next(f for f in manifest["files"] if f["role"] == "warc")
    assert warc["size"] > images * size > 2 * PART  # a multipart upload on S3
    assert peak < 6 * MiB + upload_buffers, f"peak {peak / MiB:.1f} MiB"


def test_a_prefix_must_end_with_a_slash(site: Website, store: ObjectStore) -> None:
    with pytest.raises(ValueError):
        take_snapshot(f"{site.url}/", store, "sites/x/snapshots/y")


def test_an_unreachable_site_gives_a_manifest_with_its_error(store: ObjectStore) -> None:
    site = Website()  # never started: connection refused
    site.server.server_close()
    manifest = take_snapshot(f"{site.url}/", store, PREFIX, CrawlSettings(timeout=2))
    assert manifest.document["counts"]["responses"] == 0
    assert manifest.document["counts"]["errors"] == 5  # the start page and the four seeds
    assert all("ConnectionRefusedError" in e["error"] for e in manifest.document["errors"])


def test_a_missing_page_is_archived_as_a_404(site: Website, store: ObjectStore) -> None:
    site.routes["/"].body += b"<a href='/missing/'>gone</a>"
    manifest = snapshot(site, store)
    assert manifest["counts"]["by_status"]["404"] == 1
    assert f"{site.url}/missing/" in responses(stored_warc(store))
