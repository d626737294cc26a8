<?php
/**
 * Signer against the shared Standard Webhooks vectors (the Python tests check the same file).
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Signer;

/**
 * Signer tests.
 */
final class SignerTest extends Test_Case {

	/**
	 * Vectors from tests/vectors/signing.json.
	 *
	 * @return array<string,array{0:array<string,mixed>}>
	 */
	public function vectors(): array {
		$file = dirname( __DIR__, 2 ) . '/tests/vectors/signing.json';
		$data = json_decode( (string) file_get_contents( $file ), true ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		$out  = array();
		foreach ( $data['vectors'] as $vector ) {
			$out[ $vector['name'] ] = array( $vector );
		}
		return $out;
	}

	/**
	 * Each vector's signature is reproduced byte for byte.
	 *
	 * @dataProvider vectors
	 * @param array<string,mixed> $vector Vector.
	 */
	public function test_sign_matches_shared_vector( array $vector ): void {
		$this->assertSame( $vector['signature'], Signer::sign( $vector['id'], (int) $vector['timestamp'], $vector['body'], $vector['secret'] ) );
	}

	/**
	 * Headers carry the id, the timestamp as a string and the signature.
	 *
	 * @dataProvider vectors
	 * @param array<string,mixed> $vector Vector.
	 */
	public function test_headers_carry_id_timestamp_and_signature( array $vector ): void {
		$headers = Signer::headers( $vector['id'], (int) $vector['timestamp'], $vector['body'], $vector['secret'] );
		$this->assertSame( $vector['id'], $headers['webhook-id'] );
		$this->assertSame( (string) $vector['timestamp'], $headers['webhook-timestamp'] );
		$this->assertSame( $vector['signature'], $headers['webhook-signature'] );
		$this->assertStringStartsWith( 'application/json', $headers['Content-Type'] );
	}

	/**
	 * A changed body, id or timestamp gives a different signature.
	 */
	public function test_any_change_changes_the_signature(): void {
		$base = Signer::sign( 'msg_1', 1795860000, '{}', self::SECRET );
		$this->assertNotSame( $base, Signer::sign( 'msg_2', 1795860000, '{}', self::SECRET ) );
		$this->assertNotSame( $base, Signer::sign( 'msg_1', 1795860001, '{}', self::SECRET ) );
		$this->assertNotSame( $base, Signer::sign( 'msg_1', 1795860000, '{ }', self::SECRET ) );
	}

	/**
	 * Secrets that cannot be a key.
	 *
	 * @return array<string,array{0:string}>
	 */
	public function bad_secrets(): array {
		return array(
			'empty'          => array( '' ),
			'prefix only'    => array( 'whsec_' ),
			'not base64'     => array( 'whsec_***not base64***' ),
			'only whitespace' => array( '   ' ),
		);
	}

	/**
	 * A bad secret is an error, never a signature.
	 *
	 * @dataProvider bad_secrets
	 * @param string $secret Secret.
	 */
	public function test_bad_secret_is_an_error( string $secret ): void {
		$result = Signer::sign( 'msg_1', 1, '{}', $secret );
		$this->assertWPError( $result );
		$this->assertSame( 'offentlig_bad_secret', $result->get_error_code() );
	}

	/**
	 * Asserts a WP_Error.
	 *
	 * @param mixed $value Value.
	 */
	private function assertWPError( $value ): void {
		$this->assertInstanceOf( \WP_Error::class, $value );
	}
}
