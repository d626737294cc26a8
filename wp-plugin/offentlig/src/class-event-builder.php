<?php
/**
 * Builds webhook payloads exactly as docs/webhooks.md describes them.
 *
 * @package Offentlig
 */

namespace Offentlig;

use WP_Comment;
use WP_Post;

defined( 'ABSPATH' ) || exit;

/**
 * Turns WordPress objects and status changes into `{type, timestamp, data}` events.
 */
final class Event_Builder {

	/**
	 * Settings (which personal data may be sent).
	 *
	 * @var Settings
	 */
	private $settings;

	/**
	 * Constructor.
	 *
	 * @param Settings $settings Plugin settings.
	 */
	public function __construct( Settings $settings ) {
		$this->settings = $settings;
	}

	/**
	 * The event for a post status change, or null when nothing public happened.
	 *
	 * @param string $old_status   Status before the change ("new" for a fresh insert).
	 * @param string $new_status   Status after the change.
	 * @param bool   $was_captured Whether the archive already holds this post.
	 * @return string|null "published", "updated", "unpublished", "trashed", "restored" or null.
	 */
	public static function post_action( string $old_status, string $new_status, bool $was_captured ): ?string {
		$was_captured = $was_captured || 'publish' === $old_status;
		if ( 'publish' === $new_status ) {
			if ( 'publish' === $old_status ) {
				return 'updated';
			}
			return 'trash' === $old_status ? 'restored' : 'published';
		}
		if ( 'trash' === $new_status && 'trash' !== $old_status ) {
			return $was_captured ? 'trashed' : null;
		}
		if ( 'trash' === $old_status && 'trash' !== $new_status ) {
			return $was_captured ? 'restored' : null;
		}
		if ( 'publish' === $old_status ) {
			return 'unpublished';
		}
		return null;
	}

	/**
	 * The event for a comment moderation change (transition_comment_status), or null.
	 *
	 * @param string $new_status "approved", "unapproved", "spam", "trash" or "delete".
	 * @param string $old_status Same vocabulary.
	 * @return string|null "approved", "unapproved", "spam", "trashed", "restored" or null.
	 */
	public static function comment_action( string $new_status, string $old_status ): ?string {
		if ( $new_status === $old_status || 'delete' === $new_status ) {
			return null;
		}
		if ( 'trash' === $old_status && 'spam' !== $new_status ) {
			return 'restored';
		}
		$actions = array(
			'approved'   => 'approved',
			'unapproved' => 'unapproved',
			'spam'       => 'spam',
			'trash'      => 'trashed',
		);
		return $actions[ $new_status ] ?? null;
	}

	/**
	 * The contract's comment status for a comment_approved value or a transition status.
	 *
	 * @param string $status "0", "1", "hold", "unapproved", "approved", "spam", "trash", "post-trashed".
	 */
	public static function comment_status( string $status ): string {
		$map = array(
			'0'            => 'hold',
			'hold'         => 'hold',
			'unapproved'   => 'hold',
			'1'            => 'approved',
			'approve'      => 'approved',
			'approved'     => 'approved',
			'spam'         => 'spam',
			'trash'        => 'trash',
			'post-trashed' => 'trash',
		);
		return $map[ $status ] ?? $status;
	}

	/**
	 * ISO 8601 UTC from a MySQL GMT datetime; the local datetime is the fallback for unset GMT dates.
	 *
	 * @param string $gmt   "Y-m-d H:i:s" in UTC, or "0000-00-00 00:00:00".
	 * @param string $local "Y-m-d H:i:s" in the site's timezone.
	 */
	public static function iso_utc( string $gmt, string $local = '' ): string {
		if ( '' === $gmt || 0 === strpos( $gmt, '0000-00-00' ) ) {
			$gmt = ( '' !== $local && 0 !== strpos( $local, '0000-00-00' ) ) ? get_gmt_from_date( $local ) : gmdate( 'Y-m-d H:i:s' );
		}
		return str_replace( ' ', 'T', $gmt ) . 'Z';
	}

	/**
	 * The envelope: type, when it happened, and the object.
	 *
	 * @param string              $type Event type, e.g. "post.published".
	 * @param array<string,mixed> $data The object.
	 * @param int|null            $time Unix time it happened (default: now).
	 * @return array<string,mixed>
	 */
	public static function envelope( string $type, array $data, ?int $time = null ): array {
		return array(
			'type'      => $type,
			'timestamp' => gmdate( 'Y-m-d\TH:i:s\Z', $time ?? time() ),
			'data'      => empty( $data ) ? new \stdClass() : $data,
		);
	}

	/**
	 * JSON body as sent and signed (unescaped slashes and Unicode keep it readable; both are valid JSON).
	 *
	 * @param array<string,mixed> $event Envelope.
	 */
	public static function encode( array $event ): string {
		return (string) wp_json_encode( $event, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}

	/**
	 * `data` for post.* and page.* events.
	 *
	 * @param WP_Post $post            The post as it is now.
	 * @param string  $previous_status Status before the change ('' to omit).
	 * @return array<string,mixed>
	 */
	public function post_data( WP_Post $post, string $previous_status = '' ): array {
		$author = get_userdata( (int) $post->post_author );
		$data   = array(
			'id'           => (int) $post->ID,
			'guid'         => (string) $post->guid,
			'title'        => (string) $post->post_title,
			'content'      => '',
			'content_raw'  => (string) $post->post_content,
			'excerpt'      => '',
			'permalink'    => (string) get_permalink( $post ),
			'status'       => (string) $post->post_status,
			'author'       => array(
				'id'   => (int) $post->post_author,
				'name' => $author ? (string) $author->display_name : '',
			),
			'published_at' => self::iso_utc( (string) $post->post_date_gmt, (string) $post->post_date ),
			'modified_at'  => self::iso_utc( (string) $post->post_modified_gmt, (string) $post->post_modified ),
			'parent'       => (int) $post->post_parent,
		);
		if ( '' !== $previous_status ) {
			$data['previous_status'] = $previous_status;
		}

		list( $data['content'], $data['excerpt'] ) = $this->render( $post );

		$terms = $this->terms( $post );
		if ( ! empty( $terms ) ) {
			$data['terms'] = $terms;
		}
		$image                  = get_the_post_thumbnail_url( $post, 'full' );
		$data['featured_image'] = $image ? (string) $image : null;
		return $data;
	}

	/**
	 * Content with `the_content` filters and the excerpt, rendered as the post itself (global $post set).
	 *
	 * @param WP_Post $post The post.
	 * @return array{0:string,1:string}
	 */
	private function render( WP_Post $post ): array {
		// phpcs:disable WordPress.WP.GlobalVariablesOverride.Prohibited -- render as the post, then restore.
		$previous        = $GLOBALS['post'] ?? null;
		$GLOBALS['post'] = $post;
		setup_postdata( $post );
		$content = (string) apply_filters( 'the_content', $post->post_content );
		$content = str_replace( ']]>', ']]&gt;', $content );
		$excerpt = self::generated_excerpt( $post, $content );
		$excerpt = trim( wp_strip_all_tags( null === $excerpt ? (string) get_the_excerpt( $post ) : $excerpt ) );
		$GLOBALS['post'] = $previous;
		// phpcs:enable
		if ( $previous instanceof WP_Post ) {
			setup_postdata( $previous );
		} else {
			wp_reset_postdata();
		}
		return array( $content, $excerpt );
	}

	/**
	 * The excerpt WordPress would generate, from the content already rendered, or null when it
	 * cannot be sure to give the same answer as get_the_excerpt().
	 *
	 * get_the_excerpt() of a post without a manual excerpt renders the content a second time
	 * (wp_trim_excerpt()). For the common case (no manual excerpt, no password, no shortcodes,
	 * blocks, more or page tags, and no other get_the_excerpt filter than core's) that rendering
	 * is the one just done, so the save request need not pay for it twice.
	 *
	 * @param WP_Post $post     The post.
	 * @param string  $rendered Its content after `the_content`, "]]>" escaped.
	 */
	public static function generated_excerpt( WP_Post $post, string $rendered ): ?string {
		global $wp_filter;
		$raw = (string) $post->post_content;
		if ( '' !== trim( (string) $post->post_excerpt ) || '' !== (string) $post->post_password
			|| false !== strpos( $raw, '[' ) || false !== strpos( $raw, '<!--' ) ) {
			return null;
		}
		$filters = isset( $wp_filter['get_the_excerpt'] ) ? $wp_filter['get_the_excerpt']->callbacks : array();
		if ( array( 10 ) !== array_keys( $filters ) || array( 'wp_trim_excerpt' ) !== array_keys( $filters[10] ) ) {
			return null;
		}
		/** This filter is documented in wp-includes/formatting.php */
		$length = (int) apply_filters( 'excerpt_length', (int) translate_with_gettext_context( '55', 'excerpt_length', 'default' ) ); // Core's own string, as wp_trim_excerpt() reads it.
		/** This filter is documented in wp-includes/formatting.php */
		$more = apply_filters( 'excerpt_more', ' [&hellip;]' );
		/** This filter is documented in wp-includes/formatting.php */
		return (string) apply_filters( 'wp_trim_excerpt', wp_trim_words( $rendered, $length, $more ), '' );
	}

	/**
	 * Public taxonomies → term names.
	 *
	 * @param WP_Post $post The post.
	 * @return array<string,string[]>
	 */
	private function terms( WP_Post $post ): array {
		// One query for every taxonomy of the post (none when cached), not one or two per taxonomy.
		update_object_term_cache( array( $post->ID ), $post->post_type );
		$terms = array();
		foreach ( get_object_taxonomies( $post->post_type, 'objects' ) as $taxonomy ) {
			if ( ! $taxonomy->public ) {
				continue;
			}
			$found = get_the_terms( $post, $taxonomy->name );
			if ( is_array( $found ) && ! empty( $found ) ) {
				// In the term cache's order: by name, as wp_get_post_terms() sorts them.
				$terms[ $taxonomy->name ] = array_values( array_map( static fn( $term ) => (string) $term->name, $found ) );
			}
		}
		return $terms;
	}

	/**
	 * `data` for comment.* events; personal data only as the settings allow.
	 *
	 * @param WP_Comment $comment         The comment as it is now.
	 * @param string     $previous_status Status before the change ('' to omit), any vocabulary.
	 * @return array<string,mixed>
	 */
	public function comment_data( WP_Comment $comment, string $previous_status = '' ): array {
		$post = get_post( (int) $comment->comment_post_ID );
		$data = array(
			'id'         => (int) $comment->comment_ID,
			'post_id'    => (int) $comment->comment_post_ID,
			'post_type'  => $post ? (string) $post->post_type : 'post',
			'post_title' => $post ? (string) $post->post_title : '',
			'parent'     => (int) $comment->comment_parent,
			'content'    => (string) $comment->comment_content,
			'status'     => self::comment_status( (string) $comment->comment_approved ),
			'author'     => array(
				'name'    => (string) $comment->comment_author,
				'url'     => (string) $comment->comment_author_url,
				'user_id' => (int) $comment->user_id,
			),
			'date'       => self::iso_utc( (string) $comment->comment_date_gmt, (string) $comment->comment_date ),
			'permalink'  => (string) get_comment_link( $comment ),
		);
		if ( '' !== $previous_status ) {
			$data['previous_status'] = self::comment_status( $previous_status );
		}
		$personal = array(
			'send_email'      => array( 'author_email', (string) $comment->comment_author_email ),
			'send_ip'         => array( 'author_ip', (string) $comment->comment_author_IP ),
			'send_user_agent' => array( 'author_user_agent', (string) $comment->comment_agent ),
		);
		foreach ( $personal as $setting => list( $field, $value ) ) {
			if ( '' !== $value && $this->settings->get( $setting ) ) {
				$data[ $field ] = $value;
			}
		}
		return $data;
	}

	/**
	 * `data` for offentlig.ping.
	 *
	 * @return array<string,string>
	 */
	public static function ping_data(): array {
		return array(
			'plugin_version'    => VERSION,
			'wordpress_version' => (string) get_bloginfo( 'version' ),
		);
	}
}
