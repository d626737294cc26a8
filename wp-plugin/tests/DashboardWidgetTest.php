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
}
