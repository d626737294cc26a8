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
 * Requests in flight together over one curl multi handle, so that 50 webhooks of a bulk action
 * take about as long as the slowest few instead of the sum of all 50. Requests can be added
 * while others are in flight (a sender keeps its slots full as new rows come in); at most
 * `$parallel` run at once, the others wait for a free slot.
 *
 * Why not Requests::request_multiple(), which WordPress ships: it takes a fixed list, and it
 * loops on curl_multi_exec() without ever waiting in curl_multi_select(), so the PHP worker
 * spins a whole CPU core for as long as the service takes to answer; on a small server that
 * core is the one the service needs.
 *
 * Each request goes through the HTTP API's filters and actions as wp_remote_request() would:
 * `http_request_args`, `pre_http_request` (a short-circuit answer, as tests and proxies use),
 * WP_HTTP_BLOCK_EXTERNAL, `https_ssl_verify`, the WP_PROXY_* settings, `http_api_curl`,
 * `http_api_debug` and `http_response`; the answers have the shape wp_remote_request() returns.
 * Without the curl extension each request simply goes through wp_remote_request() in add().
 */
final class Http_Batch {

	/**
	 * Most requests in flight at once.
	 *
	 * @var int
	 */
	private $parallel;

	/**
	 * The curl multi handle (made on first use).
	 *
	 * @var \CurlMultiHandle|null
	 */
	private $multi = null;

	/**
	 * Requests waiting for a slot: key => [url, parsed args].
	 *
	 * @var array<int|string,array{0:string,1:array<string,mixed>}>
	 */
	private $waiting = array();

	/**
	 * Requests in flight: spl_object_id(handle) => [key, handle, header holder, url, args, give-up time].
	 *
	 * @var array<int,array{0:int|string,1:\CurlHandle,2:\ArrayObject,3:string,4:array<string,mixed>,5:float}>
	 */
	private $flight = array();

	/**
	 * Answers not yet collected: key => answer.
	 *
	 * @var array<int|string,array<string,mixed>|WP_Error>
	 */
	private $finished = array();

	/**
	 * Constructor.
	 *
	 * @param int $parallel Most requests in flight at once.
	 */
	public function __construct( int $parallel = 8 ) {
		$this->parallel = max( 1, $parallel );
	}

	/**
	 * Closes what is left.
	 */
	public function __destruct() {
		// phpcs:disable WordPress.WP.AlternativeFunctions -- curl is the point of this class.
		foreach ( $this->flight as $transfer ) {
			curl_multi_remove_handle( $this->multi, $transfer[1] );
			curl_close( $transfer[1] );
		}
		if ( null !== $this->multi ) {
			curl_multi_close( $this->multi );
		}
		// phpcs:enable
	}

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
		$batch   = new self( $parallel );
		$answers = array();
		foreach ( $requests as $key => list( $url, $args ) ) {
			if ( null !== $stop && microtime( true ) >= $stop ) {
				break;
			}
			$batch->add( $key, $url, $args );
		}
		while ( $batch->busy() ) {
			if ( null !== $stop && microtime( true ) >= $stop ) {
				$batch->drop_waiting();
			}
			$answers += $batch->collect( 0.05 );
		}
		$ordered = array();
		foreach ( array_keys( $requests ) as $key ) {
			if ( isset( $answers[ $key ] ) ) {
				$ordered[ $key ] = $answers[ $key ];
			}
		}
		return $ordered;
	}

	/**
	 * Adds a request: started at once if a slot is free, else when one is. A short-circuit
	 * answer (pre_http_request) or a refusal is there to collect at once.
	 *
	 * @param int|string          $key  The caller's key for it.
	 * @param string              $url  URL.
	 * @param array<string,mixed> $args Arguments, as for wp_remote_request().
	 */
	public function add( $key, string $url, array $args ): void {
		if ( ! function_exists( 'curl_multi_init' ) ) {
			$this->finished[ $key ] = wp_remote_request( $url, $args );
			return;
		}
		$args = self::parse_args( $url, $args );
		$pre  = apply_filters( 'pre_http_request', false, $args, $url ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hook.
		if ( false !== $pre ) {
			$this->finished[ $key ] = $pre;
			return;
		}
		$refused = self::refusal( $url, $args );
		if ( null !== $refused ) {
			do_action( 'http_api_debug', $refused, 'response', self::class, $args, $url ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hook.
			$this->finished[ $key ] = $refused;
			return;
		}
		$this->waiting[ $key ] = array( $url, $args );
		$this->start_waiting();
	}

	/**
	 * Puts an answer in place of a request (one the caller could not even make).
	 *
	 * @param int|string                   $key    The caller's key.
	 * @param array<string,mixed>|WP_Error $answer The answer.
	 */
	public function resolve( $key, $answer ): void {
		$this->finished[ $key ] = $answer;
	}

	/**
	 * Slots free for more requests right now.
	 */
	public function free(): int {
		return max( 0, $this->parallel - count( $this->flight ) - count( $this->waiting ) );
	}

	/**
	 * Requests waiting for a slot.
	 */
	public function queued(): int {
		return count( $this->waiting );
	}

	/**
	 * Whether anything is waiting, in flight or answered and not yet collected.
	 */
	public function busy(): bool {
		return ! empty( $this->waiting ) || ! empty( $this->flight ) || ! empty( $this->finished );
	}

	/**
	 * Forgets the requests that have not started (out of time).
	 *
	 * @return array<int|string> Their keys.
	 */
	public function drop_waiting(): array {
		$keys          = array_keys( $this->waiting );
		$this->waiting = array();
		return $keys;
	}

	/**
	 * The answers that came since the last call; when there are none yet, waits for one at most
	 * $wait seconds (in curl_multi_select(): asleep, not spinning).
	 *
	 * @param float $wait Longest wait in seconds.
	 * @return array<int|string,array<string,mixed>|WP_Error> Answers by key.
	 */
	public function collect( float $wait ): array {
		if ( empty( $this->finished ) && ! empty( $this->flight ) ) {
			$this->perform();
			if ( empty( $this->finished ) && ! empty( $this->flight ) && $wait > 0 ) {
				// phpcs:ignore WordPress.WP.AlternativeFunctions.curl_curl_multi_select -- see the class.
				if ( -1 === curl_multi_select( $this->multi, $wait ) ) {
					usleep( (int) min( 10000, $wait * 1e6 ) ); // Nothing to wait on yet (some libcurl builds).
				}
				$this->perform();
			}
		}
		$answers        = $this->finished;
		$this->finished = array();
		return $answers;
	}

	/**
	 * Starts waiting requests while slots are free.
	 */
	private function start_waiting(): void {
		if ( null === $this->multi ) {
			$this->multi = curl_multi_init(); // phpcs:ignore WordPress.WP.AlternativeFunctions.curl_curl_multi_init -- see the class.
		}
		while ( ! empty( $this->waiting ) && count( $this->flight ) < $this->parallel ) {
			$key = array_key_first( $this->waiting );
			list( $url, $args ) = $this->waiting[ $key ];
			unset( $this->waiting[ $key ] );
			$holder = new \ArrayObject();
			$handle = self::handle( $url, $args, $holder );
			curl_multi_add_handle( $this->multi, $handle ); // phpcs:ignore WordPress.WP.AlternativeFunctions.curl_curl_multi_add_handle -- see the class.
			// libcurl ends a transfer at its timeout; the give-up time only guards against a loop without end.
			$this->flight[ spl_object_id( $handle ) ] = array( $key, $handle, $holder, $url, $args, microtime( true ) + (float) $args['timeout'] + 5.0 );
		}
	}

	/**
	 * Lets curl move every transfer on; finished ones become answers, and waiting requests take
	 * the freed slots.
	 */
	private function perform(): void {
		// phpcs:disable WordPress.WP.AlternativeFunctions -- see the class.
		do {
			$status = curl_multi_exec( $this->multi, $running );
		} while ( CURLM_CALL_MULTI_PERFORM === $status );
		while ( false !== ( $done = curl_multi_info_read( $this->multi ) ) ) { // phpcs:ignore Generic.CodeAnalysis.AssignmentInCondition.FoundInWhileCondition
			$id = spl_object_id( $done['handle'] );
			if ( isset( $this->flight[ $id ] ) ) {
				list( $key, $handle, $holder, $url, $args ) = $this->flight[ $id ];
				unset( $this->flight[ $id ] );
				$this->finished[ $key ] = self::answer( $url, $args, $handle, (int) $done['result'], $holder );
				curl_multi_remove_handle( $this->multi, $handle );
				curl_close( $handle );
			}
		}
		$now = microtime( true );
		foreach ( $this->flight as $id => list( $key, $handle, , $url, $args, $give_up ) ) {
			if ( $now > $give_up || CURLM_OK !== $status ) {
				unset( $this->flight[ $id ] );
				$error = new WP_Error( 'http_request_failed', CURLM_OK !== $status ? sprintf( 'cURL multi error %d', $status ) : 'cURL error 28: Operation timed out' );
				do_action( 'http_api_debug', $error, 'response', self::class, $args, $url ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- core's hook.
				$this->finished[ $key ] = $error;
				curl_multi_remove_handle( $this->multi, $handle );
				curl_close( $handle );
			}
		}
		// phpcs:enable
		if ( ! empty( $this->waiting ) ) {
			$this->start_waiting();
		}
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
		$unsafe = ! empty( $args['reject_unsafe_urls'] ) && ! wp_http_validate_url( $url );
		if ( $unsafe || ! in_array( wp_parse_url( $url, PHP_URL_SCHEME ), array( 'http', 'https' ), true ) ) {
			return new WP_Error( 'http_request_failed', __( 'A valid URL was not provided.', 'offentlig' ) );
		}
		if ( ( new \WP_Http() )->block_request( $url ) ) {
			return new WP_Error( 'http_request_not_executed', __( 'User has blocked requests through HTTP.', 'offentlig' ) );
		}
		return null;
	}

	/**
	 * A curl handle for one request, set up as WordPress's Requests transport sets one up.
	 *
	 * @param string              $url    URL.
	 * @param array<string,mixed> $args   Parsed arguments.
	 * @param \ArrayObject        $holder Collects the answer's headers.
	 * @return \CurlHandle
	 */
	private static function handle( string $url, array $args, \ArrayObject $holder ) {
		// phpcs:disable WordPress.WP.AlternativeFunctions -- see the class.
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
					list( $name, $value )                  = explode( ':', $line, 2 );
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
	 * @param \ArrayObject        $holder Headers.
	 * @return array<string,mixed>|WP_Error
	 */
	private static function answer( string $url, array $args, $handle, int $result, \ArrayObject $holder ) {
		// phpcs:disable WordPress.WP.AlternativeFunctions,WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- see the class; core's hooks.
		if ( CURLE_OK !== $result ) {
			$error  = curl_error( $handle );
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
