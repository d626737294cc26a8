<?php
/**
 * Hooks → outbox rows: one WordPress action gives one event, drafts are never sent.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

/**
 * Capture tests (real WordPress APIs, the plugin's real hooks).
 */
final class CaptureTest extends Test_Case {

	/**
	 * Drafts, autosaves and revisions never reach the outbox.
	 */
	public function test_drafts_autosaves_and_revisions_are_not_sent(): void {
		$id = $this->make_post( array( 'post_status' => 'draft' ) );
		wp_update_post( array( 'ID' => $id, 'post_content' => 'Ändrat utkast.' ) );
		wp_create_post_autosave( array( 'post_ID' => $id, 'post_content' => 'Autosparat.', 'post_title' => 'x', 'post_type' => 'post' ) );
		wp_insert_post( array( 'post_type' => 'post', 'post_status' => 'pending', 'post_title' => 'Väntar' ) );
		$this->posts[] = (int) get_posts( array( 'post_status' => 'pending', 'title' => 'Väntar', 'fields' => 'ids' ) )[0];
		$this->assertSame( array(), $this->event_types() );
	}

	/**
	 * REST-style publish: one post.published row with the full post.
	 */
	public function test_publish_writes_one_published_event(): void {
		$id   = $this->make_post( array( 'post_status' => 'publish', 'post_title' => 'Nytt beslut' ) );
		$rows = $this->outbox_rows();
		$this->assertSame( array( 'post.published' ), array_column( $rows, 'event_type' ) );
		$this->assertSame( 'post:' . $id, $rows[0]['object_key'] );
		$this->assertSame( 'Nytt beslut', $rows[0]['event']['data']['title'] );
		$this->assertSame( 'publish', $rows[0]['event']['data']['status'] );
		$this->assertArrayNotHasKey( 'previous_status', $rows[0]['event']['data'] );
		$this->assertMatchesRegularExpression( '/^msg_[0-9A-HJKMNP-TV-Z]{26}$/', $rows[0]['webhook_id'] );
		$this->assertSame( 'pending', $rows[0]['status'] );
		$this->assertSame( array( (int) $rows[0]['id'] ), $this->plugin->capture->written_ids() );
	}

	/**
	 * XML-RPC publishes fire new → auto-draft, then auto-draft → publish: still one event.
	 */
	public function test_xmlrpc_style_double_hooks_give_one_event(): void {
		$post = get_default_post_to_edit( 'post', true ); // new → auto-draft, as wp.newPost does.
		$this->posts[] = $post->ID;
		wp_insert_post(
			array(
				'ID'           => $post->ID,
				'post_title'   => 'Via XML-RPC',
				'post_content' => 'Innehåll',
				'post_status'  => 'publish',
				'post_author'  => 1,
				'tags_input'   => array( 'xmlrpc' ),
			)
		);
		$rows = $this->outbox_rows();
		$this->assertSame( array( 'post.published' ), array_column( $rows, 'event_type' ) );
		$this->assertSame( array( 'xmlrpc' ), $rows[0]['event']['data']['terms']['post_tag'] );
	}

	/**
	 * The publish's event is built once, when the post is complete, not again for every hook.
	 */
	public function test_xmlrpc_style_publish_builds_the_event_once(): void {
		$post          = get_default_post_to_edit( 'post', true );
		$this->posts[] = $post->ID;
		$builds        = 0;
		$count         = static function ( $excerpt ) use ( &$builds ) {
			++$builds; // Event_Builder::post_data() asks for the excerpt once per build.
			return $excerpt;
		};
		add_filter( 'get_the_excerpt', $count );
		wp_insert_post(
			array(
				'ID'           => $post->ID,
				'post_title'   => 'En gång',
				'post_content' => 'Innehåll',
				'post_status'  => 'publish',
				'post_author'  => 1,
			)
		);
		remove_filter( 'get_the_excerpt', $count );
		$this->assertSame( 1, $builds );
		$this->assertSame( array( 'post.published' ), $this->event_types() );
	}

	/**
	 * A status change that no wp_after_insert_post follows (a plugin calling
	 * wp_transition_post_status() itself) is still written, at shutdown before the dispatch.
	 */
	public function test_status_change_without_after_insert_is_written_at_shutdown(): void {
		$id = $this->make_post( array( 'post_status' => 'draft' ) );
		$this->next_request();
		global $wpdb;
		$wpdb->update( $wpdb->posts, array( 'post_status' => 'publish' ), array( 'ID' => $id ) ); // phpcs:ignore WordPress.DB
		clean_post_cache( $id );
		wp_transition_post_status( 'publish', 'draft', get_post( $id ) );
		$this->assertSame( array(), $this->event_types() );
		$this->plugin->capture->write_unwritten();
		$this->assertSame( array( 'post.published' ), $this->event_types() );
		$this->assertSame( 1000, has_action( 'shutdown', array( $this->plugin, 'dispatch_after_response' ) ) );
		$this->assertSame( 0, has_action( 'shutdown', array( $this->plugin->capture, 'write_unwritten' ) ) );
	}

	/**
	 * Terms set after the status change (as the REST API does) are in the event.
	 */
	public function test_terms_set_after_status_change_are_included(): void {
		$id = $this->make_post( array( 'post_status' => 'draft' ) );
		add_action(
			'transition_post_status',
			$late = static function ( $new, $old, $post ) use ( $id ) {
				if ( $post->ID === $id && 'publish' === $new ) {
					wp_set_post_tags( $id, array( 'sent' ) );
				}
			},
			20,
			3
		);
		wp_publish_post( $id );
		remove_action( 'transition_post_status', $late, 20 );
		$rows = $this->outbox_rows();
		$this->assertSame( array( 'post.published' ), array_column( $rows, 'event_type' ) );
		$this->assertSame( array( 'sent' ), $rows[0]['event']['data']['terms']['post_tag'] );
	}

	/**
	 * A published post's whole life: each request gives exactly its one event.
	 */
	public function test_post_lifecycle_events(): void {
		$id = $this->make_post( array( 'post_status' => 'publish' ) );
		$this->next_request();
		wp_update_post( array( 'ID' => $id, 'post_content' => 'Ändrad text.' ) );
		$this->next_request();
		wp_update_post( array( 'ID' => $id, 'post_status' => 'draft' ) );
		$this->next_request();
		wp_update_post( array( 'ID' => $id, 'post_status' => 'publish' ) );
		$this->next_request();
		wp_trash_post( $id );
		$this->next_request();
		wp_untrash_post( $id );
		$this->next_request();
		wp_delete_post( $id, true );

		$this->assertSame(
			array( 'post.published', 'post.updated', 'post.unpublished', 'post.published', 'post.trashed', 'post.restored', 'post.deleted' ),
			$this->event_types()
		);
		$rows = $this->outbox_rows();
		$this->assertSame( 'Ändrad text.', $rows[1]['event']['data']['content_raw'] );
		$this->assertSame( 'publish', $rows[2]['event']['data']['previous_status'] );
		$this->assertSame( 'trash', $rows[4]['event']['data']['status'] );
		$this->assertSame( 'trash', $rows[5]['event']['data']['previous_status'] );
		$deleted = end( $rows )['event']['data'];
		$this->assertSame( 'Ändrad text.', $deleted['content_raw'], 'the delete carries the content read before it is gone' );
		$public = $rows[0]['event']['data']['permalink'];
		$this->assertStringNotContainsString( '?p=', $public );
		foreach ( array( 2, 4, 5, 6 ) as $i ) {
			$this->assertSame( $public, $rows[ $i ]['event']['data']['permalink'], 'the last public permalink, not ?p=ID: ' . $rows[ $i ]['event_type'] );
		}
		$this->assertNull( get_post( $id ) );
	}

	/**
	 * A scheduled post is sent when it goes live, not when it is scheduled.
	 */
	public function test_scheduled_post_is_sent_when_it_goes_live(): void {
		$future = gmdate( 'Y-m-d H:i:s', time() + DAY_IN_SECONDS );
		$id     = $this->make_post(
			array(
				'post_status'   => 'future',
				'post_date_gmt' => $future,
				'post_date'     => get_date_from_gmt( $future ),
			)
		);
		$this->assertSame( 'future', get_post_status( $id ) );
		$this->assertSame( array(), $this->event_types() );
		$this->next_request();
		check_and_publish_future_post( $id ); // Too early: WP-Cron's publish_future_post reschedules.
		$this->assertSame( array(), $this->event_types() );
		wp_publish_post( $id );               // What publish_future_post does at the time.
		$rows = $this->outbox_rows();
		$this->assertSame( array( 'post.published' ), array_column( $rows, 'event_type' ) );
		$this->assertSame( 'future', $rows[0]['event']['data']['previous_status'] );
		$this->assertSame( str_replace( ' ', 'T', $future ) . 'Z', $rows[0]['event']['data']['published_at'] );
	}

	/**
	 * Saving a published post without a change (the block editor's meta-box request) sends nothing.
	 */
	public function test_unchanged_save_is_not_sent_again(): void {
		$id = $this->make_post( array( 'post_status' => 'publish', 'tags_input' => array( 'a' ) ) );
		$this->next_request();
		wp_update_post( array( 'ID' => $id ) );
		$this->next_request();
		wp_update_post( array( 'ID' => $id, 'tags_input' => array( 'a', 'b' ) ) );
		$this->next_request();
		wp_update_post( array( 'ID' => $id ) );
		$this->next_request();
		wp_update_post( array( 'ID' => $id, 'post_title' => 'Ny rubrik' ) );
		$this->assertSame( array( 'post.published', 'post.updated', 'post.updated' ), $this->event_types() );
		$rows = $this->outbox_rows();
		$this->assertEqualsCanonicalizing( array( 'a', 'b' ), $rows[1]['event']['data']['terms']['post_tag'] );
		$this->assertSame( 'Ny rubrik', $rows[2]['event']['data']['title'] );
	}

	/**
	 * A term added after an unchanged save (REST sets terms after the status change) is still sent.
	 */
	public function test_terms_set_after_an_otherwise_unchanged_save_are_sent(): void {
		$id = $this->make_post( array( 'post_status' => 'publish' ) );
		$this->next_request();
		add_action(
			'transition_post_status',
			$late = static function ( $new, $old, $post ) use ( $id ) {
				if ( $post->ID === $id ) {
					wp_set_post_tags( $id, array( 'sent-late' ) );
				}
			},
			20,
			3
		);
		wp_update_post( array( 'ID' => $id ) );
		remove_action( 'transition_post_status', $late, 20 );
		$rows = $this->outbox_rows();
		$this->assertSame( array( 'post.published', 'post.updated' ), array_column( $rows, 'event_type' ) );
		$this->assertSame( array( 'sent-late' ), $rows[1]['event']['data']['terms']['post_tag'] );
	}

	/**
	 * Pages get page.* events.
	 */
	public function test_pages_get_page_events(): void {
		$id = $this->make_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Kontakt' ) );
		$this->next_request();
		wp_delete_post( $id, true );
		$this->assertSame( array( 'page.published', 'page.deleted' ), $this->event_types() );
	}

	/**
	 * Turning pages off stops page events.
	 */
	public function test_capture_toggles(): void {
		$this->plugin->settings->update( array( 'capture_pages' => false ) );
		$this->make_post( array( 'post_type' => 'page', 'post_status' => 'publish' ) );
		$this->make_post( array( 'post_status' => 'publish' ) );
		$this->assertSame( array( 'post.published' ), $this->event_types() );
	}

	/**
	 * Deleting a draft that was never public sends nothing.
	 */
	public function test_deleting_a_never_published_draft_sends_nothing(): void {
		$id = $this->make_post( array( 'post_status' => 'draft' ) );
		wp_trash_post( $id );
		wp_delete_post( $id, true );
		$this->assertSame( array(), $this->event_types() );
	}

	/**
	 * A visitor's comment is received while held; approval is one event, not an edit too.
	 */
	public function test_comment_received_held_then_approved_once(): void {
		$post_id = $this->make_post( array( 'post_status' => 'publish' ) );
		$this->next_request();
		$comment_id = $this->visitor_comment( $post_id );
		$this->next_request();
		// wp.editComment / the admin's Quick Edit: wp_update_comment fires edit_comment and the transition.
		wp_update_comment( array( 'comment_ID' => $comment_id, 'comment_approved' => 1 ) );

		$rows = $this->outbox_rows();
		$this->assertSame( array( 'post.published', 'comment.received', 'comment.approved' ), array_column( $rows, 'event_type' ) );
		$this->assertSame( 'hold', $rows[1]['event']['data']['status'] );
		$this->assertSame( 'approved', $rows[2]['event']['data']['status'] );
		$this->assertSame( 'hold', $rows[2]['event']['data']['previous_status'] );
	}

	/**
	 * Editing text is comment.edited; a simultaneous status change is one status event with the new text.
	 */
	public function test_comment_edit_and_moderation(): void {
		$post_id    = $this->make_post( array( 'post_status' => 'publish' ) );
		$comment_id = $this->visitor_comment( $post_id );
		$this->next_request();
		wp_update_comment( array( 'comment_ID' => $comment_id, 'comment_content' => 'Rättad text.' ) );
		$this->next_request();
		wp_update_comment( array( 'comment_ID' => $comment_id, 'comment_content' => 'Rättad igen.', 'comment_approved' => 1 ) );
		$this->next_request();
		wp_set_comment_status( $comment_id, 'hold' );
		$this->next_request();
		wp_spam_comment( $comment_id );
		$this->next_request();
		wp_unspam_comment( $comment_id );
		$this->next_request();
		wp_trash_comment( $comment_id );
		$this->next_request();
		wp_untrash_comment( $comment_id );
		$this->next_request();
		wp_delete_comment( $comment_id, true );

		$types = array_values( array_filter( $this->event_types(), static fn( $t ) => 0 === strpos( $t, 'comment.' ) ) );
		$this->assertSame(
			array( 'comment.received', 'comment.edited', 'comment.approved', 'comment.unapproved', 'comment.spam', 'comment.unapproved', 'comment.trashed', 'comment.restored', 'comment.deleted' ),
			$types
		);
		$rows    = array_values( array_filter( $this->outbox_rows(), static fn( $r ) => 0 === strpos( $r['event_type'], 'comment.' ) ) );
		$this->assertSame( 'Rättad text.', $rows[1]['event']['data']['content'] );
		$this->assertSame( 'Rättad igen.', $rows[2]['event']['data']['content'] );
		$this->assertSame( 'Rättad igen.', $rows[8]['event']['data']['content'], 'the delete carries the last text' );
		$this->assertNull( get_comment( $comment_id ) );
	}

	/**
	 * Spam arriving as spam is kept out unless the authority enables it.
	 */
	public function test_spam_on_arrival_only_when_enabled(): void {
		$post_id = $this->make_post( array( 'post_status' => 'publish' ) );
		$this->next_request();
		add_filter( 'pre_comment_approved', $spam = static fn() => 'spam' );
		$this->visitor_comment( $post_id );
		$this->plugin->settings->update( array( 'capture_spam' => true ) );
		$this->visitor_comment( $post_id );
		remove_filter( 'pre_comment_approved', $spam );

		$rows = $this->outbox_rows();
		$this->assertSame( array( 'post.published', 'comment.received' ), array_column( $rows, 'event_type' ) );
		$this->assertSame( 'spam', $rows[1]['event']['data']['status'] );
	}

	/**
	 * Pingbacks and comments on other post types are not records here.
	 */
	public function test_pingbacks_are_not_captured(): void {
		$post_id = $this->make_post( array( 'post_status' => 'publish' ) );
		$this->next_request();
		wp_insert_comment(
			array(
				'comment_post_ID' => $post_id,
				'comment_type'    => 'pingback',
				'comment_content' => 'Länk',
				'comment_author'  => 'Blogg',
			)
		);
		$this->assertSame( array( 'post.published' ), $this->event_types() );
	}
}
