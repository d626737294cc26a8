"""Replay's pieces on their own: finding captures in a CDXJ index, rewriting documents so
every link of the site resolves to the archive, and replay links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.snapshots.cdxj import CdxjIndex, cdxj_line
from service.snapshots.replay.access import ReplayAccess, ReplayDenied
from service.snapshots.replay.lookup import find
from service.snapshots.replay.rewrite import UrlMap, rewrite_css, rewrite_html, rewrite_srcset

SITE = "https://www.example.se"
ROOT = "/replay/T/"
URLS = UrlMap(f"{SITE}/", ROOT)


def write_index(path: Path, urls: list[str]) -> None:
    index = CdxjIndex(run_lines=500)  # several sorted runs, merged
    for n, url in enumerate(urls):
        index.add(
            cdxj_line(
                url=url,
                date=datetime(2026, 12, 1, tzinfo=UTC),
                mime="text/html",
                status=200,
                digest="sha1:X",
                length=100 + n,
                offset=1000 * n,
                filename="snapshot.warc.gz",
            )
        )
    with path.open("wb") as out:
        index.write(out)
    index.close()


def test_every_capture_is_found_by_binary_search_and_nothing_else(tmp_path: Path) -> None:
    urls = [f"{SITE}/{n % 7}/sida-{n}/?p={n}" for n in range(3000)] + [f"{SITE}/"]
    write_index(tmp_path / "index.cdxj", urls)

    for n, url in enumerate(urls):
        capture = find(tmp_path / "index.cdxj", url)
        assert capture is not None and capture.url == url
        assert (capture.offset, capture.length) == (1000 * n, 100 + n)
    assert find(tmp_path / "index.cdxj", f"{SITE}/saknas/") is None
    assert find(tmp_path / "index.cdxj", f"{SITE}/0/sida-0") is None  # no trailing slash


def test_an_empty_index_finds_nothing(tmp_path: Path) -> None:
    (tmp_path / "index.cdxj").write_bytes(b"")

    assert find(tmp_path / "index.cdxj", f"{SITE}/") is None


@pytest.mark.parametrize(
    ("link", "replayed"),
    [
        ("/a/b?c=1#d", f"{ROOT}a/b?c=1#d"),
        ("b/", f"{ROOT}x/b/"),
        ("../y", f"{ROOT}y"),
        (f"{SITE}/z", f"{ROOT}z"),
        ("//www.example.se/p", f"{ROOT}p"),
        ("https://WWW.EXAMPLE.SE:443/q", f"{ROOT}q"),
        ("http://www.example.se/other-scheme", "http://www.example.se/other-scheme"),
        ("https://gravatar.com/a.png", "https://gravatar.com/a.png"),
        ("#top", "#top"),
        ("mailto:info@example.se", "mailto:info@example.se"),
        ("data:image/png;base64,AAAA", "data:image/png;base64,AAAA"),
        ("javascript:void(0)", "javascript:void(0)"),
    ],
)
def test_links_of_the_site_and_only_those_are_replayed(link: str, replayed: str) -> None:
    assert URLS.replayed(link, f"{SITE}/x/") == replayed


def test_a_replay_path_stands_for_the_archived_url_normalised() -> None:
    assert URLS.archived("", "") == f"{SITE}/"
    assert URLS.archived("år/sida/", "p=1") == f"{SITE}/%C3%A5r/sida/?p=1"


def test_css_srcset_and_scripts_are_rewritten() -> None:
    css = "@import 'a.css'; body { background: url( \"/bg.png\" ) } i { src: url(f.woff2) }"

    assert rewrite_css(css, f"{SITE}/css/s.css", URLS) == (
        f"@import '{ROOT}css/a.css'; body {{ background: url(\"{ROOT}bg.png\") }}"
        f" i {{ src: url({ROOT}css/f.woff2) }}"
    )
    assert rewrite_srcset("/a.png 1x,/b.png 2x, c.png", f"{SITE}/", URLS) == (
        f"{ROOT}a.png 1x, {ROOT}b.png 2x, {ROOT}c.png"
    )
    script = '{"url":"https:\\/\\/www.example.se\\/wp-json\\/"}; fetch("https://www.example.se/x")'
    assert URLS.in_script(script) == ('{"url":"\\/replay\\/T\\/wp-json\\/"}; fetch("/replay/T/x")')


def test_a_page_gets_its_links_rewritten_and_the_banner_first_in_its_body() -> None:
    page = (
        "<html><head><link rel=stylesheet href='/s.css'><style>p{background:url(/p.png)}"
        "</style></head><body class=home><img src='/i.png' srcset='/i-2.png 2x' "
        "style=\"background:url('/b.png')\"><a href='https://other.se/'>o</a>"
        "<form action='/?s='></form><meta http-equiv=refresh content='0; url=/next/'></body></html>"
    )

    out = rewrite_html(page, f"{SITE}/", URLS, "<div id=banner></div>")

    assert '<body class="home"><div id=banner></div><img' in out
    for rewritten in (
        f'href="{ROOT}s.css"', f"url({ROOT}p.png)", f'src="{ROOT}i.png"',
        f'srcset="{ROOT}i-2.png 2x"', f"url('{ROOT}b.png')", 'href="https://other.se/"',
        f'action="{ROOT}?s="', f'content="0; url={ROOT}next/"',
    ):  # fmt: skip
        assert rewritten in out, rewritten


def test_replay_links_work_until_they_expire_and_cannot_be_forged() -> None:
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    access = ReplayAccess(b"k" * 32, lambda: now[0], seconds=600)
    token, expires = access.issue("site-1", "snap-1")

    granted = access.check(token)
    now[0] += timedelta(seconds=601)

    assert (granted.site_id, granted.snapshot_id) == ("site-1", "snap-1")
    assert expires == datetime(2026, 12, 1, 0, 10, tzinfo=UTC)
    with pytest.raises(ReplayDenied, match="expired"):
        access.check(token)
    another_key = ReplayAccess(b"x" * 32, lambda: now[0], seconds=600)
    with pytest.raises(ReplayDenied, match="not a valid"):
        access.check(another_key.issue("site-1", "snap-1")[0])
