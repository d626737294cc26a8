<?php
/**
 * Payload builder: event types and `data` exactly as docs/webhooks.md describes them.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Event_Builder;

/**
 * Event_Builder tests.
 */
final class EventBuilderTest extends Test_Case {

	/**
	 * Post status changes → action.
	 *
	 * @return array<string,array{0:string,1:string,2:bool,3:?string}>
	 */
	public function post_transitions(): array {
		return array(
			'new post published (REST)'       => array( 'new', 'publish', false, 'published' ),
			'auto-draft published (XML-RPC)'  => array( 'auto-draft', 'publish', false, 'published' ),
			'draft published'                 => array( 'draft', 'publish', false, 'published' ),
			'scheduled post goes live'        => array( 'future', 'publish', false, 'published' ),
			'private made public'             => array( 'private', 'publish', false, 'published' ),
			'published post saved'            => array( 'publish', 'publish', true, 'updated' ),
			'back to draft'                   => array( 'publish', 'draft', true, 'unpublished' ),
			'made private'                    => array( 'publish', 'private', true, 'unpublished' ),
			'sent back to pending'            => array( 'publish', 'pending', true, 'unpublished' ),
			'published post trashed'          => array( 'publish', 'trash', false, 'trashed' ),
			'restored from trash to draft'    => array( 'trash', 'draft', true, 'restored' ),
			'restored straight to publish'    => array( 'trash', 'publish', true, 'restored' ),
			'unpublished, captured, trashed'  => array( 'draft', 'trash', true, 'trashed' ),
			'new auto-draft'                  => array( 'new', 'auto-draft', false, null ),
			'draft saved'                     => array( 'draft', 'draft', false, null ),
			'draft scheduled'                 => array( 'draft', 'future', false, null ),
			'never public draft trashed'      => array( 'draft', 'trash', false, null ),
			'never public draft restored'     => array( 'trash', 'draft', false, null ),
			'private saved'                   => array( 'private', 'private', true, null ),
			'revision inherit'                => array( 'new', 'inherit', false, null ),
		);
	}

	/**
	 * Post actions.
	 *
	 * @dataProvider post_transitions
	 * @param string      $old      Old status.
	 * @param string      $new      New status.
	 * @param bool        $captured Already in the archive.
	 * @param string|null $expected Expected action.
	 */
	public function test_post_action( string $old, string $new, bool $captured, ?string $expected ): void {
		$this->assertSame( $expected, Event_Builder::post_action( $old, $new, $captured ) );
	}

	/**
	 * Comment moderation transitions → action.
	 *
	 * @return array<string,array{0:string,1:string,2:?string}>
	 */
	public function comment_transitions(): array {
		return array(
			'approve held'    => array( 'approved', 'unapproved', 'approved' ),
			'unapprove'       => array( 'unapproved', 'approved', 'unapproved' ),
			'mark spam'       => array( 'spam', 'unapproved', 'spam' ),
			'not spam'        => array( 'approved', 'spam', 'approved' ),
			'trash'           => array( 'trash', 'approved', 'trashed' ),
			'restore'         => array( 'approved', 'trash', 'restored' ),
			'restore to held' => array( 'unapproved', 'trash', 'restored' ),
			'trash to spam'   => array( 'spam', 'trash', 'spam' ),
			'delete'          => array( 'delete', 'trash', null ),
			'no change'       => array( 'approved', 'approved', null ),
		);
	}

	/**
	 * Comment actions.
	 *
	 * @dataProvider comment_transitions
	 * @param string      $new      New status.
	 * @param string      $old      Old status.
	 * @param string|null $expected Expected action.
	 */
	public function test_comment_action( string $new, string $old, ?string $expected ): void {
		$this->assertSame( $expected, Event_Builder::comment_action( $new, $old ) );
	}

	/**
	 * Comment statuses in the contract's words.
	 *
	 * @return array<string,array{0:string,1:string}>
	 */
	public function comment_statuses(): array {
		return array(
			'held'         => array( '0', 'hold' ),
			'approved'     => array( '1', 'approved' ),
			'spam'         => array( 'spam', 'spam' ),
			'trash'        => array( 'trash', 'trash' ),
			'post trashed' => array( 'post-trashed', 'trash' ),
			'unapproved'   => array( 'unapproved', 'hold' ),
		);
	}

	/**
	 * Comment status mapping.
	 *
	 * @dataProvider comment_statuses
	 * @param string $wp       WordPress value.
	 * @param string $expected Contract value.
	 */
	public function test_comment_status( string $wp, string $expected ): void {
		$this->assertSame( $expected, Event_Builder::comment_status( $wp ) );
	}

	/**
	 * GMT dates become ISO 8601 UTC; an unset GMT date falls back to the local one.
	 */
	public function test_iso_utc(): void {
		$this->assertSame( '2026-11-28T09:15:02Z', Event_Builder::iso_utc( '2026-11-28 09:15:02' ) );
		$tz = get_option( 'timezone_string' );
		update_option( 'timezone_string', 'Europe/Stockholm' );
		$this->assertSame( '2026-11-28T09:15:02Z', Event_Builder::iso_utc( '0000-00-00 00:00:00', '2026-11-28 10:15:02' ) );
		update_option( 'timezone_string', $tz );
	}

	/**
	 * An empty `data` is a JSON object, and the body keeps slashes and Swedish letters readable.
	 */
	public function test_envelope_and_encoding(): void {
		$event = Event_Builder::envelope( 'offentlig.ping', array(), 1795860000 );
		$this->assertSame( '{"type":"offentlig.ping","timestamp":"2026-11-28T10:00:00Z","data":{}}', Event_Builder::encode( $event ) );
		$body = Event_Builder::encode( Event_Builder::envelope( 'post.updated', array( 'permalink' => 'http://x.se/å' ), 0 ) );
		$this->assertStringContainsString( '"http://x.se/å"', $body );
	}

	/**
	 * A published post carries every field of the contract.
	 */
	public function test_post_data_has_every_contract_field(): void {
		$category = wp_insert_term( 'Nyheter ' . wp_generate_password( 4, false ), 'category' );
		$id       = $this->make_post(
			array(
				'post_status'   => 'publish',
				'post_title'    => 'Kommunfullmäktige – sammanträde',
				'post_content'  => "Första stycket.\n\nAndra stycket med [caption]bild[/caption].",
				'post_excerpt'  => 'Kort om mötet.',
				'post_category' => array( $category['term_id'] ),
				'tags_input'    => array( 'val', 'budget' ),
				'post_date_gmt' => '2026-11-28 09:15:02',
				'post_date'     => get_date_from_gmt( '2026-11-28 09:15:02' ),
			)
		);
		$post     = get_post( $id );
		$data     = ( new Event_Builder( $this->plugin->settings ) )->post_data( $post, 'draft' );

		$this->assertSame( $id, $data['id'] );
		$this->assertSame( $post->guid, $data['guid'] );
		$this->assertSame( 'Kommunfullmäktige – sammanträde', $data['title'] );
		$this->assertStringContainsString( '<p>Första stycket.</p>', $data['content'] );
		$this->assertStringContainsString( '[caption]', $data['content_raw'] );
		$this->assertSame( 'Kort om mötet.', $data['excerpt'] );
		$this->assertSame( get_permalink( $id ), $data['permalink'] );
		$this->assertSame( 'publish', $data['status'] );
		$this->assertSame( 'draft', $data['previous_status'] );
		$this->assertSame( array( 'id' => 1, 'name' => get_userdata( 1 )->display_name ), $data['author'] );
		$this->assertSame( '2026-11-28T09:15:02Z', $data['published_at'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $data['modified_at'] );
		$this->assertSame( 0, $data['parent'] );
		$this->assertSame( array( $category['term_id'] ), wp_get_post_categories( $id ) );
		$this->assertSame( array( get_term( $category['term_id'] )->name ), $data['terms']['category'] );
		$this->assertEqualsCanonicalizing( array( 'val', 'budget' ), $data['terms']['post_tag'] );
		$this->assertArrayHasKey( 'featured_image', $data );
		$this->assertNull( $data['featured_image'] );
		wp_delete_term( $category['term_id'], 'category' );
	}

	/**
	 * Without an explicit excerpt one is generated from the content.
	 */
	public function test_post_data_generates_excerpt(): void {
		$id   = $this->make_post(
			array(
				'post_status'  => 'publish',
				'post_content' => '<p>Detaljplan för <strong>Norra hamnen</strong> är ute på samråd.</p>',
			)
		);
		$data = ( new Event_Builder( $this->plugin->settings ) )->post_data( get_post( $id ) );
		$this->assertStringStartsWith( 'Detaljplan för Norra hamnen är ute på samråd.', $data['excerpt'] );
		$this->assertArrayNotHasKey( 'previous_status', $data );
	}

	/**
	 * Commenters' personal data goes out only as the settings allow (default: e-mail only).
	 *
	 * @return array<string,array{0:array<string,bool>,1:string[],2:string[]}>
	 */
	public function personal_data_settings(): array {
		return array(
			'defaults'          => array( array(), array( 'author_email' ), array( 'author_ip', 'author_user_agent' ) ),
			'nothing'           => array( array( 'send_email' => false ), array(), array( 'author_email', 'author_ip', 'author_user_agent' ) ),
			'everything'        => array( array( 'send_ip' => true, 'send_user_agent' => true ), array( 'author_email', 'author_ip', 'author_user_agent' ), array() ),
			'ip but not e-mail' => array( array( 'send_email' => false, 'send_ip' => true ), array( 'author_ip' ), array( 'author_email', 'author_user_agent' ) ),
		);
	}

	/**
	 * Comment data and personal data.
	 *
	 * @dataProvider personal_data_settings
	 * @param array<string,bool> $settings Settings changes.
	 * @param string[]           $present  Fields expected.
	 * @param string[]           $absent   Fields not expected.
	 */
	public function test_comment_data_personal_fields( array $settings, array $present, array $absent ): void {
		$this->plugin->settings->update( $settings );
		$post_id    = $this->make_post( array( 'post_status' => 'publish', 'post_title' => 'Samråd' ) );
		$comment_id = $this->visitor_comment( $post_id );
		$comment    = get_comment( $comment_id );
		$data       = ( new Event_Builder( $this->plugin->settings ) )->comment_data( $comment, 'unapproved' );

		$this->assertSame( $comment_id, $data['id'] );
		$this->assertSame( $post_id, $data['post_id'] );
		$this->assertSame( 'post', $data['post_type'] );
		$this->assertSame( 'Samråd', $data['post_title'] );
		$this->assertSame( 'hold', $data['status'] );
		$this->assertSame( 'hold', $data['previous_status'] );
		$this->assertSame( $comment->comment_content, $data['content'] );
		$this->assertSame( array( 'name' => 'Anna Andersson', 'url' => 'https://anna.example.se', 'user_id' => 0 ), $data['author'] );
		$this->assertSame( str_replace( ' ', 'T', $comment->comment_date_gmt ) . 'Z', $data['date'] );
		$this->assertStringContainsString( '#comment-' . $comment_id, $data['permalink'] );
		foreach ( $present as $field ) {
			$this->assertArrayHasKey( $field, $data );
		}
		foreach ( $absent as $field ) {
			$this->assertArrayNotHasKey( $field, $data );
		}
		if ( in_array( 'author_ip', $present, true ) ) {
			$this->assertSame( '192.0.2.7', $data['author_ip'] );
		}
	}
}
