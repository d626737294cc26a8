"""Activation creates the outbox and the per-minute schedule; deactivation keeps undelivered rows;
only uninstalling removes the table, the settings and the plugin's marks (never the archive)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import wordpress as wp_harness
from tests.e2e.conftest import PLUGIN_DIR
from tests.e2e.wordpress import WordPress

pytestmark = pytest.mark.e2e

PLUGIN = "offentlig/offentlig.php"
STATE = """
global $wpdb;
$table = $wpdb->prefix . 'offentlig_outbox';
echo wp_json_encode([
    'active' => is_plugin_active('offentlig/offentlig.php'),
    'table' => $wpdb->get_var("SHOW TABLES LIKE '{$table}'") === $table,
    'rows' => $wpdb->get_var("SHOW TABLES LIKE '{$table}'") === $table
        ? (int) $wpdb->get_var("SELECT COUNT(*) FROM {$table}") : null,
    'cron' => (bool) wp_next_scheduled('offentlig_dispatch'),
    'settings' => get_option('offentlig_settings', null) !== null,
    'meta' => (int) $wpdb->get_var(
        "SELECT COUNT(*) FROM {$wpdb->postmeta} WHERE meta_key LIKE '\\\\_offentlig\\\\_%'"
    ),
]);
"""


@pytest.fixture
def bare_wordpress(tmp_path: Path) -> Iterator[WordPress]:
    """A WordPress with the plugin installed but not active, and no archive configured."""
    wp = wp_harness.start(tmp_path / "wp", plugins={"offentlig": PLUGIN_DIR})
    yield wp
    wp.stop()


def state(wp: WordPress) -> dict[str, object]:
    return dict(wp.php_json("require_once ABSPATH . 'wp-admin/includes/plugin.php';" + STATE))  # type: ignore[arg-type]


def test_activate_deactivate_uninstall(bare_wordpress: WordPress) -> None:
    wp = bare_wordpress
    assert state(wp) == {
        "active": False, "table": False, "rows": None, "cron": False, "settings": False, "meta": 0,
    }  # fmt: skip

    wp.activate_plugin(PLUGIN)
    after_activation = state(wp)
    assert after_activation["active"] and after_activation["table"] and after_activation["cron"]

    # Not configured yet: a publish is still kept, waiting in the outbox.
    wp.php(
        "wp_insert_post(['post_title' => 'Före konfigurationen', 'post_status' => 'publish',"
        " 'post_author' => 1]);"
    )
    wp.php("Offentlig\\Plugin::instance()->settings->update(['site_id' => 'kommunen']);")
    configured = state(wp)
    assert configured["rows"] == 1
    assert configured["meta"] >= 1
    assert configured["settings"] is True

    wp.php(
        "require_once ABSPATH . 'wp-admin/includes/plugin.php';"
        "deactivate_plugins('offentlig/offentlig.php');"
    )
    after_deactivation = state(wp)
    assert after_deactivation["active"] is False
    assert after_deactivation["table"] is True and after_deactivation["rows"] == 1
    assert after_deactivation["cron"] is False

    wp.php(
        "require_once ABSPATH . 'wp-admin/includes/plugin.php';"
        "uninstall_plugin('offentlig/offentlig.php');"
    )
    assert state(wp) == {
        "active": False, "table": False, "rows": None, "cron": False, "settings": False, "meta": 0,
    }  # fmt: skip
