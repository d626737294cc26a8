<?php
/**
 * Dashboard widget: sparkline and rendering from /v1/stats through the server.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Dashboard_Widget;

/**
 * Widget tests.
 */
final class DashboardWidgetTest extends Test_Case {

	/**
	 * One point per day, scaled into the box, label escaped.
	 */
	public function test_sparkline(): void {
		$svg = Dashboard_Widget::sparkline( array( 0, 5, 10 ), 'Per dag "30" <dagar>', 100, 20 );
		$this->assertStringContainsString( 'points="1,19 50,10 99,1"', $svg );
		$this->assertStringContainsString( 'aria-label="Per dag &quot;30&quot; &lt;dagar&gt;"', $svg );
		$this->assertStringNotContainsString( '<dagar>', $svg );
		$this->assertStringStartsWith( '<svg ', $svg );
	}

	/**
	 * All-zero series stay on the baseline.
	 */
	public function test_sparkline_of_zeros(): void {
		$this->assertStringContainsString( 'points="1,19 99,19"', Dashboard_Widget::sparkline( array( 0, 0 ), 'x', 100, 20 ) );
	}

	/**
	 * An unreachable archive is said plainly; the outbox part of the widget still works.
	 */
	public function test_render_when_the_service_is_down(): void {
		delete_transient( 'offentlig_stats_' . md5( self::SITE_ID . '|30' ) );
		$this->answer = new \WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		ob_start();
		( new Dashboard_Widget( $this->plugin->client, $this->plugin->outbox ) )->render();
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( '<p class="offentlig-stats-error">cURL error 7: Failed to connect</p>', $html );
		$this->assertStringContainsString( '<strong class="offentlig-failed">0</strong>', $html );
		$this->assertFalse( get_transient( 'offentlig_stats_' . md5( self::SITE_ID . '|30' ) ), 'errors are not cached' );
	}

	/**
	 * The widget shows the service's counts and the outbox health; the token stays server side.
	 */
	public function test_render_shows_stats_backlog_and_retry(): void {
		delete_transient( 'offentlig_stats_' . md5( self::SITE_ID . '|30' ) );
		$this->answer = array(
			200,
			array(
				'site_id'    => self::SITE_ID,
				'today'      => 3,
				'this_month' => 42,
				'total'      => 1234,
				'days'       => array( array( 'date' => '2026-11-27', 'total' => 1 ), array( 'date' => '2026-11-28', 'total' => 3 ) ),
			),
			array(),
		);
		$id  = $this->plugin->outbox->add( 'post:9', \Offentlig\Event_Builder::envelope( 'post.published', array( 'id' => 9 ) ) );
		$this->plugin->outbox->claim( array( $id ) );
		$this->plugin->outbox->mark_failed_attempt( $id, 422, 'Ogiltig <data>', array( 5 ) );
		$this->plugin->outbox->add( 'post:10', \Offentlig\Event_Builder::envelope( 'post.published', array( 'id' => 10 ) ) );

		ob_start();
		( new Dashboard_Widget( $this->plugin->client, $this->plugin->outbox ) )->render();
		$html = (string) ob_get_clean();

		$this->assertStringContainsString( '<strong class="offentlig-today">3</strong>', $html );
		$this->assertStringContainsString( '<strong class="offentlig-month">42</strong>', $html );
		$this->assertStringContainsString( '<strong class="offentlig-backlog">1</strong>', $html );
		$this->assertStringContainsString( '<strong class="offentlig-failed">1</strong>', $html );
		$this->assertStringContainsString( 'Ogiltig &lt;data&gt;', $html );
		$this->assertStringContainsString( 'name="_wpnonce"', $html );
		$this->assertStringContainsString( '<svg', $html );
		$this->assertStringNotContainsString( 'oft_test_token_123', $html );
		list( $url, $args ) = $this->requests[0];
		$this->assertStringContainsString( '/v1/stats?site=' . self::SITE_ID . '&days=30', $url );
		$this->assertSame( 'Bearer oft_test_token_123', $args['headers']['Authorization'] );

		ob_start();
		( new Dashboard_Widget( $this->plugin->client, $this->plugin->outbox ) )->render();
		ob_end_clean();
		$stats = array_filter(
			array_column( $this->requests, 0 ),
			static function ( $url ) {
				return false !== strpos( $url, '/v1/stats' );
			}
		);
		$this->assertCount( 1, $stats, 'stats are cached briefly' );
	}

	/**
	 * The widget's HTML for this /v1/stats answer.
	 *
	 * @param array<string,mixed> $stats Answer.
	 */
	private function render_with_stats( array $stats ): string {
		delete_transient( 'offentlig_stats_' . md5( self::SITE_ID . '|30' ) );
		$this->answer = array(
			200,
			$stats + array(
				'site_id'    => self::SITE_ID,
				'today'      => 1,
				'this_month' => 2,
				'total'      => 3,
				'days'       => array(),
			),
			array(),
		);
		$format = get_option( 'date_format' );
		update_option( 'date_format', 'j F Y' );
		try {
			ob_start();
			( new Dashboard_Widget( $this->plugin->client, $this->plugin->outbox ) )->render();
			return (string) ob_get_clean();
		} finally {
			update_option( 'date_format', $format );
		}
	}

	/**
	 * Records awaiting secrecy review link to the records screen; the next culling in the site's date format.
	 */
	public function test_review_queue_and_next_culling(): void {
		$html = $this->render_with_stats(
			array(
				'review_pending' => 1234,
				'next_culling'   => array(
					'date'    => '2027-03-01',
					'records' => 12,
				),
			)
		);
		$this->assertStringContainsString(
			'<li class="offentlig-review"><a href="' . esc_url( admin_url( 'admin.php?page=offentlig-records' ) ) . '">Awaiting secrecy review: <strong class="offentlig-review-pending">1,234</strong></a></li>',
			$html
		);
		$this->assertStringContainsString(
			'<li class="offentlig-culling">Next culling: <strong class="offentlig-next-culling"><time datetime="2027-03-01">1 March 2027</time></strong> (12 records)</li>',
			$html
		);
		$this->assertStringNotContainsString( 'No records awaiting review', $html );

		$html = $this->render_with_stats( array( 'next_culling' => array( 'date' => '2027-03-01', 'records' => 1 ) ) );
		$this->assertStringContainsString( '</strong> (1 record)</li>', $html );
	}

	/**
	 * Nothing waiting and nothing due: said calmly.
	 */
	public function test_nothing_awaiting_review_and_no_culling_scheduled(): void {
		$html = $this->render_with_stats(
			array(
				'review_pending' => 0,
				'next_culling'   => null,
			)
		);
		$this->assertStringContainsString( '<li class="offentlig-review">No records awaiting review</li>', $html );
		$this->assertStringContainsString( '<li class="offentlig-culling">No culling scheduled</li>', $html );
		$this->assertStringNotContainsString( 'offentlig-review-pending', $html );
	}

	/**
	 * An older service sends neither field: the widget looks as it did, and warns about nothing.
	 */
	public function test_older_service_without_records_management(): void {
		$html = $this->render_with_stats( array() );
		$this->assertStringContainsString( '<strong class="offentlig-today">1</strong>', $html );
		$this->assertStringNotContainsString( 'offentlig-records-management', $html );
		$this->assertStringNotContainsString( 'review', $html );
		$this->assertStringNotContainsString( 'culling', $html );
	}

	/**
	 * Values of the wrong shape are left out rather than shown wrong.
	 *
	 * @return array<string,array{0:array<string,mixed>}>
	 */
	public function odd_stats(): array {
		return array(
			'review_pending not a number' => array( array( 'review_pending' => 'many' ) ),
			'review_pending null'         => array( array( 'review_pending' => null ) ),
			'next_culling a string'       => array( array( 'next_culling' => '2027-03-01' ) ),
			'next_culling without a date' => array( array( 'next_culling' => array( 'records' => 3 ) ) ),
			'next_culling impossible day' => array( array( 'next_culling' => array( 'date' => '2027-02-30', 'records' => 3 ) ) ),
			'next_culling date a list'    => array( array( 'next_culling' => array( 'date' => array( '2027-03-01' ), 'records' => 3 ) ) ),
		);
	}

	/**
	 * Odd values: no line, no warning.
	 *
	 * @dataProvider odd_stats
	 * @param array<string,mixed> $stats Answer.
	 */
	public function test_odd_values_are_left_out( array $stats ): void {
		$html = $this->render_with_stats( $stats );
		$this->assertStringNotContainsString( 'offentlig-records-management', $html );
		$this->assertStringContainsString( '<strong class="offentlig-today">1</strong>', $html );
	}

	/**
	 * A date without a count still names the day.
	 */
	public function test_next_culling_without_a_count(): void {
		$html = $this->render_with_stats( array( 'next_culling' => array( 'date' => '2027-03-01' ) ) );
		$this->assertStringContainsString( '<li class="offentlig-culling">Next culling: <strong class="offentlig-next-culling"><time datetime="2027-03-01">1 March 2027</time></strong></li>', $html );
	}

	/**
	 * Renders the widget with a fake service answering each path as given (stats: a current one).
	 *
	 * @param mixed $snapshots      Answer to GET …/snapshots: WP_Error or [status, body, headers].
	 * @param mixed $reconciliation Answer to GET …/reconciliations/latest.
	 */
	private function render_with_site( $snapshots, $reconciliation ): string {
		delete_transient( 'offentlig_stats_' . md5( self::SITE_ID . '|30' ) );
		$this->answer = static function ( string $url ) use ( $snapshots, $reconciliation ) {
			if ( false !== strpos( $url, '/reconciliations/latest' ) ) {
				return $reconciliation;
			}
			if ( false !== strpos( $url, '/snapshots' ) ) {
				return $snapshots;
			}
			return array( 200, array( 'site_id' => self::SITE_ID, 'today' => 1, 'this_month' => 2, 'total' => 3, 'days' => array() ), array() );
		};
		ob_start();
		( new Dashboard_Widget( $this->plugin->client, $this->plugin->outbox ) )->render();
		return (string) ob_get_clean();
	}

	/**
	 * A finished snapshot as the service lists it.
	 *
	 * @param array<string,mixed> $over Overrides.
	 * @return array<string,mixed>
	 */
	private static function finished_snapshot( array $over = array() ): array {
		return $over + array(
			'id'           => '01jsnapdone',
			'site_id'      => self::SITE_ID,
			'state'        => 'finished',
			'requested_at' => '2026-11-01T02:00:00+00:00',
			'started_at'   => '2026-11-01T02:00:05+00:00',
			'ended_at'     => '2026-11-01T02:41:00+00:00',
			'pages'        => 1234,
			'progress'     => null,
		);
	}

	/**
	 * A reconciliation report as the service answers it.
	 *
	 * @return array<string,mixed>
	 */
	private static function report(): array {
		return array(
			'id'          => '20261130T020000Z',
			'site_id'     => self::SITE_ID,
			'started_at'  => '2026-11-30T02:00:00+00:00',
			'finished_at' => '2026-11-30T02:05:00+00:00',
			'counts'      => array( 'read' => 500, 'unchanged' => 490, 'missing' => 4, 'changed' => 5, 'gone' => 1, 'errors' => 0 ),
			'missing'     => array( 'a', 'b', 'c', 'd' ),
			'changed'     => array(),
			'gone'        => array( 'x' ),
		);
	}

	/**
	 * Last snapshot (date, pages), next due, latest reconciliation's counts, and the button.
	 */
	public function test_snapshots_and_reconciliation(): void {
		$html = $this->render_with_site(
			array( 200, array( 'site_id' => self::SITE_ID, 'every' => 'P6M', 'last' => self::finished_snapshot(), 'next_due' => '2027-05-01T02:00:00+00:00', 'items' => array( self::finished_snapshot() ) ), array() ),
			array( 200, self::report(), array() )
		);
		$last = \Offentlig\Records_Screen::local_time( '2026-11-01T02:41:00+00:00' );
		$next = \Offentlig\Records_Screen::local_time( '2027-05-01T02:00:00+00:00' );
		$this->assertStringContainsString( 'Last snapshot: <strong class="offentlig-snapshot-last"><time datetime="2026-11-01T02:41:00+00:00">' . esc_html( $last ) . '</time></strong> (<span class="offentlig-snapshot-pages">1,234 pages</span>)', $html );
		$this->assertStringContainsString( 'Next snapshot due: <strong class="offentlig-snapshot-next"><time datetime="2027-05-01T02:00:00+00:00">' . esc_html( $next ) . '</time></strong>', $html );
		$this->assertStringNotContainsString( 'offentlig-snapshot-running', $html );
		$this->assertStringContainsString( 'Latest reconciliation: <strong class="offentlig-reconciliation-date">', $html );
		$this->assertStringContainsString( 'Missing from the archive: <strong class="offentlig-reconciliation-missing">4</strong>', $html );
		$this->assertStringContainsString( 'Changed without a webhook: <strong class="offentlig-reconciliation-changed">5</strong>', $html );
		$this->assertStringContainsString( 'Gone from the site: <strong class="offentlig-reconciliation-gone">1</strong>', $html );
		$this->assertStringContainsString( 'value="' . \Offentlig\Admin_Actions::TAKE_SNAPSHOT . '"', $html );
		$this->assertStringContainsString( 'Take snapshot now', $html );
		$this->assertStringNotContainsString( 'oft_test_token_123', $html );
		$urls = array_column( $this->requests, 0 );
		$this->assertContains( self::SERVICE_URL . '/v1/sites/' . self::SITE_ID . '/snapshots', $urls );
		$this->assertContains( self::SERVICE_URL . '/v1/sites/' . self::SITE_ID . '/reconciliations/latest', $urls );
	}

	/**
	 * A queued or running snapshot shows its progress; never snapshotted, schedule off, never
	 * reconciled (404) are each said plainly.
	 */
	public function test_snapshot_in_progress_and_nothing_yet(): void {
		$running = array( 'id' => '01jrun', 'state' => 'running', 'requested_at' => '2026-12-01T08:00:00+00:00', 'progress' => array( 'fetched' => 90, 'pages' => 57, 'queued' => 300 ) );
		$html    = $this->render_with_site(
			array( 200, array( 'site_id' => self::SITE_ID, 'every' => 'off', 'last' => null, 'next_due' => null, 'items' => array( $running ) ), array() ),
			array( 404, array( 'code' => 404, 'message' => 'Never reconciled.' ), array() )
		);
		$this->assertStringContainsString( 'Snapshot in progress: <strong class="offentlig-snapshot-progress">57</strong> pages so far', $html );
		$this->assertStringContainsString( '<li class="offentlig-snapshot-none">No snapshot yet</li>', $html );
		$this->assertStringContainsString( '<li class="offentlig-snapshot-next">No snapshot scheduled</li>', $html );
		$this->assertStringContainsString( 'No reconciliation yet', $html );
		$this->assertStringNotContainsString( 'Never reconciled.', $html );
	}

	/**
	 * A queued snapshot without progress yet: 0 pages, no warning.
	 */
	public function test_queued_snapshot_without_progress(): void {
		$html = $this->render_with_site(
			array( 200, array( 'last' => self::finished_snapshot(), 'items' => array( array( 'state' => 'queued', 'progress' => null ), self::finished_snapshot() ) ), array() ),
			array( 404, array( 'code' => 404, 'message' => 'Not found.' ), array() )
		);
		$this->assertStringContainsString( 'Snapshot in progress: <strong class="offentlig-snapshot-progress">0</strong> pages so far', $html );
		$this->assertStringNotContainsString( 'Next snapshot due', $html );
		$this->assertStringNotContainsString( 'No snapshot scheduled', $html );
	}

	/**
	 * Answers with fields absent or of the wrong shape: lines are left out, never a warning.
	 */
	public function test_snapshot_and_report_with_absent_fields(): void {
		$html = $this->render_with_site(
			array( 200, array( 'last' => array( 'state' => 'finished' ), 'next_due' => 'soon-ish', 'items' => 'none' ), array() ),
			array( 200, array( 'id' => 'r1', 'counts' => array( 'missing' => 'many' ) ), array() )
		);
		$this->assertStringNotContainsString( 'Last snapshot:', $html );
		$this->assertStringContainsString( 'No snapshot scheduled', $html );
		$this->assertStringContainsString( '<div class="offentlig-reconciliation"><p>Latest reconciliation:</p></div>', $html );
		$this->assertStringNotContainsString( 'offentlig-reconciliation-missing', $html );
		$this->assertStringContainsString( '<strong class="offentlig-today">1</strong>', $html );
	}

	/**
	 * Errors from either endpoint are shown in their own place, escaped; the rest still works.
	 */
	public function test_snapshot_and_report_errors(): void {
		$html = $this->render_with_site(
			array( 503, array( 'code' => 503, 'message' => 'Database <down>' ), array() ),
			array( 500, array( 'code' => 500, 'message' => 'Boom' ), array() )
		);
		$this->assertStringContainsString( '<p class="offentlig-snapshots-error">Snapshots: The service answered 503: Database &lt;down&gt;</p>', $html );
		$this->assertStringContainsString( '<p class="offentlig-reconciliation-error">Latest reconciliation: The service answered 500: Boom</p>', $html );
		$this->assertStringContainsString( 'Take snapshot now', $html, 'the button stays: asking may still work' );
		$this->assertStringContainsString( '<strong class="offentlig-failed">0</strong>', $html );
	}

	/**
	 * When the service does not answer at all, the widget does not ask it twice more.
	 */
	public function test_service_down_asks_once(): void {
		delete_transient( 'offentlig_stats_' . md5( self::SITE_ID . '|30' ) );
		$this->answer = new \WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		ob_start();
		( new Dashboard_Widget( $this->plugin->client, $this->plugin->outbox ) )->render();
		$html = (string) ob_get_clean();
		$this->assertCount( 1, $this->requests );
		$this->assertStringNotContainsString( 'offentlig-snapshots', $html );
		$this->assertStringNotContainsString( 'reconciliation', $html );
	}

	/**
	 * The button is for administrators only; a records viewer sees the snapshot lines without it.
	 */
	public function test_no_button_without_manage_options(): void {
		$id   = wp_insert_user( array( 'user_login' => 'viewer' . wp_generate_password( 6, false ), 'user_pass' => wp_generate_password(), 'role' => 'editor' ) );
		$user = get_user_by( 'id', $id );
		$user->add_cap( \Offentlig\Plugin::VIEW_CAPABILITY );
		wp_set_current_user( $id );
		try {
			$html = $this->render_with_site(
				array( 200, array( 'last' => self::finished_snapshot(), 'next_due' => null, 'items' => array() ), array() ),
				array( 200, self::report(), array() )
			);
		} finally {
			require_once ABSPATH . 'wp-admin/includes/user.php';
			wp_set_current_user( 1 );
			wp_delete_user( $id );
		}
		$this->assertStringContainsString( 'Last snapshot:', $html );
		$this->assertStringNotContainsString( 'Take snapshot now', $html );
		$this->assertStringNotContainsString( \Offentlig\Admin_Actions::TAKE_SNAPSHOT, $html );
	}
}
