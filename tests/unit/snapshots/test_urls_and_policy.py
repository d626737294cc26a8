"""Same URL, same origin, allowed address: the rules that keep the crawl on the site."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from service.snapshots.policy import SitePolicy, SiteRefused, address_class
from service.snapshots.urls import normalise, origin


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.SE:80/a/../b/#frag", "http://example.se/b/"),
        ("https://example.se:443", "https://example.se/"),
        ("http://example.se:8080/ä b?q=ö&r=1", "http://example.se:8080/%C3%A4%20b?q=%C3%B6&r=1"),
        ("http://example.se/%7Ealready", "http://example.se/%7Ealready"),
        ("http://[::1]:8000/x", "http://[::1]:8000/x"),
    ],
)
def test_normalised_urls_are_one_key_per_resource(url: str, expected: str) -> None:
    assert normalise(url) == expected


def test_relative_links_resolve_against_their_page() -> None:
    assert normalise("../c?x=1#y", "http://example.se/a/b/") == "http://example.se/a/c?x=1"


@pytest.mark.parametrize("url", ["ftp://example.se/", "mailto:a@b.se", "http:///nohost", "x"])
def test_only_http_urls_have_an_origin(url: str) -> None:
    with pytest.raises(ValueError):
        origin(url)


def test_the_site_origin_is_scheme_host_and_port() -> None:
    policy = SitePolicy("http://127.0.0.1:8000/")
    assert policy.refusal("http://127.0.0.1:8000/any/page?x=1") is None
    assert policy.refusal("http://127.0.0.1:8001/") == "other origin (loopback address)"
    assert policy.refusal("https://127.0.0.1:8000/") == "other origin (loopback address)"
    assert policy.refusal("http://localhost:8000/") == "other origin"
    assert policy.refusal("http://169.254.169.254/latest/meta-data/") == (
        "other origin (link-local address)"
    )
    assert policy.refusal("http://10.0.0.1/") == "other origin (private address)"
    assert policy.refusal("ftp://127.0.0.1:8000/") == "not an http(s) URL"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "link-local address"),
        ("fe80::1", "link-local address"),
        ("10.0.0.1", "private address"),
        ("192.168.1.1", "private address"),
        ("127.0.0.1", "loopback address"),
        ("::ffff:127.0.0.1", "loopback address"),
        ("224.0.0.1", "multicast address"),
        ("0.0.0.0", "unspecified address"),
        ("240.0.0.1", "reserved address"),
        ("100.64.0.1", "non-global address"),
        ("193.10.0.1", None),
    ],
)
def test_addresses_are_classified(address: str, kind: str | None) -> None:
    import ipaddress

    assert address_class(ipaddress.ip_address(address)) == kind


def resolving_to(*addresses: str) -> Any:
    calls: list[str] = []

    def resolve(host: str, port: int, **kwargs: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def test_the_site_name_is_resolved_once_and_its_address_pinned() -> None:
    resolver = resolving_to("10.1.2.3")
    policy = SitePolicy("https://intranet.kommun.test/", resolver)
    assert policy.connect_address("https://intranet.kommun.test/a") == "10.1.2.3"
    assert policy.connect_address("https://intranet.kommun.test/b") == "10.1.2.3"
    assert resolver.calls == ["intranet.kommun.test"]


@pytest.mark.parametrize("address", ["169.254.169.254", "0.0.0.0", "224.0.0.1"])
def test_a_site_resolving_to_a_forbidden_address_is_refused(address: str) -> None:
    policy = SitePolicy("http://metadata.test/", resolving_to(address))
    with pytest.raises(SiteRefused, match="no allowed address"):
        policy.connect_address("http://metadata.test/")


def test_an_allowed_address_is_chosen_over_a_forbidden_one() -> None:
    policy = SitePolicy("http://site.test/", resolving_to("169.254.169.254", "193.10.0.1"))
    assert policy.address == "193.10.0.1"


def test_urls_of_other_origins_are_refused_before_any_lookup() -> None:
    resolver = resolving_to("193.10.0.1")
    policy = SitePolicy("http://site.test/", resolver)
    with pytest.raises(SiteRefused, match="other origin"):
        policy.connect_address("http://evil.test/")
    assert resolver.calls == []


def test_a_name_that_does_not_resolve_refuses_the_site() -> None:
    def failing(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(SiteRefused, match="does not resolve"):
        SitePolicy("http://nowhere.test/", failing).address  # noqa: B018
