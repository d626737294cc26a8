<?php
/**
 * Sanitizers and the settings' sanitize callback.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Settings;
use WP_Error;

/**
 * Settings tests.
 */
final class SettingsTest extends Test_Case {

	/**
	 * Service URLs: input → expected (null: rejected).
	 *
	 * @return array<string,array{0:mixed,1:?string}>
	 */
	public function service_urls(): array {
		return array(
			'https'                 => array( 'https://arkiv.example.se', 'https://arkiv.example.se' ),
			'trailing slash'        => array( 'https://arkiv.example.se/', 'https://arkiv.example.se' ),
			'loopback with port'    => array( 'http://127.0.0.1:8000', 'http://127.0.0.1:8000' ),
			'path prefix'           => array( ' https://example.se/offentlig/ ', 'https://example.se/offentlig' ),
			'empty clears'          => array( '', '' ),
			'ftp'                   => array( 'ftp://example.se', null ),
			'javascript'            => array( 'javascript:alert(1)', null ),
			'no host'               => array( 'https://', null ),
			'query string'          => array( 'https://example.se/?x=1', null ),
			'fragment'              => array( 'https://example.se/#x', null ),
			'credentials'           => array( 'https://user:pw@example.se', null ),
			'not a url'             => array( 'arkiv', null ),
		);
	}

	/**
	 * URL sanitizer.
	 *
	 * @dataProvider service_urls
	 * @param mixed       $input    Input.
	 * @param string|null $expected Expected value, null for an error.
	 */
	public function test_sanitize_service_url( $input, ?string $expected ): void {
		$this->assert_sanitized( $expected, Settings::sanitize_service_url( $input ) );
	}

	/**
	 * Site ids.
	 *
	 * @return array<string,array{0:mixed,1:?string}>
	 */
	public function site_ids(): array {
		return array(
			'ulid'         => array( '01JDX3Z6W4F6K1Q9T3V8B2C7N5', '01JDX3Z6W4F6K1Q9T3V8B2C7N5' ),
			'trimmed'      => array( "  abc-def_1\n", 'abc-def_1' ),
			'empty'        => array( '', '' ),
			'slash'        => array( 'abc/../x', null ),
			'space inside' => array( 'ab cd', null ),
			'html'         => array( '<b>x</b>', null ),
			'too long'     => array( str_repeat( 'a', 65 ), null ),
		);
	}

	/**
	 * Site id sanitizer.
	 *
	 * @dataProvider site_ids
	 * @param mixed       $input    Input.
	 * @param string|null $expected Expected value, null for an error.
	 */
	public function test_sanitize_site_id( $input, ?string $expected ): void {
		$this->assert_sanitized( $expected, Settings::sanitize_site_id( $input ) );
	}

	/**
	 * Secrets.
	 *
	 * @return array<string,array{0:mixed,1:?string}>
	 */
	public function secrets(): array {
		return array(
			'reference secret' => array( self::SECRET, self::SECRET ),
			'trimmed'          => array( ' ' . self::SECRET . ' ', self::SECRET ),
			'empty'            => array( '', '' ),
			'no prefix'        => array( 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', null ),
			'too short'        => array( 'whsec_YWJj', null ),
			'not base64'       => array( 'whsec_!!!!!!!!!!!!!!!!!!!!!!!!', null ),
			'quote injection'  => array( 'whsec_abc"><script>', null ),
		);
	}

	/**
	 * Secret sanitizer.
	 *
	 * @dataProvider secrets
	 * @param mixed       $input    Input.
	 * @param string|null $expected Expected value, null for an error.
	 */
	public function test_sanitize_secret( $input, ?string $expected ): void {
		$this->assert_sanitized( $expected, Settings::sanitize_secret( $input ) );
	}

	/**
	 * Tokens.
	 *
	 * @return array<string,array{0:mixed,1:?string}>
	 */
	public function tokens(): array {
		return array(
			'service token' => array( 'oft_Abc123_def-456.xyz', 'oft_Abc123_def-456.xyz' ),
			'empty'         => array( '', '' ),
			'too short'     => array( 'oft_1', null ),
			'space inside'  => array( 'oft_abc def123', null ),
			'header break'  => array( "oft_abcdefgh\r\nX-Evil: 1", null ),
		);
	}

	/**
	 * Token sanitizer.
	 *
	 * @dataProvider tokens
	 * @param mixed       $input    Input.
	 * @param string|null $expected Expected value, null for an error.
	 */
	public function test_sanitize_token( $input, ?string $expected ): void {
		$this->assert_sanitized( $expected, Settings::sanitize_token( $input ) );
	}

	/**
	 * Days.
	 *
	 * @return array<string,array{0:mixed,1:?int}>
	 */
	public function days(): array {
		return array(
			'seven'    => array( '7', 7 ),
			'zero'     => array( '0', 0 ),
			'max'      => array( 365, 365 ),
			'padded'   => array( ' 30 ', 30 ),
			'too many' => array( '366', null ),
			'negative' => array( '-1', null ),
			'decimal'  => array( '1.5', null ),
			'word'     => array( 'seven', null ),
		);
	}

	/**
	 * Days sanitizer.
	 *
	 * @dataProvider days
	 * @param mixed    $input    Input.
	 * @param int|null $expected Expected value, null for an error.
	 */
	public function test_sanitize_days( $input, ?int $expected ): void {
		$this->assert_sanitized( $expected, Settings::sanitize_days( $input ) );
	}

	/**
	 * Checkbox values.
	 *
	 * @return array<string,array{0:mixed,1:bool}>
	 */
	public function bools(): array {
		return array(
			'checked'   => array( '1', true ),
			'on'        => array( 'on', true ),
			'true bool' => array( true, true ),
			'missing'   => array( null, false ),
			'zero'      => array( '0', false ),
			'empty'     => array( '', false ),
			'false'     => array( 'false', false ),
		);
	}

	/**
	 * Checkbox sanitizer.
	 *
	 * @dataProvider bools
	 * @param mixed $input    Input.
	 * @param bool  $expected Expected.
	 */
	public function test_sanitize_bool( $input, bool $expected ): void {
		$this->assertSame( $expected, Settings::sanitize_bool( $input ) );
	}

	/**
	 * An empty password field keeps the saved secret and token; an unchecked box turns off.
	 */
	public function test_sanitize_keeps_saved_secret_when_left_empty(): void {
		$clean = $this->plugin->settings->sanitize(
			array(
				'service_url' => 'https://arkiv.example.se/',
				'site_id'     => 'site1',
				'secret'      => '',
				'read_token'  => '',
				'send_email'  => '1',
			)
		);
		$this->assertSame( 'https://arkiv.example.se', $clean['service_url'] );
		$this->assertSame( self::SECRET, $clean['secret'] );
		$this->assertSame( 'oft_test_token_123', $clean['read_token'] );
		$this->assertTrue( $clean['send_email'] );
		$this->assertFalse( $clean['capture_posts'] );
		$this->assertSame( 7, $clean['keep_delivered_days'] );
	}

	/**
	 * An invalid field keeps its saved value and reports a settings error.
	 */
	public function test_sanitize_rejects_invalid_field_and_keeps_old_value(): void {
		global $wp_settings_errors;
		$wp_settings_errors = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		$clean = $this->plugin->settings->sanitize(
			array(
				'service_url' => 'ftp://nope',
				'site_id'     => self::SITE_ID,
				'secret'      => 'not-a-secret',
			)
		);
		$this->assertSame( self::SERVICE_URL, $clean['service_url'] );
		$this->assertSame( self::SECRET, $clean['secret'] );
		$codes = array_column( get_settings_errors( Settings::OPTION ), 'code' );
		$this->assertContains( 'offentlig_bad_url', $codes );
		$this->assertContains( 'offentlig_bad_secret', $codes );
	}

	/**
	 * The defaults follow the contract: e-mail on, IP and user agent off, spam off.
	 */
	public function test_personal_data_defaults(): void {
		$defaults = Settings::defaults();
		$this->assertTrue( $defaults['send_email'] );
		$this->assertFalse( $defaults['send_ip'] );
		$this->assertFalse( $defaults['send_user_agent'] );
		$this->assertFalse( $defaults['capture_spam'] );
	}

	/**
	 * The retry schedule is the Svix-like default and adds up to roughly three days.
	 */
	public function test_default_retry_schedule(): void {
		$schedule = $this->plugin->settings->retry_schedule();
		$this->assertSame( array( 5, 300, 1800, 7200, 18000, 36000 ), array_slice( $schedule, 0, 6 ) );
		$total = array_sum( $schedule );
		$this->assertGreaterThan( 2 * DAY_IN_SECONDS, $total );
		$this->assertLessThan( 3.5 * DAY_IN_SECONDS, $total );
	}

	/**
	 * Asserts a sanitizer result.
	 *
	 * @param mixed $expected Expected value, null for an error.
	 * @param mixed $actual   Result.
	 */
	private function assert_sanitized( $expected, $actual ): void {
		if ( null === $expected ) {
			$this->assertInstanceOf( WP_Error::class, $actual );
		} else {
			$this->assertSame( $expected, $actual );
		}
	}
}
