"""What may be fetched: the registered site's exact origin, at an address checked once.

SSRF defence in two steps. Every URL must have the site's origin (scheme, host, port), so a
link or redirect to another host, or to another port on the same host, is refused before any
name is resolved. The site's host is resolved once, its address checked, and every connection
goes to that address (no second lookup, so no DNS-rebinding window). The registered origin
may be private or loopback (an intranet site, a test server: an administrator registered it),
but never link-local (169.254.0.0/16 with the cloud metadata service), multicast,
unspecified or reserved: no real site lives there.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any

from service.snapshots.urls import Origin, origin

Resolver = Callable[..., Sequence[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SiteRefused(Exception):
    """The site itself may not be crawled (its address is forbidden or unknown)."""


def address_class(address: IPAddress) -> str | None:
    """Why an address is not a public one (None if it is)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for name, test in (
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("loopback", address.is_loopback),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-global", not address.is_global),
    ):
        if test:
            return f"{name} address"
    return None


# Never crawled, not even as the registered site.
NEVER = {"unspecified address", "link-local address", "multicast address", "reserved address"}


def literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class SitePolicy:
    """The site's origin and its one checked address; asked before every fetch."""

    def __init__(self, site_url: str, resolver: Resolver = socket.getaddrinfo):
        self.site: Origin = origin(site_url)
        self._resolver = resolver
        self._address: str | None = None

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched, or None. Never resolves a name."""
        try:
            target = origin(url)
        except ValueError:
            return "not an http(s) URL"
        if target == self.site:
            return None
        address = literal(target[1])
        kind = address_class(address) if address is not None else None
        return f"other origin ({kind})" if kind else "other origin"

    @property
    def address(self) -> str:
        """The site's address, resolved and checked on first use; `SiteRefused` if forbidden."""
        if self._address is None:
            self._address = self._resolve()
        return self._address

    def connect_address(self, url: str) -> str:
        """The address to connect to for `url`; raises if the URL may not be fetched at all."""
        reason = self.refusal(url)
        if reason:
            raise SiteRefused(f"{url}: {reason}")
        return self.address

    def _resolve(self) -> str:
        scheme, host, port = self.site
        try:
            infos = self._resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise SiteRefused(f"{host} does not resolve: {exc}") from exc
        problems: list[str] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            kind = address_class(address)
            if kind in NEVER:
                problems.append(f"{address}: {kind}")
                continue
            return str(address)
        raise SiteRefused(f"{host} resolves to no allowed address ({'; '.join(problems)})")
