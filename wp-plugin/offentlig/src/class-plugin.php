<?php
/**
 * Composition root: builds the objects once and registers every hook.
 *
 * @package Offentlig
 */

namespace Offentlig;

defined( 'ABSPATH' ) || exit;

/**
 * All of the plugin's hooks, in one place.
 */
final class Plugin {

	/**
	 * Capability that grants the widget and records screen without manage_options.
	 */
	const VIEW_CAPABILITY = 'offentlig_view_records';

	/**
	 * The instance.
	 *
	 * @var Plugin|null
	 */
	private static $instance = null;

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	public $settings;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	public $outbox;

	/**
	 * Dispatcher.
	 *
	 * @var Dispatcher
	 */
	public $dispatcher;

	/**
	 * Hook handlers for capture.
	 *
	 * @var Capture
	 */
	public $capture;

	/**
	 * Read API client.
	 *
	 * @var Service_Client
	 */
	public $client;

	/**
	 * Builds the object graph.
	 */
	private function __construct() {
		global $wpdb;
		$this->settings   = new Settings();
		$this->outbox     = new Outbox( $wpdb );
		$this->dispatcher = new Dispatcher( $this->settings, $this->outbox );
		$this->capture    = new Capture( $this->settings, $this->outbox, new Event_Builder( $this->settings ) );
		$this->client     = new Service_Client( $this->settings );
	}

	/**
	 * The one instance.
	 */
	public static function instance(): Plugin {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Whether the current user may see the widget and the records screen.
	 */
	public static function current_user_can_view(): bool {
		return current_user_can( 'manage_options' ) || current_user_can( self::VIEW_CAPABILITY );
	}

	/**
	 * Registers every hook.
	 */
	public function set_up(): void {
		register_activation_hook( PLUGIN_FILE, array( $this, 'activate' ) );
		register_deactivation_hook( PLUGIN_FILE, array( $this, 'deactivate' ) );

		add_action( 'init', array( $this, 'load_textdomain' ) );
		add_action( 'init', array( $this, 'maintain' ) );
		add_filter( 'cron_schedules', array( $this, 'cron_schedules' ) ); // phpcs:ignore WordPress.WP.CronInterval.CronSchedulesInterval -- the outbox is polled every minute by design.

		// Capture: hooks → outbox rows.
		add_action( 'transition_post_status', array( $this->capture, 'on_transition_post_status' ), 10, 3 );
		add_action( 'wp_after_insert_post', array( $this->capture, 'on_after_insert_post' ), 10, 2 );
		add_action( 'before_delete_post', array( $this->capture, 'on_before_delete_post' ), 10, 2 );
		add_action( 'wp_insert_comment', array( $this->capture, 'on_insert_comment' ), 10, 2 );
		add_filter( 'wp_update_comment_data', array( $this->capture, 'remember_comment' ), 10, 2 );
		add_action( 'edit_comment', array( $this->capture, 'on_edit_comment' ), 10, 1 );
		add_action( 'transition_comment_status', array( $this->capture, 'on_transition_comment_status' ), 10, 3 );
		add_action( 'delete_comment', array( $this->capture, 'on_delete_comment' ), 10, 2 );

		// Delivery: after the response, right-away cron, and every minute.
		add_action( 'shutdown', array( $this->capture, 'write_unwritten' ), 0 );
		add_action( 'shutdown', array( $this, 'dispatch_after_response' ), 1000 );
		add_action( Dispatcher::NOW_HOOK, array( $this, 'run_dispatch' ) );
		add_action( Dispatcher::CRON_HOOK, array( $this, 'run_scheduled' ) );
		add_action( 'wp_ajax_nopriv_' . Dispatcher::KICK_ACTION, array( $this->dispatcher, 'handle_kick' ) );
		add_action( 'wp_ajax_' . Dispatcher::KICK_ACTION, array( $this->dispatcher, 'handle_kick' ) );

		if ( is_admin() ) {
			$actions = new Admin_Actions( $this->dispatcher, $this->outbox, $this->client );
			$widget  = new Dashboard_Widget( $this->client, $this->outbox, $this->settings->park_interval() );
			$records = new Records_Screen( $this->client, new Record_View( $this->client ) );
			add_action( 'admin_init', array( $this->settings, 'register' ) );
			add_action( 'admin_menu', array( $this->settings, 'add_page' ) );
			add_action( 'admin_menu', array( $records, 'add_page' ) );
			add_action( 'admin_enqueue_scripts', array( $records, 'enqueue_styles' ) );
			add_action( 'wp_dashboard_setup', array( $widget, 'register' ) );
			add_action( 'admin_notices', array( $actions, 'show_notice' ) );
			add_action( 'admin_post_' . Admin_Actions::TEST_CONNECTION, array( $actions, 'test_connection' ) );
			add_action( 'admin_post_' . Admin_Actions::RETRY_FAILED, array( $actions, 'retry_failed' ) );
			add_action( 'admin_post_' . Admin_Actions::TAKE_SNAPSHOT, array( $actions, 'take_snapshot' ) );
			add_action( 'admin_post_' . Admin_Actions::EXPORT_RECORDS, array( $actions, 'export_records' ) );
			add_action( 'admin_post_' . Admin_Actions::DOWNLOAD_EXPORT, array( $actions, 'download_export' ) );
			add_filter( 'plugin_action_links_' . plugin_basename( PLUGIN_FILE ), array( $this, 'action_links' ) );
		}
	}

	/**
	 * Activation: create the outbox and start the per-minute dispatch.
	 */
	public function activate(): void {
		$this->outbox->install();
		if ( ! wp_next_scheduled( Dispatcher::CRON_HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, Dispatcher::CRON_SCHEDULE, Dispatcher::CRON_HOOK );
		}
	}

	/**
	 * Deactivation: stop scheduling; the outbox and its undelivered rows stay (uninstall removes them).
	 */
	public function deactivate(): void {
		wp_clear_scheduled_hook( Dispatcher::CRON_HOOK );
		wp_clear_scheduled_hook( Dispatcher::NOW_HOOK );
	}

	/**
	 * Loads translations.
	 */
	public function load_textdomain(): void {
		load_plugin_textdomain( 'offentlig', false, dirname( plugin_basename( PLUGIN_FILE ) ) . '/languages' );
	}

	/**
	 * Keeps the table in place after updates (on every request: an autoloaded option, no query),
	 * and the per-minute event after a lost cron entry (in the admin and in cron runs; a save
	 * under PHP-FPM checks it after its response).
	 */
	public function maintain(): void {
		if ( Outbox::DB_VERSION !== get_option( Outbox::DB_VERSION_OPTION ) ) {
			$this->outbox->install();
		}
		if ( is_admin() || wp_doing_cron() ) {
			$this->maintain_schedule();
		}
	}

	/**
	 * Schedules the per-minute event if it is missing.
	 */
	public function maintain_schedule(): void {
		if ( ! wp_next_scheduled( Dispatcher::CRON_HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, Dispatcher::CRON_SCHEDULE, Dispatcher::CRON_HOOK );
		}
	}

	/**
	 * Adds the every-minute schedule.
	 *
	 * @param array<string,array<string,mixed>> $schedules Schedules.
	 * @return array<string,array<string,mixed>>
	 */
	public function cron_schedules( $schedules ) {
		$schedules[ Dispatcher::CRON_SCHEDULE ] = array(
			'interval' => MINUTE_IN_SECONDS,
			'display'  => __( 'Every minute (Offentlig)', 'offentlig' ),
		);
		return $schedules;
	}

	/**
	 * Sends this request's events once the response is complete.
	 *
	 * The rows are already committed (the hooks wrote them before WordPress answered). Under
	 * PHP-FPM the client is released first with fastcgi_finish_request(); then this request
	 * sends the queues of the objects it wrote rows for (its own rows, and any due row of the
	 * same objects), waiting briefly if one of them is behind a row another worker is sending.
	 * Elsewhere a non-blocking loopback request does the same, with an immediate single WP-Cron
	 * event as its fallback. None of this needs WP-Cron when the service answers.
	 */
	public function dispatch_after_response(): void {
		$keys = $this->capture->written_keys();
		if ( empty( $keys ) ) {
			// Rows written past the capture hooks (an import, a resend) are anyone's at once.
			$this->outbox->release_held();
			return;
		}
		if ( wp_doing_cron() ) {
			$this->dispatcher->send_objects( $keys, 10.0, 0.0 );
			return;
		}
		if ( 'cli' !== PHP_SAPI && ( function_exists( 'fastcgi_finish_request' ) || function_exists( 'litespeed_finish_request' ) ) ) {
			if ( function_exists( 'fastcgi_finish_request' ) ) {
				fastcgi_finish_request();
			} else {
				litespeed_finish_request();
			}
			if ( count( $keys ) > Dispatcher::FAN_OUT_AFTER ) {
				// A bulk action: let other workers take part of it (its rows must be free for them).
				$this->outbox->release_held();
				$this->dispatcher->fan_out( count( $keys ) );
			}
			// Only these objects' queues (this request's rows, still held by it, first): a
			// backlog is WP-Cron's job, not an editor's PHP worker's.
			$this->dispatcher->send_objects( $keys, 10.0, Dispatcher::WAIT );
			$this->maintain_schedule();
			return;
		}
		$this->outbox->release_held();
		if ( 'cli' === PHP_SAPI ) {
			if ( ! wp_next_scheduled( Dispatcher::NOW_HOOK ) ) {
				wp_schedule_single_event( time(), Dispatcher::NOW_HOOK );
			}
			return;
		}
		$this->dispatcher->kick( $keys );
	}

	/**
	 * The immediate single cron event.
	 */
	public function run_dispatch(): void {
		$this->dispatcher->run();
	}

	/**
	 * The per-minute cron event: send what is due, then prune delivered rows.
	 */
	public function run_scheduled(): void {
		$this->dispatcher->run();
		$this->outbox->prune( (int) $this->settings->get( 'keep_delivered_days' ) );
	}

	/**
	 * "Settings" link on the Plugins screen.
	 *
	 * @param string[] $links Links.
	 * @return string[]
	 */
	public function action_links( $links ) {
		array_unshift(
			$links,
			sprintf( '<a href="%1$s">%2$s</a>', esc_url( admin_url( 'options-general.php?page=' . Settings::PAGE ) ), esc_html__( 'Settings', 'offentlig' ) )
		);
		return $links;
	}
}
