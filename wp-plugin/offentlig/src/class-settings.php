<?php
/**
 * Plugin settings: one option, each field overridable by a wp-config.php constant.
 *
 * @package Offentlig
 */

namespace Offentlig;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Reads, validates and renders the settings (Settings API).
 */
final class Settings {

	const OPTION = 'offentlig_settings';
	const GROUP  = 'offentlig';
	const PAGE   = 'offentlig-settings';

	/**
	 * Svix-like retry delays in seconds after each failed attempt (5 s … 10 h, about 2.8 days in all).
	 */
	const DEFAULT_RETRY_SCHEDULE = array( 5, 300, 1800, 7200, 18000, 36000, 36000, 36000, 36000, 36000, 36000 );

	/**
	 * Field definitions: key => [type, default, constant].
	 *
	 * @return array<string,array{type:string,default:mixed,constant:string}>
	 */
	public static function fields(): array {
		return array(
			'service_url'         => array( 'type' => 'url', 'default' => '', 'constant' => 'OFFENTLIG_SERVICE_URL' ),
			'site_id'             => array( 'type' => 'site_id', 'default' => '', 'constant' => 'OFFENTLIG_SITE_ID' ),
			'secret'              => array( 'type' => 'secret', 'default' => '', 'constant' => 'OFFENTLIG_WEBHOOK_SECRET' ),
			'read_token'          => array( 'type' => 'token', 'default' => '', 'constant' => 'OFFENTLIG_READ_TOKEN' ),
			'capture_posts'       => array( 'type' => 'bool', 'default' => true, 'constant' => 'OFFENTLIG_CAPTURE_POSTS' ),
			'capture_pages'       => array( 'type' => 'bool', 'default' => true, 'constant' => 'OFFENTLIG_CAPTURE_PAGES' ),
			'capture_comments'    => array( 'type' => 'bool', 'default' => true, 'constant' => 'OFFENTLIG_CAPTURE_COMMENTS' ),
			'capture_spam'        => array( 'type' => 'bool', 'default' => false, 'constant' => 'OFFENTLIG_CAPTURE_SPAM' ),
			'send_email'          => array( 'type' => 'bool', 'default' => true, 'constant' => 'OFFENTLIG_SEND_EMAIL' ),
			'send_ip'             => array( 'type' => 'bool', 'default' => false, 'constant' => 'OFFENTLIG_SEND_IP' ),
			'send_user_agent'     => array( 'type' => 'bool', 'default' => false, 'constant' => 'OFFENTLIG_SEND_USER_AGENT' ),
			'keep_delivered_days' => array( 'type' => 'days', 'default' => 7, 'constant' => 'OFFENTLIG_KEEP_DELIVERED_DAYS' ),
		);
	}

	/**
	 * Defaults for every field.
	 *
	 * @return array<string,mixed>
	 */
	public static function defaults(): array {
		return array_map(
			static function ( array $field ) {
				return $field['default'];
			},
			self::fields()
		);
	}

	/**
	 * A setting's effective value: the wp-config.php constant if defined, else the saved option.
	 *
	 * @param string $key Field key.
	 * @return mixed
	 */
	public function get( string $key ) {
		$fields = self::fields();
		if ( ! isset( $fields[ $key ] ) ) {
			return null;
		}
		if ( $this->is_locked( $key ) ) {
			$value = constant( $fields[ $key ]['constant'] );
			return 'bool' === $fields[ $key ]['type'] ? (bool) $value : $value;
		}
		$saved = get_option( self::OPTION, array() );
		return is_array( $saved ) && array_key_exists( $key, $saved ) ? $saved[ $key ] : $fields[ $key ]['default'];
	}

	/**
	 * Whether a wp-config.php constant fixes this field.
	 *
	 * @param string $key Field key.
	 */
	public function is_locked( string $key ): bool {
		$fields = self::fields();
		return isset( $fields[ $key ] ) && defined( $fields[ $key ]['constant'] );
	}

	/**
	 * Saves some fields, keeping the others (goes through the sanitize callback).
	 *
	 * @param array<string,mixed> $changes Field key => new value.
	 */
	public function update( array $changes ): bool {
		$saved = get_option( self::OPTION, array() );
		$saved = is_array( $saved ) ? $saved : array();
		return update_option( self::OPTION, array_merge( self::defaults(), $saved, $changes ) );
	}

	/**
	 * True when the plugin knows where and how to deliver.
	 */
	public function is_configured(): bool {
		return '' !== (string) $this->get( 'service_url' ) && '' !== (string) $this->get( 'site_id' ) && '' !== (string) $this->get( 'secret' );
	}

	/**
	 * Delays in seconds before attempt 2, 3, …; one more failure than the list is long marks a row failed.
	 *
	 * OFFENTLIG_RETRY_SCHEDULE (comma-separated seconds) in wp-config.php overrides it, e.g. for tests.
	 *
	 * @return int[]
	 */
	public function retry_schedule(): array {
		$schedule = self::DEFAULT_RETRY_SCHEDULE;
		if ( defined( 'OFFENTLIG_RETRY_SCHEDULE' ) ) {
			$raw      = is_array( OFFENTLIG_RETRY_SCHEDULE ) ? OFFENTLIG_RETRY_SCHEDULE : explode( ',', (string) OFFENTLIG_RETRY_SCHEDULE );
			$schedule = array_values( array_filter( array_map( 'absint', $raw ) ) );
		}
		/**
		 * Filters the retry delays (seconds after the 1st, 2nd, … failed attempt).
		 *
		 * @param int[] $schedule Delays in seconds.
		 */
		return array_map( 'absint', (array) apply_filters( 'offentlig_retry_schedule', $schedule ) );
	}

	/**
	 * Seconds between two tries of a row parked after an outage longer than the retry schedule
	 * (OFFENTLIG_PARK_INTERVAL in wp-config.php, filter offentlig_park_interval; default 5 minutes).
	 */
	public function park_interval(): int {
		$seconds = defined( 'OFFENTLIG_PARK_INTERVAL' ) ? absint( OFFENTLIG_PARK_INTERVAL ) : Outbox::PARK_INTERVAL;
		/**
		 * Filters how often a parked row (the service could not be reached for longer than the
		 * whole retry schedule) is tried again, in seconds.
		 *
		 * @param int $seconds Seconds.
		 */
		return max( 1, absint( apply_filters( 'offentlig_park_interval', $seconds > 0 ? $seconds : Outbox::PARK_INTERVAL ) ) );
	}

	/**
	 * Validates a service base URL: http(s), no query or fragment; trailing slash removed.
	 *
	 * @param mixed $value Raw input.
	 * @return string|WP_Error
	 */
	public static function sanitize_service_url( $value ) {
		$value = trim( (string) $value );
		if ( '' === $value ) {
			return '';
		}
		$parts = wp_parse_url( $value );
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || ! in_array( strtolower( $parts['scheme'] ?? '' ), array( 'http', 'https' ), true )
			|| isset( $parts['query'] ) || isset( $parts['fragment'] ) || isset( $parts['user'] ) ) {
			return new WP_Error( 'offentlig_bad_url', __( 'The service URL must be an http:// or https:// address without query string, e.g. https://arkiv.example.se.', 'offentlig' ) );
		}
		return untrailingslashit( esc_url_raw( $value, array( 'http', 'https' ) ) );
	}

	/**
	 * Validates a site id as printed by `offentlig sites add` (letters, digits, - and _).
	 *
	 * @param mixed $value Raw input.
	 * @return string|WP_Error
	 */
	public static function sanitize_site_id( $value ) {
		$value = trim( (string) $value );
		if ( '' === $value || preg_match( '/^[A-Za-z0-9_-]{1,64}$/', $value ) ) {
			return $value;
		}
		return new WP_Error( 'offentlig_bad_site_id', __( 'The site id may contain only letters, digits, hyphens and underscores.', 'offentlig' ) );
	}

	/**
	 * Validates a webhook secret: "whsec_" followed by base64 of at least 16 bytes.
	 *
	 * @param mixed $value Raw input.
	 * @return string|WP_Error
	 */
	public static function sanitize_secret( $value ) {
		$value = trim( (string) $value );
		if ( '' === $value ) {
			return '';
		}
		$key = ( 0 === strpos( $value, Signer::SECRET_PREFIX ) && preg_match( '#^whsec_[A-Za-z0-9+/]+={0,2}$#', $value ) ) ? Signer::decode_secret( $value ) : false;
		if ( ! is_string( $key ) || strlen( $key ) < 16 ) {
			return new WP_Error( 'offentlig_bad_secret', __( 'The webhook secret must look like whsec_… (as printed by “offentlig sites add”).', 'offentlig' ) );
		}
		return $value;
	}

	/**
	 * Validates an API read token (printable token characters only).
	 *
	 * @param mixed $value Raw input.
	 * @return string|WP_Error
	 */
	public static function sanitize_token( $value ) {
		$value = trim( (string) $value );
		if ( '' === $value || preg_match( '/^[A-Za-z0-9_.~+\/=-]{8,512}$/', $value ) ) {
			return $value;
		}
		return new WP_Error( 'offentlig_bad_token', __( 'The read token contains characters a token cannot have.', 'offentlig' ) );
	}

	/**
	 * Validates the number of days delivered outbox rows are kept (0–365).
	 *
	 * @param mixed $value Raw input.
	 * @return int|WP_Error
	 */
	public static function sanitize_days( $value ) {
		if ( is_int( $value ) || ( is_string( $value ) && preg_match( '/^\s*\d+\s*$/', $value ) ) ) {
			$days = (int) $value;
			if ( $days <= 365 ) {
				return $days;
			}
		}
		return new WP_Error( 'offentlig_bad_days', __( 'Keep delivered rows for a whole number of days between 0 and 365.', 'offentlig' ) );
	}

	/**
	 * A checkbox: anything truthy except the string "0" is on.
	 *
	 * @param mixed $value Raw input.
	 */
	public static function sanitize_bool( $value ): bool {
		return ! empty( $value ) && '0' !== $value && 'false' !== $value;
	}

	/**
	 * Sanitize callback for the whole option. Invalid fields keep their saved value and add an error.
	 *
	 * @param mixed $input Submitted values.
	 * @return array<string,mixed>
	 */
	public function sanitize( $input ): array {
		$input  = is_array( $input ) ? $input : array();
		$saved  = get_option( self::OPTION, array() );
		$saved  = array_merge( self::defaults(), is_array( $saved ) ? $saved : array() );
		$output = array();
		foreach ( self::fields() as $key => $field ) {
			if ( $this->is_locked( $key ) ) {
				$output[ $key ] = $saved[ $key ];
				continue;
			}
			$raw = $input[ $key ] ?? null;
			switch ( $field['type'] ) {
				case 'bool':
					$output[ $key ] = self::sanitize_bool( $raw );
					continue 2;
				case 'url':
					$clean = self::sanitize_service_url( $raw );
					break;
				case 'site_id':
					$clean = self::sanitize_site_id( $raw );
					break;
				case 'secret':
				case 'token':
					// An empty password field means "keep what is saved".
					if ( null === $raw || '' === trim( (string) $raw ) ) {
						$output[ $key ] = $saved[ $key ];
						continue 2;
					}
					$clean = 'secret' === $field['type'] ? self::sanitize_secret( $raw ) : self::sanitize_token( $raw );
					break;
				default:
					$clean = self::sanitize_days( $raw ?? $saved[ $key ] );
			}
			if ( is_wp_error( $clean ) ) {
				if ( function_exists( 'add_settings_error' ) ) {
					add_settings_error( self::OPTION, $clean->get_error_code(), $clean->get_error_message() );
				}
				$clean = $saved[ $key ];
			}
			$output[ $key ] = $clean;
		}
		return $output;
	}

	/**
	 * Registers the option, section and fields (admin_init).
	 */
	public function register(): void {
		register_setting(
			self::GROUP,
			self::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( $this, 'sanitize' ),
				'default'           => self::defaults(),
				'show_in_rest'      => false,
			)
		);

		add_settings_section( 'offentlig_connection', __( 'Connection to the archive', 'offentlig' ), '__return_false', self::PAGE );
		add_settings_section( 'offentlig_capture', __( 'What is captured', 'offentlig' ), '__return_false', self::PAGE );
		add_settings_section(
			'offentlig_personal',
			__( 'Commenters’ personal data', 'offentlig' ),
			static function () {
				echo '<p>' . esc_html__( 'Comments are received documents and are always captured with the commenter’s name and website. Send only the personal data your authority needs to keep.', 'offentlig' ) . '</p>';
			},
			self::PAGE
		);
		add_settings_section( 'offentlig_delivery', __( 'Delivery', 'offentlig' ), '__return_false', self::PAGE );

		$labels = $this->labels();
		foreach ( self::fields() as $key => $field ) {
			add_settings_field(
				'offentlig_' . $key,
				$labels[ $key ][0],
				array( $this, 'render_field' ),
				self::PAGE,
				$labels[ $key ][2],
				array(
					'key'       => $key,
					'label_for' => 'bool' === $field['type'] ? null : 'offentlig_' . $key,
				)
			);
		}
	}

	/**
	 * Field label, description and section.
	 *
	 * @return array<string,array{0:string,1:string,2:string}>
	 */
	private function labels(): array {
		return array(
			'service_url'         => array( __( 'Service URL', 'offentlig' ), __( 'Base address of the Offentlig service, e.g. https://arkiv.example.se.', 'offentlig' ), 'offentlig_connection' ),
			'site_id'             => array( __( 'Site id', 'offentlig' ), __( 'The id printed by “offentlig sites add”.', 'offentlig' ), 'offentlig_connection' ),
			'secret'              => array( __( 'Webhook secret', 'offentlig' ), __( 'Signs every delivery (whsec_…). Leave empty to keep the saved secret.', 'offentlig' ), 'offentlig_connection' ),
			'read_token'          => array( __( 'Read token', 'offentlig' ), __( 'A token with the records:read scope, used by the dashboard widget and the records screen; give it the snapshots:request scope too for the widget’s Take snapshot now button. It never reaches the browser. Leave empty to keep the saved token.', 'offentlig' ), 'offentlig_connection' ),
			'capture_posts'       => array( __( 'Posts', 'offentlig' ), __( 'Capture posts when they are published and on every published change.', 'offentlig' ), 'offentlig_capture' ),
			'capture_pages'       => array( __( 'Pages', 'offentlig' ), __( 'Capture pages when they are published and on every published change.', 'offentlig' ), 'offentlig_capture' ),
			'capture_comments'    => array( __( 'Comments', 'offentlig' ), __( 'Capture comments when they arrive, including those held for moderation, and every moderation change.', 'offentlig' ), 'offentlig_capture' ),
			'capture_spam'        => array( __( 'Spam', 'offentlig' ), __( 'Also capture comments that arrive already marked as spam.', 'offentlig' ), 'offentlig_capture' ),
			'send_email'          => array( __( 'E-mail address', 'offentlig' ), __( 'Send the commenter’s e-mail address.', 'offentlig' ), 'offentlig_personal' ),
			'send_ip'             => array( __( 'IP address', 'offentlig' ), __( 'Send the commenter’s IP address.', 'offentlig' ), 'offentlig_personal' ),
			'send_user_agent'     => array( __( 'User agent', 'offentlig' ), __( 'Send the commenter’s browser identification (user agent).', 'offentlig' ), 'offentlig_personal' ),
			'keep_delivered_days' => array( __( 'Keep delivered rows', 'offentlig' ), __( 'Days a delivered event stays in the local outbox before it is pruned (0: prune at once).', 'offentlig' ), 'offentlig_delivery' ),
		);
	}

	/**
	 * Renders one field; a field fixed by a constant is shown read-only.
	 *
	 * @param array{key:string} $args Field arguments.
	 */
	public function render_field( array $args ): void {
		$key    = $args['key'];
		$field  = self::fields()[ $key ];
		$label  = $this->labels()[ $key ];
		$locked = $this->is_locked( $key );
		$id     = 'offentlig_' . $key;
		$name   = self::OPTION . '[' . $key . ']';
		$value  = $this->get( $key );

		switch ( $field['type'] ) {
			case 'bool':
				printf(
					'<label for="%1$s"><input type="checkbox" id="%1$s" name="%2$s" value="1" %3$s %4$s /> %5$s</label>',
					esc_attr( $id ),
					esc_attr( $name ),
					checked( (bool) $value, true, false ),
					disabled( $locked, true, false ),
					esc_html( $label[1] )
				);
				break;
			case 'secret':
			case 'token':
				printf(
					'<input type="password" class="regular-text" id="%1$s" name="%2$s" value="" autocomplete="new-password" placeholder="%3$s" %4$s />',
					esc_attr( $id ),
					esc_attr( $name ),
					esc_attr( '' !== (string) $value ? __( 'Saved (hidden)', 'offentlig' ) : '' ),
					disabled( $locked, true, false )
				);
				break;
			case 'days':
				printf(
					'<input type="number" min="0" max="365" step="1" class="small-text" id="%1$s" name="%2$s" value="%3$s" %4$s />',
					esc_attr( $id ),
					esc_attr( $name ),
					esc_attr( (string) $value ),
					disabled( $locked, true, false )
				);
				break;
			default:
				printf(
					'<input type="%5$s" class="regular-text code" id="%1$s" name="%2$s" value="%3$s" %4$s />',
					esc_attr( $id ),
					esc_attr( $name ),
					esc_attr( (string) $value ),
					disabled( $locked, true, false ),
					'url' === $field['type'] ? 'url' : 'text'
				);
		}
		if ( 'bool' !== $field['type'] ) {
			echo '<p class="description">' . esc_html( $label[1] ) . '</p>';
		}
		if ( $locked ) {
			echo '<p class="description offentlig-locked">' . esc_html(
				sprintf(
					/* translators: %s: name of a PHP constant, e.g. OFFENTLIG_SERVICE_URL. */
					__( 'Fixed by the constant %s in wp-config.php.', 'offentlig' ),
					$field['constant']
				)
			) . '</p>';
		}
	}

	/**
	 * Adds Settings → Offentlig (admin_menu).
	 */
	public function add_page(): void {
		add_options_page(
			__( 'Offentlig settings', 'offentlig' ),
			__( 'Offentlig', 'offentlig' ),
			'manage_options',
			self::PAGE,
			array( $this, 'render_page' )
		);
	}

	/**
	 * The settings page: Settings API form plus the Test connection button.
	 */
	public function render_page(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap"><h1>' . esc_html( get_admin_page_title() ) . '</h1>';
		settings_errors( self::OPTION );
		echo '<form action="' . esc_url( admin_url( 'options.php' ) ) . '" method="post">';
		settings_fields( self::GROUP );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form>';

		echo '<h2>' . esc_html__( 'Test connection', 'offentlig' ) . '</h2>';
		echo '<p>' . esc_html__( 'Sends a signed test event to the service and shows its answer. Nothing is archived.', 'offentlig' ) . '</p>';
		echo '<form action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" method="post">';
		echo '<input type="hidden" name="action" value="' . esc_attr( Admin_Actions::TEST_CONNECTION ) . '" />';
		wp_nonce_field( Admin_Actions::TEST_CONNECTION );
		submit_button( __( 'Test connection', 'offentlig' ), 'secondary', 'offentlig-test-connection', false );
		echo '</form></div>';
	}
}
