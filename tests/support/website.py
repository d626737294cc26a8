"""A small generated website on a loopback port, for crawler tests.

Pages, a WordPress-style sitemap index, feeds, CSS with url() and @import, images with
srcset, fonts, redirects, a chunked page, a slow page and large images whose bytes are
generated while they are sent (so the server adds nothing to a memory measurement).
Every request is logged (path and headers) so tests can see what the crawler asked for.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.ports import free_port

# 1 MiB of noise: repeats lie beyond deflate's 32 KiB window, so "images" stay large in a WARC.
BLOCK = random.Random(8).randbytes(1024 * 1024)


@dataclass
class Response:
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    body: bytes | Callable[[], Iterator[bytes]] = b""
    size: int | None = None  # for generated bodies
    headers: dict[str, str] = field(default_factory=dict)
    chunked: bool = False
    delay: float = 0.0


class Website:
    """Serves `routes` (path with query → Response); anything else is a 404."""

    def __init__(self, routes: dict[str, Response] | None = None):
        self.routes: dict[str, Response] = routes or {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Website:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:  # noqa: N802
                with site._lock:
                    site.hits[self.path] += 1
                    site.requests.append((self.path, dict(self.headers.items())))
                response = site.routes.get(self.path) or Response(404, "text/plain", b"not found")
                if response.delay:
                    time.sleep(response.delay)
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                body = response.body
                if response.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    data = body if isinstance(body, bytes) else b"".join(body())
                    for start in range(0, len(data), 1000):
                        piece = data[start : start + 1000]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                    return
                size = len(body) if isinstance(body, bytes) else response.size
                self.send_header("Content-Length", str(size))
                self.end_headers()
                try:
                    if isinstance(body, bytes):
                        self.wfile.write(body)
                    else:
                        for piece in body():
                            self.wfile.write(piece)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        return Handler


def generated(size: int) -> Callable[[], Iterator[bytes]]:
    """`size` bytes made on the fly from one shared block."""

    def chunks() -> Iterator[bytes]:
        left = size
        while left > 0:
            piece = BLOCK if left >= len(BLOCK) else BLOCK[:left]
            left -= len(piece)
            yield piece

    return chunks


def html(body: str, head: str = "") -> bytes:
    head = f"<meta charset='utf-8'>{head}"
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode()


def xml(text: str, content_type: str = "application/xml") -> Response:
    return Response(200, content_type, f'<?xml version="1.0" encoding="UTF-8"?>\n{text}'.encode())


def sitemap(site: str, paths: list[str]) -> Response:
    urls = "".join(f"<url><loc>{site}{p}</loc></url>" for p in paths)
    return xml(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')


def wordpress_like(
    site: str,
    other: str,
    *,
    pages: int = 5,
    big_images: int = 0,
    big_size: int = 0,
) -> dict[str, Response]:
    """A site shaped like a WordPress one; `other` is a server that must never be contacted."""
    head = (
        "<link rel='stylesheet' href='/style.css?ver=6.1' media='all'>"
        "<link rel='icon' href='/favicon.ico'>"
        f"<link rel='alternate' type='application/rss+xml' href='{site}/feed/'>"
        "<link rel='dns-prefetch' href='//s.w.org'>"
        f"<link rel='stylesheet' href='{other}/external.css'>"
        "<script src='/app.js'></script>"
    )
    nav = "".join(
        f"<a href='/page/{n}/'>Page {n}</a> <a href='/page/{n}/#comments'>#</a>"
        for n in range(1, pages + 1)
    )
    images = (
        "<img src='/img/a.png' srcset='/img/a-300.png 300w, /img/a-600.png 600w'>"
        "<picture><source srcset='/img/b.webp 1x, /img/b@2x.webp 2x' type='image/webp'>"
        "<img src='/img/b.png'></picture>"
        "<div style=\"background-image: url('/img/inline-bg.png')\"></div>"
        + "".join(f"<img src='/img/big-{n}.jpg'>" for n in range(big_images))
    )
    hostile = (
        f"<a href='{other}/secret'>other port</a>"
        "<a href='http://169.254.169.254/latest/meta-data/'>metadata</a>"
        "<a href='http://10.0.0.1/'>private</a>"
        "<a href='/away'>redirect away</a><a href='/to-metadata'>redirect to metadata</a>"
        "<a href='/moved'>moved</a><a href='mailto:info@example.se'>mail</a>"
        "<a href='/chunked/'>chunked</a>"
    )
    page_body = nav + images + hostile
    routes: dict[str, Response] = {
        "/": Response(body=html(page_body, head)),
        "/robots.txt": Response(
            content_type="text/plain",
            body=f"User-agent: *\nSitemap: {site}/custom-sitemap.xml\n".encode(),
        ),
        "/wp-sitemap.xml": xml(
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{site}/wp-sitemap-posts-page-1.xml</loc></sitemap>"
            f"<sitemap><loc>{site}/wp-sitemap-posts-post-1.xml</loc></sitemap>"
            "</sitemapindex>"
        ),
        "/wp-sitemap-posts-page-1.xml": sitemap(site, ["/", "/only-in-sitemap/"]),
        "/wp-sitemap-posts-post-1.xml": sitemap(site, [f"/page/{n}/" for n in range(1, pages + 1)]),
        "/custom-sitemap.xml": sitemap(site, ["/only-in-robots-sitemap/"]),
        "/feed/": xml(
            "<rss version='2.0'><channel><title>t</title>"
            f"<link>{site}/</link><item><title>i</title><link>{site}/only-in-feed/</link>"
            f"<comments>{site}/only-in-feed/#comments</comments>"
            f"<enclosure url='{site}/media/podcast.mp3' length='3' type='audio/mpeg'/></item>"
            "</channel></rss>",
            "application/rss+xml; charset=UTF-8",
        ),
        "/comments/feed/": xml(
            "<rss version='2.0'><channel><title>c</title>"
            f"<item><link>{site}/page/1/#comment-1</link></item></channel></rss>",
            "application/rss+xml; charset=UTF-8",
        ),
        "/style.css?ver=6.1": Response(
            content_type="text/css",
            body=(
                b'@import "/print.css";\n/* url(/commented-out.png) */\n'
                b"@font-face { font-family: X; src: url(/fonts/x.woff2) format('woff2'); }\n"
                b"body { background: url('img/bg.png') }\n"
                b".logo { background: url(data:image/png;base64,AAAA) }\n"
            ),
        ),
        "/print.css": Response(
            content_type="text/css", body=b'h1 { background: url("/img/print-bg.png") }'
        ),
        "/app.js": Response(content_type="application/javascript", body=b"console.log(1)"),
        "/favicon.ico": Response(content_type="image/x-icon", body=b"\x00\x00\x01\x00"),
        "/fonts/x.woff2": Response(content_type="font/woff2", body=b"wOF2" + bytes(100)),
        "/media/podcast.mp3": Response(content_type="audio/mpeg", body=b"ID3"),
        "/away": Response(302, "text/html", b"", headers={"Location": f"{other}/landing"}),
        "/to-metadata": Response(
            302, "text/html", b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"}
        ),
        "/moved": Response(301, "text/html", b"", headers={"Location": "/page/2/"}),
        "/chunked/": Response(
            body=html("<a href='/only-in-chunked/'>x</a>" + "y" * 5000), chunked=True
        ),
    }
    for name in ("a", "a-300", "a-600", "b", "inline-bg", "bg", "print-bg", "b.webp", "b@2x.webp"):
        path = f"/img/{name}" if name.endswith(".webp") else f"/img/{name}.png"
        routes[path] = Response(content_type="image/png", body=b"\x89PNG" + path.encode())
    for n in range(1, pages + 1):
        routes[f"/page/{n}/"] = Response(body=html(f"<h1>Page {n}</h1>" + page_body, head))
    for path in (
        "/only-in-sitemap/",
        "/only-in-robots-sitemap/",
        "/only-in-feed/",
        "/only-in-chunked/",
    ):
        routes[path] = Response(body=html(f"<h1>{path}</h1>", head))
    for n in range(big_images):
        routes[f"/img/big-{n}.jpg"] = Response(
            content_type="image/jpeg", body=generated(big_size), size=big_size
        )
    return routes
