<?php
/**
 * Dashboard widget: what was captured, and whether delivery is healthy.
 *
 * @package Offentlig
 */

namespace Offentlig;

defined( 'ABSPATH' ) || exit;

/**
 * Captured today / this month, a 30-day sparkline, records awaiting secrecy review, the next
 * culling, the outbox backlog and failed deliveries.
 */
final class Dashboard_Widget {

	const ID = 'offentlig_dashboard';

	/**
	 * Read client.
	 *
	 * @var Service_Client
	 */
	private $client;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Seconds between two tries of a parked row (for the note under the parked count).
	 *
	 * @var int
	 */
	private $park_interval;

	/**
	 * Constructor.
	 *
	 * @param Service_Client $client        Read client.
	 * @param Outbox         $outbox        Outbox.
	 * @param int            $park_interval Seconds between two tries of a parked row.
	 */
	public function __construct( Service_Client $client, Outbox $outbox, int $park_interval = Outbox::PARK_INTERVAL ) {
		$this->client        = $client;
		$this->outbox        = $outbox;
		$this->park_interval = $park_interval;
	}

	/**
	 * Registers the widget for users allowed to see it (wp_dashboard_setup).
	 */
	public function register(): void {
		if ( Plugin::current_user_can_view() ) {
			wp_add_dashboard_widget( self::ID, __( 'Public records (Offentlig)', 'offentlig' ), array( $this, 'render' ) );
		}
	}

	/**
	 * Inline SVG polyline for a series of counts; no external assets.
	 *
	 * @param int[]  $values Counts, oldest first.
	 * @param string $label  Accessible description.
	 * @param int    $width  Pixels.
	 * @param int    $height Pixels.
	 */
	public static function sparkline( array $values, string $label, int $width = 240, int $height = 40 ): string {
		$values = array_values( array_map( 'intval', $values ) );
		$count  = count( $values );
		$max    = max( 1, $count ? max( $values ) : 0 );
		$points = array();
		foreach ( $values as $i => $value ) {
			$x        = $count > 1 ? round( $i * ( $width - 2 ) / ( $count - 1 ), 1 ) + 1 : $width / 2;
			$y        = round( ( $height - 2 ) * ( 1 - $value / $max ), 1 ) + 1;
			$points[] = $x . ',' . $y;
		}
		return sprintf(
			'<svg class="offentlig-sparkline" role="img" aria-label="%1$s" width="%2$d" height="%3$d" viewBox="0 0 %2$d %3$d" xmlns="http://www.w3.org/2000/svg"><title>%1$s</title><polyline fill="none" stroke="#2271b1" stroke-width="2" points="%4$s" /></svg>',
			esc_attr( $label ),
			$width,
			$height,
			esc_attr( implode( ' ', $points ) )
		);
	}

	/**
	 * The widget body.
	 */
	public function render(): void {
		if ( ! Plugin::current_user_can_view() ) {
			return;
		}
		$stats = $this->client->stats( 30 );
		echo '<div class="offentlig-widget">';
		if ( is_wp_error( $stats ) ) {
			echo '<p class="offentlig-stats-error">' . esc_html( $stats->get_error_message() ) . '</p>';
		} else {
			$days   = isset( $stats['days'] ) && is_array( $stats['days'] ) ? $stats['days'] : array();
			$series = array_map(
				static function ( $day ) {
					return (int) ( $day['total'] ?? 0 );
				},
				$days
			);
			echo '<ul class="offentlig-counts">';
			printf(
				'<li>%1$s <strong class="offentlig-today">%2$s</strong></li><li>%3$s <strong class="offentlig-month">%4$s</strong></li><li>%5$s <strong class="offentlig-total">%6$s</strong></li>',
				esc_html__( 'Captured today:', 'offentlig' ),
				esc_html( number_format_i18n( (int) ( $stats['today'] ?? 0 ) ) ),
				esc_html__( 'This month:', 'offentlig' ),
				esc_html( number_format_i18n( (int) ( $stats['this_month'] ?? 0 ) ) ),
				esc_html__( 'In all:', 'offentlig' ),
				esc_html( number_format_i18n( (int) ( $stats['total'] ?? 0 ) ) )
			);
			echo '</ul>';
			echo self::sparkline( $series, __( 'Versions captured per day, last 30 days', 'offentlig' ) ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts and integers.
			$this->render_records_management( $stats );
		}

		$counts = $this->outbox->counts();
		$last   = $this->outbox->last_delivered_at();
		echo '<ul class="offentlig-delivery">';
		printf(
			'<li>%1$s <strong class="offentlig-backlog">%2$s</strong></li><li>%3$s <strong class="offentlig-failed">%4$s</strong></li><li>%5$s <span class="offentlig-last-delivery">%6$s</span></li>',
			esc_html__( 'Waiting to be sent:', 'offentlig' ),
			esc_html( number_format_i18n( $counts[ Outbox::PENDING ] + $counts[ Outbox::SENDING ] ) ),
			esc_html__( 'Failed deliveries:', 'offentlig' ),
			esc_html( number_format_i18n( $counts[ Outbox::FAILED ] ) ),
			esc_html__( 'Last successful delivery:', 'offentlig' ),
			esc_html( null === $last ? __( 'never', 'offentlig' ) : get_date_from_gmt( $last, get_option( 'date_format' ) . ' ' . get_option( 'time_format' ) ) )
		);
		echo '</ul>';

		if ( $counts[ Outbox::PARKED ] > 0 ) {
			$this->render_parked( $counts[ Outbox::PARKED ] );
		}
		if ( $counts[ Outbox::FAILED ] > 0 ) {
			$this->render_failures();
		}
		printf(
			'<p><a href="%1$s">%2$s</a></p>',
			esc_url( admin_url( 'admin.php?page=' . Records_Screen::PAGE ) ),
			esc_html__( 'Search the archive', 'offentlig' )
		);
		echo '</div>';
	}

	/**
	 * Secrecy review queue and next culling, each only if the service reports it (an older
	 * service sends neither).
	 *
	 * @param array<string,mixed> $stats /v1/stats answer.
	 */
	private function render_records_management( array $stats ): void {
		$items = array();
		if ( isset( $stats['review_pending'] ) && is_numeric( $stats['review_pending'] ) ) {
			$pending = (int) $stats['review_pending'];
			$items[] = $pending > 0
				? sprintf(
					'<li class="offentlig-review"><a href="%1$s">%2$s <strong class="offentlig-review-pending">%3$s</strong></a></li>',
					esc_url( admin_url( 'admin.php?page=' . Records_Screen::PAGE ) ),
					esc_html__( 'Awaiting secrecy review:', 'offentlig' ),
					esc_html( number_format_i18n( $pending ) )
				)
				: '<li class="offentlig-review">' . esc_html__( 'No records awaiting review', 'offentlig' ) . '</li>';
		}
		if ( array_key_exists( 'next_culling', $stats ) ) {
			$next = $stats['next_culling'];
			if ( null === $next ) {
				$items[] = '<li class="offentlig-culling">' . esc_html__( 'No culling scheduled', 'offentlig' ) . '</li>';
			} elseif ( is_array( $next ) && isset( $next['date'] ) && is_string( $next['date'] ) && '' !== Records_Screen::local_date( $next['date'] ) ) {
				$date = sprintf(
					'<strong class="offentlig-next-culling"><time datetime="%1$s">%2$s</time></strong>',
					esc_attr( $next['date'] ),
					esc_html( Records_Screen::local_date( $next['date'] ) )
				);
				if ( isset( $next['records'] ) && is_numeric( $next['records'] ) ) {
					$count = (int) $next['records'];
					$line  = sprintf(
						/* translators: 1: date in the site's date format, 2: number of records due for culling then. */
						esc_html( _n( 'Next culling: %1$s (%2$s record)', 'Next culling: %1$s (%2$s records)', $count, 'offentlig' ) ),
						$date,
						esc_html( number_format_i18n( $count ) )
					);
				} else {
					$line = sprintf(
						/* translators: %s: date in the site's date format. */
						esc_html__( 'Next culling: %s', 'offentlig' ),
						$date
					);
				}
				$items[] = '<li class="offentlig-culling">' . $line . '</li>';
			}
		}
		if ( $items ) {
			echo '<ul class="offentlig-records-management">' . implode( '', $items ) . '</ul>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- every item is built from escaped parts.
		}
	}

	/**
	 * Rows that wait because the service could not be reached for longer than the retry schedule:
	 * nobody has to do anything, they go out by themselves once it answers.
	 *
	 * @param int $count Parked rows.
	 */
	private function render_parked( int $count ): void {
		$latest  = $this->outbox->recent_failures( 1, Outbox::PARKED );
		$minutes = max( 1, (int) round( $this->park_interval / MINUTE_IN_SECONDS ) );
		echo '<div class="offentlig-parked-note">';
		printf(
			'<p>%1$s <strong class="offentlig-parked">%2$s</strong></p>',
			esc_html__( 'Waiting for the service to answer again:', 'offentlig' ),
			esc_html( number_format_i18n( $count ) )
		);
		printf(
			'<p class="description">%s</p>',
			esc_html(
				sprintf(
					/* translators: %s: number of minutes between two tries. */
					_n(
						'The service could not be reached for longer than the whole retry schedule. These events are tried again every %s minute and are sent by themselves as soon as the service answers; nothing needs to be done here.',
						'The service could not be reached for longer than the whole retry schedule. These events are tried again every %s minutes and are sent by themselves as soon as the service answers; nothing needs to be done here.',
						$minutes,
						'offentlig'
					),
					number_format_i18n( $minutes )
				)
			)
		);
		if ( $latest ) {
			printf(
				'<p class="offentlig-parked-error">%1$s %2$s</p>',
				esc_html__( 'Last error:', 'offentlig' ),
				esc_html( self::answer( $latest[0] ) . ' – ' . (string) $latest[0]['last_error'] )
			);
		}
		echo '</div>';
	}

	/**
	 * What the service answered, for a failed row: "HTTP 403" or "no answer".
	 *
	 * @param array<string,mixed> $row Outbox row.
	 */
	private static function answer( array $row ): string {
		$status = (int) ( $row['last_http_status'] ?? 0 );
		return $status > 0
			/* translators: %d: HTTP status code. */
			? sprintf( __( 'HTTP %d', 'offentlig' ), $status )
			: __( 'no answer', 'offentlig' );
	}

	/**
	 * Recent refusals (with the service's status code and message) and the retry button.
	 */
	private function render_failures(): void {
		printf(
			'<p class="description offentlig-failed-note">%s</p>',
			esc_html__( 'The service refused these events; they are not sent again by themselves. Correct the cause (for example the site id or the webhook secret in the settings), then retry.', 'offentlig' )
		);
		echo '<table class="widefat striped offentlig-failures"><thead><tr>';
		echo '<th>' . esc_html__( 'Event', 'offentlig' ) . '</th><th>' . esc_html__( 'Attempts', 'offentlig' ) . '</th><th>' . esc_html__( 'Answer', 'offentlig' ) . '</th><th>' . esc_html__( 'Last error', 'offentlig' ) . '</th>';
		echo '</tr></thead><tbody>';
		foreach ( $this->outbox->recent_failures( 5 ) as $row ) {
			printf(
				'<tr><td><code>%1$s</code> %2$s</td><td>%3$s</td><td class="offentlig-answer">%4$s</td><td>%5$s</td></tr>',
				esc_html( (string) $row['event_type'] ),
				esc_html( (string) $row['object_key'] ),
				esc_html( number_format_i18n( (int) $row['attempts'] ) ),
				esc_html( self::answer( $row ) ),
				esc_html( (string) $row['last_error'] )
			);
		}
		echo '</tbody></table>';
		echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
		echo '<input type="hidden" name="action" value="' . esc_attr( Admin_Actions::RETRY_FAILED ) . '" />';
		echo '<input type="hidden" name="redirect_to" value="' . esc_attr( admin_url( 'index.php' ) ) . '" />';
		wp_nonce_field( Admin_Actions::RETRY_FAILED );
		submit_button( __( 'Retry failed deliveries', 'offentlig' ), 'secondary', 'offentlig-retry', false );
		echo '</form>';
	}
}
