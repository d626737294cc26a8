<?php
/**
 * Form handlers (admin-post.php) and the notices they leave.
 *
 * @package Offentlig
 */

namespace Offentlig;

defined( 'ABSPATH' ) || exit;

/**
 * Every handler: capability, nonce, unslash, work, redirect.
 */
final class Admin_Actions {

	const TEST_CONNECTION = 'offentlig_test_connection';
	const RETRY_FAILED    = 'offentlig_retry_failed';
	const TAKE_SNAPSHOT   = 'offentlig_take_snapshot';
	const EXPORT_RECORDS  = 'offentlig_export_records';
	const DOWNLOAD_EXPORT = 'offentlig_download_export';
	const SNAPSHOT_SCOPE  = 'snapshots:request';
	const NOTICE_PREFIX   = 'offentlig_notice_';

	/**
	 * Dispatcher.
	 *
	 * @var Dispatcher
	 */
	private $dispatcher;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * API client (for Take snapshot now); null: the button's handler refuses.
	 *
	 * @var Service_Client|null
	 */
	private $client;

	/**
	 * Constructor.
	 *
	 * @param Dispatcher          $dispatcher Dispatcher.
	 * @param Outbox              $outbox     Outbox.
	 * @param Service_Client|null $client     API client, for Take snapshot now.
	 */
	public function __construct( Dispatcher $dispatcher, Outbox $outbox, ?Service_Client $client = null ) {
		$this->dispatcher = $dispatcher;
		$this->outbox     = $outbox;
		$this->client     = $client;
	}

	/**
	 * Take snapshot now: asks the service for a snapshot of the site (POST …/snapshots).
	 */
	public function take_snapshot(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to request snapshots.', 'offentlig' ), 403 );
		}
		check_admin_referer( self::TAKE_SNAPSHOT );
		$redirect = isset( $_POST['redirect_to'] ) ? esc_url_raw( wp_unslash( $_POST['redirect_to'] ) ) : '';

		$answer = null === $this->client
			? new \WP_Error( 'offentlig_no_client', __( 'The plugin is not set up to talk to the service.', 'offentlig' ) )
			: $this->client->request_snapshot();
		if ( ! is_wp_error( $answer ) ) {
			$this->notice( 'success', __( 'Snapshot requested. The service takes it in the background; its progress shows in the dashboard widget.', 'offentlig' ) );
		} elseif ( 'offentlig_api_403' === $answer->get_error_code() ) {
			$this->notice(
				'error',
				sprintf(
					/* translators: %s: the name of the token scope, snapshots:request. */
					__( 'The service refused: the token in Settings → Offentlig lacks the %s scope. Create a token with that scope (and records:read) on the service and enter it as the read token.', 'offentlig' ),
					self::SNAPSHOT_SCOPE
				)
			);
		} else {
			$this->notice(
				'error',
				sprintf(
					/* translators: %s: error message. */
					__( 'The snapshot could not be requested: %s', 'offentlig' ),
					$answer->get_error_message()
				)
			);
		}
		wp_safe_redirect( $redirect ? $redirect : admin_url( 'index.php' ) );
		exit;
	}

	/**
	 * Export selected records: asks the service for a disclosure export (POST /v1/exports) and
	 * goes back to the records screen, which shows its progress and, when ready, the download.
	 */
	public function export_records(): void {
		if ( ! Plugin::current_user_can_view() ) {
			wp_die( esc_html__( 'You are not allowed to export records.', 'offentlig' ), 403 );
		}
		check_admin_referer( self::EXPORT_RECORDS );
		$ids = isset( $_POST['record_ids'] ) && is_array( $_POST['record_ids'] )
			? array_values( array_filter( array_map( 'sanitize_text_field', wp_unslash( $_POST['record_ids'] ) ) ) )
			: array();
		$back = admin_url( 'admin.php?page=' . Records_Screen::PAGE );
		if ( empty( $ids ) ) {
			$this->notice( 'warning', __( 'Select the records to export first.', 'offentlig' ) );
			wp_safe_redirect( $back );
			exit;
		}
		$answer = null === $this->client
			? new \WP_Error( 'offentlig_no_client', __( 'The plugin is not set up to talk to the service.', 'offentlig' ) )
			: $this->client->request_export( $ids );
		if ( is_wp_error( $answer ) ) {
			$this->notice(
				'error',
				sprintf(
					/* translators: %s: error message. */
					__( 'The export could not be requested: %s', 'offentlig' ),
					$answer->get_error_message()
				)
			);
			wp_safe_redirect( $back );
			exit;
		}
		$this->notice( 'success', __( 'Export requested. The service prepares it in the background.', 'offentlig' ) );
		wp_safe_redirect( add_query_arg( 'export', rawurlencode( (string) ( $answer['id'] ?? '' ) ), $back ) );
		exit;
	}

	/**
	 * Download an export: fetches the ZIP with the plugin's token and hands it to the browser.
	 */
	public function download_export(): void {
		if ( ! Plugin::current_user_can_view() ) {
			wp_die( esc_html__( 'You are not allowed to export records.', 'offentlig' ), 403 );
		}
		$export = isset( $_GET['export'] ) ? sanitize_key( wp_unslash( $_GET['export'] ) ) : '';
		check_admin_referer( self::DOWNLOAD_EXPORT . '_' . $export );
		$file = wp_tempnam( 'offentlig-export' );
		$done = null === $this->client
			? new \WP_Error( 'offentlig_no_client', __( 'The plugin is not set up to talk to the service.', 'offentlig' ) )
			: $this->client->download_export( $export, $file );
		if ( is_wp_error( $done ) ) {
			wp_delete_file( $file );
			wp_die( esc_html( $done->get_error_message() ), 502 );
		}
		nocache_headers();
		header( 'Content-Type: application/zip' );
		header( 'Content-Disposition: attachment; filename="offentlig-' . $export . '.zip"' );
		header( 'Content-Length: ' . (string) filesize( $file ) );
		readfile( $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_readfile -- streams the ZIP to the browser.
		wp_delete_file( $file );
		exit;
	}

	/**
	 * Test connection: sends offentlig.ping and reports the answer.
	 */
	public function test_connection(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to change the Offentlig settings.', 'offentlig' ), 403 );
		}
		check_admin_referer( self::TEST_CONNECTION );

		$answer = $this->dispatcher->ping();
		if ( is_wp_error( $answer ) ) {
			$this->notice(
				'error',
				sprintf(
					/* translators: %s: error message. */
					__( 'Test connection failed: %s', 'offentlig' ),
					$answer->get_error_message()
				)
			);
		} else {
			$body = is_array( $answer['body'] ) ? $answer['body'] : array();
			$this->notice(
				'success',
				sprintf(
					/* translators: 1: site name in the archive, 2: site id. */
					__( 'Connected. The archive knows this site as “%1$s” (%2$s).', 'offentlig' ),
					(string) ( $body['site_name'] ?? '' ),
					(string) ( $body['site_id'] ?? '' )
				)
			);
		}
		wp_safe_redirect( admin_url( 'options-general.php?page=' . Settings::PAGE ) );
		exit;
	}

	/**
	 * Retry failed deliveries: requeues failed rows and sends them at once.
	 */
	public function retry_failed(): void {
		if ( ! Plugin::current_user_can_view() ) {
			wp_die( esc_html__( 'You are not allowed to retry deliveries.', 'offentlig' ), 403 );
		}
		check_admin_referer( self::RETRY_FAILED );
		$redirect = isset( $_POST['redirect_to'] ) ? esc_url_raw( wp_unslash( $_POST['redirect_to'] ) ) : '';

		$requeued = $this->outbox->retry_failed();
		$result   = $this->dispatcher->run( array(), 15.0 );
		$this->notice(
			$result['retrying'] + $result['failed'] > 0 ? 'warning' : 'success',
			sprintf(
				/* translators: %s: number of failed deliveries put back in the queue. */
				_n( 'Retried %s failed delivery.', 'Retried %s failed deliveries.', $requeued, 'offentlig' ),
				number_format_i18n( $requeued )
			) . ' ' . sprintf(
				/* translators: %s: number of events delivered right now. */
				_n( '%s event delivered now; anything left stays in the queue.', '%s events delivered now; anything left stays in the queue.', $result['delivered'], 'offentlig' ),
				number_format_i18n( $result['delivered'] )
			)
		);
		wp_safe_redirect( $redirect ? $redirect : admin_url( 'index.php' ) );
		exit;
	}

	/**
	 * Keeps a notice for the current user's next admin page.
	 *
	 * @param string $type    success, warning or error.
	 * @param string $message Plain text.
	 */
	private function notice( string $type, string $message ): void {
		set_transient(
			self::NOTICE_PREFIX . get_current_user_id(),
			array(
				'type'    => $type,
				'message' => $message,
			),
			MINUTE_IN_SECONDS
		);
	}

	/**
	 * Shows and forgets the current user's notice (admin_notices).
	 */
	public function show_notice(): void {
		$key    = self::NOTICE_PREFIX . get_current_user_id();
		$notice = get_transient( $key );
		if ( ! is_array( $notice ) ) {
			return;
		}
		delete_transient( $key );
		$type = in_array( $notice['type'], array( 'success', 'warning', 'error' ), true ) ? $notice['type'] : 'info';
		printf(
			'<div class="notice notice-%1$s is-dismissible offentlig-notice"><p>%2$s</p></div>',
			esc_attr( $type ),
			esc_html( (string) $notice['message'] )
		);
	}
}
