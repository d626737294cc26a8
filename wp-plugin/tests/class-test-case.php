<?php
/**
 * Shared fixture: a configured plugin, an empty outbox, captured HTTP requests, clean-up of posts.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Plugin;
use PHPUnit\Framework\TestCase as PHPUnitTestCase;

/**
 * Base class for the plugin's tests.
 */
abstract class Test_Case extends PHPUnitTestCase {

	const SERVICE_URL = 'http://127.0.0.1:8999';
	const SITE_ID     = '01jdx3z6w4f6k1q9t3v8b2c7n5';
	const SECRET      = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

	/**
	 * The plugin.
	 *
	 * @var Plugin
	 */
	protected $plugin;

	/**
	 * Requests sent to the service: [url, args].
	 *
	 * @var array<int,array{0:string,1:array<string,mixed>}>
	 */
	protected $requests = array();

	/**
	 * What the fake service answers: a WP_Error or [status, body, headers], or a Closure that
	 * takes the URL and returns one of those (for screens that ask more than one thing).
	 *
	 * @var mixed
	 */
	protected $answer = array( 201, array( 'record_id' => 'x', 'version' => 1, 'event_id' => null ), array() );

	/**
	 * Posts to delete afterwards.
	 *
	 * @var int[]
	 */
	protected $posts = array();

	/**
	 * The pre_http_request callback.
	 *
	 * @var callable
	 */
	private $http_filter;

	protected function setUp(): void {
		parent::setUp();
		global $wpdb;
		$this->plugin = Plugin::instance();
		$this->plugin->settings->update(
			array(
				'service_url'      => self::SERVICE_URL,
				'site_id'          => self::SITE_ID,
				'secret'           => self::SECRET,
				'read_token'       => 'oft_test_token_123',
				'capture_posts'    => true,
				'capture_pages'    => true,
				'capture_comments' => true,
				'capture_spam'     => false,
				'send_email'       => true,
				'send_ip'          => false,
				'send_user_agent'  => false,
			)
		);
		$wpdb->query( 'TRUNCATE TABLE ' . $this->plugin->outbox->table() ); // phpcs:ignore WordPress.DB
		$this->plugin->capture->reset();
		wp_set_current_user( 1 );

		$this->requests    = array();
		$this->http_filter = function ( $pre, $args, $url ) {
			if ( 0 !== strpos( $url, self::SERVICE_URL ) ) {
				return $pre;
			}
			$this->requests[] = array( $url, $args );
			$answer           = $this->answer instanceof \Closure ? ( $this->answer )( $url ) : $this->answer;
			if ( is_wp_error( $answer ) ) {
				return $answer;
			}
			list( $status, $body, $headers ) = $answer;
			return array(
				'headers'  => $headers,
				'body'     => wp_json_encode( $body ),
				'response' => array(
					'code'    => $status,
					'message' => get_status_header_desc( $status ),
				),
				'cookies'  => array(),
				'filename' => null,
			);
		};
		add_filter( 'pre_http_request', $this->http_filter, 10, 3 );
	}

	protected function tearDown(): void {
		remove_filter( 'pre_http_request', $this->http_filter, 10 );
		foreach ( $this->posts as $id ) {
			wp_delete_post( $id, true );
		}
		$this->plugin->capture->reset();
		parent::tearDown();
	}

	/**
	 * Rows of the outbox, oldest first, with the payload decoded.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	protected function outbox_rows(): array {
		global $wpdb;
		$rows = $wpdb->get_results( 'SELECT * FROM ' . $this->plugin->outbox->table() . ' ORDER BY id', ARRAY_A ); // phpcs:ignore WordPress.DB
		foreach ( $rows as &$row ) {
			$row['event'] = json_decode( $row['payload'], true );
		}
		return $rows;
	}

	/**
	 * Event types in the outbox, oldest first.
	 *
	 * @return string[]
	 */
	protected function event_types(): array {
		return array_column( $this->outbox_rows(), 'event_type' );
	}

	/**
	 * Ends the simulated request: forget per-request state (the next call is a new request).
	 */
	protected function next_request(): void {
		$this->plugin->capture->reset();
	}

	/**
	 * Inserts a post and remembers it for clean-up.
	 *
	 * @param array<string,mixed> $args wp_insert_post arguments.
	 */
	protected function make_post( array $args ): int {
		$id = wp_insert_post(
			$args + array(
				'post_title'   => 'Sammanträde',
				'post_content' => 'Kommunstyrelsen sammanträder.',
				'post_author'  => 1,
			),
			true
		);
		$this->assertIsInt( $id );
		$this->posts[] = $id;
		return $id;
	}

	/**
	 * A comment from a visitor, through wp_new_comment (the path wp-comments-post.php takes).
	 *
	 * @param int                 $post_id Post.
	 * @param array<string,mixed> $args    Overrides.
	 */
	protected function visitor_comment( int $post_id, array $args = array() ): int {
		wp_set_current_user( 0 );
		$id = wp_new_comment(
			$args + array(
				'comment_post_ID'      => $post_id,
				'comment_author'       => 'Anna Andersson',
				'comment_author_email' => 'anna.' . wp_generate_password( 6, false ) . '@example.se',
				'comment_author_url'   => 'https://anna.example.se',
				'comment_author_IP'    => '192.0.2.7',
				'comment_agent'        => 'Mozilla/5.0 test',
				'comment_content'      => 'När börjar mötet? ' . wp_generate_password( 8, false ),
				'comment_type'         => 'comment',
				'comment_parent'       => 0,
				'user_id'              => 0,
			),
			true
		);
		wp_set_current_user( 1 );
		$this->assertIsInt( $id );
		return $id;
	}
}
