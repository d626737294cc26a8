"""python-wordpress-xmlrpc, made to work on Python 3.10+ (the one place for its shim).

The library still uses `collections.Iterable`, removed in Python 3.10; every method that returns a
list (GetPosts, GetComments, …) fails without it. Import the client from here, never directly.
"""

from __future__ import annotations

import collections
import collections.abc
from collections.abc import Iterator
from contextlib import contextmanager

if not hasattr(collections, "Iterable"):
    collections.Iterable = collections.abc.Iterable  # type: ignore[attr-defined]

from wordpress_xmlrpc import Client, WordPressComment, WordPressPost  # noqa: E402
from wordpress_xmlrpc.methods import comments, posts  # noqa: E402

__all__ = ["Client", "WordPressComment", "WordPressPost", "comments", "connect", "posts"]


@contextmanager
def connect(url: str, user: str, password: str) -> Iterator[Client]:
    """An XML-RPC client for a site's /xmlrpc.php; its keep-alive connection is closed after."""
    client = Client(url.rstrip("/") + "/xmlrpc.php", user, password)
    try:
        yield client
    finally:
        client.server("close")()
