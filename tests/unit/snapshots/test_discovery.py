"""Finding links and page requisites in HTML, CSS, sitemaps, feeds and robots.txt."""

from __future__ import annotations

from service.snapshots.discovery import Found, css_urls, discover, srcset_urls

SITE = "http://site.test/a/"


def found(mime: str, body: str, url: str = SITE) -> set[Found]:
    return set(discover(url, mime, body.encode(), "utf-8"))


def test_html_links_are_pages_and_requisites_are_requisites() -> None:
    page = """<html><head>
      <link rel="stylesheet" href="/s.css"><link rel="icon" href="/i.ico">
      <link rel="alternate" type="application/rss+xml" href="/feed/">
      <link rel="preload" as="font" href="/f.woff2"><script src="j.js"></script>
      <meta http-equiv="refresh" content="5; url=/refreshed/">
      <meta property="og:image" content="/og.png">
      <style>body { background: url(/bg.png) } @import "/imp.css";</style>
      </head><body>
      <a href="p/">p</a><a href="#top">top</a><a href="mailto:x@y.se">m</a>
      <a href="javascript:void(0)">js</a><area href="/area/">
      <img src="/i.png" srcset="/i-1.png 1x, /i-2.png 2x">
      <picture><source srcset="/p.webp 300w, /p2.webp 600w"><img src="/p.png"></picture>
      <video src="/v.mp4" poster="/poster.jpg"></video><iframe src="/embed/"></iframe>
      <div style="background:url('/div.png')"></div><img data-src="/lazy.png">
      <img src="data:image/png;base64,AAAA">
      </body></html>"""
    result = found("text/html", page)
    pages = {f.url for f in result if not f.requisite}
    requisites = {f.url for f in result if f.requisite}
    assert pages == {
        "http://site.test/feed/",
        "http://site.test/refreshed/",
        "http://site.test/a/p/",
        "http://site.test/area/",
    }
    assert requisites == {
        f"http://site.test/{p}"
        for p in (
            "s.css", "i.ico", "f.woff2", "a/j.js", "og.png", "bg.png", "imp.css", "i.png",
            "i-1.png", "i-2.png", "p.webp", "p2.webp", "p.png", "v.mp4", "poster.jpg", "embed/",
            "div.png", "lazy.png",
        )
    }  # fmt: skip


def test_base_href_changes_what_relative_links_mean() -> None:
    result = found("text/html", '<base href="/other/"><a href="x">x</a>')
    assert result == {Found("http://site.test/other/x", False)}


def test_srcset_candidates_with_and_without_descriptors() -> None:
    assert list(srcset_urls("a.png 1x,b.png 2x, c.png")) == ["a.png", "b.png", "c.png"]
    assert list(srcset_urls(" /x.jpg 300w,\n /y.jpg 600w ")) == ["/x.jpg", "/y.jpg"]
    assert list(srcset_urls("/only.jpg")) == ["/only.jpg"]
    assert list(srcset_urls("/a,b.jpg 1x")) == ["/a,b.jpg"]


def test_css_urls_imports_and_fonts_but_not_comments_or_data() -> None:
    css = """@import "one.css"; @import url('two.css') screen;
      /* url(/commented.png) */
      @font-face { src: url(/f.woff2) format("woff2"), url( "f.woff" ) format("woff"); }
      .a { background: URL(img/x.png) } .b { background: url(data:image/png;base64,AA) }"""
    assert sorted(css_urls(css)) == sorted(
        ["one.css", "two.css", "/f.woff2", "f.woff", "img/x.png"]
    )
    result = found("text/css", css, "http://site.test/theme/style.css")
    assert Found("http://site.test/theme/img/x.png", True) in result
    assert all(f.requisite for f in result)


def test_sitemap_index_and_urlset() -> None:
    index = """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>http://site.test/wp-sitemap-posts-post-1.xml</loc></sitemap></sitemapindex>"""
    assert found("application/xml", index) == {
        Found("http://site.test/wp-sitemap-posts-post-1.xml", False)
    }
    urlset = """<urlset xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
      <url><loc>http://site.test/a/?p=1&amp;q=2</loc><lastmod>2026-01-01</lastmod>
      <image:image><image:loc>http://site.test/img.jpg</image:loc></image:image></url></urlset>"""
    assert found("text/xml", urlset) == {
        Found("http://site.test/a/?p=1&q=2", False),
        Found("http://site.test/img.jpg", True),
    }


def test_rss_and_atom_feeds() -> None:
    rss = """<rss><channel><link>http://site.test/</link>
      <atom:link href="http://site.test/feed/" rel="self"/>
      <item><link><![CDATA[http://site.test/post/]]></link>
      <comments>http://site.test/post/#comments</comments>
      <enclosure url="http://site.test/a.mp3" length="1" type="audio/mpeg"/>
      </item></channel></rss>"""
    assert found("application/rss+xml", rss) == {
        Found("http://site.test/", False),
        Found("http://site.test/feed/", False),
        Found("http://site.test/post/", False),
        Found("http://site.test/post/#comments", False),
        Found("http://site.test/a.mp3", True),
    }
    atom = """<feed><id>tag:site.test,2026:1</id><link rel="alternate" href="http://site.test/x/"/>
      <entry><id>http://site.test/?p=2</id></entry></feed>"""
    assert found("application/atom+xml", atom) == {
        Found("http://site.test/x/", False),
        Found("http://site.test/?p=2", False),
    }


def test_robots_txt_names_sitemaps() -> None:
    robots = (
        "User-agent: *\nDisallow: /wp-admin/\nSITEMAP: http://site.test/s.xml\nsitemap:/t.xml\n"
    )
    assert found("text/plain", robots, "http://site.test/robots.txt") == {
        Found("http://site.test/s.xml", False),
        Found("http://site.test/t.xml", False),
    }
    assert found("text/plain", robots, "http://site.test/notes.txt") == set()
