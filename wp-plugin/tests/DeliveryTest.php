<?php
/**
 * Nothing lost, nothing late: parking after a long outage, the probe, draining an object's
 * queue after a delivery, rows held by the request that wrote them, the bounded wait, and the
 * save request's single commit.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Dashboard_Widget;
use Offentlig\Dispatcher;
use Offentlig\Event_Builder;
use Offentlig\Outbox;
use WP_Error;

/**
 * Outbox and dispatcher behaviour added for bursts and long outages.
 */
final class DeliveryTest extends Test_Case {

	const NOW = 1795860000;

	/**
	 * A pending row for an object, written by the given outbox (this request's by default).
	 *
	 * @param string      $key    Object key.
	 * @param int|null    $now    Time (null: now).
	 * @param Outbox|null $outbox Writer.
	 */
	private function add( string $key = 'post:1', ?int $now = self::NOW, ?Outbox $outbox = null ): int {
		$outbox = $outbox ?? $this->plugin->outbox;
		$id     = $outbox->add( $key, Event_Builder::envelope( 'post.published', array( 'id' => (int) substr( $key, 5 ) ), $now ), $now );
		$this->assertIsInt( $id );
		return $id;
	}

	/**
	 * Statuses of rows by id.
	 *
	 * @param int[] $ids Row ids.
	 * @return string[]
	 */
	private function statuses( array $ids ): array {
		return array_map(
			function ( $id ) {
				return (string) $this->plugin->outbox->get( $id )['status'];
			},
			$ids
		);
	}

	/**
	 * Which failures mean "the service could not be reached".
	 *
	 * @return array<string,array{0:int,1:bool}>
	 */
	public function classifications(): array {
		return array(
			'no answer (connection refused, timeout)' => array( 0, true ),
			'408 request timeout'                     => array( 408, true ),
			'429 too many requests'                   => array( 429, true ),
			'500 internal error'                      => array( 500, true ),
			'502 bad gateway'                         => array( 502, true ),
			'503 unavailable'                         => array( 503, true ),
			'504 gateway timeout'                     => array( 504, true ),
			'301 moved'                               => array( 301, false ),
			'400 bad request'                         => array( 400, false ),
			'401 unauthorized (wrong secret)'         => array( 401, false ),
			'403 forbidden'                           => array( 403, false ),
			'404 unknown site'                        => array( 404, false ),
			'409 conflict'                            => array( 409, false ),
			'413 too large'                           => array( 413, false ),
			'422 invalid payload'                     => array( 422, false ),
		);
	}

	/**
	 * Transient or permanent.
	 *
	 * @dataProvider classifications
	 * @param int  $status    HTTP status (0: no answer).
	 * @param bool $transient Expected.
	 */
	public function test_classification( int $status, bool $transient ): void {
		$this->assertSame( $transient, Outbox::is_transient( $status ) );
	}

	/**
	 * After the last delay: unreachable → parked, refused → failed; 400/413/422 fail at once.
	 *
	 * @return array<string,array{0:int,1:int,2:string}>
	 */
	public function endings(): array {
		return array(
			'no answer after the schedule' => array( 0, 2, Outbox::PARKED ),
			'503 after the schedule'       => array( 503, 2, Outbox::PARKED ),
			'429 after the schedule'       => array( 429, 2, Outbox::PARKED ),
			'408 after the schedule'       => array( 408, 2, Outbox::PARKED ),
			'403 after the schedule'       => array( 403, 2, Outbox::FAILED ),
			'404 after the schedule'       => array( 404, 2, Outbox::FAILED ),
			'422 at the first attempt'     => array( 422, 1, Outbox::FAILED ),
			'400 at the first attempt'     => array( 400, 1, Outbox::FAILED ),
			'503 at the first attempt'     => array( 503, 1, Outbox::PENDING ),
		);
	}

	/**
	 * Where a row ends up.
	 *
	 * @dataProvider endings
	 * @param int    $status   HTTP status.
	 * @param int    $attempt  Attempt number that fails (schedule has one delay).
	 * @param string $expected New state.
	 */
	public function test_where_a_failed_row_ends_up( int $status, int $attempt, string $expected ): void {
		$outbox = $this->plugin->outbox;
		$id     = $this->add();
		$now    = self::NOW;
		for ( $i = 1; $i <= $attempt; $i++ ) {
			$this->assertCount( 1, $outbox->claim( array( $id ), 25, $now ) );
			$state = $outbox->mark_failed_attempt( $id, $status, 'x', array( 5 ), null, $now, 0.5, 600 );
			$now  += 5;
		}
		$this->assertSame( $expected, $state );
		if ( Outbox::PARKED === $expected ) {
			$this->assertSame( gmdate( 'Y-m-d H:i:s', $now - 5 + 600 ), $outbox->get( $id )['next_attempt_at'], 'tried again after the park interval' );
		}
	}

	/**
	 * A parked row blocks the newer rows of its object, is not claimed as a due row, and is
	 * probed once its park interval is over.
	 */
	public function test_parked_rows_keep_order_and_are_probed(): void {
		$outbox = $this->plugin->outbox;
		$first  = $this->add( 'post:1' );
		$second = $this->add( 'post:1', self::NOW + 1 );
		$other  = $this->add( 'post:2' );
		$outbox->claim( array( $first ), 25, self::NOW );
		$this->assertSame( Outbox::PARKED, $outbox->mark_failed_attempt( $first, 0, 'down', array(), null, self::NOW, 0.5, 300 ) );

		$this->assertSame( array( $other ), array_map( 'intval', array_column( $outbox->claim( array(), 25, self::NOW + 10 ), 'id' ) ), 'the second row waits behind the parked one' );
		$this->assertNull( $outbox->claim_probe( self::NOW + 299 ), 'not before its interval' );
		$probe = $outbox->claim_probe( self::NOW + 300 );
		$this->assertSame( $first, (int) $probe['id'] );
		$this->assertSame( Outbox::SENDING, $outbox->get( $first )['status'] );
		$this->assertSame( array(), $outbox->claim( array(), 25, self::NOW + 300 ), 'still waits while the probe is out' );

		$outbox->mark_delivered( $first, 201, self::NOW + 300 );
		$this->assertSame( array( $second ), array_map( 'intval', array_column( $outbox->claim( array(), 25, self::NOW + 300 ), 'id' ) ) );
	}

	/**
	 * Resume: parked rows are due now with a fresh schedule; rows backing off after no answer
	 * are due now; rows the service asked to wait (5xx, Retry-After) keep their time.
	 */
	public function test_resume(): void {
		$outbox   = $this->plugin->outbox;
		$parked   = $this->add( 'post:1' );
		$no_reply = $this->add( 'post:2' );
		$busy     = $this->add( 'post:3' );
		$outbox->claim( array(), 25, self::NOW );
		$outbox->mark_failed_attempt( $parked, 0, 'down', array(), null, self::NOW, 0.5, 300 );
		$outbox->mark_failed_attempt( $no_reply, 0, 'down', array( 1800 ), null, self::NOW, 0.5 );
		$outbox->mark_failed_attempt( $busy, 503, 'busy', array( 1800 ), 3600, self::NOW, 0.5 );

		$this->assertSame( 2, $outbox->resume( self::NOW + 10 ) );
		$row = $outbox->get( $parked );
		$this->assertSame( Outbox::PENDING, $row['status'] );
		$this->assertSame( '0', $row['attempts'] );
		$this->assertSame( array( $parked, $no_reply ), array_map( 'intval', array_column( $outbox->claim( array(), 25, self::NOW + 10 ), 'id' ) ) );
		$this->assertSame( gmdate( 'Y-m-d H:i:s', self::NOW + 3600 ), $outbox->get( $busy )['next_attempt_at'] );
	}

	/**
	 * An outage longer than the whole schedule: the rows park; once the service answers, the
	 * next run's probe delivers one and every other parked row follows in the same run.
	 */
	public function test_outage_longer_than_the_schedule_needs_no_click(): void {
		add_filter( 'offentlig_retry_schedule', array( $this, 'no_retries' ) );
		add_filter( 'offentlig_park_interval', array( $this, 'one_second' ) );
		try {
			$this->make_post( array( 'post_status' => 'publish' ) );
			$this->make_post( array( 'post_status' => 'publish' ) );
			$this->plugin->outbox->release_held();
			$this->answer = new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
			$this->assertSame( 2, $this->plugin->dispatcher->run()['retrying'] );
			$this->assertSame( 2, $this->plugin->outbox->counts()[ Outbox::PARKED ] );
			$this->assertSame( 0, $this->plugin->outbox->counts()[ Outbox::FAILED ], 'nothing waits for a person' );

			$this->answer   = array( 201, array(), array() );
			$this->requests = array();
			sleep( 1 ); // The park interval.
			$result = $this->plugin->dispatcher->run();
			$this->assertSame( 2, $result['delivered'] );
			$this->assertSame( 0, $this->plugin->outbox->counts()[ Outbox::PARKED ] );
		} finally {
			remove_filter( 'offentlig_retry_schedule', array( $this, 'no_retries' ) );
			remove_filter( 'offentlig_park_interval', array( $this, 'one_second' ) );
		}
	}

	/**
	 * Filter: an empty retry schedule.
	 *
	 * @return int[]
	 */
	public function no_retries(): array {
		return array();
	}

	/**
	 * Filter: one second.
	 */
	public function one_second(): int {
		return 1;
	}

	/**
	 * A delivery drains its object's queue: the next row of the same object goes out in the
	 * same run, even when the run was limited to the first row.
	 */
	public function test_delivery_drains_the_objects_queue(): void {
		$first  = $this->add( 'post:1', null );
		$second = $this->add( 'post:1', null );
		$other  = $this->add( 'post:2', null );
		$result = $this->plugin->dispatcher->run( array( $first ), 10.0, false );
		$this->assertSame( 2, $result['delivered'] );
		$this->assertSame( array( Outbox::DELIVERED, Outbox::DELIVERED, Outbox::PENDING ), $this->statuses( array( $first, $second, $other ) ) );
		$bodies = array_map(
			static function ( $request ) {
				return json_decode( $request[1]['body'], true )['data']['id'];
			},
			$this->requests
		);
		$this->assertSame( array( 1, 1 ), $bodies );
	}

	/**
	 * Rows of different objects go out together, one per object: a wave holds each object's
	 * oldest row, and an object's next row goes in the wave after its predecessor's delivery.
	 */
	public function test_objects_go_out_together_in_order_per_object(): void {
		$first  = $this->add( 'post:1', null );
		$second = $this->add( 'post:1', null );
		$other  = $this->add( 'comment:3', null );
		$result = $this->plugin->dispatcher->run();
		$this->assertSame( 3, $result['delivered'] );
		$sent = array_map(
			static function ( $request ) {
				return $request[1]['headers']['webhook-id'];
			},
			$this->requests
		);
		$ids  = array_column( $this->outbox_rows(), 'webhook_id', 'id' );
		$this->assertSame( array( $ids[ $first ], $ids[ $other ], $ids[ $second ] ), $sent, 'post:1 and comment:3 first, then the next row of post:1' );
		$this->assertSame( array( Outbox::DELIVERED, Outbox::DELIVERED, Outbox::DELIVERED ), $this->statuses( array( $first, $second, $other ) ) );
	}

	/**
	 * A wave's outcomes each land on their own row: a refusal and a delivery side by side.
	 */
	public function test_outcomes_of_one_wave_each_on_their_row(): void {
		$refused      = $this->add( 'post:1', null );
		$accepted     = $this->add( 'post:2', null );
		$this->answer = static function ( $url ) {
			unset( $url );
			static $calls = 0;
			return 0 === $calls++ ? array( 422, array( 'message' => 'Ogiltig händelse' ), array() ) : array( 201, array( 'record_id' => 'x', 'version' => 1, 'event_id' => null ), array() );
		};
		$result = $this->plugin->dispatcher->run();
		$this->assertSame( array( 'delivered' => 1, 'retrying' => 0, 'failed' => 1 ), $result );
		$this->assertSame( array( Outbox::FAILED, Outbox::DELIVERED ), $this->statuses( array( $refused, $accepted ) ) );
		$this->assertStringContainsString( 'Ogiltig händelse', (string) $this->plugin->outbox->get( $refused )['last_error'] );
		$this->assertSame( '201', (string) $this->plugin->outbox->get( $accepted )['last_http_status'] );
	}

	/**
	 * A failed delivery does not drain: the next row waits for the first one's retry.
	 */
	public function test_failure_does_not_drain(): void {
		$first        = $this->add( 'post:1', null );
		$second       = $this->add( 'post:1', null );
		$this->answer = new WP_Error( 'http_request_failed', 'timeout' );
		$this->plugin->dispatcher->send_objects( array( 'post:1' ), 5.0, 0.0 );
		$this->assertCount( 1, $this->requests );
		$this->assertSame( array( Outbox::PENDING, Outbox::PENDING ), $this->statuses( array( $first, $second ) ) );
		$this->assertSame( '0', $this->plugin->outbox->get( $second )['attempts'] );
	}

	/**
	 * send_objects() sends the given objects' queues and nothing else.
	 */
	public function test_send_objects_sends_only_those_objects(): void {
		$mine    = $this->add( 'comment:7', null );
		$later   = $this->add( 'comment:7', null );
		$backlog = $this->add( 'post:9', null );
		$result  = $this->plugin->dispatcher->send_objects( array( 'comment:7' ), 5.0, 0.0 );
		$this->assertSame( 2, $result['delivered'] );
		$this->assertSame( array( Outbox::DELIVERED, Outbox::DELIVERED, Outbox::PENDING ), $this->statuses( array( $mine, $later, $backlog ) ) );
	}

	/**
	 * A row another request wrote is its own until that request releases it (or the hold
	 * expires): it can still rewrite it, and nobody sends a half-finished action.
	 */
	public function test_rows_are_held_by_their_writer(): void {
		global $wpdb;
		$other = new Outbox( $wpdb );
		$theirs = $this->add( 'post:5', self::NOW, $other );
		$this->assertSame( array(), $this->plugin->outbox->claim( array(), 25, self::NOW ), 'held by the other request' );
		$this->assertSame( array(), $this->plugin->outbox->claim_heads( array( 'post:5' ), 25, self::NOW ) );
		$this->assertCount( 1, $this->plugin->outbox->claim( array(), 25, self::NOW + Outbox::HOLD_SECONDS + 1 ), 'a hold expires' );
		$this->plugin->outbox->release( array( $theirs ) );

		$again = $this->add( 'post:6', self::NOW, $other );
		$this->assertSame( 1, $other->release_held() );
		$this->assertSame( array( $theirs, $again ), array_map( 'intval', array_column( $this->plugin->outbox->claim( array(), 25, self::NOW ), 'id' ) ) );
	}

	/**
	 * A row behind a row someone else is sending: the request waits for it, bounded, and leaves
	 * it pending for that sender (who drains the queue) when the wait is over.
	 */
	public function test_wait_for_another_sender_is_bounded(): void {
		global $wpdb;
		$other  = new Outbox( $wpdb );
		$first  = $this->add( 'post:1', null );
		$second = $this->add( 'post:1', null );
		$this->plugin->outbox->release_held();
		$this->assertCount( 1, $other->claim( array( $first ) ), 'another worker is sending the first row' );
		$this->assertSame( array( 'post:1' ), $this->plugin->outbox->waiting_on_sender( array( 'post:1', 'post:2' ) ) );

		$started = microtime( true );
		$result  = $this->plugin->dispatcher->send_objects( array( 'post:1' ), 5.0, 0.3 );
		$waited  = microtime( true ) - $started;
		$this->assertSame( 0, $result['delivered'] );
		$this->assertGreaterThanOrEqual( 0.25, $waited );
		$this->assertLessThan( 1.5, $waited, 'the wait is bounded' );
		$this->assertSame( Outbox::PENDING, $this->plugin->outbox->get( $second )['status'] );

		$other->mark_delivered( $first, 201 );
		$this->assertSame( 1, $this->plugin->dispatcher->send_objects( array( 'post:1' ), 5.0, 0.3 )['delivered'] );
	}

	/**
	 * Rows that failed before version 2 only because the service was away are parked on upgrade.
	 */
	public function test_upgrade_parks_transient_failures(): void {
		global $wpdb;
		$outbox  = $this->plugin->outbox;
		$refused = $this->add( 'post:1' );
		$away    = $this->add( 'post:2' );
		$wpdb->query( $wpdb->prepare( 'UPDATE ' . $outbox->table() . ' SET status = %s, last_http_status = %d WHERE id = %d', Outbox::FAILED, 403, $refused ) ); // phpcs:ignore WordPress.DB
		$wpdb->query( $wpdb->prepare( 'UPDATE ' . $outbox->table() . ' SET status = %s, last_http_status = NULL WHERE id = %d', Outbox::FAILED, $away ) ); // phpcs:ignore WordPress.DB
		$outbox->install();
		$this->assertSame( array( Outbox::FAILED, Outbox::PARKED ), $this->statuses( array( $refused, $away ) ) );
	}

	/**
	 * The admin's retry takes parked rows too.
	 */
	public function test_retry_failed_includes_parked(): void {
		$outbox = $this->plugin->outbox;
		$id     = $this->add();
		$outbox->claim( array( $id ), 25, self::NOW );
		$outbox->mark_failed_attempt( $id, 0, 'down', array(), null, self::NOW, 0.5, 300 );
		$this->assertSame( 1, $outbox->retry_failed( self::NOW ) );
		$this->assertSame( Outbox::PENDING, $outbox->get( $id )['status'] );
	}

	/**
	 * The widget tells parked rows (no action needed) from refused ones (status code and the
	 * service's message).
	 */
	public function test_widget_says_which_and_why(): void {
		$outbox = $this->plugin->outbox;
		$parked = $this->add( 'post:1' );
		$failed = $this->add( 'post:2' );
		$outbox->claim( array(), 25, self::NOW );
		$outbox->mark_failed_attempt( $parked, 0, 'cURL error 7: Failed to connect', array(), null, self::NOW, 0.5, 300 );
		$outbox->mark_failed_attempt( $failed, 403, 'The service answered 403: Invalid signature', array(), null, self::NOW, 0.5 );
		$this->answer = array( 200, array( 'today' => 1, 'this_month' => 1, 'total' => 1, 'days' => array() ), array() );
		ob_start();
		( new Dashboard_Widget( $this->plugin->client, $outbox, 300 ) )->render();
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( '<strong class="offentlig-parked">1</strong>', $html );
		$this->assertStringContainsString( 'every 5 minutes', $html );
		$this->assertStringContainsString( 'cURL error 7: Failed to connect', $html );
		$this->assertStringContainsString( '<strong class="offentlig-failed">1</strong>', $html );
		$this->assertStringContainsString( '<td class="offentlig-answer">HTTP 403</td>', $html );
		$this->assertStringContainsString( 'The service answered 403: Invalid signature', $html );
		$this->assertStringContainsString( 'offentlig_retry_failed', $html );
	}

	/**
	 * The message stored for a refusal is the service's JSON error with its status code.
	 */
	public function test_refusal_keeps_status_and_service_message(): void {
		$id           = $this->add( 'post:1', null );
		$this->answer = array( 403, array( 'code' => 403, 'status' => 'Forbidden', 'message' => 'Invalid signature' ), array() );
		$this->plugin->dispatcher->send_objects( array( 'post:1' ), 5.0, 0.0 );
		$row = $this->plugin->outbox->get( $id );
		$this->assertSame( '403', $row['last_http_status'] );
		$this->assertSame( 'The service answered 403: Invalid signature', $row['last_error'] );
	}

	/**
	 * Kick bodies name objects; anything else is dropped.
	 */
	public function test_parse_keys(): void {
		$this->assertSame( array( 'post:12', 'comment:7' ), Dispatcher::parse_keys( 'post:12,comment:7,post:12,user:1,post:0,post:1 OR 1=1,' ) );
		$this->assertSame( array(), Dispatcher::parse_keys( '' ) );
	}

	/**
	 * The excerpt taken from the rendered content is the one get_the_excerpt() gives.
	 */
	public function test_generated_excerpt_matches_core(): void {
		$words = implode( ' ', array_fill( 0, 80, 'sammanträde' ) );
		$id    = $this->make_post( array( 'post_status' => 'publish', 'post_content' => "<p>Kommunstyrelsen &amp; nämnden.</p>\n\n<p>{$words}</p>" ) );
		$post  = get_post( $id );
		$GLOBALS['post'] = $post; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		setup_postdata( $post );
		$rendered = str_replace( ']]>', ']]&gt;', (string) apply_filters( 'the_content', $post->post_content ) );
		$this->assertSame( get_the_excerpt( $post ), Event_Builder::generated_excerpt( $post, $rendered ) );
		wp_reset_postdata();

		$coded = get_post( $this->make_post( array( 'post_content' => 'Se [gallery] här.' ) ) );
		$this->assertNull( Event_Builder::generated_excerpt( $coded, 'x' ), 'shortcodes: ask core' );
		$manual = get_post( $this->make_post( array( 'post_excerpt' => 'Kort.' ) ) );
		$this->assertNull( Event_Builder::generated_excerpt( $manual, 'x' ), 'a manual excerpt: ask core' );
		add_filter( 'get_the_excerpt', 'strtoupper', 20 );
		$this->assertNull( Event_Builder::generated_excerpt( $post, $rendered ), 'another excerpt filter: ask core' );
		remove_filter( 'get_the_excerpt', 'strtoupper', 20 );
	}

	/**
	 * A save's row and meta are committed together, and inside someone else's transaction the
	 * writes join it (so a rollback takes the event along with the change).
	 */
	public function test_row_and_meta_in_one_transaction(): void {
		global $wpdb;
		$id  = $this->make_post( array( 'post_status' => 'publish' ) );
		$row = $this->outbox_rows()[0];
		$this->assertSame( 'post:' . $id, $row['object_key'] );
		$this->assertNotSame( '', get_post_meta( $id, '_offentlig_fingerprint', true ) );
		$this->assertSame( '0', (string) $wpdb->get_var( 'SELECT @@in_transaction' ), 'committed' );

		$this->next_request();
		$wpdb->query( 'START TRANSACTION' );
		wp_update_post( array( 'ID' => $id, 'post_title' => 'Ändrad' ) );
		$this->assertSame( '1', (string) $wpdb->get_var( 'SELECT @@in_transaction' ), 'not committed behind the caller' );
		$wpdb->query( 'ROLLBACK' );
		clean_post_cache( $id );
		$this->assertCount( 1, $this->outbox_rows(), 'rolled back with the change' );
	}

	/**
	 * A bulk action's request sends all of its objects' rows itself, several at once: every
	 * row in one call, none left for WP-Cron, one request per row.
	 */
	public function test_send_objects_sends_a_bulk_action_at_once(): void {
		$keys = array();
		$ids  = array();
		for ( $n = 1; $n <= 40; $n++ ) {
			$keys[] = 'comment:' . $n;
			$ids[]  = $this->add( 'comment:' . $n, null );
		}
		$result = $this->plugin->dispatcher->send_objects( $keys, 10.0, 0.0 );
		$this->assertSame( array( 'delivered' => 40, 'retrying' => 0, 'failed' => 0 ), $result );
		$this->assertCount( 40, $this->requests );
		$this->assertSame( array_fill( 0, 40, Outbox::DELIVERED ), $this->statuses( $ids ) );
	}
}
