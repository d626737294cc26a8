<?php
/**
 * Written into mu-plugins by `python -m bench.wordpress --scenario bursts --trace`: timestamps
 * of each outbox row's way out, one line per step, to the file named by OFFENTLIG_TRACE_LOG.
 * It only watches (the `query` filter, the HTTP API's filters, shutdown); the one thing it adds
 * is an X-Request-ID header (the delivery id) on webhooks, so the service's access log names
 * them. bench/trace.py reads the lines back.
 *
 * A line: "<unix time> <pid> <request> <step> <detail>".
 *
 * @package Offentlig
 */

namespace Offentlig_Trace;

const LOG = '@LOG@';

/**
 * This request's id and what it is.
 *
 * @return array{id:string,what:string}
 */
function request(): array {
	static $request = null;
	if ( null === $request ) {
		$uri  = isset( $_SERVER['REQUEST_URI'] ) ? (string) $_SERVER['REQUEST_URI'] : 'cli';
		$what = strtok( $uri, '?' );
		if ( false !== strpos( $uri, 'admin-ajax' ) && 'offentlig_dispatch' === ( $_POST['action'] ?? '' ) ) { // phpcs:ignore
			$what = 'kick';
		}
		$request = array(
			'id'   => bin2hex( random_bytes( 4 ) ),
			'what' => str_replace( ' ', '_', (string) $what ),
		);
	}
	return $request;
}

/**
 * Appends one line.
 *
 * @param string $step   What happened.
 * @param string $detail Ids and the like (no spaces).
 * @param float  $at     When (now if 0).
 */
function line( string $step, string $detail = '-', float $at = 0.0 ): void {
	$r = request();
	file_put_contents( LOG, sprintf( "%.6f %d %s %s %s %s\n", $at > 0 ? $at : microtime( true ), getmypid(), $r['id'], $r['what'], $step, $detail ), FILE_APPEND | LOCK_EX );
}

/**
 * Rows inserted and not yet known to be committed; whether a transaction is open.
 */
final class State {
	/** @var string[] */
	public static $inserted = array();
	/** @var bool */
	public static $in_transaction = false;
	/** @var bool */
	public static $wrote = false;
}

line( 'start', sprintf( '%.6f', (float) ( $_SERVER['REQUEST_TIME_FLOAT'] ?? microtime( true ) ) ) );

/**
 * Any query after a row's INSERT outside a transaction, or after the COMMIT of the transaction
 * it was in, means the row is committed (the `query` filter runs before a query, not after).
 */
function flush_committed(): void {
	if ( ! empty( State::$inserted ) && ! State::$in_transaction ) {
		line( 'committed', implode( ',', State::$inserted ) );
		State::$inserted = array();
	}
}

add_filter(
	'query',
	static function ( $query ) {
		global $wpdb;
		$table = $wpdb->prefix . 'offentlig_outbox';
		flush_committed();
		$q = ltrim( (string) $query );
		if ( 0 === stripos( $q, 'START TRANSACTION' ) ) {
			State::$in_transaction = true;
		} elseif ( 0 === stripos( $q, 'COMMIT' ) ) {
			State::$in_transaction = false;
		} elseif ( false === strpos( $q, $table ) ) {
			if ( 0 === stripos( $q, 'SELECT GET_LOCK' ) ) {
				line( 'lock', preg_match( "/, ([0-9.]+)\\)/", $q, $m ) ? $m[1] : '-' );
			}
			return $query;
		} elseif ( preg_match( '/^INSERT INTO `?' . preg_quote( $table, '/' ) . '/', $q ) && preg_match( '/msg_[0-9A-Z]{26}/', $q, $m ) ) {
			State::$inserted[] = $m[0];
			State::$wrote      = true;
			line( 'insert', $m[0] );
		} elseif ( preg_match( "/^UPDATE \\S+ SET status = 'sending'.* id IN \\(([0-9,]+)\\)/s", $q, $m ) ) {
			line( 'claim', $m[1] );
		} elseif ( preg_match( "/^UPDATE \\S+ SET status = 'delivered'.* WHERE id = ([0-9]+)/s", $q, $m ) ) {
			line( 'marked', $m[1] );
		} elseif ( preg_match( "/^SELECT o\\.id FROM /", $q ) ) {
			line( 'look' );
		}
		return $query;
	},
	PHP_INT_MAX
);

add_action(
	'shutdown',
	static function () {
		flush_committed();
		if ( State::$wrote ) {
			line( 'answered' );
		}
	},
	999 // Just before the plugin's after-response dispatch (1000), which finishes the response.
);

add_action(
	'shutdown',
	static function () {
		line( 'end' );
	},
	PHP_INT_MAX
);

add_filter(
	'http_request_args',
	static function ( $args, $url ) {
		$id = $args['headers']['webhook-id'] ?? '';
		if ( '' !== $id ) {
			$args['headers']['X-Request-ID'] = $id;
			line( 'send', $id );
		} elseif ( false !== strpos( (string) $url, 'admin-ajax.php' ) ) {
			line( 'kick_sent' );
		}
		return $args;
	},
	PHP_INT_MAX,
	2
);

add_action(
	'http_api_debug',
	static function ( $response, $context, $class, $args ) {
		$id = $args['headers']['webhook-id'] ?? '';
		if ( '' !== $id ) {
			$code = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
			line( 'answer', $id . ':' . $code );
		}
	},
	10,
	4
);
