<?php
/**
 * WordPress hooks → outbox rows.
 *
 * @package Offentlig
 */

namespace Offentlig;

use WP_Comment;
use WP_Post;

defined( 'ABSPATH' ) || exit;

/**
 * Decides which hook calls are events and writes them to the outbox in the same request.
 *
 * One WordPress action can fire several hooks for one object (XML-RPC publishes go new → auto-draft →
 * publish; wp_update_comment fires edit_comment and transition_comment_status). Within a request the
 * first row written for an object is rewritten instead of adding another, so one action gives one event.
 */
final class Capture {

	const CAPTURED_META    = '_offentlig_captured';
	const PERMALINK_META   = '_offentlig_permalink';
	const FINGERPRINT_META = '_offentlig_fingerprint';

	/**
	 * Settings.
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Outbox.
	 *
	 * @var Outbox
	 */
	private $outbox;

	/**
	 * Payload builder.
	 *
	 * @var Event_Builder
	 */
	private $builder;

	/**
	 * Per object key: first status seen in this request, event action, row id.
	 *
	 * @var array<string,array{first_status:string,action:?string,row:int}>
	 */
	private $pending = array();

	/**
	 * Comment fields before wp_update_comment, to tell an edit from a status-only update.
	 *
	 * @var array<int,array{fields:array<string,string>,status:string}>
	 */
	private $comment_before = array();

	/**
	 * Rows written by this request: row id => object key.
	 *
	 * @var array<int,string>
	 */
	private $written = array();

	/**
	 * Posts whose status changed in this request but whose row is not written yet (ID => true).
	 *
	 * @var array<int,bool>
	 */
	private $unwritten = array();

	/**
	 * Constructor.
	 *
	 * @param Settings      $settings Settings.
	 * @param Outbox        $outbox   Outbox.
	 * @param Event_Builder $builder  Payload builder.
	 */
	public function __construct( Settings $settings, Outbox $outbox, Event_Builder $builder ) {
		$this->settings = $settings;
		$this->outbox   = $outbox;
		$this->builder  = $builder;
	}

	/**
	 * Outbox rows this request has written (the after-response dispatch sends them first).
	 *
	 * @return int[]
	 */
	public function written_ids(): array {
		return array_keys( $this->written );
	}

	/**
	 * Objects this request wrote rows for ("post:12", "comment:7"), in the order first written.
	 *
	 * @return string[]
	 */
	public function written_keys(): array {
		return array_values( array_unique( $this->written ) );
	}

	/**
	 * Forgets the request state (tests run many "requests" in one process).
	 */
	public function reset(): void {
		$this->pending        = array();
		$this->comment_before = array();
		$this->written        = array();
		$this->unwritten      = array();
	}

	/**
	 * Post types captured with the current settings.
	 *
	 * @return string[]
	 */
	public function post_types(): array {
		$types = array();
		if ( $this->settings->get( 'capture_posts' ) ) {
			$types[] = 'post';
		}
		if ( $this->settings->get( 'capture_pages' ) ) {
			$types[] = 'page';
		}
		/**
		 * Filters the post types whose publications are public records.
		 *
		 * @param string[] $types Post type names.
		 */
		return (array) apply_filters( 'offentlig_post_types', $types );
	}

	/**
	 * Whether a post is of a captured type (never revisions or autosaves).
	 *
	 * @param WP_Post $post Post.
	 */
	private function is_tracked_post( WP_Post $post ): bool {
		return in_array( $post->post_type, $this->post_types(), true ) && ! wp_is_post_revision( $post ) && ! wp_is_post_autosave( $post );
	}

	/**
	 * Event type prefix for a post type: "post" or "page".
	 *
	 * @param WP_Post $post Post.
	 */
	private static function kind( WP_Post $post ): string {
		return 'page' === $post->post_type ? 'page' : 'post';
	}

	/**
	 * Writes a new row, or rewrites this request's row for the same object.
	 *
	 * @param string              $key   Object key.
	 * @param array<string,mixed> $event Envelope.
	 * @param bool                $merge Rewrite an unsent row of this request instead of adding one.
	 */
	private function write( string $key, array $event, bool $merge = true ): void {
		$row = $this->pending[ $key ]['row'] ?? 0;
		if ( $merge && $row > 0 && $this->outbox->replace_unsent( $row, $event ) ) {
			return;
		}
		$id = $this->outbox->add( $key, $event );
		if ( is_int( $id ) ) {
			$this->written[ $id ] = $key;
			if ( $merge ) {
				$this->pending[ $key ]['row'] = $id;
			}
		}
	}

	/**
	 * Transition_post_status: publish, update, unpublish, trash, restore.
	 *
	 * @param string  $new_status New status.
	 * @param string  $old_status Old status.
	 * @param WP_Post $post       Post after the change.
	 */
	public function on_transition_post_status( $new_status, $old_status, $post ): void {
		if ( ! $post instanceof WP_Post || ! $this->is_tracked_post( $post ) ) {
			return;
		}
		$key = 'post:' . $post->ID;
		if ( ! isset( $this->pending[ $key ] ) ) {
			$this->pending[ $key ] = array(
				'first_status' => (string) $old_status,
				'action'       => null,
				'row'          => 0,
			);
		}
		$first = $this->pending[ $key ]['first_status'];
		// Whether the archive holds the post matters only for moves to and from the trash.
		$captured = in_array( 'trash', array( (string) $new_status, $first ), true ) && (bool) get_post_meta( $post->ID, self::CAPTURED_META, true );
		$action   = Event_Builder::post_action( $first, (string) $new_status, $captured );

		$this->pending[ $key ]['action'] = $action;
		if ( null === $action ) {
			unset( $this->unwritten[ $post->ID ] );
			// E.g. draft → publish → draft within one request: nothing public remains to report.
			if ( $this->pending[ $key ]['row'] > 0 && $this->outbox->delete_unsent( $this->pending[ $key ]['row'] ) ) {
				$this->pending[ $key ]['row'] = 0;
			}
			return;
		}
		// The row is written by on_after_insert_post, once terms and meta are final: every status
		// change in core (wp_insert_post, wp_publish_post, the REST API, the Customizer) fires
		// wp_after_insert_post after it. Building it here as well cost a second rendering and a
		// rewrite on every publish. write_unwritten() (shutdown, before the dispatch) and
		// on_before_delete_post catch a status change that no wp_after_insert_post follows.
		$this->unwritten[ $post->ID ] = true;
	}

	/**
	 * Wp_after_insert_post: terms and meta are final now (the REST API sets them after the status change),
	 * so this request's row for the post is rebuilt.
	 *
	 * @param int     $post_id Post ID.
	 * @param WP_Post $post    Post.
	 */
	public function on_after_insert_post( $post_id, $post ): void {
		$key = 'post:' . (int) $post_id;
		if ( ! $post instanceof WP_Post || ! isset( $this->pending[ $key ] ) || null === $this->pending[ $key ]['action'] ) {
			return;
		}
		unset( $this->unwritten[ $post->ID ] );
		$this->write_post( $post, $this->pending[ $key ]['action'], $this->pending[ $key ]['first_status'] );
	}

	/**
	 * Writes the rows of status changes that no wp_after_insert_post followed (a plugin calling
	 * wp_transition_post_status() itself). Runs on shutdown, before the after-response dispatch.
	 */
	public function write_unwritten(): void {
		foreach ( array_keys( $this->unwritten ) as $post_id ) {
			unset( $this->unwritten[ $post_id ] );
			$key  = 'post:' . $post_id;
			$post = get_post( $post_id );
			if ( $post instanceof WP_Post && null !== ( $this->pending[ $key ]['action'] ?? null ) ) {
				$this->write_post( $post, (string) $this->pending[ $key ]['action'], (string) $this->pending[ $key ]['first_status'] );
			}
		}
	}

	/**
	 * Builds and writes a post event.
	 *
	 * @param WP_Post $post            Post.
	 * @param string  $action          Event action.
	 * @param string  $previous_status Status before the action.
	 */
	private function write_post( WP_Post $post, string $action, string $previous_status ): void {
		$key      = 'post:' . $post->ID;
		$previous = in_array( $previous_status, array( 'new', 'auto-draft', 'inherit' ), true ) ? '' : $previous_status;
		$data     = $this->post_data( $post, $previous );
		$print    = self::fingerprint( $data );
		if ( 'updated' === $action && empty( $this->pending[ $key ]['row'] ) && get_post_meta( $post->ID, self::FINGERPRINT_META, true ) === $print ) {
			// Saved without a change (e.g. the block editor's second, meta-box request): nothing to send.
			return;
		}
		$meta = array(
			self::CAPTURED_META    => '1',
			self::FINGERPRINT_META => $print,
		);
		if ( 'publish' === $post->post_status ) {
			$meta[ self::PERMALINK_META ] = (string) $data['permalink'];
		}
		$event = Event_Builder::envelope( self::kind( $post ) . '.' . $action, $data );
		// The row and the meta in one commit: a save pays one log flush for the plugin, not four.
		$this->outbox->atomically(
			function () use ( $key, $event, $post, $meta ) {
				$this->write( $key, $event );
				self::set_post_meta( $post->ID, $meta );
			}
		);
	}

	/**
	 * Update_post_meta for several keys without the queries that change nothing: the current
	 * values are read once (each write empties the meta cache), equal values are not rewritten,
	 * and keys the post does not have yet are inserted without a lookup first.
	 *
	 * @param int                  $post_id Post ID.
	 * @param array<string,string> $values  Meta key => new value.
	 */
	private static function set_post_meta( int $post_id, array $values ): void {
		$current = get_post_meta( $post_id );
		$current = is_array( $current ) ? $current : array();
		foreach ( $values as $key => $value ) {
			$now = $current[ $key ] ?? array();
			if ( array( $value ) === $now ) {
				continue;
			}
			if ( empty( $now ) ) {
				add_post_meta( $post_id, $key, $value );
			} else {
				update_post_meta( $post_id, $key, $value );
			}
		}
	}

	/**
	 * What an update must change to be worth sending: everything but the modification time.
	 *
	 * @param array<string,mixed> $data Post data.
	 */
	private static function fingerprint( array $data ): string {
		unset( $data['modified_at'], $data['previous_status'] );
		return md5( (string) wp_json_encode( $data ) );
	}

	/**
	 * Post data whose permalink is the last public one once the post is no longer published
	 * (write_post() keeps it in post meta while the post is published).
	 *
	 * WordPress turns the permalink of a trashed, drafted or deleted post into ?p=ID (or a
	 * "__trashed" slug); sending that would look like a changed document, so the address the
	 * public last saw is kept in post meta and used instead.
	 *
	 * @param WP_Post $post            Post.
	 * @param string  $previous_status Previous status ('' to omit).
	 * @return array<string,mixed>
	 */
	private function post_data( WP_Post $post, string $previous_status = '' ): array {
		$data = $this->builder->post_data( $post, $previous_status );
		if ( 'publish' !== $post->post_status ) {
			$public = (string) get_post_meta( $post->ID, self::PERMALINK_META, true );
			if ( '' !== $public ) {
				$data['permalink'] = $public;
			}
		}
		return $data;
	}

	/**
	 * Before_delete_post: permanent delete, with the content read before it is gone.
	 *
	 * @param int     $post_id Post ID.
	 * @param WP_Post $post    Post (WordPress 5.5+ passes it).
	 */
	public function on_before_delete_post( $post_id, $post = null ): void {
		$post = $post instanceof WP_Post ? $post : get_post( (int) $post_id );
		if ( ! $post instanceof WP_Post || ! $this->is_tracked_post( $post ) ) {
			return;
		}
		if ( isset( $this->unwritten[ $post->ID ] ) ) {
			$this->write_unwritten();
		}
		if ( 'publish' !== $post->post_status && ! get_post_meta( $post->ID, self::CAPTURED_META, true ) ) {
			return; // A draft that was never public.
		}
		$event = Event_Builder::envelope( self::kind( $post ) . '.deleted', $this->post_data( $post ) );
		$this->write( 'post:' . $post->ID, $event, false );
	}

	/**
	 * Whether a comment belongs to the archive (a real comment on a captured post type).
	 *
	 * @param WP_Comment $comment Comment.
	 */
	private function is_tracked_comment( WP_Comment $comment ): bool {
		if ( ! $this->settings->get( 'capture_comments' ) || ! in_array( $comment->comment_type, array( '', 'comment' ), true ) ) {
			return false;
		}
		$post = get_post( (int) $comment->comment_post_ID );
		return $post instanceof WP_Post && in_array( $post->post_type, array( 'post', 'page' ), true ) && in_array( $post->post_type, $this->post_types(), true );
	}

	/**
	 * Writes a comment event, merging with this request's row for the comment.
	 *
	 * A status event wins over an edit (it carries the new content too); "received" wins over both.
	 *
	 * @param WP_Comment $comment         Comment.
	 * @param string     $action          Event action.
	 * @param string     $previous_status Previous status ('' to omit).
	 */
	private function write_comment( WP_Comment $comment, string $action, string $previous_status = '' ): void {
		$key = 'comment:' . $comment->comment_ID;
		if ( isset( $this->pending[ $key ] ) && $this->pending[ $key ]['row'] > 0 ) {
			$earlier = (string) $this->pending[ $key ]['action'];
			if ( 'received' === $earlier || ( 'edited' === $action && 'edited' !== $earlier ) ) {
				$action = $earlier;
			}
			if ( '' !== $this->pending[ $key ]['first_status'] ) {
				$previous_status = $this->pending[ $key ]['first_status'];
			}
		} else {
			$this->pending[ $key ] = array(
				'first_status' => $previous_status,
				'action'       => null,
				'row'          => 0,
			);
		}
		$this->pending[ $key ]['action'] = $action;
		$previous                        = 'received' === $action ? '' : $previous_status;
		$event                           = Event_Builder::envelope( 'comment.' . $action, $this->builder->comment_data( $comment, $previous ) );
		$this->outbox->atomically(
			function () use ( $key, $event, $comment ) {
				$this->write( $key, $event );
				update_comment_meta( (int) $comment->comment_ID, self::CAPTURED_META, '1' );
			}
		);
	}

	/**
	 * Wp_insert_comment: a comment arrives, whatever its status.
	 *
	 * @param int        $comment_id Comment ID.
	 * @param WP_Comment $comment    Comment.
	 */
	public function on_insert_comment( $comment_id, $comment ): void {
		if ( ! $comment instanceof WP_Comment || ! $this->is_tracked_comment( $comment ) ) {
			return;
		}
		if ( 'spam' === $comment->comment_approved && ! $this->settings->get( 'capture_spam' ) ) {
			return;
		}
		$this->write_comment( $comment, 'received' );
	}

	/**
	 * Wp_update_comment_data filter: remembers the fields before an update.
	 *
	 * @param array<string,mixed> $data    New data (returned unchanged).
	 * @param array<string,mixed> $comment The comment before the update.
	 * @return array<string,mixed>
	 */
	public function remember_comment( $data, $comment = array() ) {
		if ( is_array( $comment ) && isset( $comment['comment_ID'] ) ) {
			$this->comment_before[ (int) $comment['comment_ID'] ] = array(
				'fields' => self::comment_fields( $comment ),
				'status' => (string) ( $comment['comment_approved'] ?? '' ),
			);
		}
		return $data;
	}

	/**
	 * The fields whose change makes an edit (text and author).
	 *
	 * @param array<string,mixed>|WP_Comment $comment Comment.
	 * @return array<string,string>
	 */
	private static function comment_fields( $comment ): array {
		$comment = (array) ( $comment instanceof WP_Comment ? $comment->to_array() : $comment );
		$fields  = array();
		foreach ( array( 'comment_content', 'comment_author', 'comment_author_email', 'comment_author_url', 'comment_parent' ) as $field ) {
			$fields[ $field ] = (string) ( $comment[ $field ] ?? '' );
		}
		return $fields;
	}

	/**
	 * Edit_comment: sends comment.edited when text or author fields changed.
	 *
	 * @param int $comment_id Comment ID.
	 */
	public function on_edit_comment( $comment_id ): void {
		$comment = get_comment( (int) $comment_id );
		if ( ! $comment instanceof WP_Comment || ! $this->is_tracked_comment( $comment ) ) {
			return;
		}
		$before = $this->comment_before[ (int) $comment_id ] ?? null;
		unset( $this->comment_before[ (int) $comment_id ] );
		if ( null !== $before && self::comment_fields( $comment ) === $before['fields'] ) {
			return; // Only the status changed; transition_comment_status reports that.
		}
		$this->write_comment( $comment, 'edited', null !== $before ? $before['status'] : (string) $comment->comment_approved );
	}

	/**
	 * Transition_comment_status: approve, unapprove, spam, trash, restore.
	 *
	 * @param string     $new_status New status.
	 * @param string     $old_status Old status.
	 * @param WP_Comment $comment    Comment.
	 */
	public function on_transition_comment_status( $new_status, $old_status, $comment ): void {
		if ( ! $comment instanceof WP_Comment || ! $this->is_tracked_comment( $comment ) ) {
			return;
		}
		$action = Event_Builder::comment_action( (string) $new_status, (string) $old_status );
		if ( null !== $action ) {
			$this->write_comment( $comment, $action, (string) $old_status );
		}
	}

	/**
	 * Delete_comment: permanent delete, fired before the row is gone.
	 *
	 * @param int        $comment_id Comment ID.
	 * @param WP_Comment $comment    Comment (WordPress 4.9+ passes it).
	 */
	public function on_delete_comment( $comment_id, $comment = null ): void {
		$comment = $comment instanceof WP_Comment ? $comment : get_comment( (int) $comment_id );
		if ( ! $comment instanceof WP_Comment || ! $this->is_tracked_comment( $comment ) ) {
			return;
		}
		if ( 'spam' === $comment->comment_approved && ! $this->settings->get( 'capture_spam' ) && ! get_comment_meta( $comment->comment_ID, self::CAPTURED_META, true ) ) {
			return;
		}
		$event = Event_Builder::envelope( 'comment.deleted', $this->builder->comment_data( $comment ) );
		$this->write( 'comment:' . $comment->comment_ID, $event, false );
	}
}
