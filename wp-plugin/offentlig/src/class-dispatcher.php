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
	const BATCH         = 25;   // Rows claimed at a time (at most one per object).
	const PARALLEL      = 8;    // Webhooks in flight at once from one request.
	const KICK_ACTION   = 'offentlig_dispatch';
	const KICK_LIFETIME = 300;
	const WAIT          = 3.0;  // Seconds a request waits, after its response, for another sender.
	const POLL          = 0.05; // Shortest pause between two looks at the queue while waiting.

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
	 * After the response: sends the queues of the objects this request wrote rows for, several
	 * objects at once, and waits (at most $wait seconds, never polling fast) while a row of theirs
	 * is stuck behind a row another process is sending right now, so that it goes out the moment
	 * that one is delivered.
	 *
	 * Usually the other sender takes it along itself (a delivery drains its object's queue), so the
	 * wait ends with nothing left to do; it matters when that sender ran out of time or died.
	 *
	 * @param string[] $keys   Object keys ("post:12").
	 * @param float    $budget Seconds during which new webhooks may be started, waits included.
	 * @param float    $wait   Seconds to wait for other senders at most.
	 * @return array{delivered:int,retrying:int,failed:int}
	 */
	public function send_objects( array $keys, float $budget = 10.0, float $wait = self::WAIT ): array {
		$result        = self::empty_result();
		$this->resumed = false;
		$keys          = array_values( array_unique( $keys ) );
		if ( empty( $keys ) || is_wp_error( $this->endpoint() ) ) {
			$this->outbox->release_held();
			return $result;
		}
		$started    = microtime( true );
		$deadline   = $started + $budget;
		$wait_until = min( $deadline, $started + $wait );
		$released   = false;
		while ( microtime( true ) < $deadline ) {
			$this->pump(
				function ( int $limit ) use ( $keys ): array {
					return $this->outbox->claim_heads( $keys, $limit );
				},
				$deadline,
				$result
			);
			$blocked = $this->outbox->waiting_on_sender( $keys );
			$left    = $wait_until - microtime( true );
			if ( empty( $blocked ) || $left <= 0 ) {
				break;
			}
			if ( ! $released ) {
				// Before waiting: the sender ahead may take this request's rows along itself.
				$released = true;
				$this->outbox->release_held();
			}
			$this->wait_for( $blocked[0], $left );
		}
		// Whatever this request could not send is anyone's now (WP-Cron's at the latest).
		$this->outbox->release_held();
		return $result;
	}

	/**
	 * Keeps up to PARALLEL webhooks in flight. Rows come from $claim, up to BATCH at a time
	 * (those beyond PARALLEL wait for a free slot), at the start and whenever answers came and
	 * every claimed row has started; after each delivery comes the next row of the same object
	 * (draining its queue; claimed rows are always of different objects, so the order per object
	 * is kept). The answers that came together are written in one commit, and a claim takes many
	 * rows: a log flush per round trip, not two per row. (Claims are not in that transaction:
	 * holding their locks longer invites deadlocks with other senders.) While an object's queue
	 * is being sent its lock is held, so that a request waiting for it wakes up when it is
	 * drained. Ends when nothing is in flight and $claim has nothing more; after $deadline
	 * nothing new is started, and rows claimed but not started are handed back, due at once.
	 *
	 * @param callable          $claim    fn( int $limit ): array Claimed rows, at most $limit.
	 * @param float             $deadline microtime() after which nothing new is started.
	 * @param array<string,int> $result   Counts, updated.
	 */
	private function pump( callable $claim, float $deadline, array &$result ): void {
		$batch   = new Http_Batch( self::PARALLEL );
		$rows    = array(); // Row id => row, claimed and not yet written down.
		$answers = array(); // Row id => answer, not yet written down.
		$locked  = array(); // Object key => whether this process holds its lock.
		$look    = true;
		while ( true ) {
			$in_time = microtime( true ) < $deadline;
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
					$this->start( $batch, $this->outbox->claim_heads( $delivered, count( $delivered ) ), $rows, $locked, $deadline );
				}
				$this->unlock_done( $rows, $locked );
			}
			$limit = self::BATCH - count( $rows );
			if ( $look && $in_time && $limit > 0 && 0 === $batch->queued() ) {
				$look = false;
				$this->start( $batch, $claim( $limit ), $rows, $locked, $deadline );
			}
			if ( ! $batch->busy() ) {
				$this->unlock_done( array(), $locked );
				return;
			}
			$answers = $batch->collect( 0.25 );
			$look    = $look || ! empty( $answers );
		}
	}

	/**
	 * Lets go of the locks of objects with nothing in flight any more.
	 *
	 * @param array<int,array<string,mixed>> $rows   Rows in flight by id.
	 * @param array<string,bool>             $locked Object key => lock held, updated.
	 */
	private function unlock_done( array $rows, array &$locked ): void {
		$busy = array_flip( array_map( 'strval', array_column( $rows, 'object_key' ) ) );
		foreach ( $locked as $key => $held ) {
			if ( ! isset( $busy[ $key ] ) ) {
				if ( $held ) {
					$this->unlock( $key );
				}
				unset( $locked[ $key ] );
			}
		}
	}

	/**
	 * Adds claimed rows to the batch, each signed now (every attempt has a fresh signature), and
	 * takes their objects' locks; rows that come after the deadline are handed back, due at once.
	 *
	 * @param Http_Batch                     $batch    The batch.
	 * @param array<int,array<string,mixed>> $claimed  Claimed rows.
	 * @param array<int,array<string,mixed>> $rows     Rows in flight by id, updated.
	 * @param array<string,bool>             $locked   Object key => lock held, updated.
	 * @param float                          $deadline microtime() after which nothing is started.
	 */
	private function start( Http_Batch $batch, array $claimed, array &$rows, array &$locked, float $deadline ): void {
		foreach ( array_values( $claimed ) as $i => $row ) {
			if ( microtime( true ) >= $deadline ) {
				$this->outbox->release( array_map( 'intval', array_column( array_slice( $claimed, $i ), 'id' ) ) );
				return;
			}
			$id  = (int) $row['id'];
			$key = (string) $row['object_key'];
			if ( ! isset( $locked[ $key ] ) ) {
				$locked[ $key ] = $this->lock( $key, 0.0 );
			}
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
	 * The database lock that stands for "someone is sending this object's queue".
	 *
	 * @param string $key Object key.
	 */
	private function lock_name( string $key ): string {
		return 'offentlig_' . md5( $this->outbox->table() . '|' . $key );
	}

	/**
	 * Takes an object's lock (MySQL GET_LOCK); only a wake-up signal for waiters, never needed for
	 * correctness (claims are exclusive by themselves).
	 *
	 * @param string $key     Object key.
	 * @param float  $timeout Seconds to wait for it.
	 */
	private function lock( string $key, float $timeout ): bool {
		global $wpdb;
		return '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, %f)', $this->lock_name( $key ), $timeout ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * Releases an object's lock.
	 *
	 * @param string $key Object key.
	 */
	private function unlock( string $key ): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $this->lock_name( $key ) ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * Sleeps until the process sending an object's queue lets go of it, at most $seconds. When
	 * no lock is held (that sender's lock attempt timed out), sleeps a short poll interval instead.
	 *
	 * @param string $key     Object key.
	 * @param float  $seconds Longest wait.
	 */
	private function wait_for( string $key, float $seconds ): void {
		$started = microtime( true );
		if ( $this->lock( $key, $seconds ) ) {
			$this->unlock( $key );
		}
		$slept = microtime( true ) - $started;
		if ( $slept < self::POLL && $seconds > $slept ) {
			usleep( (int) ( 1e6 * min( self::POLL - $slept, $seconds - $slept ) ) );
		}
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
	 * Used where fastcgi_finish_request() is not available: the loopback sends the given objects'
	 * queues first, then whatever else is due. WP-Cron's per-minute event stays as the fallback.
	 *
	 * @param string[] $keys Objects the request wrote rows for.
	 */
	public function kick( array $keys = array() ): void {
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
					'keys'   => implode( ',', array_slice( $keys, 0, 100 ) ),
				),
			)
		);
	}

	/**
	 * Object keys from a kick ("post:12,comment:7"); anything else is dropped.
	 *
	 * @param string $raw Submitted value.
	 * @return string[]
	 */
	public static function parse_keys( string $raw ): array {
		$keys = array();
		foreach ( explode( ',', $raw ) as $key ) {
			if ( preg_match( '/^(post|comment):[1-9][0-9]{0,19}$/', $key ) ) {
				$keys[] = $key;
			}
		}
		return array_slice( array_values( array_unique( $keys ) ), 0, 100 );
	}

	/**
	 * The loopback's handler (admin-ajax, no login): verify the token, answer at once, then send.
	 */
	public function handle_kick(): void {
		// The HMAC token stands in for capability and nonce: the loopback has no user session.
		// phpcs:disable WordPress.Security.NonceVerification.Missing
		$time  = isset( $_POST['time'] ) ? sanitize_text_field( wp_unslash( $_POST['time'] ) ) : '';
		$token = isset( $_POST['token'] ) ? sanitize_text_field( wp_unslash( $_POST['token'] ) ) : '';
		$keys  = isset( $_POST['keys'] ) ? self::parse_keys( sanitize_text_field( wp_unslash( $_POST['keys'] ) ) ) : array();
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
		$this->send_objects( $keys, 10.0, self::WAIT );
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
