<?php
/**
 * The outbox state machine: pending → sending → delivered | pending (backoff) | failed → pending.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Event_Builder;
use Offentlig\Outbox;

/**
 * Outbox tests against the real table.
 */
final class OutboxTest extends Test_Case {

	const NOW = 1795860000;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	protected function setUp(): void {
		parent::setUp();
		$this->outbox = $this->plugin->outbox;
	}

	/**
	 * A pending row for an object.
	 *
	 * @param string $key Object key.
	 * @param int    $now Time.
	 */
	private function add( string $key = 'post:1', int $now = self::NOW ): int {
		$id = $this->outbox->add( $key, Event_Builder::envelope( 'post.published', array( 'id' => 1 ), $now ), $now );
		$this->assertIsInt( $id );
		return $id;
	}

	/**
	 * Backoff cases: attempts, Retry-After, jitter → delay (null: give up).
	 *
	 * @return array<string,array{0:int,1:?int,2:float,3:?int}>
	 */
	public function backoffs(): array {
		return array(
			'first failure, no jitter'      => array( 1, null, 0.5, 5 ),
			'first failure, lowest jitter'  => array( 1, null, 0.0, 4 ),
			'first failure, highest jitter' => array( 1, null, 0.999, 6 ),
			'second failure'                => array( 2, null, 0.5, 300 ),
			'third failure'                 => array( 3, null, 0.5, 1800 ),
			'fourth failure'                => array( 4, null, 0.5, 7200 ),
			'fifth failure'                 => array( 5, null, 0.5, 18000 ),
			'sixth failure'                 => array( 6, null, 0.5, 36000 ),
			'seventh failure'               => array( 7, null, 0.5, 36000 ),
			'Retry-After longer'            => array( 1, 120, 0.5, 120 ),
			'Retry-After shorter'           => array( 2, 10, 0.5, 300 ),
			'Retry-After capped at a day'   => array( 1, 10 * DAY_IN_SECONDS, 0.5, DAY_IN_SECONDS ),
			'schedule exhausted'            => array( 12, null, 0.5, null ),
			'zero attempts'                 => array( 0, null, 0.5, null ),
		);
	}

	/**
	 * Backoff with jitter and Retry-After.
	 *
	 * @dataProvider backoffs
	 * @param int      $attempts    Attempts.
	 * @param int|null $retry_after Retry-After.
	 * @param float    $jitter      Jitter.
	 * @param int|null $expected    Delay.
	 */
	public function test_backoff( int $attempts, ?int $retry_after, float $jitter, ?int $expected ): void {
		$this->assertSame( $expected, Outbox::backoff( $attempts, $this->plugin->settings->retry_schedule(), $retry_after, $jitter ) );
	}

	/**
	 * Jitter spreads the delay over ±20 %.
	 */
	public function test_jitter_spreads_the_delay(): void {
		$delays = array();
		foreach ( array( 0.0, 0.25, 0.5, 0.75, 0.999 ) as $jitter ) {
			$delays[] = Outbox::backoff( 2, array( 5, 300 ), null, $jitter );
		}
		$this->assertSame( 240, min( $delays ) );
		$this->assertSame( 360, max( $delays ) );
		$this->assertCount( 5, array_unique( $delays ) );
	}

	/**
	 * Pending → sending → delivered.
	 */
	public function test_claim_then_deliver(): void {
		$id     = $this->add();
		$claims = $this->outbox->claim( array(), 25, self::NOW );
		$this->assertSame( array( $id ), array_map( 'intval', array_column( $claims, 'id' ) ) );
		$this->assertSame( Outbox::SENDING, $this->outbox->get( $id )['status'] );
		$this->assertSame( array(), $this->outbox->claim( array(), 25, self::NOW ), 'a claimed row is not claimed twice' );

		$this->outbox->mark_delivered( $id, 201, self::NOW + 1 );
		$row = $this->outbox->get( $id );
		$this->assertSame( Outbox::DELIVERED, $row['status'] );
		$this->assertSame( '1', $row['attempts'] );
		$this->assertSame( '201', $row['last_http_status'] );
		$this->assertSame( gmdate( 'Y-m-d H:i:s', self::NOW + 1 ), $row['delivered_at'] );
		$this->assertSame( 1, $this->outbox->counts()[ Outbox::DELIVERED ] );
	}

	/**
	 * Failures back off; a refusal after the last delay fails the row; the admin's retry requeues it from scratch.
	 */
	public function test_failures_back_off_then_fail_then_retry(): void {
		$schedule = array( 5, 300 );
		$id       = $this->add();
		$now      = self::NOW;

		$this->outbox->claim( array(), 25, $now );
		$this->assertSame( Outbox::PENDING, $this->outbox->mark_failed_attempt( $id, 0, 'connection refused', $schedule, null, $now, 0.5 ) );
		$this->assertSame( gmdate( 'Y-m-d H:i:s', $now + 5 ), $this->outbox->get( $id )['next_attempt_at'] );
		$this->assertSame( array(), $this->outbox->claim( array(), 25, $now + 4 ), 'not due before its time' );

		$now += 5;
		$this->assertCount( 1, $this->outbox->claim( array(), 25, $now ) );
		$this->assertSame( Outbox::PENDING, $this->outbox->mark_failed_attempt( $id, 503, 'busy', $schedule, 600, $now, 0.5 ) );
		$this->assertSame( gmdate( 'Y-m-d H:i:s', $now + 600 ), $this->outbox->get( $id )['next_attempt_at'], 'Retry-After wins when longer' );

		$now += 600;
		$this->assertCount( 1, $this->outbox->claim( array(), 25, $now ) );
		$this->assertSame( Outbox::FAILED, $this->outbox->mark_failed_attempt( $id, 403, 'The service answered 403: forbidden', $schedule, null, $now, 0.5 ) );
		$row = $this->outbox->get( $id );
		$this->assertSame( '3', $row['attempts'] );
		$this->assertSame( '403', $row['last_http_status'] );
		$this->assertSame( 'The service answered 403: forbidden', $row['last_error'] );
		$this->assertSame( array(), $this->outbox->claim( array(), 25, $now + DAY_IN_SECONDS ), 'failed rows are not retried by themselves' );
		$this->assertSame( 1, $this->outbox->counts()[ Outbox::FAILED ] );
		$this->assertSame( $id, (int) $this->outbox->recent_failures()[0]['id'] );

		$this->assertSame( 1, $this->outbox->retry_failed( $now ) );
		$row = $this->outbox->get( $id );
		$this->assertSame( Outbox::PENDING, $row['status'] );
		$this->assertSame( '0', $row['attempts'] );
		$this->assertCount( 1, $this->outbox->claim( array(), 25, $now ) );
	}

	/**
	 * A payload the service rejects as invalid is failed at once.
	 *
	 * @return array<string,array{0:int,1:string}>
	 */
	public function permanent_statuses(): array {
		return array(
			'400' => array( 400, Outbox::FAILED ),
			'413' => array( 413, Outbox::FAILED ),
			'422' => array( 422, Outbox::FAILED ),
			'401' => array( 401, Outbox::PENDING ),
			'404' => array( 404, Outbox::PENDING ),
			'429' => array( 429, Outbox::PENDING ),
			'500' => array( 500, Outbox::PENDING ),
		);
	}

	/**
	 * Permanent vs. retryable answers.
	 *
	 * @dataProvider permanent_statuses
	 * @param int    $status   HTTP status.
	 * @param string $expected New row status.
	 */
	public function test_permanent_errors_fail_at_once( int $status, string $expected ): void {
		$id = $this->add();
		$this->outbox->claim( array(), 25, self::NOW );
		$this->assertSame( $expected, $this->outbox->mark_failed_attempt( $id, $status, 'x', array( 5 ), null, self::NOW, 0.5 ) );
	}

	/**
	 * Rows of one object go in order: a newer row waits while an older one is pending or sending.
	 */
	public function test_rows_of_one_object_are_sent_in_order(): void {
		$first  = $this->add( 'post:1' );
		$second = $this->add( 'post:1' );
		$other  = $this->add( 'post:2' );
		$claims = array_map( 'intval', array_column( $this->outbox->claim( array(), 25, self::NOW ), 'id' ) );
		$this->assertSame( array( $first, $other ), $claims );

		$this->outbox->mark_failed_attempt( $first, 0, 'down', array( 5 ), null, self::NOW, 0.5 );
		$this->outbox->mark_delivered( $other, 201, self::NOW );
		$this->assertSame( array(), $this->outbox->claim( array(), 25, self::NOW + 1 ), 'the second waits for the first' );
		$this->assertSame( array(), $this->outbox->claim( array( $second ), 25, self::NOW + 1 ), 'even when named' );

		$this->assertSame( array( $first ), array_map( 'intval', array_column( $this->outbox->claim( array(), 25, self::NOW + 5 ), 'id' ) ) );
		$this->outbox->mark_delivered( $first, 201, self::NOW + 5 );
		$this->assertSame( array( $second ), array_map( 'intval', array_column( $this->outbox->claim( array(), 25, self::NOW + 5 ), 'id' ) ) );
	}

	/**
	 * Named rows are sent even before their time; the claim of a dead sender expires.
	 */
	public function test_named_claims_and_expired_claims(): void {
		$id = $this->add( 'post:1', self::NOW + 3600 );
		$this->assertSame( array(), $this->outbox->claim( array(), 25, self::NOW ) );
		$this->assertCount( 1, $this->outbox->claim( array( $id ), 25, self::NOW ) );
		$this->assertSame( array(), $this->outbox->claim( array( $id ), 25, self::NOW + 60 ), 'still claimed' );
		$this->assertCount( 1, $this->outbox->claim( array( $id ), 25, self::NOW + Outbox::CLAIM_SECONDS + 1 ), 'claim expired' );
	}

	/**
	 * A row of this request can be rewritten until someone tries to send it.
	 */
	public function test_replace_unsent_only_before_first_attempt(): void {
		$id = $this->add();
		$this->assertTrue( $this->outbox->replace_unsent( $id, Event_Builder::envelope( 'post.updated', array( 'id' => 1 ) ) ) );
		$this->assertSame( 'post.updated', $this->outbox->get( $id )['event_type'] );
		$this->assertTrue( $this->outbox->replace_unsent( $id, Event_Builder::envelope( 'post.updated', array( 'id' => 1 ) ) ), 'unchanged payload still counts' );
		$this->outbox->claim( array( $id ), 25, self::NOW );
		$this->assertFalse( $this->outbox->replace_unsent( $id, Event_Builder::envelope( 'post.trashed', array( 'id' => 1 ) ) ) );
		$this->assertFalse( $this->outbox->delete_unsent( $id ) );
		$this->assertSame( 'post.updated', $this->outbox->get( $id )['event_type'] );
	}

	/**
	 * Delivered rows are pruned after the configured days; others never are.
	 */
	public function test_prune_removes_only_old_delivered_rows(): void {
		$old     = $this->add( 'post:1' );
		$recent  = $this->add( 'post:2' );
		$pending = $this->add( 'post:3' );
		$failed  = $this->add( 'post:4' );
		$this->outbox->claim( array( $old, $recent, $failed ), 25, self::NOW );
		$this->outbox->mark_delivered( $old, 201, self::NOW - 8 * DAY_IN_SECONDS );
		$this->outbox->mark_delivered( $recent, 200, self::NOW - DAY_IN_SECONDS );
		$this->outbox->mark_failed_attempt( $failed, 422, 'invalid', array( 5 ), null, self::NOW - 30 * DAY_IN_SECONDS, 0.5 );

		$this->assertSame( 1, $this->outbox->prune( 7, self::NOW ) );
		$this->assertNull( $this->outbox->get( $old ) );
		$this->assertNotNull( $this->outbox->get( $recent ) );
		$this->assertNotNull( $this->outbox->get( $pending ) );
		$this->assertNotNull( $this->outbox->get( $failed ) );
	}

	/**
	 * Webhook ids are unique, prefixed ULIDs.
	 */
	public function test_webhook_ids_are_unique_ulids(): void {
		$ids = array();
		for ( $i = 0; $i < 200; $i++ ) {
			$ids[] = Outbox::new_webhook_id();
		}
		$this->assertCount( 200, array_unique( $ids ) );
		foreach ( $ids as $id ) {
			$this->assertMatchesRegularExpression( '/^msg_[0-9A-HJKMNP-TV-Z]{26}$/', $id );
		}
	}
}
