<?php
/**
 * Form handlers: capability first, then nonce, then the work, then a redirect with a notice.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Admin_Actions;
use Offentlig\Dashboard_Widget;
use Offentlig\Event_Builder;
use Offentlig\Outbox;
use Offentlig\Plugin;

/**
 * Thrown instead of exiting, so a handler can be followed to its end.
 */
final class Stopped extends \RuntimeException {
}

/**
 * Handler and permission tests.
 */
final class AdminActionsTest extends Test_Case {

	/**
	 * Handlers.
	 *
	 * @var Admin_Actions
	 */
	private $actions;

	/**
	 * Users created by a test.
	 *
	 * @var int[]
	 */
	private $users = array();

	protected function setUp(): void {
		parent::setUp();
		$this->actions = new Admin_Actions( $this->plugin->dispatcher, $this->plugin->outbox, $this->plugin->client );
		add_filter( 'wp_die_handler', array( $this, 'die_handler' ) );
		add_filter( 'wp_redirect', array( $this, 'stop_at_redirect' ), 999 );
		$_POST    = array();
		$_REQUEST = array();
	}

	protected function tearDown(): void {
		remove_filter( 'wp_die_handler', array( $this, 'die_handler' ) );
		remove_filter( 'wp_redirect', array( $this, 'stop_at_redirect' ), 999 );
		$_POST    = array();
		$_REQUEST = array();
		require_once ABSPATH . 'wp-admin/includes/user.php';
		foreach ( $this->users as $id ) {
			wp_delete_user( $id );
		}
		wp_set_current_user( 1 );
		delete_transient( Admin_Actions::NOTICE_PREFIX . '1' );
		parent::tearDown();
	}

	/**
	 * The wp_die handler: throws with the status code.
	 *
	 * @return callable
	 */
	public function die_handler() {
		return static function ( $message, $title = '', $args = array() ) {
			$code = is_array( $args ) && isset( $args['response'] ) ? (int) $args['response'] : 500;
			throw new Stopped( 'die', $code ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped
		};
	}

	/**
	 * Stops at wp_redirect, before the handler's exit.
	 *
	 * @param string $location Location.
	 */
	public function stop_at_redirect( $location ): void {
		throw new Stopped( 'redirect:' . $location, 302 ); // phpcs:ignore WordPress.Security.EscapeOutput.ExceptionNotEscaped
	}

	/**
	 * A user with a role, logged in.
	 *
	 * @param string   $role Role.
	 * @param string[] $caps Extra capabilities.
	 */
	private function login_as( string $role, array $caps = array() ): int {
		$id = wp_insert_user(
			array(
				'user_login' => $role . wp_generate_password( 6, false ),
				'user_pass'  => wp_generate_password(),
				'role'       => $role,
			)
		);
		$this->assertIsInt( $id );
		$this->users[] = $id;
		$user          = get_user_by( 'id', $id );
		foreach ( $caps as $cap ) {
			$user->add_cap( $cap );
		}
		wp_set_current_user( $id );
		return $id;
	}

	/**
	 * Runs a handler and returns how it stopped.
	 *
	 * @param callable $handler Handler.
	 */
	private function run_handler( callable $handler ): Stopped {
		try {
			$handler();
		} catch ( Stopped $stopped ) {
			return $stopped;
		}
		$this->fail( 'the handler neither died nor redirected' );
	}

	/**
	 * Users and whether they may trigger each handler.
	 *
	 * @return array<string,array{0:string,1:string[],2:string,3:bool}>
	 */
	public function permissions(): array {
		return array(
			'subscriber, test connection'         => array( 'subscriber', array(), 'test_connection', false ),
			'editor, test connection'             => array( 'editor', array(), 'test_connection', false ),
			'records viewer, test connection'     => array( 'editor', array( Plugin::VIEW_CAPABILITY ), 'test_connection', false ),
			'subscriber, retry'                   => array( 'subscriber', array(), 'retry_failed', false ),
			'editor, retry'                       => array( 'editor', array(), 'retry_failed', false ),
			'records viewer, retry'               => array( 'editor', array( Plugin::VIEW_CAPABILITY ), 'retry_failed', true ),
			'administrator, test connection'      => array( 'administrator', array(), 'test_connection', true ),
			'administrator, retry'                => array( 'administrator', array(), 'retry_failed', true ),
			'subscriber, take snapshot'           => array( 'subscriber', array(), 'take_snapshot', false ),
			'editor, take snapshot'               => array( 'editor', array(), 'take_snapshot', false ),
			'records viewer, take snapshot'       => array( 'editor', array( Plugin::VIEW_CAPABILITY ), 'take_snapshot', false ),
			'administrator, take snapshot'        => array( 'administrator', array(), 'take_snapshot', true ),
			'subscriber, export'                  => array( 'subscriber', array(), 'export_records', false ),
			'editor, export'                      => array( 'editor', array(), 'export_records', false ),
			'records viewer, export'              => array( 'editor', array( Plugin::VIEW_CAPABILITY ), 'export_records', true ),
			'subscriber, download export'         => array( 'subscriber', array(), 'download_export', false ),
			'records viewer, download export'     => array( 'editor', array( Plugin::VIEW_CAPABILITY ), 'download_export', true ),
		);
	}

	/**
	 * The capability is checked before anything else (before the nonce, too).
	 *
	 * @dataProvider permissions
	 * @param string   $role    Role.
	 * @param string[] $caps    Extra capabilities.
	 * @param string   $handler Handler method.
	 * @param bool     $allowed Expected to pass the capability check.
	 */
	public function test_capability_before_nonce( string $role, array $caps, string $handler, bool $allowed ): void {
		$this->login_as( $role, $caps );
		$nonce_checks = did_action( 'check_admin_referer' );
		$stopped      = $this->run_handler( array( $this->actions, $handler ) );
		// Allowed users get as far as the nonce check (no nonce sent: 403 from check_admin_referer).
		$this->assertSame( 403, $stopped->getCode() );
		$this->assertSame( $allowed, did_action( 'check_admin_referer' ) > $nonce_checks );
		$this->assertSame( array(), $this->requests, 'nothing was sent' );
	}

	/**
	 * A forged nonce stops the handler before any work.
	 */
	public function test_bad_nonce_stops_before_work(): void {
		$id = $this->plugin->outbox->add( 'post:5', Event_Builder::envelope( 'post.published', array( 'id' => 5 ) ) );
		$this->plugin->outbox->claim( array( $id ) );
		$this->plugin->outbox->mark_failed_attempt( $id, 422, 'x', array( 5 ) );
		$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = 'forged';
		$stopped = $this->run_handler( array( $this->actions, 'retry_failed' ) );
		$this->assertSame( 403, $stopped->getCode() );
		$this->assertSame( 1, $this->plugin->outbox->counts()[ Outbox::FAILED ] );
	}

	/**
	 * Retry: failed rows are sent again, a notice is left, the user goes back where they were.
	 */
	public function test_retry_failed_sends_and_redirects_with_notice(): void {
		$id = $this->plugin->outbox->add( 'post:6', Event_Builder::envelope( 'post.published', array( 'id' => 6 ) ) );
		$this->plugin->outbox->claim( array( $id ) );
		$this->plugin->outbox->mark_failed_attempt( $id, 422, 'x', array( 5 ) );
		$_POST['_wpnonce']    = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::RETRY_FAILED );
		$_POST['redirect_to'] = wp_slash( admin_url( 'index.php?x=1' ) );

		$stopped = $this->run_handler( array( $this->actions, 'retry_failed' ) );

		$this->assertSame( 'redirect:' . admin_url( 'index.php?x=1' ), $stopped->getMessage() );
		$this->assertSame( Outbox::DELIVERED, $this->plugin->outbox->get( $id )['status'] );
		$notice = get_transient( Admin_Actions::NOTICE_PREFIX . '1' );
		$this->assertSame( 'success', $notice['type'] );
		$this->assertStringContainsString( 'Retried 1 failed delivery.', $notice['message'] );
		ob_start();
		$this->actions->show_notice();
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( 'notice-success', $html );
		$this->assertFalse( get_transient( Admin_Actions::NOTICE_PREFIX . '1' ), 'shown once' );
	}

	/**
	 * Test connection: the service's answer becomes the notice, escaped when shown.
	 */
	public function test_connection_notice_shows_the_answer(): void {
		$this->answer      = array( 200, array( 'ok' => true, 'site_id' => 'abc', 'site_name' => 'Kommun <b>X</b>' ), array() );
		$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::TEST_CONNECTION );
		$stopped           = $this->run_handler( array( $this->actions, 'test_connection' ) );
		$this->assertStringEndsWith( 'options-general.php?page=offentlig-settings', $stopped->getMessage() );
		ob_start();
		$this->actions->show_notice();
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( 'Connected. The archive knows this site as “Kommun &lt;b&gt;X&lt;/b&gt;” (abc).', $html );
	}

	/**
	 * A failed ping is an error notice naming the problem.
	 */
	public function test_connection_failure_notice(): void {
		$this->answer      = array( 404, array( 'code' => 404, 'message' => 'No site with that id.' ), array() );
		$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::TEST_CONNECTION );
		$this->run_handler( array( $this->actions, 'test_connection' ) );
		$notice = get_transient( Admin_Actions::NOTICE_PREFIX . '1' );
		$this->assertSame( 'error', $notice['type'] );
		$this->assertSame( 'Test connection failed: The service answered 404: No site with that id.', $notice['message'] );
	}


	/**
	 * Take snapshot now: POST …/snapshots with the token; 202 is a success notice, and the user
	 * goes back to the dashboard.
	 */
	public function test_take_snapshot_requests_one(): void {
		$this->answer         = array( 202, array( 'id' => '01jsnap', 'kind' => 'snapshot', 'state' => 'queued' ), array( 'Location' => '/v1/sites/x/snapshots/01jsnap' ) );
		$_POST['_wpnonce']    = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::TAKE_SNAPSHOT );
		$_POST['redirect_to'] = wp_slash( admin_url( 'index.php' ) );

		$stopped = $this->run_handler( array( $this->actions, 'take_snapshot' ) );

		$this->assertSame( 'redirect:' . admin_url( 'index.php' ), $stopped->getMessage() );
		$this->assertCount( 1, $this->requests );
		list( $url, $args ) = $this->requests[0];
		$this->assertSame( self::SERVICE_URL . '/v1/sites/' . self::SITE_ID . '/snapshots', $url );
		$this->assertSame( 'POST', $args['method'] );
		$this->assertSame( 'Bearer oft_test_token_123', $args['headers']['Authorization'] );
		$notice = get_transient( Admin_Actions::NOTICE_PREFIX . '1' );
		$this->assertSame( 'success', $notice['type'] );
		$this->assertStringStartsWith( 'Snapshot requested.', $notice['message'] );
	}

	/**
	 * A token without the snapshots:request scope: the service answers 403, and the notice
	 * names the missing scope.
	 */
	public function test_take_snapshot_without_the_scope(): void {
		$this->answer      = array( 403, array( 'code' => 403, 'status' => 'Forbidden', 'message' => "This needs the 'snapshots:request' or 'admin' scope." ), array() );
		$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::TAKE_SNAPSHOT );

		$stopped = $this->run_handler( array( $this->actions, 'take_snapshot' ) );

		$this->assertSame( 'redirect:' . admin_url( 'index.php' ), $stopped->getMessage() );
		$notice = get_transient( Admin_Actions::NOTICE_PREFIX . '1' );
		$this->assertSame( 'error', $notice['type'] );
		$this->assertStringContainsString( 'lacks the snapshots:request scope', $notice['message'] );
		ob_start();
		$this->actions->show_notice();
		$this->assertStringContainsString( 'notice-error', (string) ob_get_clean() );
	}

	/**
	 * The service does not answer: an error notice with the reason, no PHP warning.
	 */
	public function test_take_snapshot_when_the_service_is_down(): void {
		$this->answer      = new \WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
		$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::TAKE_SNAPSHOT );

		$this->run_handler( array( $this->actions, 'take_snapshot' ) );

		$notice = get_transient( Admin_Actions::NOTICE_PREFIX . '1' );
		$this->assertSame( 'error', $notice['type'] );
		$this->assertSame( 'The snapshot could not be requested: cURL error 7: Failed to connect', $notice['message'] );
	}

	/**
	 * Export selected records: POST /v1/exports with the ticked ids, then back to the records
	 * screen, which follows the export by its id.
	 */
	public function test_export_records_asks_the_service_and_follows_the_export(): void {
		$ids                 = array( self::SITE_ID . '.post.1', self::SITE_ID . '.comment.42' );
		$this->answer        = array( 202, array( 'id' => '01jexport', 'kind' => 'disclosure', 'state' => 'queued' ), array() );
		$_POST['_wpnonce']   = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::EXPORT_RECORDS );
		$_POST['record_ids'] = wp_slash( $ids );

		$stopped = $this->run_handler( array( $this->actions, 'export_records' ) );

		$this->assertSame( 'redirect:' . admin_url( 'admin.php?page=offentlig-records&export=01jexport' ), $stopped->getMessage() );
		$this->assertCount( 1, $this->requests );
		list( $url, $args ) = $this->requests[0];
		$this->assertSame( self::SERVICE_URL . '/v1/exports', $url );
		$this->assertSame( 'POST', $args['method'] );
		$this->assertSame( 'application/json', $args['headers']['Content-Type'] );
		$this->assertSame( array( 'record_ids' => $ids ), json_decode( $args['body'], true ) );
		$this->assertSame( 'success', get_transient( Admin_Actions::NOTICE_PREFIX . '1' )['type'] );
		unset( $_POST['record_ids'] );
	}

	/**
	 * Nothing ticked: a warning, and nothing is sent.
	 */
	public function test_export_without_a_selection_sends_nothing(): void {
		$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::EXPORT_RECORDS );
		$this->run_handler( array( $this->actions, 'export_records' ) );
		$this->assertSame( array(), $this->requests );
		$notice = get_transient( Admin_Actions::NOTICE_PREFIX . '1' );
		$this->assertSame( 'warning', $notice['type'] );
		$this->assertSame( 'Select the records to export first.', $notice['message'] );
	}

	/**
	 * The service refuses (a 422 naming a record): an error notice with its message.
	 */
	public function test_export_refused_by_the_service(): void {
		$this->answer        = array( 422, array( 'code' => 422, 'message' => 'Invalid input.' ), array() );
		$_POST['_wpnonce']   = $_REQUEST['_wpnonce'] = wp_create_nonce( Admin_Actions::EXPORT_RECORDS );
		$_POST['record_ids'] = array( 'nope.post.1' );
		$this->run_handler( array( $this->actions, 'export_records' ) );
		$notice = get_transient( Admin_Actions::NOTICE_PREFIX . '1' );
		$this->assertSame( 'error', $notice['type'] );
		$this->assertSame( 'The export could not be requested: The service answered 422: Invalid input.', $notice['message'] );
		unset( $_POST['record_ids'] );
	}

	/**
	 * A forged nonce stops Take snapshot now before anything is sent.
	 */
	public function test_take_snapshot_bad_nonce(): void {
		$_POST['_wpnonce'] = $_REQUEST['_wpnonce'] = 'forged';
		$stopped           = $this->run_handler( array( $this->actions, 'take_snapshot' ) );
		$this->assertSame( 403, $stopped->getCode() );
		$this->assertSame( array(), $this->requests );
		$this->assertFalse( get_transient( Admin_Actions::NOTICE_PREFIX . '1' ) );
	}
	/**
	 * The widget is registered for administrators and for holders of the custom capability only.
	 *
	 * @return array<string,array{0:string,1:string[],2:bool}>
	 */
	public function widget_viewers(): array {
		return array(
			'administrator'  => array( 'administrator', array(), true ),
			'records viewer' => array( 'author', array( Plugin::VIEW_CAPABILITY ), true ),
			'editor'         => array( 'editor', array(), false ),
			'subscriber'     => array( 'subscriber', array(), false ),
		);
	}

	/**
	 * Widget registration.
	 *
	 * @dataProvider widget_viewers
	 * @param string   $role     Role.
	 * @param string[] $caps     Extra capabilities.
	 * @param bool     $expected Registered.
	 */
	public function test_widget_only_for_allowed_users( string $role, array $caps, bool $expected ): void {
		global $wp_meta_boxes;
		require_once ABSPATH . 'wp-admin/includes/dashboard.php';
		require_once ABSPATH . 'wp-admin/includes/screen.php';
		require_once ABSPATH . 'wp-admin/includes/class-wp-screen.php';
		set_current_screen( 'dashboard' );
		$wp_meta_boxes = array(); // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited
		$this->login_as( $role, $caps );
		( new Dashboard_Widget( $this->plugin->client, $this->plugin->outbox ) )->register();
		$this->assertSame( $expected, isset( $wp_meta_boxes['dashboard']['normal']['core'][ Dashboard_Widget::ID ] ) );
	}
}
