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
 * culling, the last and next snapshot (and Take snapshot now), the latest reconciliation, the
 * outbox backlog and failed deliveries.
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
		// No answer at all (or no token): said once above; asking twice more would only wait.
		if ( ! is_wp_error( $stats ) || 0 === strpos( (string) $stats->get_error_code(), 'offentlig_api_' ) ) {
			$this->render_snapshots();
			$this->render_reconciliation();
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
	 * A count from an API answer, or null when it is absent or not a number.
	 *
	 * @param array<string,mixed> $data Answer.
	 * @param string              $key  Member.
	 */
	private static function count_of( array $data, string $key ): ?int {
		return isset( $data[ $key ] ) && is_numeric( $data[ $key ] ) ? (int) $data[ $key ] : null;
	}

	/**
	 * A time from an API answer as escaped HTML (<time>), or '' when it is absent or unreadable.
	 *
	 * @param mixed $value ISO 8601 time.
	 */
	private static function time_html( $value ): string {
		$shown = is_string( $value ) ? Records_Screen::local_time( $value ) : '';
		return '' === $shown ? '' : sprintf( '<time datetime="%1$s">%2$s</time>', esc_attr( $value ), esc_html( $shown ) );
	}

	/**
	 * Whole-site snapshots (GET /v1/sites/{site}/snapshots): one in progress, the last one, the
	 * next one due; and, for administrators, Take snapshot now.
	 */
	private function render_snapshots(): void {
		$answer = $this->client->snapshots();
		echo '<div class="offentlig-snapshots">';
		if ( is_wp_error( $answer ) ) {
			printf(
				'<p class="offentlig-snapshots-error">%1$s %2$s</p>',
				esc_html__( 'Snapshots:', 'offentlig' ),
				esc_html( $answer->get_error_message() )
			);
		} else {
			$items = array();
			foreach ( is_array( $answer['items'] ?? null ) ? $answer['items'] : array() as $item ) {
				if ( is_array( $item ) && in_array( $item['state'] ?? '', array( 'queued', 'running' ), true ) ) {
					$progress = is_array( $item['progress'] ?? null ) ? $item['progress'] : array();
					$pages    = (int) ( self::count_of( $progress, 'pages' ) ?? 0 );
					$items[]  = '<li class="offentlig-snapshot-running">' . sprintf(
						/* translators: %s: number of pages archived so far. */
						esc_html( _n( 'Snapshot in progress: %s page so far', 'Snapshot in progress: %s pages so far', $pages, 'offentlig' ) ),
						'<strong class="offentlig-snapshot-progress">' . esc_html( number_format_i18n( $pages ) ) . '</strong>'
					) . '</li>';
					break;
				}
			}
			$last = $answer['last'] ?? null;
			if ( is_array( $last ) ) {
				$when  = self::time_html( $last['ended_at'] ?? ( $last['started_at'] ?? ( $last['requested_at'] ?? null ) ) );
				$pages = self::count_of( $last, 'pages' );
				$parts = array();
				if ( '' !== $when ) {
					$parts[] = '<strong class="offentlig-snapshot-last">' . $when . '</strong>';
				}
				if ( null !== $pages ) {
					$parts[] = '<span class="offentlig-snapshot-pages">' . esc_html(
						sprintf(
							/* translators: %s: number of pages in the snapshot. */
							_n( '%s page', '%s pages', $pages, 'offentlig' ),
							number_format_i18n( $pages )
						)
					) . '</span>';
				}
				if ( $parts ) {
					$items[] = '<li>' . esc_html__( 'Last snapshot:', 'offentlig' ) . ' ' . ( 2 === count( $parts ) ? $parts[0] . ' (' . $parts[1] . ')' : $parts[0] ) . '</li>';
				}
			} elseif ( array_key_exists( 'last', $answer ) ) {
				$items[] = '<li class="offentlig-snapshot-none">' . esc_html__( 'No snapshot yet', 'offentlig' ) . '</li>';
			}
			if ( array_key_exists( 'next_due', $answer ) ) {
				$next    = self::time_html( $answer['next_due'] );
				$items[] = '' !== $next
					? '<li>' . esc_html__( 'Next snapshot due:', 'offentlig' ) . ' <strong class="offentlig-snapshot-next">' . $next . '</strong></li>'
					: '<li class="offentlig-snapshot-next">' . esc_html__( 'No snapshot scheduled', 'offentlig' ) . '</li>';
			}
			if ( $items ) {
				echo '<ul class="offentlig-snapshot-list">' . implode( '', $items ) . '</ul>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- every item is built from escaped parts.
			}
		}
		if ( current_user_can( 'manage_options' ) ) {
			echo '<form method="post" class="offentlig-take-snapshot" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
			echo '<input type="hidden" name="action" value="' . esc_attr( Admin_Actions::TAKE_SNAPSHOT ) . '" />';
			echo '<input type="hidden" name="redirect_to" value="' . esc_attr( admin_url( 'index.php' ) ) . '" />';
			wp_nonce_field( Admin_Actions::TAKE_SNAPSHOT );
			submit_button( __( 'Take snapshot now', 'offentlig' ), 'secondary', 'offentlig-take-snapshot', false );
			echo '</form>';
		}
		echo '</div>';
	}

	/**
	 * The latest reconciliation report (GET /v1/sites/{site}/reconciliations/latest): what was
	 * on the site but missing from the archive, changed without a webhook, or gone.
	 */
	private function render_reconciliation(): void {
		$report = $this->client->latest_reconciliation();
		if ( null === $report ) {
			echo '<p class="offentlig-reconciliation offentlig-reconciliation-none">' . esc_html__( 'No reconciliation yet', 'offentlig' ) . '</p>';
			return;
		}
		if ( is_wp_error( $report ) ) {
			printf(
				'<p class="offentlig-reconciliation-error">%1$s %2$s</p>',
				esc_html__( 'Latest reconciliation:', 'offentlig' ),
				esc_html( $report->get_error_message() )
			);
			return;
		}
		$when = self::time_html( $report['finished_at'] ?? ( $report['started_at'] ?? null ) );
		echo '<div class="offentlig-reconciliation"><p>' . esc_html__( 'Latest reconciliation:', 'offentlig' );
		if ( '' !== $when ) {
			echo ' <strong class="offentlig-reconciliation-date">' . $when . '</strong>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built by time_html from escaped parts.
		}
		echo '</p>';
		$counts = is_array( $report['counts'] ?? null ) ? $report['counts'] : array();
		$labels = array(
			'missing' => __( 'Missing from the archive:', 'offentlig' ),
			'changed' => __( 'Changed without a webhook:', 'offentlig' ),
			'gone'    => __( 'Gone from the site:', 'offentlig' ),
		);
		$items  = array();
		foreach ( $labels as $key => $label ) {
			$count = self::count_of( $counts, $key );
			if ( null !== $count ) {
				$items[] = sprintf(
					'<li>%1$s <strong class="offentlig-reconciliation-%2$s">%3$s</strong></li>',
					esc_html( $label ),
					esc_attr( $key ),
					esc_html( number_format_i18n( $count ) )
				);
			}
		}
		if ( $items ) {
			echo '<ul class="offentlig-reconciliation-counts">' . implode( '', $items ) . '</ul>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- every item is built from escaped parts.
		}
		echo '</div>';
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
