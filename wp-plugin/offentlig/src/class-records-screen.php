<?php
/**
 * Records screen: search the archive and look at one record.
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
	 * Constructor.
	 *
	 * @param Service_Client $client Read client.
	 */
	public function __construct( Service_Client $client ) {
		$this->client = $client;
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
	 * The page: one record, or the search form and results.
	 */
	public function render(): void {
		if ( ! Plugin::current_user_can_view() ) {
			wp_die( esc_html__( 'You are not allowed to see the archive.', 'offentlig' ), 403 );
		}
		// Read-only GET screen: the query only filters what the user may already see, so no nonce.
		// phpcs:disable WordPress.Security.NonceVerification.Recommended
		$record = isset( $_GET['record'] ) ? sanitize_text_field( rawurldecode( wp_unslash( $_GET['record'] ) ) ) : '';
		echo '<div class="wrap offentlig-records">';
		if ( '' !== $record ) {
			$this->render_record( $record );
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
		$table->display();
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

	/**
	 * One record: register entry, versions and events.
	 *
	 * @param string $record_id Record id.
	 */
	private function render_record( string $record_id ): void {
		printf( '<p><a href="%1$s">%2$s</a></p>', esc_url( admin_url( 'admin.php?page=' . self::PAGE ) ), esc_html__( '← Back to the search', 'offentlig' ) );
		$record = $this->client->record( $record_id );
		if ( is_wp_error( $record ) ) {
			echo '<h1>' . esc_html__( 'Record', 'offentlig' ) . '</h1><div class="notice notice-error inline"><p>' . esc_html( $record->get_error_message() ) . '</p></div>';
			return;
		}
		$title = (string) ( $record['title'] ?? '' );
		echo '<h1>' . esc_html( '' !== $title ? $title : $record_id ) . '</h1>';
		$rows = array(
			__( 'Record id', 'offentlig' )         => (string) ( $record['id'] ?? '' ),
			__( 'Kind', 'offentlig' )              => self::kind_label( (string) ( $record['kind'] ?? '' ) ),
			__( 'Origin', 'offentlig' )            => self::origin_label( (string) ( $record['origin'] ?? '' ) ),
			__( 'Author / sender', 'offentlig' )   => self::author_name( $record['author'] ?? '' ),
			__( 'Concerns', 'offentlig' )          => (string) ( $record['summary'] ?? '' ),
			__( 'Status on the site', 'offentlig' ) => ! empty( $record['deleted'] ) ? __( 'Deleted', 'offentlig' ) : (string) ( $record['status'] ?? '' ),
			__( 'Published', 'offentlig' )         => self::local_time( (string) ( $record['published_at'] ?? '' ) ),
			__( 'First captured', 'offentlig' )    => self::local_time( (string) ( $record['first_captured_at'] ?? '' ) ),
			__( 'Last captured', 'offentlig' )     => self::local_time( (string) ( $record['last_captured_at'] ?? '' ) ),
		);
		echo '<table class="form-table offentlig-record" role="presentation"><tbody>';
		foreach ( $rows as $label => $value ) {
			printf( '<tr><th scope="row">%1$s</th><td>%2$s</td></tr>', esc_html( $label ), esc_html( $value ) );
		}
		if ( ! empty( $record['permalink'] ) ) {
			printf( '<tr><th scope="row">%1$s</th><td><a href="%2$s">%3$s</a></td></tr>', esc_html__( 'Permalink', 'offentlig' ), esc_url( (string) $record['permalink'] ), esc_html( (string) $record['permalink'] ) );
		}
		echo '</tbody></table>';

		$versions = $this->client->versions( $record_id );
		echo '<h2>' . esc_html__( 'Versions', 'offentlig' ) . '</h2>';
		if ( is_wp_error( $versions ) ) {
			echo '<p>' . esc_html( $versions->get_error_message() ) . '</p>';
		} else {
			$this->table(
				array( __( 'Version', 'offentlig' ), __( 'Event', 'offentlig' ), __( 'Happened', 'offentlig' ), __( 'Captured', 'offentlig' ), __( 'SHA-256', 'offentlig' ) ),
				array_map(
					static function ( $v ) {
						return array( (string) ( $v['version'] ?? '' ), (string) ( $v['event_type'] ?? '' ), self::local_time( (string) ( $v['occurred_at'] ?? '' ) ), self::local_time( (string) ( $v['captured_at'] ?? '' ) ), (string) ( $v['sha256'] ?? '' ) );
					},
					isset( $versions['items'] ) && is_array( $versions['items'] ) ? $versions['items'] : array()
				),
				'offentlig-versions'
			);
		}

		echo '<h2>' . esc_html__( 'Events', 'offentlig' ) . '</h2>';
		$this->table(
			array( __( 'Event', 'offentlig' ), __( 'Status', 'offentlig' ), __( 'Happened', 'offentlig' ), __( 'Captured', 'offentlig' ) ),
			array_map(
				static function ( $e ) {
					return array( (string) ( $e['type'] ?? '' ), (string) ( $e['status'] ?? '' ), self::local_time( (string) ( $e['occurred_at'] ?? '' ) ), self::local_time( (string) ( $e['captured_at'] ?? '' ) ) );
				},
				isset( $record['events'] ) && is_array( $record['events'] ) ? $record['events'] : array()
			),
			'offentlig-events'
		);
	}

	/**
	 * A simple escaped table.
	 *
	 * @param string[]   $head  Column headings.
	 * @param string[][] $rows  Cells.
	 * @param string     $class CSS class.
	 */
	private function table( array $head, array $rows, string $class ): void {
		echo '<table class="widefat striped ' . esc_attr( $class ) . '"><thead><tr>';
		foreach ( $head as $cell ) {
			echo '<th>' . esc_html( $cell ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		if ( empty( $rows ) ) {
			echo '<tr><td colspan="' . esc_attr( (string) count( $head ) ) . '">' . esc_html__( 'None.', 'offentlig' ) . '</td></tr>';
		}
		foreach ( $rows as $row ) {
			echo '<tr>';
			foreach ( $row as $cell ) {
				echo '<td>' . esc_html( $cell ) . '</td>';
			}
			echo '</tr>';
		}
		echo '</tbody></table>';
	}
}
