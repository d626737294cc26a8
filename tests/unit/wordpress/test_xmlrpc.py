"""The adapter's own logic: the library shim, error mapping and paging over a changing list."""

from __future__ import annotations

import xml.parsers.expat
import xmlrpc.client

import pytest
from wordpress_xmlrpc.exceptions import InvalidCredentialsError, ServerConnectionError
from wordpress_xmlrpc.methods import taxonomies, users

from service.errors import WordPressRefused, WordPressUnavailable
from service.wordpress.xmlrpc import errors_mapped, open_client, paged
from tests.support.ports import free_port


def test_list_answers_become_library_objects_on_python_3_11() -> None:
    """Without the shim this raises AttributeError: collections has no Iterable."""
    authors = users.GetAuthors().process_result([{"user_id": "1", "display_name": "Admin"}])
    assert [(a.id, a.display_name) for a in authors] == [("1", "Admin")]
    found = taxonomies.GetTaxonomies().process_result([{"name": "category", "public": True}])
    assert found[0].name == "category"


def _protocol(status: int) -> xmlrpc.client.ProtocolError:
    return xmlrpc.client.ProtocolError("127.0.0.1/xmlrpc.php", status, "status", {})


def _wrapped(error: BaseException) -> ServerConnectionError:
    """What the library's Client constructor raises: its own error, chained to the cause."""
    try:
        raise error
    except BaseException:
        try:
            raise ServerConnectionError(repr(error)) from None
        except ServerConnectionError as wrapped:
            wrapped.__context__ = error
            return wrapped


@pytest.mark.parametrize(
    ("error", "ours"),
    [
        (InvalidCredentialsError("Incorrect username or password."), WordPressRefused),
        (xmlrpc.client.Fault(401, "Sorry, you are not allowed to edit posts."), WordPressRefused),
        (xmlrpc.client.Fault(405, "XML-RPC services are disabled on this site."), WordPressRefused),
        (_protocol(403), WordPressRefused),
        (_protocol(502), WordPressUnavailable),
        (_protocol(429), WordPressUnavailable),
        (_wrapped(_protocol(404)), WordPressRefused),
        (_wrapped(_protocol(503)), WordPressUnavailable),
        (ConnectionRefusedError(111, "Connection refused"), WordPressUnavailable),
        (TimeoutError("timed out"), WordPressUnavailable),
        (xml.parsers.expat.ExpatError("syntax error"), WordPressRefused),
    ],
)
def test_errors_become_ours(error: Exception, ours: type[Exception]) -> None:
    with pytest.raises(ours), errors_mapped("wp.getPosts"):
        raise error


def test_credentials_never_reach_an_error_message() -> None:
    with pytest.raises(WordPressUnavailable) as raised:
        open_client(f"http://127.0.0.1:{free_port()}", "arkivet", "hemligt lösenord", timeout=2)
    assert "hemligt" not in str(raised.value) and "arkivet" not in str(raised.value)


def listing(ids: list[int]):  # type: ignore[no-untyped-def]
    """fetch() over a list the test may change between pages."""

    def fetch(position: int, number: int) -> tuple[list[int], list[int]]:
        page = ids[position : position + number]
        return page, [n for n in page if n % 7]  # every 7th is not kept (a pingback, say)

    return fetch


def test_paging_reads_everything_once_and_skips_what_is_not_kept() -> None:
    ids = list(range(1, 96))
    got = list(paged(listing(ids), lambda n: n, page_size=10, offset=0))
    assert got == [n for n in ids if n % 7]


def test_paging_misses_nothing_when_one_before_it_goes() -> None:
    ids = list(range(1, 41))
    got: list[int] = []
    for n in paged(listing(ids), lambda n: n, page_size=10, offset=0):
        got.append(n)
        if n == 12:
            ids.remove(3)  # everything after moves back one place; pages overlap by one
    assert got == [n for n in range(1, 41) if n % 7]


def test_paging_yields_nothing_twice_when_new_ones_arrive_in_front() -> None:
    ids = list(range(1, 41))
    got: list[int] = []
    for n in paged(listing(ids), lambda n: n, page_size=10, offset=0):
        got.append(n)
        if n in (12, 25):
            ids[0:0] = [100 + n, 200 + n]  # newest first: the rest moves on two places
    assert got == [n for n in range(1, 41) if n % 7]


def test_a_whole_page_pushed_on_by_new_arrivals_is_read_past() -> None:
    ids = list(range(1, 31))
    got: list[int] = []
    for n in paged(listing(ids), lambda n: n, page_size=5, offset=0):
        got.append(n)
        if n == 5:
            ids[0:0] = [101, 102, 103, 104, 105]  # the next page lists 1-5 again
    assert got == [n for n in range(1, 31) if n % 7]


def test_a_site_that_ignores_the_offset_is_refused_not_read_for_ever() -> None:
    def same_page(position: int, number: int) -> tuple[list[int], list[int]]:
        return list(range(number)), list(range(number))

    with pytest.raises(WordPressRefused):
        list(paged(same_page, lambda n: n, page_size=5, offset=0))
