<?php
/**
 * Plugin Name:       Offentlig
 * Plugin URI:        https://github.com/offentlig/offentlig
 * Description:       Keeps every post, page and comment as a public record (allmän handling) in the Offentlig archive.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            Offentlig
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       offentlig
 * Domain Path:       /languages
 *
 * @package Offentlig
 */

namespace Offentlig;

defined( 'ABSPATH' ) || exit;

const VERSION     = '0.1.0';
const PLUGIN_FILE = __FILE__;
const MIN_PHP     = '8.1';

if ( version_compare( PHP_VERSION, MIN_PHP, '<' ) ) {
	add_action(
		'admin_notices',
		static function () {
			printf(
				'<div class="notice notice-error"><p>%s</p></div>',
				esc_html(
					sprintf(
						/* translators: 1: required PHP version, 2: running PHP version. */
						__( 'Offentlig needs PHP %1$s or later; this site runs PHP %2$s. Nothing is being captured.', 'offentlig' ),
						MIN_PHP,
						PHP_VERSION
					)
				)
			);
		}
	);
	return;
}

require_once __DIR__ . '/src/autoload.php';

Plugin::instance()->set_up();
