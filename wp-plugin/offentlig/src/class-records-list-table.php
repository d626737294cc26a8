<?php
/**
 * WP_List_Table of archive records.
 *
 * @package Offentlig
 */

namespace Offentlig;

defined( 'ABSPATH' ) || exit;

if ( ! class_exists( '\WP_List_Table' ) ) {
	require_once ABSPATH . 'wp-admin/includes/class-wp-list-table.php';
}

/**
 * Shows one page of /v1/records results; paging follows the service's cursor.
 */
final class Records_List_Table extends \WP_List_Table {

	/**
	 * Records from the service.
	 *
	 * @param array<int,array<string,mixed>> $records Items.
	 */
	public function __construct( array $records ) {
		parent::__construct(
			array(
				'singular' => 'offentlig-record',
				'plural'   => 'offentlig-records',
				'ajax'     => false,
				'screen'   => 'toplevel_page_' . Records_Screen::PAGE,
			)
		);
		$this->items = $records;
	}

	/**
	 * Columns.
	 *
	 * @return array<string,string>
	 */
	public function get_columns() {
		return array(
			'cb'           => '<input type="checkbox" />',
			'title'        => __( 'Title / summary', 'offentlig' ),
			'kind'         => __( 'Kind', 'offentlig' ),
			'origin'       => __( 'Origin', 'offentlig' ),
			'author'       => __( 'Author / sender', 'offentlig' ),
			'published_at' => __( 'Date', 'offentlig' ),
			'review'       => __( 'Secrecy review', 'offentlig' ),
			'case_number'  => __( 'Case number', 'offentlig' ),
			'hold'         => __( 'Legal hold', 'offentlig' ),
			'versions'     => __( 'Versions', 'offentlig' ),
		);
	}

	/**
	 * Nothing to prepare: the screen passed the items in.
	 */
	public function prepare_items() {
		$this->_column_headers = array( $this->get_columns(), array(), array(), 'title' );
	}

	/**
	 * Shown when the search found nothing.
	 */
	public function no_items() {
		esc_html_e( 'No records found.', 'offentlig' );
	}

	/**
	 * A checkbox per record: the records to export.
	 *
	 * @param array<string,mixed> $item Record.
	 */
	protected function column_cb( $item ) {
		$id = (string) ( $item['id'] ?? '' );
		return sprintf(
			'<label class="screen-reader-text" for="offentlig-select-%1$s">%2$s</label><input type="checkbox" id="offentlig-select-%1$s" name="record_ids[]" value="%3$s" />',
			esc_attr( sanitize_html_class( $id ) ),
			esc_html(
				sprintf(
					/* translators: %s: record id. */
					__( 'Select %s', 'offentlig' ),
					$id
				)
			),
			esc_attr( $id )
		);
	}

	/**
	 * Title linking to the record view.
	 *
	 * @param array<string,mixed> $item Record.
	 */
	protected function column_title( $item ) {
		$title = (string) ( $item['title'] ?? '' );
		if ( '' === $title ) {
			$title = (string) ( $item['summary'] ?? '' );
		}
		if ( '' === $title ) {
			$title = (string) ( $item['id'] ?? '' );
		}
		$url   = add_query_arg(
			array(
				'page'   => Records_Screen::PAGE,
				'record' => rawurlencode( (string) ( $item['id'] ?? '' ) ),
			),
			admin_url( 'admin.php' )
		);
		$label   = ! empty( $item['deleted'] ) ? ' <span class="offentlig-deleted">' . esc_html__( '(deleted on the site)', 'offentlig' ) . '</span>' : '';
		$snippet = '';
		if ( isset( $item['snippet']['html'] ) && is_string( $item['snippet']['html'] ) ) {
			// The service escapes the text and marks the matched words; only <mark> is let through.
			$snippet = '<p class="offentlig-snippet">' . wp_kses( $item['snippet']['html'], array( 'mark' => array() ) ) . '</p>';
		}
		return sprintf( '<strong><a class="row-title" href="%1$s">%2$s</a></strong>%3$s%4$s', esc_url( $url ), esc_html( wp_html_excerpt( $title, 120, '…' ) ), $label, $snippet );
	}

	/**
	 * Other columns.
	 *
	 * @param array<string,mixed> $item        Record.
	 * @param string              $column_name Column.
	 */
	protected function column_default( $item, $column_name ) {
		switch ( $column_name ) {
			case 'kind':
				return esc_html( Records_Screen::kind_label( (string) ( $item['kind'] ?? '' ) ) );
			case 'origin':
				return esc_html( Records_Screen::origin_label( (string) ( $item['origin'] ?? '' ) ) );
			case 'author':
				return esc_html( Records_Screen::author_name( $item['author'] ?? '' ) );
			case 'published_at':
				return esc_html( Records_Screen::local_time( (string) ( $item['published_at'] ?? $item['first_captured_at'] ?? '' ) ) );
			case 'versions':
				return esc_html( number_format_i18n( (int) ( $item['latest_version'] ?? 0 ) ) );
			case 'review':
				if ( ! array_key_exists( 'review', $item ) ) {
					return '';
				}
				if ( ! is_string( $item['review'] ) || '' === $item['review'] ) {
					return self::none( __( 'Not flagged for review', 'offentlig' ) );
				}
				return sprintf(
					'<span class="%1$s">%2$s</span>',
					esc_attr( 'offentlig-review offentlig-review-' . sanitize_html_class( $item['review'] ) ),
					esc_html( Records_Screen::review_label( $item['review'] ) )
				);
			case 'case_number':
				if ( ! array_key_exists( 'case_number', $item ) ) {
					return '';
				}
				return is_scalar( $item['case_number'] ) && '' !== (string) $item['case_number']
					? esc_html( (string) $item['case_number'] )
					: self::none( __( 'Not registered', 'offentlig' ) );
			case 'hold':
				if ( ! isset( $item['holds'] ) || ! is_array( $item['holds'] ) ) {
					return '';
				}
				return empty( $item['holds'] ) ? self::none( __( 'No legal hold', 'offentlig' ) ) : Records_Screen::hold_badge();
		}
		return '';
	}

	/**
	 * An empty cell as WordPress's own tables show one: a dash, with words for screen readers.
	 *
	 * @param string $words What the dash means.
	 */
	private static function none( string $words ): string {
		return '<span aria-hidden="true">&#8212;</span><span class="screen-reader-text">' . esc_html( $words ) . '</span>';
	}
}
