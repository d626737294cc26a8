<?php
/**
 * Http_Batch: several requests at once over curl_multi, against the real test site, each going
 * through the HTTP API's filters and answering as wp_remote_request() answers.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Http_Batch;

/**
 * Concurrent requests, the WordPress way.
 */
final class HttpBatchTest extends Test_Case {

	/**
	 * A loopback port nobody listens on (bound for a moment, then let go).
	 */
	private static function closed_port(): int {
		$server = stream_socket_server( 'tcp://127.0.0.1:0' );
		$name   = (string) stream_socket_get_name( $server, false );
		fclose( $server ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_fclose
		return (int) substr( $name, strrpos( $name, ':' ) + 1 );
	}

	/**
	 * Answers by key and in order: real answers from the site (200, 404), a refused connection,
	 * and a short-circuit through pre_http_request; the three real ones all in flight before the
	 * first is done; core's filters and actions applied to each.
	 */
	public function test_requests_at_once_answer_like_wp_remote_request(): void {
		$home     = home_url( '/wp-json/' );
		$missing  = home_url( '/wp-json/offentlig-test/no-such-route' );
		$requests = array(
			'home'    => array( $home, array( 'timeout' => 20 ) ),
			'missing' => array(
				$missing,
				array(
					'method'  => 'POST',
					'timeout' => 20,
					'headers' => array( 'Content-Type' => 'application/json' ),
					'body'    => '{"fråga":"finns du?"}',
				),
			),
			'closed'  => array( 'http://127.0.0.1:' . self::closed_port() . '/', array( 'timeout' => 5 ) ),
			'faked'   => array( self::SERVICE_URL . '/v1/sites/x/events', array( 'method' => 'POST', 'body' => '{}' ) ),
		);
		$log      = array();
		$args     = static function ( $args ) {
			$args['headers']['X-Offentlig-Test'] = 'ja';
			return $args;
		};
		$curl     = static function ( $handle, $args, $url ) use ( &$log ) {
			unset( $handle );
			$log[] = array( 'curl', $url, $args['headers']['X-Offentlig-Test'] ?? null );
		};
		$debug    = static function ( $response, $context, $transport, $args, $url ) use ( &$log ) {
			unset( $response, $context, $transport, $args );
			$log[] = array( 'done', $url );
		};
		add_filter( 'http_request_args', $args );
		add_action( 'http_api_curl', $curl, 10, 3 );
		add_action( 'http_api_debug', $debug, 10, 5 );
		try {
			$answers = Http_Batch::request_all( $requests, 8 );
		} finally {
			remove_filter( 'http_request_args', $args );
			remove_action( 'http_api_curl', $curl, 10 );
			remove_action( 'http_api_debug', $debug, 10 );
		}

		$this->assertSame( array( 'home', 'missing', 'closed', 'faked' ), array_keys( $answers ) );

		$alone = wp_remote_get( $home, array( 'timeout' => 20 ) );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $answers['home'] ) );
		$this->assertSame( wp_remote_retrieve_body( $alone ), wp_remote_retrieve_body( $answers['home'] ) );
		$this->assertSame( get_bloginfo( 'name' ), json_decode( wp_remote_retrieve_body( $answers['home'] ), true )['name'] );
		$this->assertStringContainsString( 'application/json', wp_remote_retrieve_header( $answers['home'], 'content-type' ) );
		$this->assertSame( 'OK', wp_remote_retrieve_response_message( $answers['home'] ) );

		$this->assertSame( 404, wp_remote_retrieve_response_code( $answers['missing'] ) );
		$this->assertSame( 'rest_no_route', json_decode( wp_remote_retrieve_body( $answers['missing'] ), true )['code'] );

		$this->assertWPError( $answers['closed'] );
		$this->assertSame( 'http_request_failed', $answers['closed']->get_error_code() );
		$this->assertStringStartsWith( 'cURL error 7:', $answers['closed']->get_error_message() );

		$this->assertSame( 201, wp_remote_retrieve_response_code( $answers['faked'] ) );
		$this->assertCount( 1, $this->requests, 'pre_http_request answered the faked one' );

		$curls = array_values( array_filter( $log, static fn( $entry ) => 'curl' === $entry[0] ) );
		$this->assertSame( array( $home, $missing ), array_slice( array_column( $curls, 1 ), 0, 2 ) );
		$this->assertCount( 3, $curls, 'a curl handle for each real request, none for the faked one' );
		$this->assertSame( array( 'ja', 'ja', 'ja' ), array_column( $curls, 2 ), 'http_request_args applied' );
		$this->assertSame( array( 'curl', 'curl', 'curl', 'done', 'done', 'done' ), array_column( $log, 0 ), 'all three in flight before the first was done' );
	}

	/**
	 * With fewer slots than requests, the rest wait for a free slot and every one is answered.
	 */
	public function test_more_requests_than_slots(): void {
		$requests = array();
		for ( $i = 0; $i < 5; $i++ ) {
			$requests[] = array( home_url( '/wp-json/?n=' . $i ), array( 'timeout' => 20 ) );
		}
		$in_flight = 0;
		$most      = 0;
		$curl      = static function () use ( &$in_flight, &$most ) {
			++$in_flight;
			$most = max( $most, $in_flight );
		};
		$debug     = static function () use ( &$in_flight ) {
			--$in_flight;
		};
		add_action( 'http_api_curl', $curl );
		add_action( 'http_api_debug', $debug );
		try {
			$answers = Http_Batch::request_all( $requests, 2 );
		} finally {
			remove_action( 'http_api_curl', $curl );
			remove_action( 'http_api_debug', $debug );
		}
		$this->assertSame( array( 200, 200, 200, 200, 200 ), array_map( 'wp_remote_retrieve_response_code', $answers ) );
		$this->assertSame( 2, $most, 'never more than two at once, and two at once' );
	}

	/**
	 * Requests added while others are in flight; answers put in directly (a request the caller
	 * could not make) are collected like the others; free slots and busy-ness as they change.
	 */
	public function test_adding_while_in_flight(): void {
		$batch = new Http_Batch( 2 );
		$this->assertFalse( $batch->busy() );
		$this->assertSame( 2, $batch->free() );
		$batch->add( 'a', home_url( '/wp-json/?a' ), array( 'timeout' => 20 ) );
		$batch->resolve( 'error', new \WP_Error( 'offentlig_not_configured', 'nej' ) );
		$this->assertSame( 1, $batch->free() );
		$answers = array();
		$added   = false;
		while ( $batch->busy() ) {
			$answers += $batch->collect( 0.05 );
			if ( ! $added ) {
				$added = true;
				$batch->add( 'b', home_url( '/wp-json/?b' ), array( 'timeout' => 20 ) );
				$batch->add( 'c', self::SERVICE_URL . '/x', array( 'method' => 'POST' ) );
			}
		}
		ksort( $answers );
		$this->assertSame( array( 'a', 'b', 'c', 'error' ), array_keys( $answers ) );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $answers['a'] ) );
		$this->assertSame( 200, wp_remote_retrieve_response_code( $answers['b'] ) );
		$this->assertSame( 201, wp_remote_retrieve_response_code( $answers['c'] ) );
		$this->assertSame( 'nej', $answers['error']->get_error_message() );
		$this->assertSame( 2, $batch->free() );
	}

	/**
	 * Past the stop time nothing more is started, and what was not started has no answer.
	 */
	public function test_nothing_starts_after_the_stop_time(): void {
		$requests = array(
			array( self::SERVICE_URL . '/a', array( 'method' => 'POST' ) ),
			array( home_url( '/wp-json/' ), array( 'timeout' => 20 ) ),
		);
		$this->assertSame( array(), Http_Batch::request_all( $requests, 8, microtime( true ) - 1 ) );
		$this->assertSame( array(), $this->requests );
		$answers = Http_Batch::request_all( $requests, 8, microtime( true ) + 60 );
		$this->assertSame( array( 201, 200 ), array_map( 'wp_remote_retrieve_response_code', $answers ) );
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
