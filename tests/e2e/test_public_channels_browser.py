"""The public channel register in Debian's Chromium: both languages render, nothing is fetched
from another origin, and axe-core finds no accessibility violations.

axe-core comes from npm, pinned in tests/e2e/package.json (`npm ci --prefix tests/e2e`, which
`make test` runs). Screenshots are kept under artifacts/browser/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Service

pytestmark = [pytest.mark.browser]

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def axe() -> Path:
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is missing at {AXE}: run `npm ci --prefix tests/e2e` (node and npm "
            "from Debian's nodejs/npm; `make test` does both)"
        )
    return AXE


@pytest.fixture(scope="module")
def channels(service: Service) -> dict[str, Any]:
    """A registered site (so a WordPress channel), a Facebook page, a closed Instagram account."""
    site = service.cli("sites", "add", "--name", "Webbkommunens webbplats", "--url",
                       "https://www.example.se")  # fmt: skip
    facebook = service.cli(
        "channels", "add", "--platform", "facebook", "--name", "Webbkommunen på Facebook",
        "--url", "https://www.facebook.com/webbkommunen", "--purpose", "Nyheter och frågor",
        "--responsible-unit", "Kommunikationsenheten", "--contact", "info@example.se",
        "--started-on", "2016-04-01",
    )  # fmt: skip
    instagram = service.cli(
        "channels", "add", "--platform", "instagram", "--name", "Webbkommunen på Instagram",
        "--url", "https://www.instagram.com/webbkommunen", "--started-on", "2018-01-15",
    )  # fmt: skip
    service.cli("channels", "close", instagram["id"], "--on", "2024-06-30")
    return {"site": site, "facebook": facebook, "instagram": instagram}


def violations(page) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return list(result["violations"])


def describe(found: list[dict[str, Any]]) -> str:
    return json.dumps(
        [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["html"] for n in v["nodes"]],
            }
            for v in found
        ],
        ensure_ascii=False,
        indent=2,
    )


@pytest.mark.parametrize(
    ("lang", "heading", "closed", "caption"),
    [
        ("sv", "Förteckning över sociala medier", "Stängd", "Kanaler, aktiva och stängda"),
        ("en", "Register of social media channels", "Closed", "Channels, active and closed"),
    ],
)
def test_public_channel_register_in_a_browser(  # type: ignore[no-untyped-def]
    service: Service, browser, shots: Path, axe: Path, channels, lang, heading, closed, caption
) -> None:
    origin = urlsplit(service.url).netloc
    for width, height, name in ((1280, 900, "wide"), (375, 812, "narrow")):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(30_000)
        # A form post waits for WordPress, and a loaded CI machine has been seen to take > 30 s.
        page.set_default_navigation_timeout(90_000)
        requested: list[str] = []
        page.on("request", lambda request, into=requested: into.append(request.url))
        try:
            answer = page.goto(f"{service.url}/public/channels?lang={lang}")
            assert answer is not None and answer.status == 200
            page.wait_for_load_state("networkidle")

            assert page.get_attribute("html", "lang") == lang
            assert page.inner_text("h1") == heading
            assert page.title() == heading
            assert page.inner_text("table caption") == caption
            rows = {
                page.inner_text(f"#channel-{c['id']} th"): page.inner_text(f"#channel-{c['id']}")
                for c in channels.values()
            }
            assert set(rows) == {
                "Webbkommunens webbplats",
                "Webbkommunen på Facebook",
                "Webbkommunen på Instagram",
            }
            assert "WordPress" in rows["Webbkommunens webbplats"]
            assert "Kommunikationsenheten" in rows["Webbkommunen på Facebook"]
            assert f"{closed} 2024-06-30" in rows["Webbkommunen på Instagram"]
            assert page.locator("main table tbody tr").count() >= 3
            page.screenshot(path=str(shots / f"public-channels-{lang}-{name}.png"), full_page=True)

            found = violations(page)
            assert found == [], f"axe-core ({lang}, {name}):\n{describe(found)}"
        finally:
            context.close()
        elsewhere = [url for url in requested if urlsplit(url).netloc != origin]
        assert requested and elsewhere == [], f"requests left {origin}: {elsewhere}"
