<?php
/**
 * Sends outbox rows to the service.
 *
 * @package Offentlig
 */

namespace Offentlig;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Claims due rows, signs each attempt afresh and records the answer.
 */
final class Dispatcher {

	const CRON_HOOK     = 'offentlig_dispatch';
	const NOW_HOOK      = 'offentlig_dispatch_now';
	const CRON_SCHEDULE = 'offentlig_every_minute';
	const TIMEOUT       = 10;
	const BATCH         = 10;
	const KICK_ACTION   = 'offentlig_dispatch';
	const KICK_LIFETIME = 300;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Settings.
	 * @param Outbox   $outbox   Outbox.
	 */
	public function __construct( Settings $settings, Outbox $outbox ) {
		$this->settings = $settings;
		$this->outbox   = $outbox;
	}

	/**
	 * The events endpoint for this site.
	 *
	 * @return string|WP_Error
	 */
	public function endpoint() {
		if ( ! $this->settings->is_configured() ) {
			return new WP_Error( 'offentlig_not_configured', __( 'Enter the service URL, site id and webhook secret first.', 'offentlig' ) );
		}
		return untrailingslashit( (string) $this->settings->get( 'service_url' ) ) . '/v1/sites/' . rawurlencode( (string) $this->settings->get( 'site_id' ) ) . '/events';
	}

	/**
	 * Sends what is due (or the given rows first), until nothing is left or the time budget is spent.
	 *
	 * @param int[] $ids      Rows this request wrote; they go out even before their scheduled time.
	 * @param float $budget   Seconds to spend at most.
	 * @param bool  $then_due After the given rows, also send every other due row.
	 * @return array{delivered:int,retrying:int,failed:int}
	 */
	public function run( array $ids = array(), float $budget = 15.0, bool $then_due = true ): array {
		$result = array(
			'delivered' => 0,
			'retrying'  => 0,
			'failed'    => 0,
		);
		if ( is_wp_error( $this->endpoint() ) ) {
			return $result;
		}
		$deadline = microtime( true ) + $budget;
		$passes   = empty( $ids ) ? array( array() ) : ( $then_due ? array( $ids, array() ) : array( $ids ) );
		foreach ( $passes as $only ) {
			$only = array_map( 'intval', $only );
			while ( microtime( true ) < $deadline ) {
				$rows = $this->outbox->claim( $only, self::BATCH );
				if ( empty( $rows ) ) {
					break;
				}
				foreach ( $rows as $i => $row ) {
					if ( microtime( true ) >= $deadline ) {
						// Out of time: hand the rest back at once instead of letting their claim expire.
						$this->outbox->release( array_map( 'intval', array_column( array_slice( $rows, $i ), 'id' ) ) );
						break 3;
					}
					$outcome = $this->deliver( $row );
					++$result[ $outcome ];
				}
				if ( ! empty( $only ) ) {
					// The given rows are claimed whatever their next attempt time, so each gets one
					// attempt per run: a failed one waits for its back-off (WP-Cron), instead of being
					// retried here at once until its whole schedule is spent.
					$only = array_values( array_diff( $only, array_map( 'intval', array_column( $rows, 'id' ) ) ) );
					if ( empty( $only ) ) {
						break;
					}
				}
			}
		}
		return $result;
	}

	/**
	 * One attempt for one claimed row.
	 *
	 * @param array<string,mixed> $row Claimed outbox row.
	 * @return string "delivered", "retrying" or "failed".
	 */
	public function deliver( array $row ): string {
		$id       = (int) $row['id'];
		$response = $this->post( (string) $row['webhook_id'], (string) $row['payload'] );
		if ( ! is_wp_error( $response ) ) {
			$this->outbox->mark_delivered( $id, $response['status'] );
			update_option( 'offentlig_last_delivery', gmdate( 'Y-m-d H:i:s' ), false );
			return 'delivered';
		}
		$data   = (array) $response->get_error_data();
		$status = $this->outbox->mark_failed_attempt(
			$id,
			(int) ( $data['status'] ?? 0 ),
			$response->get_error_message(),
			$this->settings->retry_schedule(),
			isset( $data['retry_after'] ) ? (int) $data['retry_after'] : null
		);
		return Outbox::FAILED === $status ? 'failed' : 'retrying';
	}

	/**
	 * A signed POST. Any transport error or non-2xx answer is a WP_Error whose data holds
	 * `status` and `retry_after` (seconds, when the service sent Retry-After).
	 *
	 * @param string $webhook_id Delivery id.
	 * @param string $body       JSON body.
	 * @return array{status:int,body:mixed}|WP_Error
	 */
	public function post( string $webhook_id, string $body ) {
		$url = $this->endpoint();
		if ( is_wp_error( $url ) ) {
			return $url;
		}
		$headers = Signer::headers( $webhook_id, time(), $body, (string) $this->settings->get( 'secret' ) );
		if ( is_wp_error( $headers ) ) {
			return $headers;
		}
		$response = wp_remote_post(
			$url,
			array(
				'timeout'     => self::TIMEOUT,
				'redirection' => 0,
				'headers'     => $headers,
				'body'        => $body,
				'user-agent'  => 'Offentlig/' . VERSION . '; WordPress/' . get_bloginfo( 'version' ),
			)
		);
		if ( is_wp_error( $response ) ) {
			return new WP_Error( $response->get_error_code(), $response->get_error_message(), array( 'status' => 0 ) );
		}
		$code    = (int) wp_remote_retrieve_response_code( $response );
		$decoded = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( $code >= 200 && $code < 300 ) {
			return array(
				'status' => $code,
				'body'   => $decoded,
			);
		}
		$message = is_array( $decoded ) && isset( $decoded['message'] ) ? (string) $decoded['message'] : (string) wp_remote_retrieve_response_message( $response );
		return new WP_Error(
			'offentlig_http_' . $code,
			sprintf(
				/* translators: 1: HTTP status code, 2: the service's error message. */
				__( 'The service answered %1$d: %2$s', 'offentlig' ),
				$code,
				$message
			),
			array(
				'status'      => $code,
				'retry_after' => self::parse_retry_after( (string) wp_remote_retrieve_header( $response, 'retry-after' ) ),
				'body'        => $decoded,
			)
		);
	}

	/**
	 * Retry-After as seconds from now (delta-seconds or an HTTP date), or null.
	 *
	 * @param string   $value Header value.
	 * @param int|null $now   Unix time (tests).
	 */
	public static function parse_retry_after( string $value, ?int $now = null ): ?int {
		$value = trim( $value );
		if ( '' === $value ) {
			return null;
		}
		if ( ctype_digit( $value ) ) {
			return (int) $value;
		}
		$when = strtotime( $value );
		return false === $when ? null : max( 0, $when - ( $now ?? time() ) );
	}

	/**
	 * A token for the after-response loopback, valid for a few minutes (HMAC with the site's salt).
	 *
	 * @param int $time Unix time the kick was made.
	 */
	public static function kick_token( int $time ): string {
		return hash_hmac( 'sha256', self::KICK_ACTION . '|' . $time, wp_salt( 'nonce' ) );
	}

	/**
	 * Whether a loopback kick is genuine and recent.
	 *
	 * @param string   $time  Submitted time.
	 * @param string   $token Submitted token.
	 * @param int|null $now   Unix time (tests).
	 */
	public static function verify_kick( string $time, string $token, ?int $now = null ): bool {
		if ( ! ctype_digit( $time ) || abs( ( $now ?? time() ) - (int) $time ) > self::KICK_LIFETIME ) {
			return false;
		}
		return hash_equals( self::kick_token( (int) $time ), $token );
	}

	/**
	 * Starts a dispatch in a separate request without waiting for it (non-blocking loopback).
	 *
	 * Used where fastcgi_finish_request() is not available. WP-Cron's own spawn is skipped while
	 * any other cron run holds its lock, so the immediate single event could wait for the next
	 * visitor; this kick does not. The scheduled event stays as the fallback.
	 */
	public function kick(): void {
		$time = time();
		wp_remote_post(
			admin_url( 'admin-ajax.php' ),
			array(
				'blocking'  => false,
				'timeout'   => 0.01,
				'sslverify' => (bool) apply_filters( 'https_local_ssl_verify', false ),
				'body'      => array(
					'action' => self::KICK_ACTION,
					'time'   => (string) $time,
					'token'  => self::kick_token( $time ),
				),
			)
		);
	}

	/**
	 * The loopback's handler (admin-ajax, no login): verify the token, send, answer JSON.
	 */
	public function handle_kick(): void {
		// The HMAC token stands in for capability and nonce: the loopback has no user session.
		// phpcs:disable WordPress.Security.NonceVerification.Missing
		$time  = isset( $_POST['time'] ) ? sanitize_text_field( wp_unslash( $_POST['time'] ) ) : '';
		$token = isset( $_POST['token'] ) ? sanitize_text_field( wp_unslash( $_POST['token'] ) ) : '';
		// phpcs:enable
		if ( ! self::verify_kick( $time, $token ) ) {
			wp_send_json_error( null, 403 );
		}
		ignore_user_abort( true );
		wp_send_json_success( $this->run() );
	}

	/**
	 * Sends offentlig.ping at once (not through the outbox) and returns the service's answer.
	 *
	 * @return array{status:int,body:mixed}|WP_Error
	 */
	public function ping() {
		$event = Event_Builder::envelope( 'offentlig.ping', Event_Builder::ping_data() );
		return $this->post( Outbox::new_webhook_id(), Event_Builder::encode( $event ) );
	}
}
