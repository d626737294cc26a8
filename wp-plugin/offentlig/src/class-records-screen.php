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
	 * The facets asked for with every search (the site is always this one).
	 */
	const FACETS = 'kind,origin,status,year,author';

	/**
	 * Screen arguments (in the admin URL) that filter the search, and the API's name for each.
	 */
	const FILTERS = array(
		'q'      => 'q',
		'kind'   => 'kind',
		'origin' => 'origin',
		'status' => 'status',
		'author' => 'author',
		'from'   => 'published_after',
		'to'     => 'published_before',
	);

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
			. '.offentlig-results{display:flex;gap:20px;align-items:flex-start}.offentlig-facets{flex:0 0 200px}.offentlig-hits{flex:1;min-width:0}'
			. '.offentlig-facets ul{margin:0 0 8px}.offentlig-facets h3{margin:12px 0 4px;font-size:13px}'
			. '.offentlig-snippet{margin:4px 0 0;color:#50575e}.offentlig-snippet mark{background:#fcf0a3;color:inherit}'
			. '.offentlig-version-text{background:#fff;border:1px solid #c3c4c7;padding:8px 16px;max-height:480px;overflow:auto}'
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
			$this->record_view->render(
				$record,
				isset( $_GET['version'] ) ? absint( $_GET['version'] ) : 0,
				isset( $_GET['diff_from'] ) ? absint( $_GET['diff_from'] ) : 0,
				isset( $_GET['diff_to'] ) ? absint( $_GET['diff_to'] ) : 0
			);
		} else {
			$args = array(
				'q'                => isset( $_GET['q'] ) ? sanitize_text_field( wp_unslash( $_GET['q'] ) ) : '',
				'kind'             => isset( $_GET['kind'] ) ? sanitize_key( wp_unslash( $_GET['kind'] ) ) : '',
				'origin'           => isset( $_GET['origin'] ) ? sanitize_key( wp_unslash( $_GET['origin'] ) ) : '',
				'status'           => isset( $_GET['status'] ) ? sanitize_key( wp_unslash( $_GET['status'] ) ) : '',
				'author'           => isset( $_GET['author'] ) ? sanitize_text_field( wp_unslash( $_GET['author'] ) ) : '',
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
		foreach ( array( 'origin', 'status', 'author' ) as $name ) {
			if ( '' !== $args[ $name ] ) {
				printf( '<input type="hidden" name="%1$s" value="%2$s" />', esc_attr( $name ), esc_attr( $args[ $name ] ) );
			}
		}
		submit_button( __( 'Search', 'offentlig' ), 'primary', '', false, array( 'id' => 'offentlig-search-submit' ) );
		echo '<p class="description">' . esc_html__( 'Every word must occur, in any form ("beslut" also finds "beslutet"). "Exact phrase", prefix*, -exclude and OR work as in web search.', 'offentlig' ) . '</p>';
		echo '</form>';

		$result = $this->client->records( $args + array( 'limit' => 20, 'facets' => self::FACETS ) );
		if ( is_wp_error( $result ) ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( $result->get_error_message() ) . '</p></div>';
			return;
		}
		echo '<div class="offentlig-results">';
		if ( isset( $result['facets'] ) && is_array( $result['facets'] ) ) {
			$this->render_facets( $result['facets'], $args );
		}
		echo '<div class="offentlig-hits">';
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
			$next = self::search_url( $args, array( 'cursor' => (string) $result['next_cursor'] ) );
			printf( '<p><a class="button" href="%1$s">%2$s</a></p>', esc_url( $next ), esc_html__( 'More results', 'offentlig' ) );
		}
		echo '</div></div>';
	}

	/**
	 * The screen's URL for a search: `$args` (API names) with `$changes` (screen names; '' removes).
	 *
	 * @param array<string,string> $args    The current search, as the API names its arguments.
	 * @param array<string,string> $changes Screen arguments to set or (with '') to remove.
	 */
	public static function search_url( array $args, array $changes = array() ): string {
		$query = array( 'page' => self::PAGE );
		foreach ( self::FILTERS as $screen => $api ) {
			$value            = (string) ( $args[ $api ] ?? '' );
			$query[ $screen ] = in_array( $screen, array( 'from', 'to' ), true ) ? substr( $value, 0, 10 ) : $value;
		}
		$query = array_filter( array_merge( $query, $changes ), 'strlen' );
		return add_query_arg( array_map( 'rawurlencode', $query ), admin_url( 'admin.php' ) );
	}

	/**
	 * Translated facet name.
	 *
	 * @param string $facet kind, origin, status, year or author.
	 */
	public static function facet_label( string $facet ): string {
		$labels = array(
			'kind'   => __( 'Kind', 'offentlig' ),
			'origin' => __( 'Origin', 'offentlig' ),
			'status' => __( 'Status on the site', 'offentlig' ),
			'year'   => __( 'Year', 'offentlig' ),
			'author' => __( 'Author / sender', 'offentlig' ),
		);
		return $labels[ $facet ] ?? $facet;
	}

	/**
	 * A facet's value as shown.
	 *
	 * @param string $facet Facet name.
	 * @param string $value Value from the service.
	 */
	private static function facet_value_label( string $facet, string $value ): string {
		if ( 'kind' === $facet ) {
			return self::kind_label( $value );
		}
		if ( 'origin' === $facet ) {
			return self::origin_label( $value );
		}
		return $value;
	}

	/**
	 * The screen arguments that filter on one facet value (a year: its first to its last day).
	 *
	 * @param string $facet Facet name.
	 * @param string $value Value.
	 * @return array<string,string>
	 */
	private static function facet_filter( string $facet, string $value ): array {
		if ( 'year' === $facet ) {
			return array(
				'from' => $value . '-01-01',
				'to'   => $value . '-12-31',
			);
		}
		return array( $facet => $value );
	}

	/**
	 * Counts over the whole result, each value a link that narrows the search to it; a facet
	 * already filtered on shows a link to remove that filter.
	 *
	 * @param array<string,mixed>  $facets Facets from the service.
	 * @param array<string,string> $args   The current search.
	 */
	private function render_facets( array $facets, array $args ): void {
		echo '<div class="offentlig-facets">';
		foreach ( explode( ',', self::FACETS ) as $facet ) {
			$values = isset( $facets[ $facet ] ) && is_array( $facets[ $facet ] ) ? $facets[ $facet ] : array();
			$filter = 'year' === $facet ? array( 'from' => '', 'to' => '', 'cursor' => '' ) : array( $facet => '', 'cursor' => '' );
			$active = 'year' === $facet ? '' !== $args['published_after'] : '' !== (string) ( $args[ $facet ] ?? '' );
			if ( empty( $values ) && ! $active ) {
				continue;
			}
			echo '<h3>' . esc_html( self::facet_label( $facet ) ) . '</h3><ul>';
			foreach ( $values as $entry ) {
				if ( ! is_array( $entry ) || ! isset( $entry['value'] ) || ! is_scalar( $entry['value'] ) ) {
					continue;
				}
				$value = (string) $entry['value'];
				printf(
					'<li><a href="%1$s">%2$s</a> <span class="count">(%3$s)</span></li>',
					esc_url( self::search_url( $args, self::facet_filter( $facet, $value ) + array( 'cursor' => '' ) ) ),
					esc_html( self::facet_value_label( $facet, $value ) ),
					esc_html( number_format_i18n( (int) ( $entry['count'] ?? 0 ) ) )
				);
			}
			echo '</ul>';
			if ( $active ) {
				printf( '<p><a href="%1$s">%2$s</a></p>', esc_url( self::search_url( $args, $filter ) ), esc_html__( 'Show all', 'offentlig' ) );
			}
		}
		echo '</div>';
	}
}
