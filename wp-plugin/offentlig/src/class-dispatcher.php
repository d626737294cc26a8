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
	const BATCH         = 25;   // Rows claimed at a time by a run (at most one per object).
	const PARALLEL      = 8;    // Webhooks in flight at once from one sender.
	const POLL          = 0.02; // Seconds between two looks for new rows while webhooks are in flight.
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
	 * Whether this request has already made the rows waiting for the service due (once is enough).
	 *
	 * @var bool
	 */
	private $resumed = false;

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
	 * Every delivery drains its object's queue: the next row of the same object, if due, goes out
	 * right after it (see pump()). A run that is not limited to given rows also tries one parked
	 * row when its time has come (the probe after a long outage).
	 *
	 * @param int[] $ids      Rows this request wrote; they go out even before their scheduled time.
	 * @param float $budget   Seconds to spend at most (no webhook is started after it).
	 * @param bool  $then_due After the given rows, also send every other due row.
	 * @param int   $batch    Rows to claim at a time.
	 * @return array{delivered:int,retrying:int,failed:int}
	 */
	public function run( array $ids = array(), float $budget = 15.0, bool $then_due = true, int $batch = self::BATCH ): array {
		$result = self::empty_result();
		if ( is_wp_error( $this->endpoint() ) ) {
			return $result;
		}
		$this->resumed = false;
		$deadline      = microtime( true ) + $budget;
		$due           = empty( $ids ) || $then_due;
		if ( $due ) {
			// First, so that when it gets through, the rows it makes due go out in this run.
			$this->probe( $deadline, $result );
		}
		$only = array_map( 'intval', $ids );
		$this->pump(
			function ( int $limit ) use ( &$only, $due, $batch ): array {
				$limit = min( $limit, $batch );
				if ( ! empty( $only ) ) {
					$rows = $this->outbox->claim( $only, $limit );
					// The given rows are claimed whatever their next attempt time, so each gets one
					// attempt per run: a failed one waits for its back-off (WP-Cron), instead of being
					// retried here at once until its whole schedule is spent.
					$only = empty( $rows ) ? array() : array_values( array_diff( $only, array_map( 'intval', array_column( $rows, 'id' ) ) ) );
					if ( ! empty( $rows ) ) {
						return $rows;
					}
				}
				return $due ? $this->outbox->claim( array(), $limit ) : array();
			},
			$deadline,
			$result
		);
		return $result;
	}

	/**
	 * After the response: sends the fresh captures (this request's rows, and those of any other
	 * request), as the site's one after-response sender at a time.
	 *
	 * The request first lets go of its rows. If another request is the sender already, it leaves
	 * them to it and ends at once, freeing its PHP worker: that sender looks for new rows every
	 * POLL seconds while it has webhooks in flight, and once more after letting go of the sender
	 * lock, so a row let go of while it was the sender is never left behind. Otherwise this
	 * request becomes the sender and keeps PARALLEL webhooks in flight until no fresh row is
	 * left. A row behind an older row of its object waits for it: whoever delivers that one sends
	 * it next. If the budget runs out with fresh rows left, a loopback request takes over.
	 *
	 * @param float $budget Seconds during which new webhooks may be started.
	 * @return array{delivered:int,retrying:int,failed:int}
	 */
	public function send_fresh( float $budget = 10.0 ): array {
		$result = self::empty_result();
		$this->outbox->release_held();
		if ( is_wp_error( $this->endpoint() ) ) {
			return $result;
		}
		$this->resumed = false;
		$deadline      = microtime( true ) + $budget;
		while ( $this->lock( 0.0 ) ) {
			$this->pump(
				function ( int $limit ): array {
					return $this->outbox->claim_fresh( $limit );
				},
				$deadline,
				$result
			);
			$this->unlock();
			if ( ! $this->outbox->has_fresh() ) {
				return $result; // Nothing was let go of while this request was the sender.
			}
			if ( microtime( true ) >= $deadline ) {
				$this->kick(); // Out of time: another request takes over.
				return $result;
			}
		}
		return $result; // Another request is the sender: it takes these rows too.
	}

	/**
	 * Keeps up to PARALLEL webhooks in flight. Rows come from $claim, up to BATCH at a time
	 * (those beyond PARALLEL wait for a free slot), whenever every claimed row has started: at
	 * once after an answer, else every POLL seconds; and after each delivery comes the next row
	 * of the same object (draining its queue; claimed rows are always of different objects, so
	 * the order per object is kept). The answers that came together are written in one commit,
	 * and a claim takes many rows: a log flush per round trip, not two per row. (Claims are not
	 * in that transaction: holding their locks longer invites deadlocks with other senders.)
	 * Ends when nothing is in flight and $claim has nothing more; after $deadline nothing new is
	 * started, and rows claimed but not started are handed back, due at once.
	 *
	 * @param callable          $claim    fn( int $limit ): array Claimed rows, at most $limit.
	 * @param float             $deadline microtime() after which nothing new is started.
	 * @param array<string,int> $result   Counts, updated.
	 */
	private function pump( callable $claim, float $deadline, array &$result ): void {
		$batch     = new Http_Batch( self::PARALLEL );
		$rows      = array(); // Row id => row, claimed and not yet written down.
		$answers   = array(); // Row id => answer, not yet written down.
		$look      = true;
		$next_look = 0.0;
		while ( true ) {
			$now     = microtime( true );
			$in_time = $now < $deadline;
			if ( ! $in_time ) {
				$late = $batch->drop_waiting();
				if ( ! empty( $late ) ) {
					$this->outbox->release( array_map( 'intval', $late ) );
					$rows = array_diff_key( $rows, array_flip( $late ) );
				}
			}
			if ( ! empty( $answers ) ) {
				$delivered = $this->outbox->atomically(
					function () use ( $answers, &$rows, &$result ): array {
						return $this->record_all( $answers, $rows, $result );
					}
				);
				$answers = array();
				if ( $in_time && ! empty( $delivered ) ) {
					$this->start( $batch, $this->outbox->claim_heads( $delivered, count( $delivered ) ), $rows, $deadline );
				}
			}
			$limit = self::BATCH - count( $rows );
			if ( $in_time && $limit > 0 && 0 === $batch->queued() && ( $look || $now >= $next_look ) ) {
				$look      = false;
				$next_look = $now + self::POLL;
				$this->start( $batch, $claim( $limit ), $rows, $deadline );
			}
			if ( ! $batch->busy() ) {
				return;
			}
			$answers = $batch->collect( self::POLL );
			$look    = $look || ! empty( $answers );
		}
	}

	/**
	 * Adds claimed rows to the batch, each signed now (every attempt has a fresh signature);
	 * those that come after the deadline are handed back, due at once.
	 *
	 * @param Http_Batch                     $batch    The batch.
	 * @param array<int,array<string,mixed>> $claimed  Claimed rows.
	 * @param array<int,array<string,mixed>> $rows     Rows in flight by id, updated.
	 * @param float                          $deadline microtime() after which nothing is started.
	 */
	private function start( Http_Batch $batch, array $claimed, array &$rows, float $deadline ): void {
		foreach ( array_values( $claimed ) as $i => $row ) {
			if ( microtime( true ) >= $deadline ) {
				$this->outbox->release( array_map( 'intval', array_column( array_slice( $claimed, $i ), 'id' ) ) );
				return;
			}
			$id          = (int) $row['id'];
			$rows[ $id ] = $row;
			$request     = $this->request( (string) $row['webhook_id'], (string) $row['payload'] );
			if ( is_wp_error( $request ) ) {
				$batch->resolve( $id, $request );
			} else {
				$batch->add( $id, $request[0], $request[1] );
			}
		}
	}

	/**
	 * Writes down the answers that came (the caller holds the transaction).
	 *
	 * @param array<int,array<string,mixed>|WP_Error> $answers Answers by row id.
	 * @param array<int,array<string,mixed>>          $rows    Rows claimed by id, updated.
	 * @param array<string,int>                       $result  Counts, updated.
	 * @return string[] Object keys of the rows delivered.
	 */
	private function record_all( array $answers, array &$rows, array &$result ): array {
		$delivered = array();
		foreach ( array_intersect_key( $rows, $answers ) as $id => $row ) {
			$outcome = $this->record( $row, self::answer( $answers[ $id ] ) );
			++$result[ $outcome ];
			if ( 'delivered' === $outcome ) {
				$delivered[] = (string) $row['object_key'];
			}
		}
		$rows = array_diff_key( $rows, $answers );
		return $delivered;
	}

	/**
	 * One try of the oldest parked row whose time has come; it is delivered only when the service
	 * answers again, and then every parked row is due at once.
	 *
	 * @param float             $deadline microtime() to stop at.
	 * @param array<string,int> $result   Counts, updated.
	 */
	private function probe( float $deadline, array &$result ): void {
		if ( microtime( true ) >= $deadline ) {
			return;
		}
		$row = $this->outbox->claim_probe();
		if ( null === $row ) {
			return;
		}
		$before = $result['delivered'];
		$given  = array( $row );
		$this->pump(
			static function () use ( &$given ): array {
				$rows  = $given;
				$given = array();
				return $rows;
			},
			$deadline,
			$result
		);
		if ( $result['delivered'] > $before ) {
			$this->outbox->resume( null, true ); // Whatever other processes noted: the service is back.
		}
	}

	/**
	 * Zero counts.
	 *
	 * @return array{delivered:int,retrying:int,failed:int}
	 */
	private static function empty_result(): array {
		return array(
			'delivered' => 0,
			'retrying'  => 0,
			'failed'    => 0,
		);
	}

	/**
	 * The database lock held by the after-response sender (one per site, named after its table).
	 */
	public function lock_name(): string {
		return 'offentlig_sender_' . md5( $this->outbox->table() );
	}

	/**
	 * Becomes the after-response sender if nobody is (MySQL GET_LOCK: released by the server if
	 * this process dies).
	 *
	 * @param float $timeout Seconds to wait for it.
	 */
	private function lock( float $timeout ): bool {
		global $wpdb;
		return '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, %f)', $this->lock_name(), $timeout ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * Stops being the sender.
	 */
	private function unlock(): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $this->lock_name() ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * One attempt for one claimed row.
	 *
	 * @param array<string,mixed> $row Claimed outbox row.
	 * @return string "delivered", "retrying" or "failed" (parked counts as retrying).
	 */
	public function deliver( array $row ): string {
		return $this->record( $row, $this->post( (string) $row['webhook_id'], (string) $row['payload'] ) );
	}

	/**
	 * Writes down how an attempt went.
	 *
	 * @param array<string,mixed>                 $row    Claimed outbox row.
	 * @param array{status:int,body:mixed}|WP_Error $answer What post() would return.
	 * @return string "delivered", "retrying" or "failed" (parked counts as retrying).
	 */
	private function record( array $row, $answer ): string {
		$id = (int) $row['id'];
		if ( ! is_wp_error( $answer ) ) {
			$this->outbox->mark_delivered( $id, $answer['status'] );
			if ( ! $this->resumed ) {
				// The service answers: what waits only because it could not be reached is due now.
				$this->resumed = true;
				$this->outbox->resume();
			}
			return 'delivered';
		}
		$data   = (array) $answer->get_error_data();
		$status = $this->outbox->mark_failed_attempt(
			$id,
			(int) ( $data['status'] ?? 0 ),
			$answer->get_error_message(),
			$this->settings->retry_schedule(),
			isset( $data['retry_after'] ) ? (int) $data['retry_after'] : null,
			null,
			null,
			$this->settings->park_interval()
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
		$request = $this->request( $webhook_id, $body );
		return is_wp_error( $request ) ? $request : self::answer( wp_remote_request( $request[0], $request[1] ) );
	}

	/**
	 * URL and arguments of a signed POST (signed now, so every attempt carries a fresh signature).
	 *
	 * @param string $webhook_id Delivery id.
	 * @param string $body       JSON body.
	 * @return array{0:string,1:array<string,mixed>}|WP_Error
	 */
	private function request( string $webhook_id, string $body ) {
		$url = $this->endpoint();
		if ( is_wp_error( $url ) ) {
			return $url;
		}
		$headers = Signer::headers( $webhook_id, time(), $body, (string) $this->settings->get( 'secret' ) );
		if ( is_wp_error( $headers ) ) {
			return $headers;
		}
		return array(
			$url,
			array(
				'method'      => 'POST',
				'timeout'     => self::TIMEOUT,
				'redirection' => 0,
				'headers'     => $headers,
				'body'        => $body,
				'user-agent'  => 'Offentlig/' . VERSION . '; WordPress/' . get_bloginfo( 'version' ),
			),
		);
	}

	/**
	 * The service's answer as post() returns it.
	 *
	 * @param array<string,mixed>|WP_Error $response What wp_remote_request() returned.
	 * @return array{status:int,body:mixed}|WP_Error
	 */
	private static function answer( $response ) {
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
	 * Used where fastcgi_finish_request() is not available, and by a sender that ran out of
	 * time: the loopback sends the fresh captures, then whatever else is due. WP-Cron's
	 * per-minute event stays as the fallback.
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
	 * The loopback's handler (admin-ajax, no login): verify the token, answer at once, then send.
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
		// Answer before sending: whoever kicked waits for this answer (at least until its HTTP
		// timeout, a whole second with curl), and under mod_php or `php -S` that is the editor's
		// own request.
		self::answer_now( (string) wp_json_encode( array( 'success' => true ) ) );
		$started = microtime( true );
		$this->send_fresh( 10.0 );
		$this->run( array(), max( 1.0, 15.0 - ( microtime( true ) - $started ) ) );
		wp_die( '' );
	}

	/**
	 * Sends a complete answer (202, JSON) and lets the client go, while this request goes on.
	 *
	 * @param string $body JSON.
	 */
	private static function answer_now( string $body ): void {
		if ( ! headers_sent() ) {
			status_header( 202 );
			header( 'Content-Type: application/json; charset=utf-8' );
			header( 'Content-Length: ' . strlen( $body ) );
			header( 'Connection: close' );
		}
		echo $body; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- JSON made by wp_json_encode().
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
			return;
		}
		if ( function_exists( 'litespeed_finish_request' ) ) {
			litespeed_finish_request();
			return;
		}
		while ( ob_get_level() > 0 ) {
			ob_end_flush();
		}
		flush(); // With Content-Length and Connection: close, the client has all it waits for.
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
