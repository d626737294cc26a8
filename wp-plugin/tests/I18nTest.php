<?php
/**
 * Translations: the Swedish .mo covers every string of the .pot.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

/**
 * I18n tests.
 */
final class I18nTest extends Test_Case {

	const LANGUAGES = __DIR__ . '/../offentlig/languages';

	protected function tearDown(): void {
		unload_textdomain( 'offentlig' );
		parent::tearDown();
	}

	/**
	 * Every msgid of the template has a Swedish translation in the compiled file.
	 */
	public function test_every_string_is_translated(): void {
		require_once ABSPATH . WPINC . '/pomo/po.php';
		$pot = new \PO();
		$this->assertTrue( $pot->import_from_file( self::LANGUAGES . '/offentlig.pot' ) );
		$mo = new \MO();
		$this->assertTrue( $mo->import_from_file( self::LANGUAGES . '/offentlig-sv_SE.mo' ) );
		$this->assertGreaterThan( 100, count( $pot->entries ) );
		foreach ( $pot->entries as $key => $entry ) {
			$this->assertArrayHasKey( $key, $mo->entries, 'untranslated: ' . $entry->singular );
			foreach ( $mo->entries[ $key ]->translations as $translation ) {
				$this->assertNotSame( '', $translation, 'empty translation: ' . $entry->singular );
			}
		}
	}

	/**
	 * Loaded for the text domain, strings, placeholders and plurals come out in Swedish.
	 */
	public function test_swedish_strings_and_plurals(): void {
		$this->assertTrue( load_textdomain( 'offentlig', self::LANGUAGES . '/offentlig-sv_SE.mo' ) );
		$this->assertSame( 'Allmänna handlingar', __( 'Public records', 'offentlig' ) );
		$this->assertSame( 'Inkommen', __( 'Received', 'offentlig' ) );
		$this->assertSame( 'Upprättad', __( 'Drawn up', 'offentlig' ) );
		/* translators: %s: number of failed deliveries put back in the queue. */
		$this->assertSame( 'Försökte igen med 1 misslyckad leverans.', sprintf( _n( 'Retried %s failed delivery.', 'Retried %s failed deliveries.', 1, 'offentlig' ), 1 ) );
		/* translators: %s: number of failed deliveries put back in the queue. */
		$this->assertSame( 'Försökte igen med 3 misslyckade leveranser.', sprintf( _n( 'Retried %s failed delivery.', 'Retried %s failed deliveries.', 3, 'offentlig' ), 3 ) );
	}

	/**
	 * Records management reads as a Swedish registrar would write it.
	 */
	public function test_swedish_records_management(): void {
		$this->assertTrue( load_textdomain( 'offentlig', self::LANGUAGES . '/offentlig-sv_SE.mo' ) );
		$this->assertSame( 'Väntar på sekretessprövning', \Offentlig\Records_Screen::review_label( 'pending' ) );
		$this->assertSame( 'Ska diarieföras', \Offentlig\Records_Screen::review_label( 'register' ) );
		$this->assertSame( 'Omfattas av sekretess', \Offentlig\Records_Screen::review_label( 'secret' ) );
		$this->assertSame( 'Diarienummer', __( 'Case number', 'offentlig' ) );
		$this->assertSame( 'Gallringsstopp', __( 'On hold', 'offentlig' ) );
		$rows = \Offentlig\Record_View::register_entry_rows( array( 'date_kind' => 'received', 'date' => '2026-11-28' ) );
		$this->assertSame( array( 'Inkommen', 'Diarienummer eller annan beteckning', 'Avsändare', 'Avser' ), array_keys( $rows ) );
		/* translators: 1: date in the site's date format, 2: number of records due for culling then. */
		$this->assertSame( 'Nästa gallring: 1 mars 2027 (12 handlingar)', sprintf( _n( 'Next culling: %1$s (%2$s record)', 'Next culling: %1$s (%2$s records)', 12, 'offentlig' ), '1 mars 2027', 12 ) );
		/* translators: 1: date of culling, 2: reference of the culling decision, e.g. "KS 2026/114 § 12". */
		$this->assertSame( 'Handlingen gallrades den 1 mars 2027 enligt gallringsbeslut KS 2026/114 § 12.', sprintf( __( 'This record was culled on %1$s under the culling decision %2$s.', 'offentlig' ), '1 mars 2027', 'KS 2026/114 § 12' ) );
	}

	/**
	 * Snapshots and reconciliation in the widget, and the button's notices, in Swedish.
	 */
	public function test_swedish_snapshots(): void {
		$this->assertTrue( load_textdomain( 'offentlig', self::LANGUAGES . '/offentlig-sv_SE.mo' ) );
		$this->assertSame( 'Ta ögonblicksbild nu', __( 'Take snapshot now', 'offentlig' ) );
		$this->assertSame( 'Senaste ögonblicksbild:', __( 'Last snapshot:', 'offentlig' ) );
		$this->assertSame( 'Senaste avstämning:', __( 'Latest reconciliation:', 'offentlig' ) );
		$this->assertSame( 'Ingen avstämning ännu', __( 'No reconciliation yet', 'offentlig' ) );
		/* translators: %s: number of pages archived so far. */
		$this->assertSame( 'Ögonblicksbild pågår: 57 sidor hittills', sprintf( _n( 'Snapshot in progress: %s page so far', 'Snapshot in progress: %s pages so far', 57, 'offentlig' ), 57 ) );
		/* translators: %s: number of pages in the snapshot. */
		$this->assertSame( '1 sida', sprintf( _n( '%s page', '%s pages', 1, 'offentlig' ), 1 ) );
		/* translators: %s: the name of the token scope, snapshots:request. */
		$this->assertStringContainsString( 'saknar behörigheten snapshots:request', sprintf( __( 'The service refused: the token in Settings → Offentlig lacks the %s scope. Create a token with that scope (and records:read) on the service and enter it as the read token.', 'offentlig' ), 'snapshots:request' ) );
	}
}
