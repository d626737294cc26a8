<?php
/**
 * Standard Webhooks 1.0 signatures.
 *
 * @package Offentlig
 */

namespace Offentlig;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Signs a delivery the way the service verifies it: "v1," + base64(HMAC-SHA256(key, "id.timestamp.body")).
 *
 * The vectors in tests/vectors/signing.json pin this down for both the PHP and the Python side.
 */
final class Signer {

	const SECRET_PREFIX = 'whsec_';

	/**
	 * The HMAC key: the base64-decoded part of the secret after "whsec_" (padding optional).
	 *
	 * @param string $secret The site's webhook secret, e.g. "whsec_MfKQ9r8G...".
	 * @return string|WP_Error Raw key bytes, or an error if the secret is empty or not base64.
	 */
	public static function decode_secret( string $secret ) {
		$secret = trim( $secret );
		if ( 0 === strpos( $secret, self::SECRET_PREFIX ) ) {
			$secret = substr( $secret, strlen( self::SECRET_PREFIX ) );
		}
		$secret = rtrim( $secret, '=' );
		$padded = str_pad( $secret, (int) ( ceil( strlen( $secret ) / 4 ) * 4 ), '=' );
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- the secret format is base64.
		$key = '' === $secret ? false : base64_decode( $padded, true );
		if ( false === $key || '' === $key ) {
			return new WP_Error( 'offentlig_bad_secret', __( 'The webhook secret is empty or not valid base64.', 'offentlig' ) );
		}
		return $key;
	}

	/**
	 * Signature header value for one attempt.
	 *
	 * @param string $webhook_id Delivery id (the same on every retry).
	 * @param int    $timestamp  Unix seconds when this attempt is signed.
	 * @param string $body       Exact request body bytes.
	 * @param string $secret     The site's webhook secret.
	 * @return string|WP_Error "v1,<base64>" or an error for a bad secret.
	 */
	public static function sign( string $webhook_id, int $timestamp, string $body, string $secret ) {
		$key = self::decode_secret( $secret );
		if ( is_wp_error( $key ) ) {
			return $key;
		}
		$mac = hash_hmac( 'sha256', $webhook_id . '.' . $timestamp . '.' . $body, $key, true );
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- required by the signature format.
		return 'v1,' . base64_encode( $mac );
	}

	/**
	 * The three webhook-* headers plus the content type for one attempt.
	 *
	 * @param string $webhook_id Delivery id.
	 * @param int    $timestamp  Unix seconds.
	 * @param string $body       Exact request body.
	 * @param string $secret     The site's webhook secret.
	 * @return array<string,string>|WP_Error
	 */
	public static function headers( string $webhook_id, int $timestamp, string $body, string $secret ) {
		$signature = self::sign( $webhook_id, $timestamp, $body, $secret );
		if ( is_wp_error( $signature ) ) {
			return $signature;
		}
		return array(
			'Content-Type'      => 'application/json; charset=utf-8',
			'webhook-id'        => $webhook_id,
			'webhook-timestamp' => (string) $timestamp,
			'webhook-signature' => $signature,
		);
	}
}
