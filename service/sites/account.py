"""The WordPress account the archive reads a site with (backfill, reconciliation).

An Editor or Administrator with an application password: only they see held and spam
comments. The password is kept like a webhook secret, encrypted with the secret key in the
site's register entry (so it survives `reindex`), and is never shown again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from service.errors import InvalidInput, WordPressCredentialsRefused
from service.wordpress.port import Account, WordPressSite

# Roles that may read every comment, held and spam included (moderate_comments).
READING_ROLES = frozenset({"administrator", "editor"})
# The commenter's personal data the port can read, by the plugin's setting names. The
# archive keeps what the plugin sends (Settings → Offentlig → Personal data), so that a
# comment read from the site and the same comment delivered by a webhook are one version.
PERSONAL_FIELDS = {"email": "author_email", "ip": "author_ip"}
DEFAULT_PERSONAL = ("email",)  # the plugin's default

# How the archive opens a site: (url, username, application password) → the port.
WordPressFactory = Callable[[str, str, str], WordPressSite]


@dataclass(frozen=True)
class WordPressAccount:
    username: str
    app_password: str
    personal_data: tuple[str, ...] = DEFAULT_PERSONAL


@contextmanager
def opened(
    factory: WordPressFactory, url: str, account: WordPressAccount
) -> Iterator[WordPressSite]:
    site = factory(url, account.username, account.app_password)
    try:
        yield site
    finally:
        site.close()


def checked_account(factory: WordPressFactory, url: str, account: WordPressAccount) -> Account:
    """Who the credentials log in as, if they may read everything backfill needs.

    Wrong credentials and a role without `moderate_comments` are the caller's input (422,
    naming the field); an unreachable site stays a 503, anything else WordPress refuses a 502.
    """
    try:
        with opened(factory, url, account) as site:
            found = site.who_am_i()
    except WordPressCredentialsRefused as exc:
        raise InvalidInput(exc.message, errors={"app_password": [exc.message]}) from None
    if not READING_ROLES & set(found.roles):
        roles = ", ".join(found.roles) or "none"
        raise InvalidInput(
            f"{account.username!r} is {roles}: backfill needs an Editor or Administrator.",
            errors={"username": [f"Must be an Editor or Administrator, not {roles}."]},
        )
    return found
