<?php
/**
 * Records screen: review, registration and hold in the list; one record with its register entry;
 * a culled record (410); an older service that sends none of these fields.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Record_View;
use Offentlig\Records_List_Table;
use Offentlig\Records_Screen;

/**
 * Records screen tests.
 */
final class RecordsScreenTest extends Test_Case {

	const RECORD_ID = self::SITE_ID . '.comment.42';

	/**
	 * Options changed by a test, restored afterwards.
	 *
	 * @var array<string,mixed>
	 */
	private $saved_options = array();

	public static function setUpBeforeClass(): void {
		parent::setUpBeforeClass();
		require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
		require_once ABSPATH . 'wp-admin/includes/screen.php';
	}

	protected function setUp(): void {
		parent::setUp();
		foreach ( array( 'date_format', 'time_format', 'timezone_string', 'gmt_offset' ) as $name ) {
			$this->saved_options[ $name ] = get_option( $name );
		}
		update_option( 'date_format', 'Y-m-d' );
		update_option( 'time_format', 'H:i' );
		update_option( 'timezone_string', 'Europe/Stockholm' );
	}

	protected function tearDown(): void {
		foreach ( $this->saved_options as $name => $value ) {
			update_option( $name, $value );
		}
		unset( $_GET['record'] );
		parent::tearDown();
	}

	/**
	 * A record as a current service lists it.
	 *
	 * @param array<string,mixed> $fields Overrides.
	 * @return array<string,mixed>
	 */
	private static function record( array $fields = array() ): array {
		return $fields + array(
			'id'                => self::RECORD_ID,
			'site_id'           => self::SITE_ID,
			'kind'              => 'comment',
			'source_id'         => 42,
			'origin'            => 'received',
			'status'            => 'approved',
			'deleted'           => false,
			'title'             => 'Fråga om bygglov',
			'summary'           => 'Fråga om bygglov för Storgatan 1',
			'author'            => 'Anna Andersson',
			'permalink'         => 'https://www.example.se/bygglov/#comment-42',
			'published_at'      => '2026-11-28T09:00:00Z',
			'first_captured_at' => '2026-11-28T09:00:01Z',
			'last_captured_at'  => '2026-11-28T09:00:01Z',
			'latest_version'    => 1,
			'latest_sha256'     => str_repeat( 'a', 64 ),
			'review'            => 'register',
			'case_number'       => 'BN 2026/1234',
			'registered_at'     => '2026-11-30T13:15:00Z',
			'holds'             => array( 'hold-01jf0', 'hold-01jf1' ),
			'register_entry'    => array(
				'date'       => '2026-11-28',
				'date_kind'  => 'received',
				'identifier' => 'BN 2026/1234',
				'sender'     => 'Anna Andersson',
				'subject'    => 'Fråga om bygglov <Storgatan 1>',
			),
		);
	}

	/**
	 * What an older service sent: none of the records-management fields.
	 *
	 * @return array<string,mixed>
	 */
	private static function old_record(): array {
		return array_diff_key( self::record(), array_flip( array( 'review', 'case_number', 'registered_at', 'holds', 'register_entry' ) ) );
	}

	/**
	 * The list table's HTML for these items.
	 *
	 * @param array<int,array<string,mixed>> $items Records.
	 */
	private function list_table( array $items ): string {
		$table = new Records_List_Table( $items );
		$table->prepare_items();
		ob_start();
		$table->display();
		return (string) ob_get_clean();
	}

	/**
	 * The records screen's HTML for one record (as reached from the list).
	 *
	 * @param string $record_id Record id.
	 */
	private function record_page( string $record_id = self::RECORD_ID ): string {
		$_GET['record'] = rawurlencode( $record_id );
		ob_start();
		( new Records_Screen( $this->plugin->client, new Record_View( $this->plugin->client ) ) )->render();
		return (string) ob_get_clean();
	}

	/**
	 * The fake service: the record (or a status and body) for /records/{id}, versions for its versions.
	 *
	 * @param array{0:int,1:mixed} $record Status and body for the record.
	 */
	private function serve( array $record ): void {
		$this->answer = static function ( string $url ) use ( $record ) {
			if ( false !== strpos( $url, '/versions' ) ) {
				return array(
					200,
					array(
						'items' => array(
							array(
								'version'     => 1,
								'sha256'      => str_repeat( 'b', 64 ),
								'event_type'  => 'comment.received',
								'occurred_at' => '2026-11-28T09:00:00Z',
								'captured_at' => '2026-11-28T09:00:01Z',
							),
						),
					),
					array(),
				);
			}
			return array( $record[0], $record[1], array() );
		};
	}

	/**
	 * Review states by their human names; a state this plugin does not know yet as the service named it.
	 *
	 * @return array<string,array{0:string,1:string}>
	 */
	public function review_states(): array {
		return array(
			'pending'  => array( 'pending', 'Pending review' ),
			'cleared'  => array( 'cleared', 'Cleared' ),
			'register' => array( 'register', 'To be registered' ),
			'secret'   => array( 'secret', 'Secret' ),
			'unknown'  => array( 'appealed', 'appealed' ),
		);
	}

	/**
	 * Review labels.
	 *
	 * @dataProvider review_states
	 * @param string $state Review state from the API.
	 * @param string $label Label.
	 */
	public function test_review_label( string $state, string $label ): void {
		$this->assertSame( $label, Records_Screen::review_label( $state ) );
	}

	/**
	 * Calendar dates stay on their day in any timezone; times follow the site's timezone; junk is ''.
	 */
	public function test_local_date(): void {
		foreach ( array( 'Pacific/Auckland', 'America/Los_Angeles', 'Europe/Stockholm' ) as $zone ) {
			update_option( 'timezone_string', $zone );
			$this->assertSame( '2027-03-01', Records_Screen::local_date( '2027-03-01' ), $zone );
		}
		update_option( 'timezone_string', 'Europe/Stockholm' );
		$this->assertSame( '2026-12-01', Records_Screen::local_date( '2026-11-30T23:30:00Z' ) );
		update_option( 'date_format', 'j F Y' );
		$this->assertSame( '1 March 2027', Records_Screen::local_date( '2027-03-01' ) );
		$this->assertSame( '', Records_Screen::local_date( '2027-02-30' ) );
		$this->assertSame( '', Records_Screen::local_date( 'soon' ) );
		$this->assertSame( '', Records_Screen::local_date( '' ) );
	}

	/**
	 * The list shows review state, case number and hold, in words, escaped.
	 */
	public function test_list_table_columns_and_labels(): void {
		$html = $this->list_table(
			array(
				self::record(),
				self::record(
					array(
						'id'          => self::SITE_ID . '.comment.43',
						'review'      => 'pending',
						'case_number' => null,
						'holds'       => array(),
					)
				),
				self::record(
					array(
						'id'          => self::SITE_ID . '.post.7',
						'review'      => null,
						'case_number' => 'KS <2026>/9',
						'holds'       => array(),
					)
				),
			)
		);
		foreach ( array( 'review' => 'Secrecy review', 'case_number' => 'Case number', 'hold' => 'Legal hold' ) as $column => $heading ) {
			$this->assertStringContainsString( "<th scope=\"col\" id='$column' class='manage-column column-$column'>$heading</th>", $html );
		}
		$rows = explode( '<tr>', explode( '</tbody>', explode( '<tbody id="the-list"', $html )[1] )[0] );
		$this->assertCount( 4, $rows );
		list( , $registered, $pending, $not_flagged ) = $rows;

		$this->assertStringContainsString( '<span class="offentlig-review offentlig-review-register">To be registered</span>', $registered );
		$this->assertStringContainsString( '>BN 2026/1234</td>', $registered );
		$this->assertStringContainsString( '<span class="offentlig-badge offentlig-hold">On hold</span>', $registered );

		$this->assertStringContainsString( '<span class="offentlig-review offentlig-review-pending">Pending review</span>', $pending );
		$this->assertStringContainsString( '<span class="screen-reader-text">Not registered</span>', $pending );
		$this->assertStringContainsString( '<span class="screen-reader-text">No legal hold</span>', $pending );
		$this->assertStringNotContainsString( 'On hold', $pending );

		$this->assertStringContainsString( '<span class="screen-reader-text">Not flagged for review</span>', $not_flagged );
		$this->assertStringContainsString( 'KS &lt;2026&gt;/9', $not_flagged );
	}

	/**
	 * The search page, end to end through the screen: the new columns for the service's items.
	 */
	public function test_search_page_lists_records_with_review_case_number_and_hold(): void {
		$this->answer = array(
			200,
			array(
				'items'       => array( self::record() ),
				'next_cursor' => null,
			),
			array(),
		);
		ob_start();
		( new Records_Screen( $this->plugin->client, new Record_View( $this->plugin->client ) ) )->render();
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( '<h1>Public records</h1>', $html );
		$this->assertStringContainsString( 'To be registered', $html );
		$this->assertStringContainsString( 'BN 2026/1234', $html );
		$this->assertStringContainsString( 'offentlig-hold', $html );
		$this->assertStringNotContainsString( 'review=', $this->requests[0][0], 'the search does not rely on a review filter' );
	}

	/**
	 * The badge styles are added on the records screen only.
	 */
	public function test_styles_only_on_the_records_screen(): void {
		$screen = new Records_Screen( $this->plugin->client, new Record_View( $this->plugin->client ) );
		$screen->enqueue_styles( 'index.php' );
		$this->assertFalse( wp_style_is( 'offentlig-records', 'enqueued' ) );
		$screen->enqueue_styles( 'toplevel_page_offentlig-records' );
		$this->assertTrue( wp_style_is( 'offentlig-records', 'enqueued' ) );
		$this->assertStringContainsString( '.offentlig-hold{', implode( '', (array) wp_styles()->get_data( 'offentlig-records', 'after' ) ) );
		wp_dequeue_style( 'offentlig-records' );
		wp_deregister_style( 'offentlig-records' );
	}

	/**
	 * An older service sends none of the new fields: empty cells, no warnings.
	 */
	public function test_list_table_with_an_older_service(): void {
		$html = $this->list_table( array( self::old_record() ) );
		$this->assertStringContainsString( 'Fråga om bygglov', $html );
		$this->assertStringContainsString( '<td class=\'review column-review\' data-colname="Secrecy review"></td>', $html );
		$this->assertStringContainsString( '<td class=\'case_number column-case_number\' data-colname="Case number"></td>', $html );
		$this->assertStringContainsString( '<td class=\'hold column-hold\' data-colname="Legal hold"></td>', $html );
		$this->assertStringNotContainsString( 'Not registered', $html );
		$this->assertStringNotContainsString( 'On hold', $html );
	}

	/**
	 * One record: review, case number and when it was registered, holds, and the register entry.
	 */
	public function test_record_view_shows_review_registration_holds_and_register_entry(): void {
		$this->serve( array( 200, self::record() ) );
		$html = $this->record_page();

		$this->assertStringContainsString( '<h1>Fråga om bygglov</h1>', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Secrecy review</th><td><span class="offentlig-review offentlig-review-register">To be registered</span></td></tr>', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Case number</th><td>BN 2026/1234</td></tr>', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Registered</th><td>2026-11-30 14:15</td></tr>', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Legal hold</th><td>Under legal hold: <code>hold-01jf0</code>, <code>hold-01jf1</code></td></tr>', $html );

		$this->assertStringContainsString( '<h2>Register entry (OSL 5:2)</h2>', $html );
		$entry = explode( '</table>', explode( 'offentlig-register-entry', $html )[1] )[0];
		$this->assertStringContainsString( '<tr><th scope="row">Received</th><td><time datetime="2026-11-28">2026-11-28</time></td></tr>', $entry );
		$this->assertStringContainsString( '<tr><th scope="row">Case number or other identifier</th><td>BN 2026/1234</td></tr>', $entry );
		$this->assertStringContainsString( '<tr><th scope="row">Sender</th><td>Anna Andersson</td></tr>', $entry );
		$this->assertStringContainsString( '<tr><th scope="row">Concerns</th><td>Fråga om bygglov &lt;Storgatan 1&gt;</td></tr>', $entry );

		$this->assertStringContainsString( 'comment.received', $html, 'versions are still shown' );
		$this->assertStringNotContainsString( 'notice-error', $html );
		$this->assertCount( 2, $this->requests );
		$this->assertStringEndsWith( '/v1/records/' . rawurlencode( self::RECORD_ID ), $this->requests[0][0] );
	}

	/**
	 * A post drawn up by the authority: the date is when it was drawn up, and there is no sender.
	 */
	public function test_register_entry_of_a_drawn_up_record(): void {
		$rows = Record_View::register_entry_rows(
			array(
				'date'       => '2026-11-28',
				'date_kind'  => 'drawn_up',
				'identifier' => self::SITE_ID . '.post.7',
				'sender'     => null,
				'subject'    => 'Sammanträde',
			)
		);
		$this->assertSame( array( 'Drawn up', 'Case number or other identifier', 'Concerns' ), array_keys( $rows ) );
		$this->assertSame( '<time datetime="2026-11-28">2026-11-28</time>', $rows['Drawn up'] );
	}

	/**
	 * Not flagged, not registered, no hold: said in words.
	 */
	public function test_record_view_of_an_ordinary_record(): void {
		$rows = Record_View::management_rows(
			array(
				'review'        => null,
				'case_number'   => null,
				'registered_at' => null,
				'holds'         => array(),
			)
		);
		$this->assertSame(
			array(
				'Secrecy review' => 'Not flagged for review',
				'Case number'    => 'Not registered',
				'Legal hold'     => 'No legal hold',
			),
			$rows
		);
	}

	/**
	 * An older service: the record shows as before, without the new rows or the register entry.
	 */
	public function test_record_view_with_an_older_service(): void {
		$this->serve( array( 200, self::old_record() ) );
		$html = $this->record_page();
		$this->assertStringContainsString( '<h1>Fråga om bygglov</h1>', $html );
		$this->assertStringContainsString( 'Anna Andersson', $html );
		foreach ( array( 'Secrecy review', 'Case number', 'Registered', 'Legal hold', 'Register entry' ) as $absent ) {
			$this->assertStringNotContainsString( $absent, $html );
		}
		$this->assertStringContainsString( 'comment.received', $html );
	}

	/**
	 * A culled record (410): a notice with the decision and the date, not an error.
	 */
	public function test_culled_record(): void {
		$this->serve(
			array(
				410,
				array(
					'code'    => 410,
					'status'  => 'Gone',
					'message' => 'The record was culled.',
					'errors'  => array(
						'culling_log' => array(
							'decision_reference' => 'KS 2026/114 § 12',
							'culled_at'          => '2027-03-01T02:00:00Z',
							'rule_id'            => 'rule-01jf2',
						),
					),
				),
			)
		);
		$html = $this->record_page();

		$this->assertStringContainsString( '<h1>Record</h1>', $html );
		$this->assertStringContainsString( '<div class="notice notice-info inline offentlig-culled"><p><strong>This record was culled on 2027-03-01 under the culling decision KS 2026/114 § 12.</strong></p>', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Record id</th><td>' . self::RECORD_ID . '</td></tr>', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Culling decision</th><td>KS 2026/114 § 12</td></tr>', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Culled</th><td>2027-03-01 03:00</td></tr>', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Culling rule</th><td><code>rule-01jf2</code></td></tr>', $html );
		$this->assertStringNotContainsString( 'notice-error', $html );
		$this->assertStringNotContainsString( 'answered 410', $html );
		$this->assertCount( 1, $this->requests, 'a culled record has no versions to ask for' );
	}

	/**
	 * A 410 without the culling member still reads as culled.
	 */
	public function test_culled_record_without_details(): void {
		$this->serve( array( 410, array( 'code' => 410, 'status' => 'Gone', 'message' => 'Gone' ) ) );
		$html = $this->record_page();
		$this->assertStringContainsString( '<p><strong>This record has been culled.</strong></p>', $html );
		$this->assertStringNotContainsString( 'Culling decision', $html );
		$this->assertStringNotContainsString( 'notice-error', $html );
	}

	/**
	 * The client turns 410 into offentlig_culled with the culling facts; other errors stay errors.
	 */
	public function test_client_reports_culling(): void {
		$culling = array(
			'decision_reference' => 'KS 2026/114 § 12',
			'culled_at'          => '2027-03-01T02:00:00Z',
			'rule_id'            => 'rule-01jf2',
		);
		$this->answer = array( 410, array( 'code' => 410, 'errors' => array( 'culling_log' => $culling ) ), array() );
		$error        = $this->plugin->client->record( self::RECORD_ID );
		$this->assertWPError( $error, 'offentlig_culled' );
		$this->assertSame( array( 'status' => 410, 'culling' => $culling ), $error->get_error_data() );

		$this->answer = array( 404, array( 'code' => 404, 'message' => 'No such record.' ), array() );
		$error        = $this->plugin->client->record( self::RECORD_ID );
		$this->assertWPError( $error, 'offentlig_api_404' );
		$this->assertSame( 'The service answered 404: No such record.', $error->get_error_message() );

		$this->serve( array( 404, array( 'code' => 404, 'message' => 'No such record.' ) ) );
		$html = $this->record_page();
		$this->assertStringContainsString( '<div class="notice notice-error inline"><p>The service answered 404: No such record.</p></div>', $html );
	}

	/**
	 * Fields of the wrong type never become warnings.
	 */
	public function test_odd_values_do_not_warn(): void {
		$odd = self::record(
			array(
				'review'         => array( 'pending' ),
				'case_number'    => array( 'x' ),
				'registered_at'  => 12,
				'holds'          => 'hold-1',
				'register_entry' => array(
					'date'      => array(),
					'date_kind' => null,
					'sender'    => array( 'name' => 'Bo' ),
				),
			)
		);
		$this->serve( array( 200, $odd ) );
		$html = $this->record_page();
		$this->assertStringContainsString( 'Not flagged for review', $html );
		$this->assertStringContainsString( '<tr><th scope="row">Sender</th><td>Bo</td></tr>', $html );
		$this->assertStringNotContainsString( 'Legal hold', $html );
		$this->list_table( array( $odd ) );
	}

	/**
	 * Asserts a WP_Error with this code.
	 *
	 * @param mixed  $actual Value.
	 * @param string $code   Error code.
	 */
	private function assertWPError( $actual, string $code ): void {
		$this->assertInstanceOf( \WP_Error::class, $actual );
		$this->assertSame( $code, $actual->get_error_code() );
	}
}
