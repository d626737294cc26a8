<?php
/**
 * Reads from the service's API with the read token, server side only.
 *
 * @package Offentlig
 */

namespace Offentlig;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Thin client for /v1/records, /v1/stats, /v1/exports, a site's snapshots and its reconciliations. The token never reaches the browser.
 */
final class Service_Client {

	const STATS_CACHE_SECONDS = 60;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Settings.
	 */
	public function __construct( Settings $settings ) {
		$this->settings = $settings;
	}

	/**
	 * GET a path of the API and decode the JSON answer.
	 *
	 * @param string               $path  Path beginning with /v1/.
	 * @param array<string,scalar> $query Query arguments (empty values are left out).
	 * @return array<string,mixed>|WP_Error
	 */
	public function get( string $path, array $query = array() ) {
		return $this->call( 'GET', $path, $query );
	}

	/**
	 * Sends a request to the API with the plugin's token and decodes the JSON answer.
	 *
	 * Any answer outside 2xx, or one that is not a JSON object, is a WP_Error whose code is
	 * `offentlig_api_<status>` and whose data carries the status and the decoded body.
	 *
	 * @param string                   $method GET or POST.
	 * @param string                   $path   Path beginning with /v1/.
	 * @param array<string,scalar>     $query  Query arguments (empty values are left out).
	 * @param array<string,mixed>|null $body   A JSON body to send (POST).
	 * @return array<string,mixed>|WP_Error
	 */
	private function call( string $method, string $path, array $query = array(), ?array $body = null ) {
		$base  = untrailingslashit( (string) $this->settings->get( 'service_url' ) );
		$token = (string) $this->settings->get( 'read_token' );
		if ( '' === $base || '' === $token ) {
			return new WP_Error( 'offentlig_no_token', __( 'Enter the service URL and a read token in Settings → Offentlig to see the archive here.', 'offentlig' ) );
		}
		$query = array_filter(
			$query,
			static function ( $value ) {
				return null !== $value && '' !== $value;
			}
		);
		$url     = add_query_arg( array_map( 'rawurlencode', array_map( 'strval', $query ) ), $base . $path );
		$request = array(
			'method'      => $method,
			'timeout'     => 10,
			'redirection' => 0,
			'headers'     => array(
				'Authorization' => 'Bearer ' . $token,
				'Accept'        => 'application/json',
			),
		);
		if ( null !== $body ) {
			$request['headers']['Content-Type'] = 'application/json';
			$request['body']                    = wp_json_encode( $body );
		}
		$response = wp_remote_request( $url, $request );
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$body = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( $code < 200 || $code >= 300 || ! is_array( $body ) ) {
			$message = is_array( $body ) && isset( $body['message'] ) ? (string) $body['message'] : (string) wp_remote_retrieve_response_message( $response );
			return new WP_Error(
				'offentlig_api_' . $code,
				sprintf(
					/* translators: 1: HTTP status code, 2: the service's error message. */
					__( 'The service answered %1$d: %2$s', 'offentlig' ),
					$code,
					$message
				),
				array(
					'status' => $code,
					'body'   => is_array( $body ) ? $body : null,
				)
			);
		}
		return $body;
	}

	/**
	 * This site's snapshots: `last` (the newest finished one, or null), `next_due` (or null when
	 * the schedule is off), `every`, and `items` (queued and running ones first).
	 *
	 * @return array<string,mixed>|WP_Error
	 */
	public function snapshots() {
		return $this->get( '/v1/sites/' . rawurlencode( (string) $this->settings->get( 'site_id' ) ) . '/snapshots' );
	}

	/**
	 * Asks the service to take a snapshot of this site now (needs the snapshots:request scope).
	 *
	 * @return array<string,mixed>|WP_Error The snapshot's job (202), or the error.
	 */
	public function request_snapshot() {
		return $this->call( 'POST', '/v1/sites/' . rawurlencode( (string) $this->settings->get( 'site_id' ) ) . '/snapshots' );
	}

	/**
	 * This site's latest reconciliation report; null when the site was never reconciled (404).
	 *
	 * @return array<string,mixed>|null|WP_Error
	 */
	public function latest_reconciliation() {
		$report = $this->get( '/v1/sites/' . rawurlencode( (string) $this->settings->get( 'site_id' ) ) . '/reconciliations/latest' );
		if ( is_wp_error( $report ) && 'offentlig_api_404' === $report->get_error_code() ) {
			return null;
		}
		return $report;
	}

	/**
	 * Capture statistics for this site, cached briefly.
	 *
	 * @param int  $days    Days of history.
	 * @param bool $refresh Skip the cache.
	 * @return array<string,mixed>|WP_Error
	 */
	public function stats( int $days = 30, bool $refresh = false ) {
		$site = (string) $this->settings->get( 'site_id' );
		$key  = 'offentlig_stats_' . md5( $site . '|' . $days );
		$hit  = $refresh ? false : get_transient( $key );
		if ( is_array( $hit ) ) {
			return $hit;
		}
		$stats = $this->get(
			'/v1/stats',
			array(
				'site' => $site,
				'days' => $days,
			)
		);
		if ( ! is_wp_error( $stats ) ) {
			set_transient( $key, $stats, self::STATS_CACHE_SECONDS );
		}
		return $stats;
	}

	/**
	 * Searches records of this site.
	 *
	 * @param array<string,scalar> $args q, kind, origin, status, author, published_after, published_before, cursor, limit, facets.
	 * @return array<string,mixed>|WP_Error
	 */
	public function records( array $args ) {
		$args['site'] = (string) $this->settings->get( 'site_id' );
		return $this->get( '/v1/records', $args );
	}

	/**
	 * One record with its events.
	 *
	 * A record culled under a culling decision answers 410; that is not a failure but the
	 * record's last state, so it comes back as the error `offentlig_culled` whose data carries
	 * the culling-log entry the service answers with in `errors.culling_log`
	 * (decision_reference, culled_at, rule_id, …), or an empty array.
	 *
	 * @param string $record_id Record id.
	 * @return array<string,mixed>|WP_Error
	 */
	public function record( string $record_id ) {
		$record = $this->get( '/v1/records/' . rawurlencode( $record_id ) );
		if ( is_wp_error( $record ) && 'offentlig_api_410' === $record->get_error_code() ) {
			$data = $record->get_error_data();
			$body = is_array( $data ) && is_array( $data['body'] ?? null ) ? $data['body'] : array();
			$log  = $body['errors']['culling_log'] ?? null;
			return new WP_Error(
				'offentlig_culled',
				__( 'This record has been culled.', 'offentlig' ),
				array(
					'status'  => 410,
					'culling' => is_array( $log ) ? $log : array(),
				)
			);
		}
		return $record;
	}

	/**
	 * Asks the service for a disclosure export of these records (masked: no personal data).
	 *
	 * @param array<int,string> $record_ids Record ids.
	 * @return array<string,mixed>|WP_Error The export (202), or the error.
	 */
	public function request_export( array $record_ids ) {
		return $this->call( 'POST', '/v1/exports', array(), array( 'record_ids' => array_values( $record_ids ) ) );
	}

	/**
	 * One export: its state, progress and, once finished, its file.
	 *
	 * @param string $export_id Export id.
	 * @return array<string,mixed>|WP_Error
	 */
	public function export( string $export_id ) {
		return $this->get( '/v1/exports/' . rawurlencode( $export_id ) );
	}

	/**
	 * Downloads a finished export's ZIP into a local file.
	 *
	 * @param string $export_id Export id.
	 * @param string $target    Where to write it.
	 * @return true|WP_Error
	 */
	public function download_export( string $export_id, string $target ) {
		$base     = untrailingslashit( (string) $this->settings->get( 'service_url' ) );
		$response = wp_remote_get(
			$base . '/v1/exports/' . rawurlencode( $export_id ) . '/download',
			array(
				'timeout'     => 300,
				'redirection' => 0,
				'stream'      => true,
				'filename'    => $target,
				'headers'     => array( 'Authorization' => 'Bearer ' . (string) $this->settings->get( 'read_token' ) ),
			)
		);
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		if ( 200 !== $code ) {
			return new WP_Error(
				'offentlig_api_' . $code,
				sprintf(
					/* translators: 1: HTTP status code, 2: the service's error message. */
					__( 'The service answered %1$d: %2$s', 'offentlig' ),
					$code,
					(string) wp_remote_retrieve_response_message( $response )
				)
			);
		}
		return true;
	}

	/**
	 * A record's versions.
	 *
	 * @param string $record_id Record id.
	 * @return array<string,mixed>|WP_Error
	 */
	public function versions( string $record_id ) {
		return $this->get( '/v1/records/' . rawurlencode( $record_id ) . '/versions' );
	}

	/**
	 * One version exactly as captured: the stored document (title, content, …).
	 *
	 * @param string $record_id Record id.
	 * @param int    $number    Version number.
	 * @return array<string,mixed>|WP_Error
	 */
	public function version( string $record_id, int $number ) {
		return $this->get( '/v1/records/' . rawurlencode( $record_id ) . '/versions/' . $number );
	}
}
