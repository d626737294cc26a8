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
		$this->assertCount( 1, $this->requests, 'stats are cached briefly' );
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
}
