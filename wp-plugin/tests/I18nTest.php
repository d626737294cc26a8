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
}
