"""An administrator's view in Debian's Chromium: widget, settings, Test connection, records.

Screenshots are kept under artifacts/browser/ (gitignored) as test artifacts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from wordpress_xmlrpc import Client, WordPressPost
from wordpress_xmlrpc.methods import posts

from tests.e2e.conftest import Site, wait_until
from tests.e2e.wordpress import ADMIN_PASSWORD, ADMIN_USER

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TITLE = "Detaljplan för Norra hamnen på samråd"


@pytest.fixture
def page(browser, site: Site):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(30_000)
    # A form post waits for WordPress, and a loaded CI machine has been seen to take > 30 s.
    page.set_default_navigation_timeout(90_000)
    page.goto(site.wp.url + "/wp-login.php")
    page.fill("#user_login", ADMIN_USER)
    page.fill("#user_pass", ADMIN_PASSWORD)
    page.click("#wp-submit")
    page.wait_for_url("**/wp-admin/**")
    yield page
    context.close()


def number(page, selector: str) -> int:  # type: ignore[no-untyped-def]
    return int("".join(ch for ch in page.inner_text(selector) if ch.isdigit()))


def test_admin_sees_widget_tests_connection_and_searches(  # type: ignore[no-untyped-def]
    site: Site, page, shots: Path, xmlrpc: Callable[[Site], Client]
) -> None:
    archive = site.archive
    client = xmlrpc(site)
    post = WordPressPost()
    post.title = TITLE
    post.content = "<p>Planförslaget finns på kommunens webbplats.</p>"
    post.post_status = "publish"
    post_id = int(client.call(posts.NewPost(post)))
    wait_until(lambda: archive.record("post", post_id), what="the new post in the archive")
    wait_until(lambda: site.outbox_counts()["pending"] == 0, what="an empty backlog")

    # The widget caches the service's stats briefly; refresh the cache so it shows "now".
    site.wp.php("Offentlig\\Plugin::instance()->client->stats(30, true);")
    stats = archive.stats()

    # Dashboard widget: the service's counts, the outbox's health.
    page.goto(site.wp.url + "/wp-admin/index.php")
    widget = page.locator("#offentlig_dashboard")
    widget.wait_for()
    assert number(page, "#offentlig_dashboard .offentlig-today") == stats["today"]
    assert number(page, "#offentlig_dashboard .offentlig-month") == stats["this_month"]
    assert number(page, "#offentlig_dashboard .offentlig-total") == stats["total"]
    assert stats["today"] >= 1
    assert number(page, "#offentlig_dashboard .offentlig-failed") == 0
    assert number(page, "#offentlig_dashboard .offentlig-backlog") == 0
    assert page.locator("#offentlig_dashboard svg.offentlig-sparkline polyline").count() == 1
    assert archive.read_token not in page.content(), "the read token never reaches the browser"
    widget.screenshot(path=str(shots / "dashboard-widget.png"))
    page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

    # Settings: secrets are not shown; a wp-config.php constant makes its field read-only.
    page.goto(site.wp.url + "/wp-admin/options-general.php?page=offentlig-settings")
    assert page.input_value("#offentlig_service_url") == archive.service.url
    assert page.input_value("#offentlig_secret") == ""
    assert archive.secret not in page.content()
    assert page.is_disabled("#offentlig_send_ip")
    assert "OFFENTLIG_SEND_IP" in page.inner_text(".offentlig-locked")
    assert page.is_checked("#offentlig_send_email")

    # Saving through the Settings API: a valid change is kept, an invalid URL is refused.
    page.fill("#offentlig_keep_delivered_days", "14")
    page.fill("#offentlig_service_url", "ftp://arkiv.example.se")
    page.click("#submit")
    page.wait_for_url("**settings-updated=true*")
    refused = page.inner_text("#setting-error-offentlig_bad_url")
    assert "must be an http:// or https:// address" in refused
    assert page.input_value("#offentlig_service_url") == archive.service.url
    assert page.input_value("#offentlig_keep_delivered_days") == "14"
    assert page.input_value("#offentlig_secret") == "", "the saved secret is kept, not shown"
    page.screenshot(path=str(shots / "settings-saved.png"), full_page=True)

    # Test connection: a signed ping, the service's answer in a success notice.
    page.click("#offentlig-test-connection")
    page.wait_for_url("**/options-general.php?page=offentlig-settings*")
    notice = page.locator(".offentlig-notice")
    assert "notice-success" in (notice.get_attribute("class") or "")
    assert "Testkommunen" in notice.inner_text()
    assert archive.site_id in notice.inner_text()
    page.screenshot(path=str(shots / "settings-test-connection.png"), full_page=True)

    # Records screen: free text + kind through the service's API, then one record.
    page.goto(site.wp.url + "/wp-admin/admin.php?page=offentlig-records")
    page.fill("#offentlig-q", "Norra hamnen")
    page.select_option("#offentlig-kind", "post")
    page.click("#offentlig-search-submit")
    page.wait_for_url("**q=Norra*")
    rows = page.locator("table.wp-list-table tbody tr")
    assert rows.count() >= 1
    assert TITLE in rows.first.inner_text()
    assert "Drawn up" in rows.first.inner_text()
    page.screenshot(path=str(shots / "records-search.png"), full_page=True)

    page.click(f"table.wp-list-table a.row-title:has-text('{TITLE}')")
    page.wait_for_selector("table.offentlig-versions")
    assert page.inner_text("h1") == TITLE
    assert f"{archive.site_id}.post.{post_id}" in page.inner_text("table.offentlig-record")
    versions = page.locator("table.offentlig-versions tbody tr")
    assert versions.count() == 1
    assert "post.published" in versions.first.inner_text()
    page.screenshot(path=str(shots / "record.png"), full_page=True)


def test_admin_screens_in_swedish(site: Site, page, shots: Path) -> None:  # type: ignore[no-untyped-def]
    site.wp.php("update_user_meta(1, 'locale', 'sv_SE');")
    try:
        page.goto(site.wp.url + "/wp-admin/index.php")
        title = page.locator("#offentlig_dashboard h2").first.inner_text()
        assert "Allmänna handlingar (Offentlig)" in title
        assert "Fångade i dag:" in page.inner_text("#offentlig_dashboard")
        page.locator("#offentlig_dashboard").screenshot(path=str(shots / "dashboard-widget-sv.png"))
        page.goto(site.wp.url + "/wp-admin/options-general.php?page=offentlig-settings")
        assert "Testa anslutningen" in page.content()
        assert (
            page.inner_text(".offentlig-locked")
            == "Låst av konstanten OFFENTLIG_SEND_IP i wp-config.php."
        )
        page.goto(site.wp.url + "/wp-admin/admin.php?page=offentlig-records")
        assert page.inner_text("h1") == "Allmänna handlingar"
        page.screenshot(path=str(shots / "records-sv.png"), full_page=True)
    finally:
        site.wp.php("delete_user_meta(1, 'locale');")
