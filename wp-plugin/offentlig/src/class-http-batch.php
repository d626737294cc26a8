<?php
/**
 * Several HTTP requests at once, each made the way wp_remote_request() makes one.
 *
 * @package Offentlig
 */

namespace Offentlig;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Sends a batch of requests concurrently over curl_multi, so that 50 webhooks of a bulk action
 * take about as long as the slowest few instead of the sum of all 50.
 *
 * Why not Requests::request_multiple(), which WordPress ships: it loops on curl_multi_exec()
 * without ever waiting in curl_multi_select(), so the PHP worker spins a whole CPU core for as
 * long as the service takes to answer; on a small server that core is the one the service needs.
 *
 * Each request goes through the HTTP API's filters and actions as wp_remote_request() would:
 * `http_request_args`, `pre_http_request` (a short-circuit answer, as tests and proxies use),
 * WP_HTTP_BLOCK_EXTERNAL, `https_ssl_verify`, the WP_PROXY_* settings, `http_api_curl`,
 * `http_api_debug` and `http_response`; the answers have the shape wp_remote_request() returns.
 * A single request, or a PHP without curl, simply goes through wp_remote_request().
 */
final class Http_Batch {

	/**
	 * Sends the requests, at most $parallel at a time; none is started after $stop.
	 *
	 * @param array<int|string,array{0:string,1:array<string,mixed>}> $requests URL and arguments (as for wp_remote_request()), by key.
	 * @param int                                                     $parallel Most requests in flight at once.
	 * @param float|null                                              $stop     microtime() after which no request is started.
	 * @return array<int|string,array<string,mixed>|WP_Error> Answers by the same keys, in the same order; a
	 *                                                        request never started has none.
	 */
	public static function request_all( array $requests, int $parallel = 8, ?float $stop = null ): array {
		$answers = array();
		if ( count( $requests ) < 2 || $parallel < 2 || ! function_exists( 'curl_multi_init' ) ) {
			foreach ( $requests as $key => $request ) {
				if ( null !== $stop && microtime( true ) >= $stop ) {
					break;
				}
				$answers[ $key ] = wp_remote_request( $request[0], $request[1] );
			}
			return $answers;
		}
		$answers = array_fill_keys( array_keys( $requests ), null );
		$queue   = array();
		foreach ( $requests as $key => list( $url, $args ) ) {
			if ( null !== $stop && microtime( true ) >= $stop ) {
				break;
			}
			$args = self::parse_args( $url, $args );
			$pre  = apply_filters( 'pre_http_request', false, $args, $url ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hook.
			if ( false !== $pre ) {
				$answers[ $key ] = $pre;
				continue;
			}
			$refused = self::refusal( $url, $args );
			if ( null !== $refused ) {
				do_action( 'http_api_debug', $refused, 'response', self::class, $args, $url ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hook.
				$answers[ $key ] = $refused;
				continue;
			}
			$queue[ $key ] = array( $url, $args );
		}
		foreach ( self::transfer( $queue, $parallel, $stop ) as $key => $answer ) {
			$answers[ $key ] = $answer;
		}
		return array_filter(
			$answers,
			static function ( $answer ) {
				return null !== $answer;
			}
		);
	}

	/**
	 * The arguments with WordPress's defaults and the `http_request_args` filter (WP_Http::request()).
	 *
	 * @param string              $url  URL.
	 * @param array<string,mixed> $args Arguments.
	 * @return array<string,mixed>
	 */
	private static function parse_args( string $url, array $args ): array {
		// phpcs:disable WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hooks, applied as core applies them.
		$defaults = array(
			'method'              => 'GET',
			'timeout'             => apply_filters( 'http_request_timeout', 5, $url ),
			'redirection'         => apply_filters( 'http_request_redirection_count', 5, $url ),
			'httpversion'         => apply_filters( 'http_request_version', '1.0', $url ),
			'user-agent'          => apply_filters( 'http_headers_useragent', 'WordPress/' . get_bloginfo( 'version' ) . '; ' . get_bloginfo( 'url' ), $url ),
			'reject_unsafe_urls'  => apply_filters( 'http_request_reject_unsafe_urls', false, $url ),
			'blocking'            => true,
			'headers'             => array(),
			'cookies'             => array(),
			'body'                => null,
			'compress'            => false,
			'decompress'          => true,
			'sslverify'           => true,
			'sslcertificates'     => ABSPATH . WPINC . '/certificates/ca-bundle.crt',
			'stream'              => false,
			'filename'            => null,
			'limit_response_size' => null,
		);
		$args     = apply_filters( 'http_request_args', wp_parse_args( $args, $defaults ), $url );
		// phpcs:enable
		$args['headers'] = is_array( $args['headers'] ) ? $args['headers'] : array();
		return $args;
	}

	/**
	 * Why a request may not be made (an unsafe URL, WP_HTTP_BLOCK_EXTERNAL), or null.
	 *
	 * @param string              $url  URL.
	 * @param array<string,mixed> $args Arguments.
	 */
	private static function refusal( string $url, array $args ): ?WP_Error {
		if ( ! empty( $args['reject_unsafe_urls'] ) && ! wp_http_validate_url( $url ) ) {
			return new WP_Error( 'http_request_failed', __( 'A valid URL was not provided.', 'offentlig' ) );
		}
		if ( ! in_array( wp_parse_url( $url, PHP_URL_SCHEME ), array( 'http', 'https' ), true ) ) {
			return new WP_Error( 'http_request_failed', __( 'A valid URL was not provided.', 'offentlig' ) );
		}
		if ( ( new \WP_Http() )->block_request( $url ) ) {
			return new WP_Error( 'http_request_not_executed', __( 'User has blocked requests through HTTP.', 'offentlig' ) );
		}
		return null;
	}

	/**
	 * Runs the requests over one curl multi handle, waiting in curl_multi_select() between reads.
	 *
	 * @param array<int|string,array{0:string,1:array<string,mixed>}> $queue    Requests by key.
	 * @param int                                                     $parallel Most at once.
	 * @param float|null                                              $stop     microtime() after which none is started.
	 * @return array<int|string,array<string,mixed>|WP_Error> Answers of the requests started, by key.
	 */
	private static function transfer( array $queue, int $parallel, ?float $stop ): array {
		// phpcs:disable WordPress.WP.AlternativeFunctions.curl_curl_multi_init,WordPress.WP.AlternativeFunctions.curl_curl_multi_add_handle,WordPress.WP.AlternativeFunctions.curl_curl_multi_exec,WordPress.WP.AlternativeFunctions.curl_curl_multi_select,WordPress.WP.AlternativeFunctions.curl_curl_multi_info_read,WordPress.WP.AlternativeFunctions.curl_curl_multi_remove_handle,WordPress.WP.AlternativeFunctions.curl_curl_multi_close,WordPress.WP.AlternativeFunctions.curl_curl_close -- the point of this class.
		$answers = array();
		$multi   = curl_multi_init();
		$flight  = array(); // spl_object_id(handle) => [key, handle, header holder, give-up time].
		$waiting = $queue;
		while ( ! empty( $waiting ) || ! empty( $flight ) ) {
			if ( null !== $stop && microtime( true ) >= $stop ) {
				$waiting = array(); // Out of time: what has not started does not start.
			}
			if ( empty( $flight ) && empty( $waiting ) ) {
				break;
			}
			while ( ! empty( $waiting ) && count( $flight ) < $parallel ) {
				$key     = array_key_first( $waiting );
				$request = $waiting[ $key ];
				unset( $waiting[ $key ] );
				$holder = new \ArrayObject();
				$handle = self::handle( $request[0], $request[1], $holder );
				curl_multi_add_handle( $multi, $handle );
				// libcurl ends a transfer at its timeout; this is only a guard against a loop without end.
				$flight[ spl_object_id( $handle ) ] = array( $key, $handle, $holder, microtime( true ) + (float) $request[1]['timeout'] + 5.0 );
			}
			do {
				$status = curl_multi_exec( $multi, $running );
			} while ( CURLM_CALL_MULTI_PERFORM === $status );
			while ( false !== ( $done = curl_multi_info_read( $multi ) ) ) { // phpcs:ignore Generic.CodeAnalysis.AssignmentInCondition.FoundInWhileCondition
				$id = spl_object_id( $done['handle'] );
				if ( ! isset( $flight[ $id ] ) ) {
					continue;
				}
				list( $key, $handle, $holder ) = $flight[ $id ];
				unset( $flight[ $id ] );
				$answers[ $key ] = self::answer( $queue[ $key ][0], $queue[ $key ][1], $handle, (int) $done['result'], $holder );
				curl_multi_remove_handle( $multi, $handle );
				curl_close( $handle );
			}
			$now = microtime( true );
			foreach ( $flight as $id => list( $key, $handle, , $give_up ) ) {
				if ( $now > $give_up || CURLM_OK !== $status ) {
					unset( $flight[ $id ] );
					$answers[ $key ] = new WP_Error( 'http_request_failed', CURLM_OK !== $status ? sprintf( 'cURL multi error %d', $status ) : 'cURL error 28: Operation timed out' );
					do_action( 'http_api_debug', $answers[ $key ], 'response', self::class, $queue[ $key ][1], $queue[ $key ][0] ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hook.
					curl_multi_remove_handle( $multi, $handle );
					curl_close( $handle );
				}
			}
			if ( ! empty( $flight ) && -1 === curl_multi_select( $multi, 0.05 ) ) {
				usleep( 1000 ); // Nothing to wait on yet (some libcurl builds): a short pause, not a spin.
			}
		}
		curl_multi_close( $multi );
		// phpcs:enable
		$ordered = array();
		foreach ( array_keys( $queue ) as $key ) {
			if ( isset( $answers[ $key ] ) ) {
				$ordered[ $key ] = $answers[ $key ];
			}
		}
		return $ordered;
	}

	/**
	 * A curl handle for one request, set up as WordPress's Requests transport sets one up.
	 *
	 * @param string              $url    URL.
	 * @param array<string,mixed> $args   Parsed arguments.
	 * @param \ArrayObject        $holder Collects the answer's header lines.
	 * @return \CurlHandle
	 */
	private static function handle( string $url, array $args, \ArrayObject $holder ) {
		// phpcs:disable WordPress.WP.AlternativeFunctions.curl_curl_init,WordPress.WP.AlternativeFunctions.curl_curl_setopt -- see transfer().
		$handle = curl_init();
		$method = strtoupper( (string) $args['method'] );
		$body   = $args['body'];
		if ( is_array( $body ) || is_object( $body ) ) {
			$body = http_build_query( (array) $body, '', '&' );
		}
		$headers = array();
		foreach ( (array) $args['headers'] as $name => $value ) {
			$headers[] = $name . ': ' . $value;
		}
		$http11 = '1.1' === (string) $args['httpversion'];
		if ( $http11 ) {
			$headers[] = 'Expect:'; // No "100 Continue" round trip (Requests does the same).
		}
		$timeout = max( 0.001, (float) $args['timeout'] );
		curl_setopt( $handle, CURLOPT_URL, $url );
		curl_setopt( $handle, CURLOPT_RETURNTRANSFER, true );
		curl_setopt( $handle, CURLOPT_HEADER, false );
		curl_setopt( $handle, CURLOPT_NOSIGNAL, true );
		curl_setopt( $handle, CURLOPT_TIMEOUT_MS, (int) round( $timeout * 1000 ) );
		curl_setopt( $handle, CURLOPT_CONNECTTIMEOUT_MS, (int) round( min( 10.0, $timeout ) * 1000 ) );
		curl_setopt( $handle, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS );
		curl_setopt( $handle, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS );
		curl_setopt( $handle, CURLOPT_HTTP_VERSION, $http11 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_1_0 );
		curl_setopt( $handle, CURLOPT_USERAGENT, (string) $args['user-agent'] );
		curl_setopt( $handle, CURLOPT_HTTPHEADER, $headers );
		if ( ! empty( $args['decompress'] ) ) {
			curl_setopt( $handle, CURLOPT_ENCODING, '' );
		}
		$redirects = (int) $args['redirection'];
		curl_setopt( $handle, CURLOPT_FOLLOWLOCATION, $redirects > 0 );
		if ( $redirects > 0 ) {
			curl_setopt( $handle, CURLOPT_MAXREDIRS, $redirects );
		}
		if ( 'POST' === $method ) {
			curl_setopt( $handle, CURLOPT_POST, true );
			curl_setopt( $handle, CURLOPT_POSTFIELDS, (string) $body );
		} elseif ( 'GET' !== $method ) {
			curl_setopt( $handle, CURLOPT_CUSTOMREQUEST, $method );
			if ( null !== $body && '' !== $body && 'HEAD' !== $method ) {
				curl_setopt( $handle, CURLOPT_POSTFIELDS, (string) $body );
			}
			curl_setopt( $handle, CURLOPT_NOBODY, 'HEAD' === $method );
		}
		$verify = empty( $args['sslverify'] ) ? false : (string) $args['sslcertificates'];
		$verify = apply_filters( 'https_ssl_verify', $verify, $url ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hook.
		if ( false === $verify ) {
			curl_setopt( $handle, CURLOPT_SSL_VERIFYPEER, false );
			curl_setopt( $handle, CURLOPT_SSL_VERIFYHOST, 0 );
		} elseif ( is_string( $verify ) && is_readable( $verify ) ) {
			curl_setopt( $handle, CURLOPT_CAINFO, $verify );
		}
		$proxy = new \WP_HTTP_Proxy();
		if ( $proxy->is_enabled() && $proxy->send_through_proxy( $url ) ) {
			curl_setopt( $handle, CURLOPT_PROXY, $proxy->host() . ':' . $proxy->port() );
			if ( $proxy->use_authentication() ) {
				curl_setopt( $handle, CURLOPT_PROXYAUTH, CURLAUTH_ANY );
				curl_setopt( $handle, CURLOPT_PROXYUSERPWD, $proxy->authentication() );
			}
		}
		curl_setopt(
			$handle,
			CURLOPT_HEADERFUNCTION,
			static function ( $unused, string $line ) use ( $holder ): int {
				if ( 0 === strpos( $line, 'HTTP/' ) ) {
					$holder->exchangeArray( array() ); // A new answer (after a redirect): its headers only.
				} elseif ( false !== strpos( $line, ':' ) ) {
					list( $name, $value )                = explode( ':', $line, 2 );
					$holder[ strtolower( trim( $name ) ) ] = trim( $value );
				}
				return strlen( $line );
			}
		);
		// phpcs:enable
		do_action_ref_array( 'http_api_curl', array( &$handle, $args, $url ) ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hook.
		return $handle;
	}

	/**
	 * The answer to one finished transfer, in wp_remote_request()'s shape.
	 *
	 * @param string              $url    URL.
	 * @param array<string,mixed> $args   Parsed arguments.
	 * @param \CurlHandle         $handle Finished handle.
	 * @param int                 $result curl's result code.
	 * @param \ArrayObject        $holder Header lines.
	 * @return array<string,mixed>|WP_Error
	 */
	private static function answer( string $url, array $args, $handle, int $result, \ArrayObject $holder ) {
		// phpcs:disable WordPress.WP.AlternativeFunctions.curl_curl_getinfo,WordPress.WP.AlternativeFunctions.curl_curl_error,WordPress.WP.AlternativeFunctions.curl_curl_multi_getcontent,WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- see transfer(); core's hooks.
		if ( CURLE_OK !== $result ) {
			$error = curl_error( $handle );
			$answer = new WP_Error( 'http_request_failed', sprintf( 'cURL error %d: %s', $result, '' !== $error ? $error : curl_strerror( $result ) ) );
			do_action( 'http_api_debug', $answer, 'response', self::class, $args, $url );
			return $answer;
		}
		$code   = (int) curl_getinfo( $handle, CURLINFO_RESPONSE_CODE );
		$answer = array(
			'headers'  => $holder->getArrayCopy(),
			'body'     => (string) curl_multi_getcontent( $handle ),
			'response' => array(
				'code'    => $code,
				'message' => get_status_header_desc( $code ),
			),
			'cookies'  => array(),
			'filename' => null,
		);
		do_action( 'http_api_debug', $answer, 'response', self::class, $args, $url );
		return apply_filters( 'http_response', $answer, $args, $url );
		// phpcs:enable
	}
}
