<?php
/**
 * One record on the records screen: its register entry, review, registration, holds, versions
 * and events; or, for a culled record, what remains of it.
 *
 * @package Offentlig
 */

namespace Offentlig;

defined( 'ABSPATH' ) || exit;

/**
 * Renders GET /v1/records/{id} (and its versions). Fields an older service does not send are
 * left out rather than shown as empty.
 */
final class Record_View {

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
	 * The view of one record; with a version, that version's text as captured; with two, what
	 * changed between them.
	 *
	 * @param string $record_id Record id.
	 * @param int    $version   A version whose text to show (0: none).
	 * @param int    $diff_from The older version of a comparison (0: none).
	 * @param int    $diff_to   The newer version of a comparison (0: none).
	 */
	public function render( string $record_id, int $version = 0, int $diff_from = 0, int $diff_to = 0 ): void {
		printf( '<p><a href="%1$s">%2$s</a></p>', esc_url( admin_url( 'admin.php?page=' . Records_Screen::PAGE ) ), esc_html__( '← Back to the search', 'offentlig' ) );
		$record = $this->client->record( $record_id );
		if ( is_wp_error( $record ) ) {
			echo '<h1>' . esc_html__( 'Record', 'offentlig' ) . '</h1>';
			if ( 'offentlig_culled' === $record->get_error_code() ) {
				$data = $record->get_error_data();
				$this->render_culled( $record_id, is_array( $data ) && is_array( $data['culling'] ?? null ) ? $data['culling'] : array() );
			} else {
				echo '<div class="notice notice-error inline"><p>' . esc_html( $record->get_error_message() ) . '</p></div>';
			}
			return;
		}
		$title = self::text( $record['title'] ?? '' );
		echo '<h1>' . esc_html( '' !== $title ? $title : $record_id ) . '</h1>';
		$rows = array(
			__( 'Record id', 'offentlig' )          => esc_html( self::text( $record['id'] ?? '' ) ),
			__( 'Kind', 'offentlig' )               => esc_html( Records_Screen::kind_label( self::text( $record['kind'] ?? '' ) ) ),
			__( 'Origin', 'offentlig' )             => esc_html( Records_Screen::origin_label( self::text( $record['origin'] ?? '' ) ) ),
			__( 'Author / sender', 'offentlig' )    => esc_html( Records_Screen::author_name( $record['author'] ?? '' ) ),
			__( 'Concerns', 'offentlig' )           => esc_html( self::text( $record['summary'] ?? '' ) ),
			__( 'Status on the site', 'offentlig' ) => esc_html( ! empty( $record['deleted'] ) ? __( 'Deleted', 'offentlig' ) : self::text( $record['status'] ?? '' ) ),
			__( 'Published', 'offentlig' )          => esc_html( Records_Screen::local_time( self::text( $record['published_at'] ?? '' ) ) ),
			__( 'First captured', 'offentlig' )     => esc_html( Records_Screen::local_time( self::text( $record['first_captured_at'] ?? '' ) ) ),
			__( 'Last captured', 'offentlig' )      => esc_html( Records_Screen::local_time( self::text( $record['last_captured_at'] ?? '' ) ) ),
		);
		if ( ! empty( $record['permalink'] ) && is_string( $record['permalink'] ) ) {
			$rows[ __( 'Permalink', 'offentlig' ) ] = sprintf( '<a href="%1$s">%2$s</a>', esc_url( $record['permalink'] ), esc_html( $record['permalink'] ) );
		}
		$this->form_table( $rows + self::management_rows( $record ), 'offentlig-record' );

		if ( isset( $record['register_entry'] ) && is_array( $record['register_entry'] ) ) {
			echo '<h2>' . esc_html__( 'Register entry (OSL 5:2)', 'offentlig' ) . '</h2>';
			$this->form_table( self::register_entry_rows( $record['register_entry'] ), 'offentlig-register-entry' );
		}

		$versions = $this->client->versions( $record_id );
		echo '<h2>' . esc_html__( 'Versions', 'offentlig' ) . '</h2>';
		if ( is_wp_error( $versions ) ) {
			echo '<p>' . esc_html( $versions->get_error_message() ) . '</p>';
		} else {
			$items   = isset( $versions['items'] ) && is_array( $versions['items'] ) ? $versions['items'] : array();
			$numbers = array_values( array_filter( array_map( 'absint', array_column( $items, 'version' ) ) ) );
			$this->table(
				array( __( 'Version', 'offentlig' ), __( 'Event', 'offentlig' ), __( 'Happened', 'offentlig' ), __( 'Captured', 'offentlig' ), __( 'SHA-256', 'offentlig' ) ),
				array_map(
					static function ( $v ) {
						return array( self::text( $v['version'] ?? '' ), self::text( $v['event_type'] ?? '' ), Records_Screen::local_time( self::text( $v['occurred_at'] ?? '' ) ), Records_Screen::local_time( self::text( $v['captured_at'] ?? '' ) ), self::text( $v['sha256'] ?? '' ) );
					},
					$items
				),
				'offentlig-versions',
				array_map(
					static function ( $number ) use ( $record_id ) {
						return sprintf( '<a href="%1$s">%2$s</a>', esc_url( self::url( $record_id, array( 'version' => $number ) ) ), esc_html__( 'Text as captured', 'offentlig' ) );
					},
					array_map( 'absint', array_column( $items, 'version' ) )
				)
			);
			if ( count( $numbers ) > 1 ) {
				$this->render_compare_form( $record_id, $numbers, $diff_from, $diff_to );
			}
			if ( $diff_from > 0 && $diff_to > 0 && $diff_from !== $diff_to ) {
				$this->render_diff( $record_id, $diff_from, $diff_to );
			}
			if ( $version > 0 ) {
				$this->render_version( $record_id, $version );
			}
		}

		echo '<h2>' . esc_html__( 'Events', 'offentlig' ) . '</h2>';
		$this->table(
			array( __( 'Event', 'offentlig' ), __( 'Status', 'offentlig' ), __( 'Happened', 'offentlig' ), __( 'Captured', 'offentlig' ) ),
			array_map(
				static function ( $e ) {
					return array( self::text( $e['type'] ?? '' ), self::text( $e['status'] ?? '' ), Records_Screen::local_time( self::text( $e['occurred_at'] ?? '' ) ), Records_Screen::local_time( self::text( $e['captured_at'] ?? '' ) ) );
				},
				isset( $record['events'] ) && is_array( $record['events'] ) ? $record['events'] : array()
			),
			'offentlig-events'
		);
	}

	/**
	 * The record screen's URL with more arguments.
	 *
	 * @param string            $record_id Record id.
	 * @param array<string,int> $args      version, diff_from, diff_to.
	 */
	private static function url( string $record_id, array $args ): string {
		return add_query_arg(
			array(
				'page'   => Records_Screen::PAGE,
				'record' => rawurlencode( $record_id ),
			) + $args,
			admin_url( 'admin.php' )
		);
	}

	/**
	 * A version's text as the site published it: its title and its content, sanitised with
	 * wp_kses_post (the archive keeps exactly what arrived, which may hold anything).
	 *
	 * @param string $record_id Record id.
	 * @param int    $number    Version.
	 */
	private function render_version( string $record_id, int $number ): void {
		/* translators: %d: version number. */
		echo '<h2 id="offentlig-version">' . esc_html( sprintf( __( 'Version %d as captured', 'offentlig' ), $number ) ) . '</h2>';
		$document = $this->client->version( $record_id, $number );
		if ( is_wp_error( $document ) ) {
			echo '<div class="notice notice-error inline"><p>' . esc_html( $document->get_error_message() ) . '</p></div>';
			return;
		}
		echo '<div class="offentlig-version-text">';
		$title = self::text( $document['title'] ?? '' );
		if ( '' !== $title ) {
			echo '<h3>' . esc_html( $title ) . '</h3>';
		}
		echo wp_kses_post( self::text( $document['content'] ?? '' ) );
		echo '</div>';
	}

	/**
	 * Two lists of the versions to compare, and a button.
	 *
	 * @param string $record_id Record id.
	 * @param int[]  $numbers   Version numbers, oldest first.
	 * @param int    $from      Chosen older version (0: the one before the last).
	 * @param int    $to        Chosen newer version (0: the last).
	 */
	private function render_compare_form( string $record_id, array $numbers, int $from, int $to ): void {
		$from = $from > 0 ? $from : $numbers[ count( $numbers ) - 2 ];
		$to   = $to > 0 ? $to : $numbers[ count( $numbers ) - 1 ];
		echo '<form method="get" class="offentlig-compare"><input type="hidden" name="page" value="' . esc_attr( Records_Screen::PAGE ) . '" />';
		echo '<input type="hidden" name="record" value="' . esc_attr( $record_id ) . '" />';
		foreach ( array( 'diff_from' => array( __( 'Compare version', 'offentlig' ), $from ), 'diff_to' => array( __( 'with version', 'offentlig' ), $to ) ) as $name => list( $label, $chosen ) ) {
			printf( '<label for="offentlig-%1$s">%2$s</label> <select id="offentlig-%1$s" name="%1$s">', esc_attr( $name ), esc_html( $label ) );
			foreach ( $numbers as $number ) {
				printf( '<option value="%1$d" %2$s>%1$d</option>', (int) $number, selected( $chosen, $number, false ) );
			}
			echo '</select> ';
		}
		submit_button( __( 'Show what changed', 'offentlig' ), 'secondary', '', false );
		echo '</form>';
	}

	/**
	 * What changed between two versions: WordPress's own text diff of their titles and texts.
	 *
	 * @param string $record_id Record id.
	 * @param int    $from      Older version.
	 * @param int    $to        Newer version.
	 */
	private function render_diff( string $record_id, int $from, int $to ): void {
		/* translators: 1: a version number, 2: another version number. */
		echo '<h2 id="offentlig-diff">' . esc_html( sprintf( __( 'What changed from version %1$d to version %2$d', 'offentlig' ), $from, $to ) ) . '</h2>';
		$texts = array();
		foreach ( array( $from, $to ) as $number ) {
			$document = $this->client->version( $record_id, $number );
			if ( is_wp_error( $document ) ) {
				echo '<div class="notice notice-error inline"><p>' . esc_html( $document->get_error_message() ) . '</p></div>';
				return;
			}
			$texts[] = self::diff_text( $document );
		}
		$diff = wp_text_diff(
			$texts[0],
			$texts[1],
			array(
				/* translators: %d: version number. */
				'title_left'  => sprintf( __( 'Version %d', 'offentlig' ), $from ),
				/* translators: %d: version number. */
				'title_right' => sprintf( __( 'Version %d', 'offentlig' ), $to ),
			)
		);
		if ( '' === $diff ) {
			echo '<p>' . esc_html__( 'The title and the text are the same in both versions.', 'offentlig' ) . '</p>';
			return;
		}
		echo $diff; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- wp_text_diff escapes both texts.
	}

	/**
	 * A version as lines of text for a diff: the title, then the content's text one block a line.
	 *
	 * @param array<string,mixed> $document A version from the service.
	 */
	public static function diff_text( array $document ): string {
		$html  = self::text( $document['content'] ?? '' );
		$html  = (string) preg_replace( '#<br\s*/?>|</(p|div|li|h[1-6]|tr|blockquote|pre)>#i', "\n", $html );
		$lines = array_map( 'trim', explode( "\n", html_entity_decode( wp_strip_all_tags( $html ), ENT_QUOTES, 'UTF-8' ) ) );
		return self::text( $document['title'] ?? '' ) . "\n\n" . implode( "\n", array_filter( $lines, 'strlen' ) );
	}

	/**
	 * Secrecy review, registration and legal holds, each only if the service sent it.
	 *
	 * @param array<string,mixed> $record Record.
	 * @return array<string,string> Label => escaped HTML.
	 */
	public static function management_rows( array $record ): array {
		$rows = array();
		if ( array_key_exists( 'review', $record ) ) {
			$review = self::text( $record['review'] );
			$rows[ __( 'Secrecy review', 'offentlig' ) ] = '' === $review
				? esc_html__( 'Not flagged for review', 'offentlig' )
				: '<span class="' . esc_attr( 'offentlig-review offentlig-review-' . sanitize_html_class( $review ) ) . '">' . esc_html( Records_Screen::review_label( $review ) ) . '</span>';
		}
		if ( array_key_exists( 'case_number', $record ) ) {
			$case = self::text( $record['case_number'] );
			$rows[ __( 'Case number', 'offentlig' ) ] = '' === $case ? esc_html__( 'Not registered', 'offentlig' ) : esc_html( $case );
		}
		$registered = Records_Screen::local_time( self::text( $record['registered_at'] ?? '' ) );
		if ( '' !== $registered ) {
			$rows[ __( 'Registered', 'offentlig' ) ] = esc_html( $registered );
		}
		if ( isset( $record['holds'] ) && is_array( $record['holds'] ) ) {
			$holds = array_filter( array_map( array( self::class, 'text' ), $record['holds'] ), 'strlen' );
			$rows[ __( 'Legal hold', 'offentlig' ) ] = empty( $holds )
				? esc_html__( 'No legal hold', 'offentlig' )
				: sprintf(
					/* translators: %s: the ids of the legal holds, comma-separated. */
					esc_html__( 'Under legal hold: %s', 'offentlig' ),
					implode(
						', ',
						array_map(
							static function ( $hold ) {
								return '<code>' . esc_html( $hold ) . '</code>';
							},
							$holds
						)
					)
				);
		}
		return $rows;
	}

	/**
	 * The register entry as OSL 5:2 asks: date received or drawn up, case number or other
	 * identifier, sender (of a received document), and briefly what it concerns.
	 *
	 * @param array<string,mixed> $entry register_entry from the API.
	 * @return array<string,string> Label => escaped HTML.
	 */
	public static function register_entry_rows( array $entry ): array {
		$kind       = self::text( $entry['date_kind'] ?? '' );
		$date_label = array(
			'drawn_up' => __( 'Drawn up', 'offentlig' ),
			'received' => __( 'Received', 'offentlig' ),
		);
		$raw_date   = self::text( $entry['date'] ?? '' );
		$date       = Records_Screen::local_date( $raw_date );
		$rows       = array(
			$date_label[ $kind ] ?? __( 'Date', 'offentlig' ) => '' === $date ? esc_html( $raw_date ) : sprintf( '<time datetime="%1$s">%2$s</time>', esc_attr( $raw_date ), esc_html( $date ) ),
			__( 'Case number or other identifier', 'offentlig' ) => esc_html( self::text( $entry['identifier'] ?? '' ) ),
		);
		$sender = Records_Screen::author_name( $entry['sender'] ?? '' );
		if ( 'received' === $kind || '' !== $sender ) {
			$rows[ __( 'Sender', 'offentlig' ) ] = esc_html( $sender );
		}
		$rows[ __( 'Concerns', 'offentlig' ) ] = esc_html( self::text( $entry['subject'] ?? '' ) );
		return $rows;
	}

	/**
	 * What remains of a culled record: a notice naming the decision and the date, and the
	 * culling log's facts the service gave.
	 *
	 * @param string              $record_id Record id.
	 * @param array<string,mixed> $culling   decision_reference, culled_at, rule_id (any may be missing).
	 */
	private function render_culled( string $record_id, array $culling ): void {
		$reference = self::text( $culling['decision_reference'] ?? '' );
		$culled_at = self::text( $culling['culled_at'] ?? '' );
		$date      = Records_Screen::local_date( $culled_at );
		if ( '' !== $reference && '' !== $date ) {
			$message = sprintf(
				/* translators: 1: date of culling, 2: reference of the culling decision, e.g. "KS 2026/114 § 12". */
				__( 'This record was culled on %1$s under the culling decision %2$s.', 'offentlig' ),
				$date,
				$reference
			);
		} elseif ( '' !== $reference ) {
			$message = sprintf(
				/* translators: %s: reference of the culling decision, e.g. "KS 2026/114 § 12". */
				__( 'This record was culled under the culling decision %s.', 'offentlig' ),
				$reference
			);
		} else {
			$message = __( 'This record has been culled.', 'offentlig' );
		}
		printf(
			'<div class="notice notice-info inline offentlig-culled"><p><strong>%1$s</strong></p><p>%2$s</p></div>',
			esc_html( $message ),
			esc_html__( 'Its content is gone from the archive; the culling log keeps what was culled, when and under which decision.', 'offentlig' )
		);
		$rows = array( __( 'Record id', 'offentlig' ) => esc_html( $record_id ) );
		if ( '' !== $reference ) {
			$rows[ __( 'Culling decision', 'offentlig' ) ] = esc_html( $reference );
		}
		if ( '' !== $culled_at ) {
			$rows[ __( 'Culled', 'offentlig' ) ] = esc_html( Records_Screen::local_time( $culled_at ) );
		}
		$rule = self::text( $culling['rule_id'] ?? '' );
		if ( '' !== $rule ) {
			$rows[ __( 'Culling rule', 'offentlig' ) ] = '<code>' . esc_html( $rule ) . '</code>';
		}
		$this->form_table( $rows, 'offentlig-culling' );
	}

	/**
	 * A scalar from the API as text; anything else (null, a list, an object) as ''.
	 *
	 * @param mixed $value Value.
	 */
	private static function text( $value ): string {
		return is_scalar( $value ) ? (string) $value : '';
	}

	/**
	 * Label/value rows.
	 *
	 * @param array<string,string> $rows  Label => escaped HTML.
	 * @param string               $class CSS class.
	 */
	private function form_table( array $rows, string $class ): void {
		echo '<table class="form-table ' . esc_attr( $class ) . '" role="presentation"><tbody>';
		foreach ( $rows as $label => $html ) {
			printf( '<tr><th scope="row">%1$s</th><td>%2$s</td></tr>', esc_html( $label ), $html ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped where the row is built.
		}
		echo '</tbody></table>';
	}

	/**
	 * A simple escaped table, perhaps with a last column of links (already escaped HTML).
	 *
	 * @param string[]   $head  Column headings.
	 * @param string[][] $rows  Cells.
	 * @param string     $class CSS class.
	 * @param string[]   $links Escaped HTML for each row's last cell (none: no such column).
	 */
	private function table( array $head, array $rows, string $class, array $links = array() ): void {
		echo '<table class="widefat striped ' . esc_attr( $class ) . '"><thead><tr>';
		foreach ( $head as $cell ) {
			echo '<th>' . esc_html( $cell ) . '</th>';
		}
		if ( $links ) {
			echo '<th><span class="screen-reader-text">' . esc_html__( 'Actions', 'offentlig' ) . '</span></th>';
		}
		echo '</tr></thead><tbody>';
		if ( empty( $rows ) ) {
			echo '<tr><td colspan="' . esc_attr( (string) count( $head ) ) . '">' . esc_html__( 'None.', 'offentlig' ) . '</td></tr>';
		}
		foreach ( array_values( $rows ) as $n => $row ) {
			echo '<tr>';
			foreach ( $row as $cell ) {
				echo '<td>' . esc_html( $cell ) . '</td>';
			}
			if ( $links ) {
				echo '<td>' . $links[ $n ] . '</td>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built with esc_url and esc_html.
			}
			echo '</tr>';
		}
		echo '</tbody></table>';
	}
}
