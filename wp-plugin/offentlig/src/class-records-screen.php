<?php
/**
 * Records screen: search the archive, look at one record, export the selected ones.
 *
 * @package Offentlig
 */

namespace Offentlig;

defined( 'ABSPATH' ) || exit;

/**
 * Admin page backed by the service's read API.
 */
final class Records_Screen {

	const PAGE = 'offentlig-records';

	/**
	 * Read client.
	 *
	 * @var Service_Client
	 */
	private $client;

	/**
	 * The single-record view.
	 *
	 * @var Record_View
	 */
	private $record_view;

	/**
	 * Constructor.
	 *
	 * @param Service_Client $client      Read client.
	 * @param Record_View    $record_view Single-record view.
	 */
	public function __construct( Service_Client $client, Record_View $record_view ) {
		$this->client      = $client;
		$this->record_view = $record_view;
	}

	/**
	 * Adds the top-level menu (admin_menu).
	 */
	public function add_page(): void {
		add_menu_page(
			__( 'Public records', 'offentlig' ),
			__( 'Public records', 'offentlig' ),
			Plugin::current_user_can_view() ? 'read' : 'do_not_allow',
			self::PAGE,
			array( $this, 'render' ),
			'dashicons-archive',
			81
		);
	}

	/**
	 * Translated record kind.
	 *
	 * @param string $kind post, page or comment.
	 */
	public static function kind_label( string $kind ): string {
		$labels = array(
			'post'    => __( 'Post', 'offentlig' ),
			'page'    => __( 'Page', 'offentlig' ),
			'comment' => __( 'Comment', 'offentlig' ),
		);
		return $labels[ $kind ] ?? $kind;
	}

	/**
	 * Translated origin.
	 *
	 * @param string $origin drawn_up or received.
	 */
	public static function origin_label( string $origin ): string {
		$labels = array(
			'drawn_up' => __( 'Drawn up', 'offentlig' ),
			'received' => __( 'Received', 'offentlig' ),
		);
		return $labels[ $origin ] ?? $origin;
	}

	/**
	 * Translated secrecy review state ('' for none; an unknown state as the service named it).
	 *
	 * @param string $review pending, cleared, register or secret.
	 */
	public static function review_label( string $review ): string {
		$labels = array(
			'pending'  => __( 'Pending review', 'offentlig' ),
			'cleared'  => __( 'Cleared', 'offentlig' ),
			'register' => __( 'To be registered', 'offentlig' ),
			'secret'   => __( 'Secret', 'offentlig' ),
		);
		return $labels[ $review ] ?? $review;
	}

	/**
	 * The "On hold" badge, for records under one or more legal holds.
	 */
	public static function hold_badge(): string {
		return '<span class="offentlig-badge offentlig-hold">' . esc_html__( 'On hold', 'offentlig' ) . '</span>';
	}

	/**
	 * Author as text, whether the API gives a string or an object.
	 *
	 * @param mixed $author Author field.
	 */
	public static function author_name( $author ): string {
		if ( is_array( $author ) ) {
			return (string) ( $author['name'] ?? '' );
		}
		return is_scalar( $author ) ? (string) $author : '';
	}

	/**
	 * An ISO 8601 time shown in the site's timezone.
	 *
	 * @param string $iso Time from the API.
	 */
	public static function local_time( string $iso ): string {
		$time = '' === $iso ? false : strtotime( $iso );
		return false === $time ? '' : wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $time );
	}

	/**
	 * A calendar date (YYYY-MM-DD) or an ISO 8601 time as a date in the site's date format.
	 *
	 * A calendar date is that day in the site's timezone, so it never shifts by a day.
	 *
	 * @param string $value Date or time from the API.
	 * @return string '' when it is neither.
	 */
	public static function local_date( string $value ): string {
		if ( preg_match( '/^\d{4}-\d{2}-\d{2}$/', $value ) ) {
			$date = \DateTimeImmutable::createFromFormat( '!Y-m-d', $value, wp_timezone() );
			if ( false === $date || $date->format( 'Y-m-d' ) !== $value ) {
				return '';
			}
			$time = $date->getTimestamp();
		} else {
			$time = '' === $value ? false : strtotime( $value );
		}
		return false === $time ? '' : (string) wp_date( get_option( 'date_format' ), $time );
	}

	/**
	 * Styles for the badges, on this screen only (admin_enqueue_scripts).
	 *
	 * @param string $hook_suffix The current admin page.
	 */
	public function enqueue_styles( $hook_suffix ): void {
		if ( 'toplevel_page_' . self::PAGE !== $hook_suffix ) {
			return;
		}
		wp_register_style( 'offentlig-records', false, array(), VERSION );
		wp_enqueue_style( 'offentlig-records' );
		wp_add_inline_style(
			'offentlig-records',
			'.offentlig-badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;line-height:20px;white-space:nowrap}'
			. '.offentlig-hold{background:#fcf9e8;border:1px solid #dba617;color:#614a00}'
			. '.offentlig-review-pending{font-weight:600}'
			. '.offentlig-records .column-review,.offentlig-records .column-case_number,.offentlig-records .column-hold{width:12%}'
		);
	}

	/**
	 * The page: one record, or the search form and results.
	 */
	public function render(): void {
		if ( ! Plugin::current_user_can_view() ) {
			wp_die( esc_html__( 'You are not allowed to see the archive.', 'offentlig' ), 403 );
		}
		// Read-only GET screen: the query only filters what the user may already see, so no nonce.
		// phpcs:disable WordPress.Security.NonceVerification.Recommended
		$record = isset( $_GET['record'] ) ? sanitize_text_field( rawurldecode( wp_unslash( $_GET['record'] ) ) ) : '';
		$export = isset( $_GET['export'] ) ? sanitize_key( wp_unslash( $_GET['export'] ) ) : '';
		echo '<div class="wrap offentlig-records">';
		if ( '' !== $export ) {
			$this->render_export( $export );
		}
		if ( '' !== $record ) {
			$this->record_view->render( $record );
		} else {
			$args = array(
				'q'                => isset( $_GET['q'] ) ? sanitize_text_field( wp_unslash( $_GET['q'] ) ) : '',
				'kind'             => isset( $_GET['kind'] ) ? sanitize_key( wp_unslash( $_GET['kind'] ) ) : '',
				'published_after'  => isset( $_GET['from'] ) ? self::date_arg( sanitize_text_field( wp_unslash( $_GET['from'] ) ) ) : '',
				'published_before' => isset( $_GET['to'] ) ? self::date_arg( sanitize_text_field( wp_unslash( $_GET['to'] ) ), true ) : '',
				'cursor'           => isset( $_GET['cursor'] ) ? sanitize_text_field( wp_unslash( $_GET['cursor'] ) ) : '',
			);
			// phpcs:enable
			$this->render_search( $args );
		}
		echo '</div>';
	}

	/**
	 * An export's state: being prepared (with its progress and a link to look again), failed,
	 * or finished with a link to download it.
	 *
	 * @param string $export_id Export id.
	 */
	private function render_export( string $export_id ): void {
		$export = $this->client->export( $export_id );
		if ( is_wp_error( $export ) ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( $export->get_error_message() ) . '</p></div>';
			return;
		}
		$state = (string) ( $export['state'] ?? '' );
		echo '<div class="notice notice-info inline offentlig-export" role="status"><p>';
		if ( 'finished' === $state ) {
			$counts = is_array( $export['counts'] ?? null ) ? $export['counts'] : array();
			$url    = wp_nonce_url(
				add_query_arg(
					array(
						'action' => Admin_Actions::DOWNLOAD_EXPORT,
						'export' => $export_id,
					),
					admin_url( 'admin-post.php' )
				),
				Admin_Actions::DOWNLOAD_EXPORT . '_' . $export_id
			);
			printf(
				/* translators: 1: number of records, 2: number of versions. */
				esc_html__( 'The export is ready: %1$s records, %2$s versions.', 'offentlig' ),
				esc_html( number_format_i18n( (int) ( $counts['records'] ?? 0 ) ) ),
				esc_html( number_format_i18n( (int) ( $counts['versions'] ?? 0 ) ) )
			);
			printf( ' <a class="button button-primary" href="%1$s">%2$s</a>', esc_url( $url ), esc_html__( 'Download the ZIP', 'offentlig' ) );
		} elseif ( in_array( $state, array( 'failed', 'cancelled' ), true ) ) {
			printf(
				/* translators: %s: the service's error message. */
				esc_html__( 'The export failed: %s', 'offentlig' ),
				esc_html( (string) ( $export['error'] ?? '' ) )
			);
		} else {
			$progress = is_array( $export['progress'] ?? null ) ? $export['progress'] : array();
			$again    = add_query_arg(
				array(
					'page'   => self::PAGE,
					'export' => $export_id,
				),
				admin_url( 'admin.php' )
			);
			printf(
				/* translators: 1: versions written so far, 2: versions in all. */
				esc_html__( 'The export is being prepared (%1$s of %2$s versions).', 'offentlig' ),
				esc_html( number_format_i18n( (int) ( $progress['done'] ?? 0 ) ) ),
				esc_html( null === ( $progress['total'] ?? null ) ? '?' : number_format_i18n( (int) $progress['total'] ) )
			);
			printf( ' <a class="button" href="%1$s">%2$s</a>', esc_url( $again ), esc_html__( 'Check again', 'offentlig' ) );
		}
		echo '</p></div>';
	}

	/**
	 * A YYYY-MM-DD form date as an ISO 8601 bound for the API ('' if not a date).
	 *
	 * @param string $date     Form value.
	 * @param bool   $end_of_day Use the end of the day (for "to").
	 */
	public static function date_arg( string $date, bool $end_of_day = false ): string {
		if ( ! preg_match( '/^\d{4}-\d{2}-\d{2}$/', $date ) ) {
			return '';
		}
		return $date . ( $end_of_day ? 'T23:59:59Z' : 'T00:00:00Z' );
	}

	/**
	 * Search form and results.
	 *
	 * @param array<string,string> $args Query arguments for /v1/records.
	 */
	private function render_search( array $args ): void {
		echo '<h1>' . esc_html__( 'Public records', 'offentlig' ) . '</h1>';
		echo '<form method="get" class="offentlig-search">';
		echo '<input type="hidden" name="page" value="' . esc_attr( self::PAGE ) . '" />';
		printf(
			'<label class="screen-reader-text" for="offentlig-q">%1$s</label><input type="search" id="offentlig-q" name="q" value="%2$s" placeholder="%3$s" /> ',
			esc_html__( 'Search text', 'offentlig' ),
			esc_attr( $args['q'] ),
			esc_attr__( 'Free text', 'offentlig' )
		);
		echo '<label for="offentlig-kind" class="screen-reader-text">' . esc_html__( 'Kind', 'offentlig' ) . '</label><select id="offentlig-kind" name="kind">';
		echo '<option value="">' . esc_html__( 'All kinds', 'offentlig' ) . '</option>';
		foreach ( array( 'post', 'page', 'comment' ) as $kind ) {
			printf( '<option value="%1$s" %2$s>%3$s</option>', esc_attr( $kind ), selected( $args['kind'], $kind, false ), esc_html( self::kind_label( $kind ) ) );
		}
		echo '</select> ';
		printf(
			'<label>%1$s <input type="date" name="from" value="%2$s" /></label> <label>%3$s <input type="date" name="to" value="%4$s" /></label> ',
			esc_html__( 'From', 'offentlig' ),
			esc_attr( substr( $args['published_after'], 0, 10 ) ),
			esc_html__( 'To', 'offentlig' ),
			esc_attr( substr( $args['published_before'], 0, 10 ) )
		);
		submit_button( __( 'Search', 'offentlig' ), 'primary', '', false, array( 'id' => 'offentlig-search-submit' ) );
		echo '</form>';

		$result = $this->client->records( $args + array( 'limit' => 20 ) );
		if ( is_wp_error( $result ) ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( $result->get_error_message() ) . '</p></div>';
			return;
		}
		$table = new Records_List_Table( isset( $result['items'] ) && is_array( $result['items'] ) ? $result['items'] : array() );
		$table->prepare_items();
		printf( '<form method="post" action="%s" class="offentlig-export-form">', esc_url( admin_url( 'admin-post.php' ) ) );
		echo '<input type="hidden" name="action" value="' . esc_attr( Admin_Actions::EXPORT_RECORDS ) . '" />';
		wp_nonce_field( Admin_Actions::EXPORT_RECORDS );
		$table->display();
		submit_button( __( 'Export selected records', 'offentlig' ), 'secondary', 'offentlig-export', false, array( 'id' => 'offentlig-export-submit' ) );
		echo ' <span class="description">' . esc_html__( 'A ZIP for a public-access request: a page per version, one PDF, a list and proofs. Personal data is masked and secret records are left out.', 'offentlig' ) . '</span>';
		echo '</form>';
		if ( ! empty( $result['next_cursor'] ) ) {
			$next = add_query_arg(
				array_map(
					'rawurlencode',
					array_filter(
						array(
							'page'   => self::PAGE,
							'q'      => $args['q'],
							'kind'   => $args['kind'],
							'from'   => substr( $args['published_after'], 0, 10 ),
							'to'     => substr( $args['published_before'], 0, 10 ),
							'cursor' => (string) $result['next_cursor'],
						)
					)
				),
				admin_url( 'admin.php' )
			);
			printf( '<p><a class="button" href="%1$s">%2$s</a></p>', esc_url( $next ), esc_html__( 'More results', 'offentlig' ) );
		}
	}
}
