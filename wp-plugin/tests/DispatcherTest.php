<?php
/**
 * Dispatcher: signed POSTs, success and failure handling, the after-response path.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Dispatcher;
use Offentlig\Event_Builder;
use Offentlig\Outbox;
use Offentlig\Signer;
use WP_Error;

/**
 * Dispatcher tests with a fake service (pre_http_request).
 */
final class DispatcherTest extends Test_Case {

	/**
	 * A published post is delivered: right URL, body as stored, a signature that verifies.
	 */
	public function test_delivers_signed_event(): void {
		$id = $this->make_post( array( 'post_status' => 'publish', 'post_title' => 'Signerad' ) );
		$row = $this->outbox_rows()[0];
		$before = time();
		$result = $this->plugin->dispatcher->run( $this->plugin->capture->written_ids() );

		$this->assertSame( array( 'delivered' => 1, 'retrying' => 0, 'failed' => 0 ), $result );
		$this->assertCount( 1, $this->requests );
		list( $url, $args ) = $this->requests[0];
		$this->assertSame( self::SERVICE_URL . '/v1/sites/' . self::SITE_ID . '/events', $url );
		$this->assertSame( 'POST', $args['method'] );
		$this->assertSame( $row['payload'], $args['body'] );
		$this->assertSame( $row['webhook_id'], $args['headers']['webhook-id'] );
		$timestamp = (int) $args['headers']['webhook-timestamp'];
		$this->assertGreaterThanOrEqual( $before, $timestamp );
		$this->assertSame( Signer::sign( $row['webhook_id'], $timestamp, $row['payload'], self::SECRET ), $args['headers']['webhook-signature'] );
		$this->assertSame( $id, json_decode( $args['body'], true )['data']['id'] );
		$this->assertSame( Outbox::DELIVERED, $this->plugin->outbox->get( (int) $row['id'] )['status'] );
		$this->assertNotNull( $this->plugin->outbox->last_delivered_at() );
	}

	/**
	 * The after-response run under PHP-FPM sends only its own request's rows, not the backlog.
	 */
	public function test_run_can_be_limited_to_this_requests_rows(): void {
		$backlog = $this->plugin->outbox->add( 'post:998', \Offentlig\Event_Builder::envelope( 'post.published', array( 'id' => 998 ) ) );
		$this->plugin->capture->reset();
		$this->make_post( array( 'post_status' => 'publish' ) );
		$mine = $this->plugin->capture->written_ids();
		$this->assertSame( 1, $this->plugin->dispatcher->run( $mine, 10.0, false )['delivered'] );
		$this->assertSame( Outbox::PENDING, $this->plugin->outbox->get( $backlog )['status'] );
		$this->assertSame( 1, $this->plugin->dispatcher->run()['delivered'], 'the backlog goes with the next cron run' );
	}

	/**
	 * With the service down, this request's rows get one attempt each and then wait for their
	 * back-off: not every retry of the schedule at once (which marked them failed in milliseconds).
	 */
	public function test_own_rows_get_one_attempt_per_run(): void {
		$this->make_post( array( 'post_status' => 'publish' ) );
		$this->make_post( array( 'post_status' => 'publish' ) );
		$mine         = $this->plugin->capture->written_ids();
		$this->answer = new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		$result       = $this->plugin->dispatcher->run( $mine, 10.0, false );

		$this->assertSame( array( 'delivered' => 0, 'retrying' => 2, 'failed' => 0 ), $result );
		$this->assertCount( 2, $this->requests );
		foreach ( $mine as $id ) {
			$row = $this->plugin->outbox->get( $id );
			$this->assertSame( Outbox::PENDING, $row['status'] );
			$this->assertSame( '1', $row['attempts'] );
			$this->assertGreaterThan( gmdate( 'Y-m-d H:i:s' ), $row['next_attempt_at'], 'due only after its back-off' );
		}
	}

	/**
	 * When the time budget runs out mid-batch, the unsent rows are handed back, not left claimed.
	 */
	public function test_out_of_time_releases_the_rest_of_the_batch(): void {
		foreach ( array( 1, 2, 3 ) as $n ) {
			$this->plugin->outbox->add( 'post:' . ( 900 + $n ), \Offentlig\Event_Builder::envelope( 'post.published', array( 'id' => 900 + $n ) ) );
		}
		$slow = static function ( $pre ) {
			usleep( 60000 );
			return $pre;
		};
		add_filter( 'pre_http_request', $slow, 5 );
		$result = $this->plugin->dispatcher->run( array(), 0.05 );
		remove_filter( 'pre_http_request', $slow, 5 );

		$this->assertSame( 1, $result['delivered'] );
		$counts = $this->plugin->outbox->counts();
		$this->assertSame( 2, $counts[ Outbox::PENDING ] );
		$this->assertSame( 0, $counts[ Outbox::SENDING ] );
		$this->assertCount( 2, $this->plugin->outbox->claim(), 'released rows are due at once' );
	}

	/**
	 * Every retry keeps the webhook-id and signs afresh.
	 */
	public function test_retry_keeps_id_and_resigns(): void {
		$this->make_post( array( 'post_status' => 'publish' ) );
		$row          = $this->outbox_rows()[0];
		$this->answer = new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		$this->assertSame( 1, $this->plugin->dispatcher->run()['retrying'] );
		$this->assertSame( 'cURL error 7: Failed to connect', $this->plugin->outbox->get( (int) $row['id'] )['last_error'] );

		$this->answer = array( 200, array( 'record_id' => 'x', 'version' => 1, 'event_id' => null ), array() );
		$this->plugin->outbox->claim( array(), 25, time() + 3600 );
		// The claim above stands in for "time passed"; deliver the claimed row the way run() would.
		$claimed = $this->outbox_rows()[0];
		$this->assertSame( 'delivered', $this->plugin->dispatcher->deliver( $claimed ) );
		$this->assertCount( 2, $this->requests );
		$this->assertSame( $this->requests[0][1]['headers']['webhook-id'], $this->requests[1][1]['headers']['webhook-id'] );
		$this->assertSame( $this->requests[0][1]['body'], $this->requests[1][1]['body'] );
		$this->assertSame( '2', $this->plugin->outbox->get( (int) $row['id'] )['attempts'] );
	}

	/**
	 * Answers from the service and what they mean for the row.
	 *
	 * @return array<string,array{0:int,1:array<string,string>,2:string,3:int}>
	 */
	public function answers(): array {
		return array(
			'201 recorded'                => array( 201, array(), 'delivered', 0 ),
			'200 duplicate'               => array( 200, array(), 'delivered', 0 ),
			'401 bad signature'           => array( 401, array(), 'retrying', 4 ),
			'422 invalid payload'         => array( 422, array(), 'failed', 0 ),
			'429 with Retry-After'        => array( 429, array( 'retry-after' => '120' ), 'retrying', 120 ),
			'503 with Retry-After'        => array( 503, array( 'retry-after' => '3600' ), 'retrying', 3600 ),
			'503 without Retry-After'     => array( 503, array(), 'retrying', 4 ),
			'500'                         => array( 500, array(), 'retrying', 4 ),
			'302 redirect is not success' => array( 302, array(), 'retrying', 4 ),
		);
	}

	/**
	 * Status handling, Retry-After honoured.
	 *
	 * @dataProvider answers
	 * @param int                  $status    HTTP status.
	 * @param array<string,string> $headers   Answer headers.
	 * @param string               $outcome   Expected outcome.
	 * @param int                  $min_delay Least seconds until the next attempt.
	 */
	public function test_answers( int $status, array $headers, string $outcome, int $min_delay ): void {
		$this->make_post( array( 'post_status' => 'publish' ) );
		$this->answer = array( $status, array( 'code' => $status, 'message' => 'Svar från tjänsten' ), $headers );
		$row          = $this->plugin->outbox->claim()[0];
		$before       = time();
		$this->assertSame( $outcome, $this->plugin->dispatcher->deliver( $row ) );
		$after = $this->plugin->outbox->get( (int) $row['id'] );
		$this->assertSame( (string) $status, $after['last_http_status'] );
		if ( 'delivered' !== $outcome ) {
			$this->assertStringContainsString( 'Svar från tjänsten', $after['last_error'] );
		}
		if ( 'retrying' === $outcome ) {
			$this->assertGreaterThanOrEqual( $before + $min_delay, strtotime( $after['next_attempt_at'] . ' UTC' ) );
		}
	}

	/**
	 * Retry-After parsing.
	 *
	 * @return array<string,array{0:string,1:?int}>
	 */
	public function retry_after_values(): array {
		return array(
			'seconds'   => array( '120', 120 ),
			'zero'      => array( '0', 0 ),
			'http date' => array( 'Sat, 28 Nov 2026 09:02:00 GMT', 120 ),
			'past date' => array( 'Sat, 28 Nov 2026 08:00:00 GMT', 0 ),
			'empty'     => array( '', null ),
			'garbage'   => array( 'soon', null ),
		);
	}

	/**
	 * Retry-After as seconds.
	 *
	 * @dataProvider retry_after_values
	 * @param string   $value    Header.
	 * @param int|null $expected Seconds.
	 */
	public function test_parse_retry_after( string $value, ?int $expected ): void {
		$this->assertSame( $expected, Dispatcher::parse_retry_after( $value, strtotime( '2026-11-28 09:00:00 UTC' ) ) );
	}

	/**
	 * Without a configuration nothing is claimed or sent; the rows wait.
	 */
	public function test_unconfigured_plugin_keeps_rows(): void {
		update_option( 'offentlig_settings', array( 'service_url' => '' ) + get_option( 'offentlig_settings' ) );
		$this->make_post( array( 'post_status' => 'publish' ) );
		$this->assertSame( array( 'delivered' => 0, 'retrying' => 0, 'failed' => 0 ), $this->plugin->dispatcher->run() );
		$this->assertSame( array(), $this->requests );
		$this->assertSame( 'pending', $this->outbox_rows()[0]['status'] );
	}

	/**
	 * Outside PHP-FPM the after-response path schedules an immediate cron event instead of sending.
	 */
	public function test_after_response_schedules_cron_outside_fpm(): void {
		wp_clear_scheduled_hook( Dispatcher::NOW_HOOK );
		$this->make_post( array( 'post_status' => 'publish' ) );
		$this->plugin->dispatch_after_response();
		$this->assertSame( array(), $this->requests, 'the CLI request itself sends nothing' );
		$next = wp_next_scheduled( Dispatcher::NOW_HOOK );
		$this->assertIsInt( $next );
		$this->assertLessThanOrEqual( time(), $next );
		do_action( Dispatcher::NOW_HOOK );
		$this->assertCount( 1, $this->requests );
		wp_clear_scheduled_hook( Dispatcher::NOW_HOOK );
	}

	/**
	 * A row written past the capture hooks (an import, a resend) is not left held by a request
	 * that will never send it: the after-response step lets anyone send it at once.
	 */
	public function test_rows_written_outside_the_hooks_are_released_after_the_response(): void {
		global $wpdb;
		$other = new Outbox( $wpdb );
		$row   = $this->plugin->outbox->add( 'post:77', Event_Builder::envelope( 'post.updated', array( 'id' => 77 ) ) );
		$this->assertSame( array(), $other->claim(), 'held by the request that wrote it' );

		$this->plugin->dispatch_after_response();

		$this->assertSame( array( $row ), array_map( 'intval', array_column( $other->claim(), 'id' ) ) );
	}

	/**
	 * Loopback kicks: only a fresh token made with this site's salt starts a dispatch.
	 *
	 * @return array<string,array{0:callable,1:bool}>
	 */
	public function kicks(): array {
		$now = 1795860000;
		return array(
			'fresh'            => array( static fn() => array( (string) $now, Dispatcher::kick_token( $now ), $now ), true ),
			'four minutes old' => array( static fn() => array( (string) ( $now - 240 ), Dispatcher::kick_token( $now - 240 ), $now ), true ),
			'six minutes old'  => array( static fn() => array( (string) ( $now - 360 ), Dispatcher::kick_token( $now - 360 ), $now ), false ),
			'other time'       => array( static fn() => array( (string) ( $now + 1 ), Dispatcher::kick_token( $now ), $now ), false ),
			'forged'           => array( static fn() => array( (string) $now, hash_hmac( 'sha256', 'offentlig_dispatch|' . $now, 'guess' ), $now ), false ),
			'empty'            => array( static fn() => array( '', '', $now ), false ),
			'not a number'     => array( static fn() => array( '1e9', Dispatcher::kick_token( 1000000000 ), $now ), false ),
		);
	}

	/**
	 * Kick verification.
	 *
	 * @dataProvider kicks
	 * @param callable $make     Returns [time, token, now] (built after WordPress has loaded).
	 * @param bool     $expected Accepted.
	 */
	public function test_verify_kick( callable $make, bool $expected ): void {
		list( $time, $token, $now ) = $make();
		$this->assertSame( $expected, Dispatcher::verify_kick( $time, $token, $now ) );
	}

	/**
	 * The per-minute cron sends due rows and prunes old delivered ones.
	 */
	public function test_every_minute_cron_is_scheduled_and_sends(): void {
		$this->assertIsInt( wp_next_scheduled( Dispatcher::CRON_HOOK ) );
		$this->assertSame( MINUTE_IN_SECONDS, wp_get_schedules()[ Dispatcher::CRON_SCHEDULE ]['interval'] );
		$this->make_post( array( 'post_status' => 'publish' ) );
		$this->plugin->run_scheduled();
		$this->assertCount( 1, $this->requests );
		$this->assertSame( 0, $this->plugin->outbox->counts()[ Outbox::PENDING ] );
	}

	/**
	 * Test connection sends offentlig.ping with plugin and WordPress versions.
	 */
	public function test_ping(): void {
		$this->answer = array( 200, array( 'ok' => true, 'site_id' => self::SITE_ID, 'site_name' => 'Kommunen' ), array() );
		$answer       = $this->plugin->dispatcher->ping();
		$this->assertSame( 'Kommunen', $answer['body']['site_name'] );
		$body = json_decode( $this->requests[0][1]['body'], true );
		$this->assertSame( 'offentlig.ping', $body['type'] );
		$this->assertSame( \Offentlig\VERSION, $body['data']['plugin_version'] );
		$this->assertSame( get_bloginfo( 'version' ), $body['data']['wordpress_version'] );
		$this->assertSame( 0, $this->plugin->outbox->counts()[ Outbox::PENDING ], 'a ping never enters the outbox' );
	}

	/**
	 * A failed ping is an error with the service's message.
	 */
	public function test_ping_failure_is_an_error(): void {
		$this->answer = array( 401, array( 'code' => 401, 'message' => 'Invalid signature.' ), array() );
		$answer       = $this->plugin->dispatcher->ping();
		$this->assertInstanceOf( WP_Error::class, $answer );
		$this->assertStringContainsString( 'Invalid signature.', $answer->get_error_message() );
		$this->assertStringContainsString( '401', $answer->get_error_message() );
	}
}
