"""A disclosure ZIP opened in Debian's Chromium, from the unpacked folder as a requester
would: every page renders, offline — the browser is asked for nothing but the package's own
files (an image in the published post, which the page must not fetch, included)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.support.exports import (
    TITLES,
    archive_fixture,  # noqa: F401 - a fixture
    made,
)

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is missing at {CHROMIUM} (apt package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


def test_the_pages_render_offline(app, client, reader, archive, browser, tmp_path) -> None:
    _, package = made(app, client, reader, record_ids=[archive.post, archive.page])
    folder = tmp_path / "unpacked"
    package.extractall(folder)
    context = browser.new_context(offline=True)  # type: ignore[attr-defined]
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    blocked: list[str] = []
    page = context.new_page()
    page.on("console", lambda message: blocked.append(message.text))
    page.goto((folder / "index.html").as_uri())
    links = page.locator("ol a")
    assert links.count() == 3  # the post's two versions and the page
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        page.goto((folder / str(href)).as_uri())
        heading = page.locator("h1").inner_text()
        assert heading in (TITLES["post"], TITLES["page"])
        assert page.locator("table th", has_text="SHA-256").count() >= 2
        # Laid out: the content has a size on screen.
        box = page.locator(".content").bounding_box()
        assert box is not None and box["height"] > 0
    page.goto((folder / f"records/{archive.page}/v1.html").as_uri())
    assert "[Bild: Kommunhuset (https://cdn.example.net/k.jpg)]" in page.inner_text(".content")
    context.close()
    assert asked and all(url.startswith("file://") for url in asked), asked
    assert not [text for text in blocked if "Content Security Policy" in text]
