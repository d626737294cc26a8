<?php
/**
 * The durable outbox: every event is a row before anything is sent.
 *
 * @package Offentlig
 */

namespace Offentlig;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Outbox table and its state machine.
 *
 *     pending ──claim──► sending ──2xx──► delivered ──(after N days)──► pruned
 *      ▲  ▲                 │
 *      │  └── failure, ◄────┤ unreachable (no answer, 408, 429, 5xx) after the last delay
 *      │   backoff + jitter │                        ▼
 *      │                    │                      parked ──probe every few minutes,──► pending
 *      │                    │                                or any delivery succeeds
 *      │                    ▼ refused (other 4xx) after the last delay, or 400/413/422 at once
 *      └──admin retry───  failed
 *
 * A new row is held by the request that wrote it (claim_token = that request's token) until the
 * request is done with it, so one action's hooks can still rewrite it; a hold, like a claim,
 * expires if its process dies. A claim that is never finished expires and the row is pending again.
 * Rows of one object are sent in order: a row waits while an older row of the same object is
 * pending, sending or parked.
 */
final class Outbox {

	const PENDING   = 'pending';
	const SENDING   = 'sending';
	const DELIVERED = 'delivered';
	const FAILED    = 'failed';
	const PARKED    = 'parked';

	const DB_VERSION        = '2';
	const DB_VERSION_OPTION = 'offentlig_outbox_db_version';
	const CLAIM_SECONDS     = 300; // Longer than a dispatch run's budget plus one HTTP timeout.
	const MAX_RETRY_AFTER   = 86400;
	const HOLD_SECONDS      = 60;  // How long a new row is reserved for the request that wrote it.
	const PARK_INTERVAL     = 300; // Default seconds between two tries of a parked row.
	const WAITING_OPTION    = 'offentlig_waiting_for_service'; // Set while rows wait because the service could not be reached.

	/**
	 * HTTP answers that will not change on a retry with the same body.
	 */
	const PERMANENT_STATUS = array( 400, 413, 422 );

	/**
	 * Database.
	 *
	 * @var \wpdb
	 */
	private $db;

	/**
	 * This request's token: rows it writes are held with it until it releases them.
	 *
	 * @var string
	 */
	private $writer;

	/**
	 * Whether rows written by this request may still be held by it.
	 *
	 * @var bool
	 */
	private $holds = false;

	/**
	 * Constructor.
	 *
	 * @param \wpdb $db WordPress database.
	 */
	public function __construct( \wpdb $db ) {
		$this->db     = $db;
		$this->writer = bin2hex( random_bytes( 12 ) );
	}

	/**
	 * Whether a failed attempt with this answer means "the service could not be reached" (so
	 * the row is sent again by itself once it can be), rather than a refusal that waits for a person.
	 *
	 * @param int $http_status Answer's status; 0 when no answer came (connection error, timeout).
	 */
	public static function is_transient( int $http_status ): bool {
		return 0 === $http_status || 408 === $http_status || 429 === $http_status || $http_status >= 500;
	}

	/**
	 * Table name with the site's prefix.
	 */
	public function table(): string {
		return $this->db->prefix . 'offentlig_outbox';
	}

	/**
	 * Creates or upgrades the table (activation).
	 */
	public function install(): void {
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$table   = $this->table();
		$charset = $this->db->get_charset_collate();
		dbDelta(
			"CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  webhook_id varchar(64) NOT NULL,
  event_type varchar(64) NOT NULL,
  object_key varchar(64) NOT NULL,
  payload longtext NOT NULL,
  status varchar(16) NOT NULL DEFAULT 'pending',
  attempts smallint(5) unsigned NOT NULL DEFAULT 0,
  next_attempt_at datetime NOT NULL,
  claim_token varchar(32) DEFAULT NULL,
  claimed_until datetime DEFAULT NULL,
  last_http_status smallint(5) unsigned DEFAULT NULL,
  last_error text,
  created_at datetime NOT NULL,
  updated_at datetime NOT NULL,
  delivered_at datetime DEFAULT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY webhook_id (webhook_id),
  KEY status_next (status,next_attempt_at),
  KEY object_key (object_key,id),
  KEY claim_token (claim_token)
) {$charset};"
		);
		// Version 2 parks rows that failed only because the service could not be reached.
		$this->db->query( $this->db->prepare( "UPDATE {$table} SET status = %s, next_attempt_at = %s WHERE status = %s AND ( last_http_status IS NULL OR last_http_status IN (408, 429) OR last_http_status >= 500 )", self::PARKED, self::sql_time( time() ), self::FAILED ) ); // phpcs:ignore WordPress.DB -- our own table.
		update_option( self::DB_VERSION_OPTION, self::DB_VERSION ); // Autoloaded: read on every request.
	}

	/**
	 * Drops the table (uninstall only).
	 */
	public function drop(): void {
		$this->db->query( 'DROP TABLE IF EXISTS ' . $this->table() ); // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared,WordPress.DB.DirectDatabaseQuery.SchemaChange -- table name from prefix.
		delete_option( self::DB_VERSION_OPTION );
	}

	/**
	 * Runs $work in one database transaction, so the outbox row and the plugin's meta of a save
	 * cost one commit (one log flush) instead of one each. Inside a transaction someone else
	 * opened, or on a server without @@in_transaction (MySQL), it just runs (joining theirs).
	 *
	 * @param callable $work What to do.
	 * @return mixed What $work returns.
	 */
	public function atomically( callable $work ) {
		static $supported = true;
		$own = false;
		if ( $supported ) {
			$suppress  = $this->db->suppress_errors( true );
			$open      = $this->db->get_var( 'SELECT @@in_transaction' );
			$supported = null !== $open;
			$this->db->suppress_errors( $suppress );
			$own = '0' === (string) $open && false !== $this->db->query( 'START TRANSACTION' );
		}
		try {
			return $work();
		} finally {
			if ( $own ) {
				$this->db->query( 'COMMIT' );
			}
		}
	}

	/**
	 * A new delivery id: "msg_" + a ULID (time-ordered, 128 bits).
	 */
	public static function new_webhook_id(): string {
		$alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
		$time     = (int) floor( microtime( true ) * 1000 );
		$out      = '';
		for ( $i = 0; $i < 10; $i++ ) {
			$out  = $alphabet[ $time % 32 ] . $out;
			$time = intdiv( $time, 32 );
		}
		$random = random_bytes( 10 );
		$bits   = '';
		foreach ( str_split( $random ) as $byte ) {
			$bits .= str_pad( decbin( ord( $byte ) ), 8, '0', STR_PAD_LEFT );
		}
		foreach ( str_split( $bits, 5 ) as $chunk ) {
			$out .= $alphabet[ bindec( $chunk ) ];
		}
		return 'msg_' . $out;
	}

	/**
	 * MySQL datetime (UTC) for a Unix time.
	 *
	 * @param int $time Unix time.
	 */
	private static function sql_time( int $time ): string {
		return gmdate( 'Y-m-d H:i:s', $time );
	}

	/**
	 * Adds a pending event.
	 *
	 * @param string              $object_key E.g. "post:12", "comment:7".
	 * @param array<string,mixed> $event      Envelope from Event_Builder.
	 * @param int|null            $now        Unix time (tests).
	 * @return int|WP_Error Row id.
	 */
	public function add( string $object_key, array $event, ?int $now = null ) {
		$now = $now ?? time();
		$ok  = $this->db->insert(
			$this->table(),
			array(
				'webhook_id'      => self::new_webhook_id(),
				'event_type'      => (string) $event['type'],
				'object_key'      => $object_key,
				'payload'         => Event_Builder::encode( $event ),
				'status'          => self::PENDING,
				'attempts'        => 0,
				'next_attempt_at' => self::sql_time( $now ),
				'claim_token'     => $this->writer,
				'claimed_until'   => self::sql_time( $now + self::HOLD_SECONDS ),
				'created_at'      => self::sql_time( $now ),
				'updated_at'      => self::sql_time( $now ),
			),
			array( '%s', '%s', '%s', '%s', '%s', '%d', '%s', '%s', '%s', '%s', '%s' )
		);
		if ( false === $ok ) {
			return new WP_Error( 'offentlig_outbox_insert', $this->db->last_error );
		}
		$this->holds = true;
		return (int) $this->db->insert_id;
	}

	/**
	 * Replaces the event of a row nobody has tried to send yet (coalescing hooks of one action).
	 *
	 * @param int                 $id    Row id.
	 * @param array<string,mixed> $event New envelope.
	 * @return bool False if the row has already been claimed or sent.
	 */
	public function replace_unsent( int $id, array $event ): bool {
		$table = $this->table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- the outbox is our own table.
		$changed = $this->db->query(
			$this->db->prepare(
				"UPDATE {$table} SET event_type = %s, payload = %s WHERE id = %d AND status = %s AND attempts = 0", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
				(string) $event['type'],
				Event_Builder::encode( $event ),
				$id,
				self::PENDING
			)
		);
		return 1 === $changed || ( 0 === $changed && null !== $this->unsent_row( $id ) );
	}

	/**
	 * The row if it is still pending and never attempted.
	 *
	 * @param int $id Row id.
	 * @return array<string,mixed>|null
	 */
	private function unsent_row( int $id ): ?array {
		$table = $this->table();
		$row   = $this->db->get_row( $this->db->prepare( "SELECT * FROM {$table} WHERE id = %d AND status = %s AND attempts = 0", $id, self::PENDING ), ARRAY_A ); // phpcs:ignore WordPress.DB
		return is_array( $row ) ? $row : null;
	}

	/**
	 * Deletes a row nobody has tried to send yet.
	 *
	 * @param int $id Row id.
	 */
	public function delete_unsent( int $id ): bool {
		return (bool) $this->db->delete(
			$this->table(),
			array(
				'id'       => $id,
				'status'   => self::PENDING,
				'attempts' => 0,
			),
			array( '%d', '%s', '%d' )
		);
	}

	/**
	 * One row by id.
	 *
	 * @param int $id Row id.
	 * @return array<string,mixed>|null
	 */
	public function get( int $id ): ?array {
		$table = $this->table();
		$row   = $this->db->get_row( $this->db->prepare( "SELECT * FROM {$table} WHERE id = %d", $id ), ARRAY_A ); // phpcs:ignore WordPress.DB
		return is_array( $row ) ? $row : null;
	}

	/**
	 * Lets other senders have this request's rows (the request is done rewriting them).
	 *
	 * @return int Rows released.
	 */
	public function release_held(): int {
		if ( ! $this->holds ) {
			return 0; // This request wrote no row: nothing to ask the database.
		}
		$this->holds = false;
		$table       = $this->table();
		// phpcs:ignore WordPress.DB -- our own table.
		return (int) $this->db->query( $this->db->prepare( "UPDATE {$table} SET claim_token = NULL, claimed_until = NULL WHERE claim_token = %s AND status = %s", $this->writer, self::PENDING ) );
	}

	/**
	 * Claims rows to send: the given ids (if pending) or every due row; oldest first, one per object.
	 *
	 * @param int[]    $ids   Rows written by this request, sent even before their time; empty: due rows.
	 * @param int      $limit Most rows to claim.
	 * @param int|null $now   Unix time (tests).
	 * @return array<int,array<string,mixed>> Claimed rows, status "sending".
	 */
	public function claim( array $ids = array(), int $limit = 25, ?int $now = null ): array {
		$now = $now ?? time();
		if ( ! empty( $ids ) ) {
			$ids = array_map( 'intval', $ids );
			return $this->claim_where( 'o.id IN (' . implode( ',', array_fill( 0, count( $ids ), '%d' ) ) . ')', $ids, $limit, $now );
		}
		return $this->claim_where( 'o.next_attempt_at <= %s', array( self::sql_time( $now ) ), $limit, $now );
	}

	/**
	 * Claims the first due row of each of the given objects (at most one per object): what the
	 * request that wrote rows for them sends after its response, and how a sender drains an
	 * object's queue after a delivery.
	 *
	 * @param string[] $keys  Object keys.
	 * @param int      $limit Most rows to claim.
	 * @param int|null $now   Unix time (tests).
	 * @return array<int,array<string,mixed>> Claimed rows, status "sending".
	 */
	public function claim_heads( array $keys, int $limit = 25, ?int $now = null ): array {
		$keys = array_values( array_unique( array_map( 'strval', $keys ) ) );
		if ( empty( $keys ) ) {
			return array();
		}
		$now = $now ?? time();
		return $this->claim_where(
			'o.object_key IN (' . implode( ',', array_fill( 0, count( $keys ), '%s' ) ) . ') AND o.next_attempt_at <= %s',
			array_merge( $keys, array( self::sql_time( $now ) ) ),
			$limit,
			$now,
			self::PENDING,
			false
		);
	}

	/**
	 * Claims the oldest parked row that is due for its next try (the probe after a long outage).
	 *
	 * @param int|null $now Unix time (tests).
	 * @return array<string,mixed>|null The claimed row.
	 */
	public function claim_probe( ?int $now = null ): ?array {
		$now  = $now ?? time();
		$rows = $this->claim_where( 'o.next_attempt_at <= %s', array( self::sql_time( $now ) ), 1, $now, self::PARKED );
		return $rows ? $rows[0] : null;
	}

	/**
	 * Claims rows in the given state that match a condition on `o`: never a row whose object has
	 * an older row pending, sending or parked, nor one held by another request. A row is claimed
	 * by exactly one sender: the UPDATE takes only rows still in that state.
	 *
	 * @param string   $where  SQL condition with placeholders.
	 * @param array    $args   Its values.
	 * @param int      $limit  Most rows to claim.
	 * @param int      $now    Unix time.
	 * @param string   $status State to claim from (pending; parked for the probe).
	 * @param bool     $expire Whether to expire dead senders' claims first.
	 * @return array<int,array<string,mixed>> Claimed rows, status "sending".
	 */
	private function claim_where( string $where, array $args, int $limit, int $now, string $status = self::PENDING, bool $expire = true ): array {
		$table = $this->table();
		$at    = self::sql_time( $now );
		// phpcs:disable WordPress.DB -- our own table; every value is prepared.

		if ( $expire ) {
			// Claims whose sender died expire (the general runs see to it; a save's own run need not).
			$this->db->query( $this->db->prepare( "UPDATE {$table} SET status = %s, claim_token = NULL WHERE status = %s AND claimed_until < %s", self::PENDING, self::SENDING, $at ) );
		}

		$free = '( o.claim_token IS NULL OR o.claim_token = %s OR o.claimed_until < %s )';
		$sql  = "SELECT o.id FROM {$table} o WHERE o.status = %s AND {$where} AND {$free}
			AND NOT EXISTS ( SELECT 1 FROM {$table} e WHERE e.object_key = o.object_key AND e.id < o.id AND e.status IN (%s, %s, %s) )
			ORDER BY o.id LIMIT %d";
		$candidates = $this->db->get_col( $this->db->prepare( $sql, array_merge( array( $status ), $args, array( $this->writer, $at, self::PENDING, self::SENDING, self::PARKED, $limit ) ) ) );
		if ( empty( $candidates ) ) {
			return array();
		}
		$token = bin2hex( random_bytes( 12 ) );
		$in    = implode( ',', array_map( 'intval', $candidates ) );
		$this->db->query(
			$this->db->prepare(
				"UPDATE {$table} SET status = %s, claim_token = %s, claimed_until = %s WHERE status = %s AND id IN ({$in}) AND ( claim_token IS NULL OR claim_token = %s OR claimed_until < %s )",
				self::SENDING,
				$token,
				self::sql_time( $now + self::CLAIM_SECONDS ),
				$status,
				$this->writer,
				$at
			)
		);
		$rows = $this->db->get_results( $this->db->prepare( "SELECT * FROM {$table} WHERE claim_token = %s ORDER BY id", $token ), ARRAY_A );
		// phpcs:enable
		return is_array( $rows ) ? $rows : array();
	}

	/**
	 * Of the given objects, those with a row waiting behind a row another sender is sending now
	 * (waiting for that sender is worthwhile; a row waiting behind a back-off is not).
	 *
	 * @param string[] $keys Object keys.
	 * @return string[]
	 */
	public function waiting_on_sender( array $keys ): array {
		$keys = array_values( array_unique( array_map( 'strval', $keys ) ) );
		if ( empty( $keys ) ) {
			return array();
		}
		$table = $this->table();
		$in    = implode( ',', array_fill( 0, count( $keys ), '%s' ) );
		// phpcs:ignore WordPress.DB -- our own table; every value is prepared.
		$found = $this->db->get_col( $this->db->prepare( "SELECT DISTINCT o.object_key FROM {$table} o JOIN {$table} e ON e.object_key = o.object_key AND e.id < o.id AND e.status = %s WHERE o.status = %s AND o.object_key IN ({$in})", array_merge( array( self::SENDING, self::PENDING ), $keys ) ) );
		return array_map( 'strval', (array) $found );
	}

	/**
	 * The service answered again: parked rows, and rows backing off because no answer came, are
	 * due now (parked ones with a fresh schedule).
	 *
	 * @param int|null $now   Unix time (tests).
	 * @param bool     $force Even when no failure was noted since the last resume (a probe got through).
	 * @return int Rows made due.
	 */
	public function resume( ?int $now = null, bool $force = false ): int {
		if ( ! $force && ! get_option( self::WAITING_OPTION ) ) {
			return 0; // Nothing failed for want of an answer since the last resume.
		}
		delete_option( self::WAITING_OPTION );
		$now   = $now ?? time();
		$table = $this->table();
		$at    = self::sql_time( $now );
		// phpcs:disable WordPress.DB -- our own table.
		$parked  = (int) $this->db->query( $this->db->prepare( "UPDATE {$table} SET status = %s, attempts = 0, next_attempt_at = %s, updated_at = %s WHERE status = %s", self::PENDING, $at, $at, self::PARKED ) );
		$waiting = (int) $this->db->query( $this->db->prepare( "UPDATE {$table} SET next_attempt_at = %s WHERE status = %s AND next_attempt_at > %s AND attempts > 0 AND last_http_status IS NULL", $at, self::PENDING, $at ) );
		// phpcs:enable
		return $parked + $waiting;
	}

	/**
	 * Hands claimed rows back unsent (the sender ran out of time); they are due at once.
	 *
	 * @param int[] $ids Row ids.
	 */
	public function release( array $ids ): void {
		if ( empty( $ids ) ) {
			return;
		}
		$table = $this->table();
		$in    = implode( ',', array_map( 'intval', $ids ) );
		// phpcs:ignore WordPress.DB -- our own table; the ids are integers.
		$this->db->query( $this->db->prepare( "UPDATE {$table} SET status = %s, claim_token = NULL, claimed_until = NULL WHERE status = %s AND id IN ({$in})", self::PENDING, self::SENDING ) );
	}

	/**
	 * A claimed row was accepted by the service.
	 *
	 * @param int      $id          Row id.
	 * @param int      $http_status Answer's status.
	 * @param int|null $now         Unix time (tests).
	 */
	public function mark_delivered( int $id, int $http_status, ?int $now = null ): void {
		$now   = $now ?? time();
		$table = $this->table();
		// phpcs:ignore WordPress.DB -- our own table.
		$this->db->query( $this->db->prepare( "UPDATE {$table} SET status = %s, attempts = attempts + 1, claim_token = NULL, claimed_until = NULL, last_http_status = %d, last_error = NULL, delivered_at = %s, updated_at = %s WHERE id = %d", self::DELIVERED, $http_status, self::sql_time( $now ), self::sql_time( $now ), $id ) );
	}

	/**
	 * Attempts so far.
	 *
	 * @param int $id Row id.
	 */
	private function attempts( int $id ): int {
		$table = $this->table();
		return (int) $this->db->get_var( $this->db->prepare( "SELECT attempts FROM {$table} WHERE id = %d", $id ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * Seconds to wait after a failed attempt, or null when it is time to give up.
	 *
	 * @param int      $attempts    Attempts made so far, this one included (≥ 1).
	 * @param int[]    $schedule    Delays after the 1st, 2nd, … failure.
	 * @param int|null $retry_after The service's Retry-After in seconds, if any.
	 * @param float    $jitter      A number in [0, 1): the delay is spread over ±20 %.
	 */
	public static function backoff( int $attempts, array $schedule, ?int $retry_after = null, float $jitter = 0.5 ): ?int {
		if ( $attempts < 1 || $attempts > count( $schedule ) ) {
			return null;
		}
		$base  = (int) $schedule[ $attempts - 1 ];
		$delay = (int) round( $base * ( 0.8 + 0.4 * $jitter ) );
		if ( null !== $retry_after ) {
			$delay = max( $delay, min( $retry_after, self::MAX_RETRY_AFTER ) );
		}
		return max( 1, $delay );
	}

	/**
	 * A claimed row failed: back off; after the last delay park it when the service could not be
	 * reached (tried again every $park seconds, and at once when the service answers again) or
	 * mark it failed when the service refused it; 400/413/422 fail at once.
	 *
	 * @param int      $id          Row id.
	 * @param int      $http_status Answer's status; 0 when no answer came.
	 * @param string   $error       What went wrong (kept for the admin).
	 * @param int[]    $schedule    Retry delays.
	 * @param int|null $retry_after Retry-After seconds.
	 * @param int|null $now         Unix time (tests).
	 * @param float    $jitter      Number in [0, 1) (tests); random when null.
	 * @param int      $park        Seconds between two tries of a parked row.
	 * @return string New status: pending, parked or failed.
	 */
	public function mark_failed_attempt( int $id, int $http_status, string $error, array $schedule, ?int $retry_after = null, ?int $now = null, ?float $jitter = null, int $park = self::PARK_INTERVAL ): string {
		$now      = $now ?? time();
		$attempts = $this->attempts( $id ) + 1;
		$jitter   = $jitter ?? ( wp_rand( 0, 999999 ) / 1000000 );
		$delay    = in_array( $http_status, self::PERMANENT_STATUS, true ) ? null : self::backoff( $attempts, $schedule, $retry_after, $jitter );
		$status   = null === $delay ? self::FAILED : self::PENDING;
		if ( self::is_transient( $http_status ) && ! get_option( self::WAITING_OPTION ) ) {
			update_option( self::WAITING_OPTION, '1', true ); // Autoloaded: a delivery reads it for free.
		}
		if ( null === $delay && self::is_transient( $http_status ) ) {
			$status = self::PARKED;
			$delay  = max( 1, $park, null === $retry_after ? 0 : min( $retry_after, self::MAX_RETRY_AFTER ) );
		}
		$this->db->update(
			$this->table(),
			array(
				'status'           => $status,
				'attempts'         => $attempts,
				'next_attempt_at'  => self::sql_time( $now + (int) $delay ),
				'claim_token'      => null,
				'claimed_until'    => null,
				'last_http_status' => $http_status > 0 ? $http_status : null,
				'last_error'       => substr( $error, 0, 1000 ),
				'updated_at'       => self::sql_time( $now ),
			),
			array( 'id' => $id ),
			array( '%s', '%d', '%s', '%s', '%s', '%d', '%s', '%s' ),
			array( '%d' )
		);
		return $status;
	}

	/**
	 * Puts every failed and parked row back in the queue, due now, with a fresh schedule.
	 *
	 * @param int|null $now Unix time (tests).
	 * @return int Rows requeued.
	 */
	public function retry_failed( ?int $now = null ): int {
		$now   = $now ?? time();
		$table = $this->table();
		// phpcs:ignore WordPress.DB -- our own table.
		return (int) $this->db->query( $this->db->prepare( "UPDATE {$table} SET status = %s, attempts = 0, next_attempt_at = %s, updated_at = %s WHERE status IN (%s, %s)", self::PENDING, self::sql_time( $now ), self::sql_time( $now ), self::FAILED, self::PARKED ) );
	}

	/**
	 * Deletes delivered rows older than the given number of days.
	 *
	 * @param int      $days Keep delivered rows this long.
	 * @param int|null $now  Unix time (tests).
	 * @return int Rows deleted.
	 */
	public function prune( int $days, ?int $now = null ): int {
		$now   = $now ?? time();
		$table = $this->table();
		$last  = $this->db->get_var( $this->db->prepare( "SELECT MAX(delivered_at) FROM {$table} WHERE status = %s", self::DELIVERED ) ); // phpcs:ignore WordPress.DB
		if ( null !== $last && get_option( 'offentlig_last_delivery' ) !== $last ) {
			// What the dashboard shows as the last delivery once every delivered row is pruned.
			update_option( 'offentlig_last_delivery', (string) $last, false );
		}
		// phpcs:ignore WordPress.DB -- our own table.
		return (int) $this->db->query( $this->db->prepare( "DELETE FROM {$table} WHERE status = %s AND delivered_at <= %s", self::DELIVERED, self::sql_time( $now - $days * DAY_IN_SECONDS ) ) );
	}

	/**
	 * Rows per status.
	 *
	 * @return array{pending:int,sending:int,delivered:int,failed:int,parked:int}
	 */
	public function counts(): array {
		$table  = $this->table();
		$counts = array(
			self::PENDING   => 0,
			self::SENDING   => 0,
			self::DELIVERED => 0,
			self::FAILED    => 0,
			self::PARKED    => 0,
		);
		$rows   = $this->db->get_results( "SELECT status, COUNT(*) AS n FROM {$table} GROUP BY status", ARRAY_A ); // phpcs:ignore WordPress.DB
		foreach ( (array) $rows as $row ) {
			$counts[ $row['status'] ] = (int) $row['n'];
		}
		return $counts;
	}

	/**
	 * When the last delivery succeeded (MySQL UTC datetime), or null.
	 */
	public function last_delivered_at(): ?string {
		$table = $this->table();
		$value = $this->db->get_var( $this->db->prepare( "SELECT MAX(delivered_at) FROM {$table} WHERE status = %s", self::DELIVERED ) ); // phpcs:ignore WordPress.DB
		if ( null === $value ) {
			$value = get_option( 'offentlig_last_delivery' ) ? get_option( 'offentlig_last_delivery' ) : null;
		}
		return null === $value ? null : (string) $value;
	}

	/**
	 * The most recent failed (or parked) rows (for the dashboard).
	 *
	 * @param int    $limit  Rows.
	 * @param string $status failed or parked.
	 * @return array<int,array<string,mixed>>
	 */
	public function recent_failures( int $limit = 5, string $status = self::FAILED ): array {
		$table = $this->table();
		$rows  = $this->db->get_results( $this->db->prepare( "SELECT id, webhook_id, event_type, object_key, attempts, last_http_status, last_error, next_attempt_at, updated_at FROM {$table} WHERE status = %s ORDER BY id DESC LIMIT %d", $status, $limit ), ARRAY_A ); // phpcs:ignore WordPress.DB
		return is_array( $rows ) ? $rows : array();
	}
}
