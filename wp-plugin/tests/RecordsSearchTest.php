<?php
/**
 * Records screen, search and versions: the query goes to the service with its facets; hits
 * show their snippets (only <mark> let through); facet values narrow the search; a version's
 * text is shown as captured but sanitised; two versions are compared with wp_text_diff.
 *
 * @package Offentlig
 */

namespace Offentlig\Tests;

use Offentlig\Record_View;
use Offentlig\Records_Screen;

/**
 * Search, facets, version text and diff.
 */
final class RecordsSearchTest extends Test_Case {

	const RECORD_ID = self::SITE_ID . '.post.7';

	protected function tearDown(): void {
		foreach ( array( 'q', 'kind', 'origin', 'status', 'author', 'from', 'to', 'cursor', 'record', 'version', 'diff_from', 'diff_to' ) as $name ) {
			unset( $_GET[ $name ] );
		}
		parent::tearDown();
	}

	/**
	 * The screen's HTML for the current $_GET.
	 */
	private function page(): string {
		ob_start();
		( new Records_Screen( $this->plugin->client, new Record_View( $this->plugin->client ) ) )->render();
		return (string) ob_get_clean();
	}

	/**
	 * The query arguments of the n-th request to the service.
	 *
	 * @param int $n Request.
	 * @return array<string,string>
	 */
	private function query_of( int $n ): array {
		wp_parse_str( (string) wp_parse_url( $this->requests[ $n ][0], PHP_URL_QUERY ), $query );
		return $query;
	}

	/**
	 * A search result as the service answers one, with snippets and facets.
	 *
	 * @return array<string,mixed>
	 */
	private static function result(): array {
		return array(
			'items'       => array(
				array(
					'id'             => self::RECORD_ID,
					'kind'           => 'post',
					'origin'         => 'drawn_up',
					'title'          => 'Beslut om bygglov',
					'summary'        => 'Nämnden beslutade …',
					'author'         => 'Anna Andersson',
					'published_at'   => '2026-11-28T09:00:00Z',
					'latest_version' => 2,
					'snippet'        => array(
						'field' => 'text',
						'html'  => '… nämnden fattade <mark>beslutet</mark> &lt;b&gt; <script>alert(1)</script><em>x</em>',
					),
				),
			),
			'next_cursor' => 'abc',
			'facets'      => array(
				'kind'   => array( array( 'value' => 'post', 'count' => 1204 ), array( 'value' => 'comment', 'count' => 3 ) ),
				'origin' => array( array( 'value' => 'drawn_up', 'count' => 1207 ) ),
				'status' => array( array( 'value' => 'publish', 'count' => 1207 ) ),
				'year'   => array( array( 'value' => 2026, 'count' => 1000 ), array( 'value' => 2025, 'count' => 207 ) ),
				'author' => array( array( 'value' => 'Anna <Andersson>', 'count' => 7 ) ),
			),
		);
	}

	public function test_search_asks_for_the_words_the_filters_and_the_facets(): void {
		$this->answer       = array( 200, self::result(), array() );
		$_GET['q']          = 'beslut -"detaljplan"';
		$_GET['origin']     = 'drawn_up';
		$_GET['author']     = 'Anna Andersson';
		$_GET['from']       = '2026-01-01';
		$this->page();

		$query = $this->query_of( 0 );
		$this->assertSame( 'beslut -"detaljplan"', $query['q'] );
		$this->assertSame( 'drawn_up', $query['origin'] );
		$this->assertSame( 'Anna Andersson', $query['author'] );
		$this->assertSame( '2026-01-01T00:00:00Z', $query['published_after'] );
		$this->assertSame( Records_Screen::FACETS, $query['facets'] );
		$this->assertSame( self::SITE_ID, $query['site'] );
	}

	public function test_a_hit_shows_its_snippet_with_only_the_marks_kept(): void {
		$this->answer = array( 200, self::result(), array() );
		$_GET['q']    = 'beslut';
		$html         = $this->page();

		$this->assertStringContainsString( '<p class="offentlig-snippet">… nämnden fattade <mark>beslutet</mark> &lt;b&gt; alert(1)x</p>', $html );
		$this->assertStringNotContainsString( '<script>', $html );
		$this->assertStringNotContainsString( '<em>x</em>', $html );
	}

	public function test_facets_count_the_result_and_narrow_the_search(): void {
		$this->answer = array( 200, self::result(), array() );
		$_GET['q']    = 'beslut';
		$_GET['kind'] = 'post';
		$html         = $this->page();

		$facets = explode( '<div class="offentlig-hits">', explode( '<div class="offentlig-facets">', $html )[1] )[0];
		$this->assertStringContainsString( '<h3>Kind</h3>', $facets );
		$this->assertMatchesRegularExpression( '#<a href="[^"]*kind=comment[^"]*">Comment</a> <span class="count">\(3\)</span>#', $facets );
		$this->assertMatchesRegularExpression( '#<a href="[^"]*q=beslut[^"]*origin=drawn_up[^"]*">Drawn up</a>#', $facets );
		$this->assertMatchesRegularExpression( '#<a href="[^"]*from=2025-01-01&(amp;|\#038;)to=2025-12-31[^"]*">2025</a> <span class="count">\(207\)</span>#', $facets );
		$this->assertStringContainsString( '>Anna &lt;Andersson&gt;</a>', $facets );
		$this->assertStringContainsString( '1,204', $facets );
		// The kind is filtered on: a link takes the filter away again, keeping the words.
		$this->assertMatchesRegularExpression( '#<a href="[^"]*page=offentlig-records&(amp;|\#038;)q=beslut"[^>]*>Show all</a>#', $facets );
	}

	public function test_more_results_keeps_every_filter(): void {
		$this->answer   = array( 200, self::result(), array() );
		$_GET['q']      = 'beslut';
		$_GET['status'] = 'publish';
		$html           = $this->page();

		$this->assertMatchesRegularExpression( '#href="[^"]*q=beslut[^"]*status=publish[^"]*cursor=abc"[^>]*>More results#', $html );
	}

	/**
	 * The fake service for one record with two versions.
	 *
	 * @param array<int,array<string,mixed>> $documents Version number => stored document.
	 */
	private function serve_versions( array $documents ): void {
		$this->answer = static function ( string $url ) use ( $documents ) {
			if ( preg_match( '#/versions/(\d+)$#', $url, $found ) ) {
				$number = (int) $found[1];
				return isset( $documents[ $number ] ) ? array( 200, $documents[ $number ], array() ) : array( 404, array( 'message' => 'No such version.' ), array() );
			}
			if ( '/versions' === substr( $url, -9 ) ) {
				$items = array();
				foreach ( array_keys( $documents ) as $number ) {
					$items[] = array(
						'version'     => $number,
						'sha256'      => str_repeat( (string) $number, 64 ),
						'event_type'  => 1 === $number ? 'post.published' : 'post.updated',
						'occurred_at' => '2026-11-28T09:00:00Z',
						'captured_at' => '2026-11-28T09:00:01Z',
					);
				}
				return array( 200, array( 'items' => $items ), array() );
			}
			return array(
				200,
				array(
					'id'    => self::RECORD_ID,
					'title' => 'Beslut om bygglov',
					'kind'  => 'post',
				),
				array(),
			);
		};
	}

	/**
	 * Two versions of a post: a paragraph corrected, one added.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	private static function two_versions(): array {
		return array(
			1 => array(
				'title'   => 'Beslut om bygglov',
				'content' => '<p>Nämnden beviljade bygglov för Storgatan 1.</p><p>Beslutet kan överklagas.</p>',
			),
			2 => array(
				'title'   => 'Beslut om bygglov (rättad)',
				'content' => '<p>Nämnden avslog bygglov för Storgatan 1.</p><p>Beslutet kan överklagas.</p><script>alert(1)</script><p onclick="x()">Läs mer.</p>',
			),
		);
	}

	public function test_a_version_is_shown_as_captured_but_sanitised(): void {
		$this->serve_versions( self::two_versions() );
		$_GET['record']  = rawurlencode( self::RECORD_ID );
		$_GET['version'] = '2';
		$html            = $this->page();

		$this->assertStringContainsString( '<h2 id="offentlig-version">Version 2 as captured</h2>', $html );
		$text = explode( '<div class="offentlig-version-text">', $html )[1];
		$this->assertStringContainsString( '<h3>Beslut om bygglov (rättad)</h3><p>Nämnden avslog bygglov för Storgatan 1.</p>', $text );
		$this->assertStringContainsString( '<p>Läs mer.</p>', $text );
		$this->assertStringNotContainsString( '<script>', $text );
		$this->assertStringNotContainsString( 'onclick', $text );
		$this->assertStringEndsWith( '/versions/2', $this->requests[2][0] );
		$this->assertMatchesRegularExpression( '#<a href="[^"]*record=[^"]*version=1">Text as captured</a>#', $html );
	}

	public function test_two_versions_are_compared_with_wordpress_text_diff(): void {
		$this->serve_versions( self::two_versions() );
		$_GET['record']    = rawurlencode( self::RECORD_ID );
		$_GET['diff_from'] = '1';
		$_GET['diff_to']   = '2';
		$html              = $this->page();

		$this->assertStringContainsString( '<h2 id="offentlig-diff">What changed from version 1 to version 2</h2>', $html );
		$diff = explode( '<h2 id="offentlig-diff">', $html )[1];
		$this->assertStringContainsString( "<table class='diff", $diff );
		$this->assertMatchesRegularExpression( '#<del>beviljade</del>#', $diff );
		$this->assertMatchesRegularExpression( '#<ins>avslog</ins>#', $diff );
		$this->assertStringContainsString( 'Läs mer.', $diff );
		$this->assertStringNotContainsString( '<script>', $diff );
		$this->assertStringContainsString( '<select id="offentlig-diff_from" name="diff_from">', $html );
	}

	public function test_the_same_text_in_both_versions(): void {
		$same = self::two_versions();
		$same[2] = $same[1];
		$this->serve_versions( $same );
		$_GET['record']    = rawurlencode( self::RECORD_ID );
		$_GET['diff_from'] = '2';
		$_GET['diff_to']   = '1';
		$html              = $this->page();

		$this->assertStringContainsString( 'The title and the text are the same in both versions.', $html );
	}

	public function test_diff_text_has_one_block_a_line(): void {
		$this->assertSame(
			"Rubrik\n\nEtt & två\nTre\nFyra",
			Record_View::diff_text( array( 'title' => 'Rubrik', 'content' => '<p>Ett &amp; två</p><ul><li>Tre</li></ul>Fyra<br>' ) )
		);
	}
}
