<?php
/**
 * Loads a real, installed WordPress (WP_DOCROOT) with the plugin, the way core's test library would.
 *
 * There is no wordpress-develop test library on Debian; tests extend PHPUnit's TestCase, call
 * WordPress APIs directly and intercept outgoing HTTP with the pre_http_request filter.
 *
 * @package Offentlig
 */

$docroot = getenv( 'WP_DOCROOT' );
if ( ! $docroot || ! is_readable( $docroot . '/wp-load.php' ) ) {
	fwrite( STDERR, "WP_DOCROOT must name the docroot of an installed WordPress (wp-plugin/bin/check starts one).\n" );
	exit( 1 );
}

$_SERVER['HTTP_HOST']       = getenv( 'WP_HTTP_HOST' ) ? getenv( 'WP_HTTP_HOST' ) : 'localhost';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
$_SERVER['HTTP_USER_AGENT'] = 'offentlig-phpunit';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';

define( 'DISABLE_WP_CRON', true );
define( 'OFFENTLIG_TESTS_PLUGIN_FILE', dirname( __DIR__ ) . '/offentlig/offentlig.php' );

// Load the plugin right after the mu-plugins, whether or not it is active in this site.
$GLOBALS['wp_filter']['muplugins_loaded'][10]['offentlig_tests'] = array(
	'function'      => static function () {
		require_once OFFENTLIG_TESTS_PLUGIN_FILE;
	},
	'accepted_args' => 1,
);

require $docroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/template.php';

\Offentlig\Plugin::instance()->activate();

// Many visitor comments within seconds are the point of some tests, not a flood.
add_filter( 'wp_is_comment_flood', '__return_false', 99 );

require_once __DIR__ . '/class-test-case.php';
